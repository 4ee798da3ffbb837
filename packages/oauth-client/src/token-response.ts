import { ActOnInvalidTokenResponseError, ActOnTokenEndpointError } from './errors';
import { scrubSecrets } from './secret-scrubber';
import { copyTokenSet, type TokenSet } from './token-set';

/** The OAuth grant types Act-On's token endpoint knows. */
export type GrantType = 'password' | 'authorization_code' | 'refresh_token';

/** Shortest and longest `expires_in` (seconds) accepted as sane; Act-On has sent 3600 and 86400. */
export const MIN_EXPIRES_IN_SEC = 1;
export const MAX_EXPIRES_IN_SEC = 31 * 24 * 3600;

function fallbackErrorCode(status: number): string {
  if (status === 429) return 'too_many_requests';
  if (status === 401) return 'access_denied';
  if (status >= 500) return 'server_error';
  return 'invalid_response';
}

function parseJsonObject(bodyText: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function parseExpiresIn(value: unknown, status: number): number {
  const seconds = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw new ActOnInvalidTokenResponseError(status, 'expires_in is missing or not a number');
  }
  if (seconds < MIN_EXPIRES_IN_SEC || seconds > MAX_EXPIRES_IN_SEC) {
    throw new ActOnInvalidTokenResponseError(
      status,
      `expires_in ${seconds} is outside the sane range ${MIN_EXPIRES_IN_SEC}..${MAX_EXPIRES_IN_SEC} seconds`,
    );
  }
  return seconds;
}

function requireToken(body: Record<string, unknown>, field: string, status: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ActOnInvalidTokenResponseError(status, `${field} is missing or empty`);
  }
  if (value.length > 8192 || /\s/.test(value)) {
    throw new ActOnInvalidTokenResponseError(status, `${field} is not a plausible token`);
  }
  return value;
}

/**
 * Turns an answer of Act-On's token endpoint into a {@link TokenSet}, or throws a typed error:
 * {@link ActOnTokenEndpointError} for an OAuth error answer (Act-On's `error`/`error_description` kept),
 * {@link ActOnInvalidTokenResponseError} for a success status with an unusable body.
 *
 * @param secrets values that were sent with the request; they are scrubbed from any text put in an error.
 */
export function parseTokenResponse(
  status: number,
  bodyText: string,
  receivedAt: number,
  grantType: GrantType,
  secrets: ReadonlyArray<string | undefined> = [],
): TokenSet {
  const body = parseJsonObject(bodyText);
  const isSuccess = status >= 200 && status < 300;
  if (!isSuccess || (body !== undefined && typeof body.error === 'string')) {
    // Scrubbed before the blank check: a code made only of control characters scrubs down to nothing.
    const scrubbedError =
      body !== undefined && typeof body.error === 'string'
        ? scrubSecrets(body.error, secrets).slice(0, 64)
        : '';
    const description =
      body !== undefined && typeof body.error_description === 'string' ? body.error_description : undefined;
    return throwEndpointError(
      isSuccess ? 400 : status,
      scrubbedError === '' ? fallbackErrorCode(status) : scrubbedError,
      description === undefined ? undefined : scrubSecrets(description, secrets),
      grantType,
    );
  }
  if (body === undefined) {
    throw new ActOnInvalidTokenResponseError(status, 'body is not a JSON object');
  }
  const accessToken = requireToken(body, 'access_token', status);
  const refreshToken = requireToken(body, 'refresh_token', status);
  const tokenType = body.token_type === undefined ? 'Bearer' : body.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new ActOnInvalidTokenResponseError(status, 'token_type is not Bearer');
  }
  const expiresInSec = parseExpiresIn(body.expires_in, status);
  const scope = typeof body.scope === 'string' && body.scope !== '' ? body.scope : undefined;
  return {
    accessToken,
    refreshToken,
    tokenType,
    ...(scope === undefined ? {} : { scope }),
    expiresAt: receivedAt + Math.floor(expiresInSec * 1000),
    obtainedAt: receivedAt,
  };
}

function throwEndpointError(
  status: number,
  error: string,
  description: string | undefined,
  grantType: GrantType,
): never {
  throw new ActOnTokenEndpointError(status, error, description, grantType);
}

/** Checks that a value handed in by a caller (e.g. to `saveTokens`) is a usable {@link TokenSet}. */
export function isTokenSet(value: unknown): value is TokenSet {
  return copyTokenSet(value) !== undefined;
}
