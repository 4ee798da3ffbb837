import { parseTokenResponse, type TokenSet } from '@acton/oauth-client';

/**
 * The token endpoint's answer as passport-oauth2 hands it to a verify callback with a `params` argument
 * (node-oauth removes `refresh_token` from it). `tokens` is the same answer as a validated `TokenSet`; like
 * {@link ActOnProfile.tokens} it is not enumerable.
 */
export interface ActOnTokenParams {
  readonly access_token: string;
  readonly token_type?: string;
  readonly expires_in?: number | string;
  readonly scope?: string;
  /** This login's token pair in the core's form. Not enumerable. */
  readonly tokens: TokenSet;
  readonly [field: string]: unknown;
}

const TOKENS = 'tokens';

/**
 * Builds the core's `TokenSet` from the answer node-oauth parsed, with the core's own checks: both tokens present
 * and plausible, `token_type` Bearer, a sane `expires_in`. A failure is an `ActOnInvalidTokenResponseError`.
 */
export function tokenSetFromTokenResponse(
  results: Readonly<Record<string, unknown>>,
  refreshToken: string | undefined,
  receivedAt: number,
  secrets: ReadonlyArray<string | undefined>,
): TokenSet {
  // node-oauth parsed the JSON and took refresh_token out; put it back and let the core validate the answer.
  const body = JSON.stringify({ ...results, refresh_token: refreshToken });
  return parseTokenResponse(200, body, receivedAt, 'authorization_code', secrets);
}

/**
 * Hangs `tokens` on an object without making it enumerable, so serializing the profile or params (sessions, logs)
 * never carries the tokens along.
 */
export function attachTokens(target: object, tokens: TokenSet): void {
  if (!Object.isExtensible(target)) return;
  Object.defineProperty(target, TOKENS, {
    value: tokens,
    enumerable: false,
    writable: false,
    configurable: true,
  });
}

/** The `TokenSet` that {@link attachTokens} hung on `target`, if any. */
export function tokensOf(target: unknown): TokenSet | undefined {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(target, TOKENS);
  return descriptor === undefined ? undefined : (descriptor.value as TokenSet);
}
