import { ActOnTokenEndpointError, parseTokenResponse } from '@acton/oauth-client';
import { InternalOAuthError, TokenError } from 'passport-oauth2';

/**
 * Act-On's token endpoint refused the authorization code (`invalid_grant`, `access_denied`, …).
 *
 * A passport-oauth2 `TokenError`, so code written for any OAuth 2.0 strategy keeps working; it also keeps Act-On's
 * own words: `error`, `errorDescription` (alias `error_description`) and the HTTP `status`.
 */
export class ActOnTokenError extends TokenError {
  /** Act-On's `error` field, e.g. `invalid_grant`. Same value as `code`. */
  readonly error: string;
  /** Act-On's `error_description`, with anything that was sent as a secret removed. */
  readonly errorDescription: string | undefined;
  /** HTTP status of the token endpoint's answer. */
  declare readonly status: number;

  constructor(status: number, error: string, errorDescription?: string) {
    super(
      `Act-On's token endpoint refused the authorization code: ${error}` +
        (errorDescription ? ` (${errorDescription})` : '') +
        ` [HTTP ${status}]`,
      error,
      undefined,
      status,
    );
    this.error = error;
    this.errorDescription = errorDescription;
  }

  /** Act-On's wire name of {@link ActOnTokenError.errorDescription}. */
  get error_description(): string | undefined {
    return this.errorDescription;
  }
}

/** Why reading `GET /api/1/account` failed. */
export type ActOnProfileErrorReason =
  /** 401: Act-On refused the access token. */
  | 'unauthorized'
  /** 403 `PUBLIC_API_FEATURE_NOT_ENABLED`: the account may not use Act-On's API. */
  | 'api_access_not_enabled'
  /** 429: Act-On's per-second API limit. */
  | 'rate_limited'
  /** Any other non-2xx answer. */
  | 'http_error'
  /** A 2xx answer that is not an account object with an `account_id`. */
  | 'invalid_response'
  /** No answer: connection refused or reset, DNS, TLS. */
  | 'network';

/** Details of an {@link ActOnProfileError}, as far as Act-On sent them. */
export interface ActOnProfileErrorDetails {
  /** HTTP status, absent for network failures. */
  readonly status?: number;
  /** Act-On's REST error fields (`{"httpCode":"401","httpMessage":"Unauthorized","moreInformation":""}`). */
  readonly httpCode?: string;
  readonly httpMessage?: string;
  readonly moreInformation?: string;
}

/**
 * Loading the Act-On profile failed. A passport-oauth2 `InternalOAuthError` (what every strategy's `userProfile`
 * reports), with a `reason` and Act-On's REST error fields. The message never contains the access token.
 */
export class ActOnProfileError extends InternalOAuthError {
  /** Machine-readable cause; `api_access_not_enabled` is Act-On's `PUBLIC_API_FEATURE_NOT_ENABLED`. */
  readonly reason: ActOnProfileErrorReason;
  /** HTTP status of `GET /api/1/account`, absent for network failures. */
  readonly status: number | undefined;
  readonly httpCode: string | undefined;
  readonly httpMessage: string | undefined;
  readonly moreInformation: string | undefined;
  /** What node-oauth reported (`{ statusCode, data }` or a network `Error`). */
  declare oauthError: unknown;

  constructor(
    reason: ActOnProfileErrorReason,
    message: string,
    details: ActOnProfileErrorDetails = {},
    oauthError?: unknown,
  ) {
    super(message, oauthError);
    this.reason = reason;
    this.status = details.status;
    this.httpCode = details.httpCode;
    this.httpMessage = details.httpMessage;
    this.moreInformation = details.moreInformation;
  }
}

/**
 * Reads a token endpoint error answer the way the core does (`error`, `error_description`, secrets scrubbed, length
 * bounded) and returns it as an {@link ActOnTokenError}; `undefined` when the body is not an OAuth error object.
 */
export function tokenErrorFromResponse(
  body: string,
  status: number,
  secrets: ReadonlyArray<string | undefined>,
): ActOnTokenError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || typeof (json as { error?: unknown }).error !== 'string') {
    return undefined;
  }
  try {
    parseTokenResponse(status, body, Date.now(), 'authorization_code', secrets);
  } catch (error) {
    if (error instanceof ActOnTokenEndpointError) {
      return new ActOnTokenError(error.status, error.error, error.errorDescription);
    }
  }
  return undefined;
}
