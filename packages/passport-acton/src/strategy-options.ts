import type { OutgoingHttpHeaders } from 'node:http';
import type { ActOnRegion, TokenSet } from '@acton/oauth-client';
import type { Request } from 'express';
import type { StateStore, VerifyCallback } from 'passport-oauth2';
import type { ActOnProfile } from './profile';
import type { ActOnStateStoreLike } from './state-store';
import type { ActOnTokenParams } from './token-handover';

/** passport-oauth2's `done(err, user, info)`. */
export type ActOnVerifyCallback = VerifyCallback;

/**
 * Whether to skip `GET /api/1/account`: a boolean, a function returning one, or an async
 * `(accessToken, done) => done(err, skip)`. A skipped profile reaches the verify callback as `undefined`.
 */
export type ActOnSkipUserProfile =
  | boolean
  | (() => boolean)
  | ((accessToken: string, done: (error: Error | null, skip?: boolean) => void) => void);

/** Options shared by both verify styles. Every option may be left out when its `ACTON_*` variable is set. */
export interface ActOnStrategyOptionsBase {
  /** Your Act-On application's client id. Default `ACTON_CLIENT_ID`. */
  clientID?: string;
  /** Your Act-On application's client secret. Default `ACTON_CLIENT_SECRET`. */
  clientSecret?: string;
  /**
   * The callback URL registered with Act-On (absolute, or a path resolved against the request's host).
   * Sent as `redirect_uri` in the authorization and the token request, both of which Act-On requires.
   * Default `ACTON_CALLBACK_URL`.
   */
  callbackURL?: string;
  /** `'us'` (default) or `'eu'`. Default `ACTON_REGION`. Ignored when `baseURL` is set. */
  region?: ActOnRegion;
  /** Overrides the region, e.g. an emulator; `https:` unless loopback. Default `ACTON_BASE_URL`. */
  baseURL?: string;
  /** Default `'PRODUCTION'`. An array is joined with spaces. */
  scope?: string | readonly string[];
  /** CSRF protection with `state`. Default true: the session when there is one, else a signed cookie. */
  state?: boolean;
  /** A state store of your own, e.g. `new ActOnCookieStateStore({ secret })` to use the cookie even with sessions. */
  store?: ActOnStateStoreLike | StateStore;
  /** Lifetime of a pending authorization request with the default stores, in ms. Default 10 minutes. */
  stateTtlMs?: number;
  /** See {@link ActOnSkipUserProfile}. Needs a verify callback of your own. Default false. */
  skipUserProfile?: ActOnSkipUserProfile;
  /** Key in `req.session` for the session state store. Default `oauth2:<Act-On host>`, as passport-oauth2. */
  sessionKey?: string;
  /** Trust `X-Forwarded-Proto`/`X-Forwarded-Host` when resolving a relative `callbackURL`. */
  proxy?: boolean;
  /** Extra headers for requests to Act-On. */
  customHeaders?: OutgoingHttpHeaders;
}

/** Options with a verify callback that does not receive the request. */
export interface ActOnStrategyOptions extends ActOnStrategyOptionsBase {
  passReqToCallback?: false;
}

/** Options with a verify callback that receives the request first. */
export interface ActOnStrategyOptionsWithRequest extends ActOnStrategyOptionsBase {
  passReqToCallback: true;
}

/**
 * `(accessToken, refreshToken, profile, done)`. The token pair as a `TokenSet` is `profile.tokens`.
 */
export type ActOnVerifyFunction = (
  accessToken: string,
  refreshToken: string,
  profile: ActOnProfile,
  done: ActOnVerifyCallback,
) => void;

/**
 * `(accessToken, refreshToken, params, profile, done)`: `params` is the token endpoint's answer (`expires_in`,
 * `scope`, …); `params.tokens` is the `TokenSet`, also there when the profile was skipped.
 */
export type ActOnVerifyFunctionWithParams = (
  accessToken: string,
  refreshToken: string,
  params: ActOnTokenParams,
  profile: ActOnProfile,
  done: ActOnVerifyCallback,
) => void;

/** `(req, accessToken, refreshToken, profile, done)`, with `passReqToCallback: true`. */
export type ActOnVerifyFunctionWithRequest = (
  req: Request,
  accessToken: string,
  refreshToken: string,
  profile: ActOnProfile,
  done: ActOnVerifyCallback,
) => void;

/** `(req, accessToken, refreshToken, params, profile, done)`, with `passReqToCallback: true`. */
export type ActOnVerifyFunctionWithRequestAndParams = (
  req: Request,
  accessToken: string,
  refreshToken: string,
  params: ActOnTokenParams,
  profile: ActOnProfile,
  done: ActOnVerifyCallback,
) => void;

/** Any verify callback the strategy accepts. */
export type AnyActOnVerifyFunction =
  | ActOnVerifyFunction
  | ActOnVerifyFunctionWithParams
  | ActOnVerifyFunctionWithRequest
  | ActOnVerifyFunctionWithRequestAndParams;

/** What the default verify callback yields as the user (`req.user`). */
export interface ActOnUser {
  /** The Act-On account profile. */
  readonly profile: ActOnProfile;
  /** The token pair; hand it to `ActOnTokenManager.saveTokens(profile.id, tokens)` rather than to a session. */
  readonly tokens: TokenSet;
}
