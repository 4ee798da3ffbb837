import { redactSecrets } from '@acton/oauth-client';
import type { OAuth2, oauth2tokenCallback } from 'oauth';
import { attachTokens, tokenSetFromTokenResponse } from './token-handover';

type GetAccessToken = (code: string, params: Record<string, string>, callback: oauth2tokenCallback) => void;

/**
 * Makes passport-oauth2's node-oauth client speak Act-On:
 * - `GET` requests carry the token in an `Authorization: Bearer` header (Act-On ignores `?access_token=`);
 * - every successful token answer is validated into a `TokenSet` right away, before the profile is fetched, and the
 *   set is attached (not enumerable) to the `params` object passport-oauth2 later passes to the verify callback.
 *
 * Client credentials stay in the form body, node-oauth's default and what Act-On requires.
 */
export function adaptOAuth2ForActOn(
  oauth2: OAuth2,
  clientSecret: string,
  now: () => number = Date.now,
): void {
  oauth2.useAuthorizationHeaderforGET(true);
  // node-oauth keeps the secret in a plain field: hidden from inspect() and JSON, still read by node-oauth.
  Object.defineProperty(oauth2, '_clientSecret', { enumerable: false });
  const getAccessToken = oauth2.getOAuthAccessToken.bind(oauth2) as GetAccessToken;
  const validatingGetAccessToken: GetAccessToken = (code, params, callback) => {
    getAccessToken(code, params, (error, accessToken, refreshToken, results: unknown) => {
      // The error body becomes error texts (ActOnTokenError, InternalOAuthError): strip what we sent as secrets.
      if (error && typeof (error as { data?: unknown }).data === 'string') {
        const failure = error as { statusCode: number; data: string };
        failure.data = redactSecrets(failure.data, [clientSecret, code]);
      }
      // Errors and a missing access token are reported by passport-oauth2 in its usual way.
      if (error || !accessToken || results === null || typeof results !== 'object') {
        return callback(error, accessToken, refreshToken, results);
      }
      let failure: unknown;
      try {
        const tokens = tokenSetFromTokenResponse(results as Record<string, unknown>, refreshToken, now(), [
          clientSecret,
          code,
        ]);
        attachTokens(results, tokens);
      } catch (validationError) {
        failure = validationError;
      }
      if (failure !== undefined) return callback(failure as Error);
      return callback(error, accessToken, refreshToken, results);
    });
  };
  oauth2.getOAuthAccessToken = validatingGetAccessToken as OAuth2['getOAuthAccessToken'];
}
