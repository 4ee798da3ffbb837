import type { TokenSet } from '@acton/oauth-client';
import type { Profile } from 'passport';
import { ActOnProfileError } from './errors';

/**
 * What `GET /api/1/account` answers. Act-On's docs only agree on `account_id`, `user_name`, `user_email` and
 * `account_name`; everything else may be missing, and fields Act-On adds later are kept.
 */
export interface ActOnAccountInfo {
  readonly account_id: number | string;
  readonly user_name?: string;
  readonly user_email?: string;
  readonly account_name?: string;
  readonly cname?: string;
  readonly user_type?: string;
  readonly isAdmin?: boolean;
  readonly login?: string;
  readonly time_zone?: string;
  readonly [field: string]: unknown;
}

/** A Passport profile built from the Act-On account, before the verify callback sees it. */
export interface ActOnAccountProfile extends Profile {
  provider: 'acton';
  /** `account_id` as a string: a natural account key for `ActOnTokenManager`. */
  id: string;
  /** `user_name`, else `login`, else `user_email`, else `account_name`, else the id. */
  displayName: string;
  /** Act-On's `login`. */
  username?: string;
  /** `user_email`, when Act-On sent one. */
  emails?: Array<{ value: string; type?: string }>;
  accountName?: string;
  cname?: string;
  userType?: string;
  isAdmin?: boolean;
  timeZone?: string;
  /** The response body as received. */
  _raw: string;
  /** The parsed response body. */
  _json: ActOnAccountInfo;
}

/**
 * The profile handed to the verify callback: an {@link ActOnAccountProfile} plus the `tokens` of this login in the
 * core's `TokenSet` form. `tokens` is not enumerable, so `JSON.stringify(profile)`, a session serializer or a
 * spread never copies the tokens by accident; read it by name.
 */
export interface ActOnProfile extends ActOnAccountProfile {
  /** This login's token pair, ready for `ActOnTokenManager.saveTokens(profile.id, profile.tokens)`. */
  readonly tokens: TokenSet;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function optionalBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  // Older gateways have sent booleans as strings.
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

function accountIdOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return value.trim();
  return undefined;
}

function invalid(reason: string): ActOnProfileError {
  return new ActOnProfileError(
    'invalid_response',
    `Act-On's GET /api/1/account sent an unusable account profile: ${reason}`,
  );
}

/**
 * Turns the body of `GET /api/1/account` into a Passport profile. Only `account_id` is required; any other field
 * that is missing or of the wrong type is left out instead of failing the login.
 *
 * @throws {@link ActOnProfileError} with reason `invalid_response` when the body is not JSON or has no `account_id`
 */
export function parseProfile(body: string): ActOnAccountProfile {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw invalid('the body is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid('the body is not a JSON object');
  }
  const account = json as ActOnAccountInfo;
  const id = accountIdOf(account.account_id);
  if (id === undefined) throw invalid('account_id is missing or not a number');

  const userName = optionalString(account.user_name);
  const login = optionalString(account.login);
  const email = optionalString(account.user_email);
  const accountName = optionalString(account.account_name);
  const cname = optionalString(account.cname);
  const userType = optionalString(account.user_type);
  const isAdmin = optionalBoolean(account.isAdmin);
  const timeZone = optionalString(account.time_zone);
  // Optional fields are left out rather than set to undefined, so `'field' in profile` means Act-On sent it.
  return {
    provider: 'acton',
    id,
    displayName: userName ?? login ?? email ?? accountName ?? id,
    ...(login === undefined ? {} : { username: login }),
    ...(email === undefined ? {} : { emails: [{ value: email }] }),
    ...(accountName === undefined ? {} : { accountName }),
    ...(cname === undefined ? {} : { cname }),
    ...(userType === undefined ? {} : { userType }),
    ...(isAdmin === undefined ? {} : { isAdmin }),
    ...(timeZone === undefined ? {} : { timeZone }),
    _raw: body,
    _json: account,
  };
}
