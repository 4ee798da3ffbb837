export * from './errors';
export type { TokenSet } from './token-set';
export type { TokenStore, StoredTokenSet, AuthAttemptReservation, LockOptions } from './token-store';
export {
  ActOnOAuthClient,
  type ActOnCredentials,
  type AuthorizationUrlParams,
  type CodeGrantParams,
} from './oauth-client';
export {
  ACTON_BASE_URLS,
  isLoopbackHost,
  validateBaseUrl,
  type ActOnClientOptions,
  type ActOnRegion,
  type FetchFunction,
} from './client-options';
export { parseTokenResponse, isTokenSet, type GrantType } from './token-response';
export { redactSecrets, scrubSecrets } from './secret-scrubber';
export type { RetryOptions } from './backoff';
export { MemoryTokenStore } from './memory-token-store';
export { FileTokenStore, type FileTokenStoreOptions } from './file-token-store';
export { RedisTokenStore, type RedisTokenStoreOptions } from './redis-token-store';
export { defaultTokenPath, type DefaultTokenPathEnvironment } from './default-token-path';
export type {
  ActOnTokenManagerOptions,
  ActOnLogger,
  AuthBudgetOptions,
  CredentialsOption,
} from './token-manager-options';
export type {
  ActOnTokenManagerEvents,
  TokensEvent,
  RefreshEvent,
  LoginEvent,
  ReauthorizeEvent,
  ManagerErrorEvent,
  TokenSource,
} from './token-manager-events';
export { ActOnTokenManager } from './token-manager';
