import type { ActOnError } from './errors';

/** How a pair came to be: a grant of this process, a hand-over, or a newer pair found in the store. */
export type TokenSource = 'password' | 'refresh_token' | 'saved' | 'store';

/** Payload of `tokens`: a new pair is in use. Carries no token, so printing it is safe. */
export interface TokensEvent {
  readonly account: string;
  readonly version: number;
  readonly source: TokenSource;
  readonly expiresAt: number;
  readonly obtainedAt: number;
}

/** Payload of `refresh`: this process rotated a pair. */
export interface RefreshEvent {
  readonly account: string;
  readonly version: number;
  readonly expiresAt: number;
}

/** Payload of `login`: this process made a password grant. */
export interface LoginEvent {
  readonly account: string;
  readonly version: number;
  /** Why the manager had to log in, e.g. `no stored token pair`. */
  readonly reason: string;
}

/** Payload of `reauthorize`: a human must sign in again for this account. */
export interface ReauthorizeEvent {
  readonly account: string;
  readonly reason: string;
}

/** Payload of `error`: a failure no caller was waiting for (background refresh, a pair that could not be saved). */
export interface ManagerErrorEvent {
  readonly account: string;
  readonly error: ActOnError;
}

/** Event map of {@link ActOnTokenManager}. */
export interface ActOnTokenManagerEvents {
  tokens: [TokensEvent];
  refresh: [RefreshEvent];
  login: [LoginEvent];
  reauthorize: [ReauthorizeEvent];
  error: [ManagerErrorEvent];
}
