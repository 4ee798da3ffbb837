import type { Request } from 'express';
import type { ActOnProfile } from './profile';
import type { ActOnUser, ActOnVerifyCallback, AnyActOnVerifyFunction } from './strategy-options';
import { attachTokens, tokenSetFromTokenResponse, tokensOf, type ActOnTokenParams } from './token-handover';

/** What passport-oauth2 calls: always the `params` arity, so the `TokenSet` is at hand whatever the user wrote. */
export type PassportVerify = PassportVerifyWithoutRequest | PassportVerifyWithRequest;

type PassportVerifyWithoutRequest = (
  accessToken: string,
  refreshToken: string,
  params: ActOnTokenParams,
  profile: ActOnProfile | undefined,
  done: ActOnVerifyCallback,
) => void;

type PassportVerifyWithRequest = (
  req: Request,
  accessToken: string,
  refreshToken: string,
  params: ActOnTokenParams,
  profile: ActOnProfile | undefined,
  done: ActOnVerifyCallback,
) => void;

/**
 * Makes sure `params.tokens` and `profile.tokens` hold the `TokenSet`. The oauth2 adapter normally attached it to
 * `params` already; if a subclass swapped the oauth2 client, it is built here.
 */
function handOverTokens(
  params: ActOnTokenParams,
  refreshToken: string,
  profile: ActOnProfile | undefined,
): ActOnUser['tokens'] {
  let tokens = tokensOf(params);
  if (tokens === undefined) {
    tokens = tokenSetFromTokenResponse(params, refreshToken, Date.now(), []);
    attachTokens(params, tokens);
  }
  if (profile !== null && typeof profile === 'object') attachTokens(profile, tokens);
  return tokens;
}

/**
 * Wraps the application's verify callback. passport-oauth2 picks the arguments by counting the callback's
 * parameters; the wrapper always takes the `params` form and then calls the application's callback with the
 * arguments passport-oauth2 itself would have chosen (5 with `params` or 4 without; 6 or 5 with `req`). A callback
 * whose count is hidden (`(...args) => …`, as @nestjs/passport's is) gets the four-argument form, exactly as
 * passport-oauth2 would call it, and finds the tokens at `profile.tokens`.
 *
 * Without a callback, the user is `{ profile, tokens }`.
 */
export function createPassportVerify(
  verify: AnyActOnVerifyFunction | undefined,
  passReqToCallback: boolean,
): PassportVerify {
  // Declared with every parameter: passport-oauth2 counts them to decide what to pass.
  if (passReqToCallback) {
    return function actOnVerifyWithRequest(req, accessToken, refreshToken, params, profile, done): void {
      callVerify(verify, [req], accessToken, refreshToken, params, profile, done);
    } satisfies PassportVerifyWithRequest;
  }
  return function actOnVerify(accessToken, refreshToken, params, profile, done): void {
    callVerify(verify, [], accessToken, refreshToken, params, profile, done);
  } satisfies PassportVerifyWithoutRequest;
}

/** Hands the tokens over, then calls `verify` with `params` only if it declares the parameter for it. */
function callVerify(
  verify: AnyActOnVerifyFunction | undefined,
  leading: readonly [Request] | readonly [],
  accessToken: string,
  refreshToken: string,
  params: ActOnTokenParams,
  profile: ActOnProfile | undefined,
  done: ActOnVerifyCallback,
): void {
  let tokens: ActOnUser['tokens'];
  try {
    tokens = handOverTokens(params, refreshToken, profile);
  } catch (error) {
    return done(error);
  }
  if (verify === undefined) return done(null, { profile, tokens } as ActOnUser);
  const wantsParams = verify.length === leading.length + 5;
  const args = wantsParams
    ? [...leading, accessToken, refreshToken, params, profile, done]
    : [...leading, accessToken, refreshToken, profile, done];
  (verify as (...args: unknown[]) => void)(...args);
}
