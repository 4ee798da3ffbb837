import { redactSecrets, scrubSecrets } from '@acton/oauth-client';
import type { OAuth2 } from 'oauth';
import { ActOnProfileError, type ActOnProfileErrorDetails } from './errors';
import { parseProfile, type ActOnAccountProfile } from './profile';

/** Path of Act-On's account endpoint below the base URL. */
export const ACCOUNT_PATH = '/api/1/account';

const API_NOT_ENABLED = 'PUBLIC_API_FEATURE_NOT_ENABLED';
const MAX_TEXT = 200;

interface HttpFailure {
  readonly statusCode: number;
  readonly data?: unknown;
}

function isHttpFailure(error: unknown): error is HttpFailure {
  return error !== null && typeof error === 'object' && typeof (error as HttpFailure).statusCode === 'number';
}

/** Act-On's words go into a message: printable, bounded, and never the token that was sent. */
function cleanText(value: unknown, accessToken: string): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  return scrubSecrets(String(value), [accessToken], MAX_TEXT);
}

/** Reads `{"httpCode","httpMessage","moreInformation"}`, Act-On's REST error shape, when that is what came back. */
function restErrorDetails(status: number, data: unknown, accessToken: string): ActOnProfileErrorDetails {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(String(data));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone has to do.
  }
  const details: { -readonly [K in keyof ActOnProfileErrorDetails]: ActOnProfileErrorDetails[K] } = {
    status,
  };
  const httpCode = cleanText(body.httpCode, accessToken);
  const httpMessage = cleanText(body.httpMessage, accessToken);
  const moreInformation = cleanText(body.moreInformation, accessToken);
  if (httpCode !== undefined) details.httpCode = httpCode;
  if (httpMessage !== undefined) details.httpMessage = httpMessage;
  if (moreInformation !== undefined) details.moreInformation = moreInformation;
  return details;
}

/** Turns what node-oauth reported for `GET /api/1/account` into an {@link ActOnProfileError} in Act-On's words. */
export function profileErrorFrom(error: unknown, accessToken: string): ActOnProfileError {
  if (!isHttpFailure(error)) {
    // Duck-typed: network errors may come from another realm (a test VM), where instanceof Error fails.
    const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
    const text = cleanText(message, accessToken);
    const codeText = typeof code === 'string' && !text?.includes(code) ? ` (${code})` : '';
    const why = text ? `: ${text}${codeText}` : codeText;
    return new ActOnProfileError(
      'network',
      `Could not reach Act-On to read the account profile${why}`,
      {},
      error,
    );
  }
  const status = error.statusCode;
  const details = restErrorDetails(status, error.data, accessToken);
  // Kept as `oauthError` (passport-oauth2's convention), so it must not carry the token either.
  const reported: HttpFailure = {
    statusCode: status,
    data: redactSecrets(String(error.data ?? ''), [accessToken]),
  };
  const said = [details.httpMessage, details.moreInformation].filter((text) => text).join(': ');
  const answer = `GET ${ACCOUNT_PATH} answered HTTP ${status}${said ? ` (${said})` : ''}`;
  // Act-On names the missing API feature in the body; the status it uses for it is not documented.
  if (String(reported.data).includes(API_NOT_ENABLED)) {
    return new ActOnProfileError(
      'api_access_not_enabled',
      `This Act-On account has no API access (${API_NOT_ENABLED}): ${answer}. Ask Act-On support to enable the API for the account.`,
      details,
      reported,
    );
  }
  if (status === 401) {
    return new ActOnProfileError(
      'unauthorized',
      `Act-On refused the access token while reading the account profile: ${answer}`,
      details,
      reported,
    );
  }
  if (status === 429) {
    return new ActOnProfileError(
      'rate_limited',
      `Act-On's API rate limit was hit while reading the account profile: ${answer}`,
      details,
      reported,
    );
  }
  return new ActOnProfileError(
    'http_error',
    `Failed to read the Act-On account profile: ${answer}`,
    details,
    reported,
  );
}

/**
 * `GET {base}/api/1/account` with the access token in an `Authorization: Bearer` header (the oauth2 client must
 * have `useAuthorizationHeaderforGET(true)`: Act-On's gateway does not read tokens from the query string).
 */
export function requestProfile(
  oauth2: OAuth2,
  accountUrl: string,
  accessToken: string,
  done: (error: ActOnProfileError | null, profile?: ActOnAccountProfile) => void,
): void {
  oauth2.get(accountUrl, accessToken, (error, body) => {
    let outcome: { error: ActOnProfileError } | { profile: ActOnAccountProfile };
    if (error) {
      outcome = { error: profileErrorFrom(error, accessToken) };
    } else {
      try {
        outcome = { profile: parseProfile(String(body ?? '')) };
      } catch (parseError) {
        outcome = {
          error:
            parseError instanceof ActOnProfileError
              ? parseError
              : new ActOnProfileError('invalid_response', 'Failed to parse the Act-On account profile'),
        };
      }
    }
    // `done` runs the verify callback; call it outside the try so its exceptions are not mistaken for ours.
    if ('error' in outcome) done(outcome.error);
    else done(null, outcome.profile);
  });
}
