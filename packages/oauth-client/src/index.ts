export * from './errors';
export type { TokenSet } from './token-set';
export type { TokenStore, StoredTokenSet, AuthAttemptReservation, LockOptions } from './token-store';
