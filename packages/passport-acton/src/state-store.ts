import type { Request } from 'express';

/** What passport-oauth2 tells a state store about the request (`meta` argument). */
export interface ActOnStateStoreMeta {
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly clientID: string;
  /** The callback URL of this request, absolute (passport-oauth2 resolves a relative one). */
  readonly callbackURL?: string;
}

/** Why a state check failed; passport-oauth2 passes it on as the failure `info`. */
export interface ActOnStateFailure {
  readonly message: string;
}

/** `store` callback: the handle to send to Act-On as `state`. */
export type ActOnStateStoreCallback = (error: Error | null, handle?: string) => void;

/**
 * `verify` callback: `ok` true with the application state that was stored (passport-oauth2 puts it in
 * `info.state`), or `ok` false with the reason.
 */
export type ActOnStateVerifyCallback = (error: Error | null, ok: boolean, stateOrFailure?: unknown) => void;

/**
 * A passport-oauth2 state store in its four-argument form, the form that receives the callback URL and
 * application state. Every store of this package implements it; passport-oauth2's own stores work too.
 */
export interface ActOnStateStoreLike {
  store(req: Request, appState: unknown, meta: ActOnStateStoreMeta, callback: ActOnStateStoreCallback): void;
  verify(
    req: Request,
    providedState: string | undefined,
    meta: ActOnStateStoreMeta,
    callback: ActOnStateVerifyCallback,
  ): void;
}

/** Failure messages, worded as passport-oauth2's own stores word them. */
export const STATE_MESSAGES = Object.freeze({
  missing: 'Unable to verify authorization request state.',
  invalid: 'Invalid authorization request state.',
  expired: 'Invalid authorization request state: it has expired.',
  replayed: 'Invalid authorization request state: it has already been used.',
});

/** Default lifetime of a pending authorization request: long enough to type a password, short enough to be useless later. */
export const DEFAULT_STATE_TTL_MS = 10 * 60_000;
/** Upper bound of the state lifetime option. */
export const MAX_STATE_TTL_MS = 60 * 60_000;
