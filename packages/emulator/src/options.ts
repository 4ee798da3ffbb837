import { deriveAccountInfo, type EmulatorAccountInfo } from './account-info';
import type { EmulatorClock } from './clock';
import type { FaultOptions } from './faults';

/** The documented demo credentials the emulator accepts when nothing else is configured. */
export const EMULATOR_DEFAULTS = {
  clientId: 'emulator-client-id',
  clientSecret: 'emulator-client-secret',
  username: 'demo@example.com',
  password: 'demo-password',
} as const;

/** A user who can sign in to the emulator. */
export interface EmulatorUser {
  username: string;
  password: string;
  /** Default true. When false every `/api/1/*` call answers 403 `PUBLIC_API_FEATURE_NOT_ENABLED`. */
  apiEnabled?: boolean;
  /** Overrides of the account info derived from the username. */
  account?: Partial<EmulatorAccountInfo>;
}

/**
 * What the token endpoint answers once a username's hourly auth budget is spent. Act-On does not publish
 * it, hence configurable. A string body is sent as text/plain, anything else as JSON.
 */
export interface AuthLimitResponse {
  status: number;
  body: unknown;
  /** Extra response headers, e.g. to try a client against a `Retry-After` Act-On does not send today. */
  headers?: Record<string, string>;
}

/** Options of {@link createActOnEmulator}. Every field is optional. */
export interface ActOnEmulatorOptions {
  /** Default {@link EMULATOR_DEFAULTS}.clientId. */
  clientId?: string;
  /** Default {@link EMULATOR_DEFAULTS}.clientSecret. */
  clientSecret?: string;
  /** Default: the single demo user of {@link EMULATOR_DEFAULTS}. */
  users?: EmulatorUser[];
  /** Access token lifetime in seconds, sent as `expires_in`. Default 3600. */
  tokenTtlSec?: number;
  /** Lifetime of an unused refresh token, counted from issue. Default 30 days. */
  refreshTokenTtlSec?: number;
  /** Password and code grants per username per sliding hour, failed ones included. Default 5. */
  authLimitPerHour?: number;
  /** Answer once the auth budget is spent. Default 429 `{"error":"too_many_requests",...}`. */
  authLimitResponse?: AuthLimitResponse;
  /**
   * Whether a new pair for a client+username also kills the older access tokens (refresh tokens always die).
   * Act-On does not say; default true, the stricter answer.
   */
  revokeAccessTokensOnReissue?: boolean;
  /** Registered callback URLs, matched exactly. Default: any http(s) loopback URL. */
  redirectUris?: string[];
  /** Whether `/authorize` and the `authorization_code` grant work. Default true. */
  codeGrantEnabled?: boolean;
  /** Lifetime of an authorization code in seconds. Default 600. */
  codeTtlSec?: number;
  /** `scope` echoed in token responses. Default `'offline-access'`. */
  scope?: string;
  /** Per-account limit of `/api/1/*` calls per second. Default off (Act-On's real limit is 5). */
  apiRateLimitPerSecond?: number;
  /** Clock for every expiry and window. Default: wall time plus an offset that `advance()` moves. */
  clock?: EmulatorClock;
  /** Random faults, deterministic by seed. Default none. */
  faults?: FaultOptions;
  /** Receives one line per request. Never given passwords, secrets, tokens or codes. */
  logger?: (line: string) => void;
}

/** A user after defaults: account info complete. */
export interface ResolvedUser {
  readonly username: string;
  readonly password: string;
  readonly apiEnabled: boolean;
  readonly account: Readonly<EmulatorAccountInfo>;
}

/** The emulator's options after validation and defaults (clock, faults and logger are held elsewhere). */
export interface ResolvedOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: readonly ResolvedUser[];
  readonly tokenTtlSec: number;
  readonly refreshTokenTtlSec: number;
  readonly authLimitPerHour: number;
  readonly authLimitResponse: Readonly<AuthLimitResponse>;
  readonly revokeAccessTokensOnReissue: boolean;
  /** `undefined` means "any http(s) loopback URL". */
  readonly redirectUris: readonly string[] | undefined;
  readonly codeGrantEnabled: boolean;
  readonly codeTtlSec: number;
  readonly scope: string;
  /** `undefined` means no limit. */
  readonly apiRateLimitPerSecond: number | undefined;
}

const THIRTY_DAYS_SEC = 30 * 24 * 60 * 60;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // Whole seconds, because expires_in goes on the wire and Act-On sends integers.
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // Infinity is a legitimate "no limit" for a test that wants to ignore the budget.
  if (typeof value !== 'number' || value < 0 || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a non-negative integer or Infinity, got ${String(value)}`);
  }
  return value;
}

function nonEmptyString(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}

function resolveUsers(users: EmulatorUser[] | undefined): ResolvedUser[] {
  const given = users ?? [{ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password }];
  if (!Array.isArray(given) || given.length === 0) throw new TypeError('users must be a non-empty array');
  const seen = new Set<string>();
  const takenIds = new Set<number>();
  for (const user of given) {
    if (typeof user.account?.account_id === 'number') {
      if (takenIds.has(user.account.account_id)) {
        throw new RangeError(`users: account_id ${user.account.account_id} is used twice`);
      }
      takenIds.add(user.account.account_id);
    }
  }
  return given.map((user, index) => {
    const username = nonEmptyString(`users[${index}].username`, user.username, '');
    const password = nonEmptyString(`users[${index}].password`, user.password, '');
    if (seen.has(username))
      throw new RangeError(`users: username ${JSON.stringify(username)} is listed twice`);
    seen.add(username);
    const account = deriveAccountInfo(username, user.account, takenIds);
    takenIds.add(account.account_id);
    return { username, password, apiEnabled: user.apiEnabled ?? true, account: Object.freeze(account) };
  });
}

function resolveRedirectUris(uris: string[] | undefined): readonly string[] | undefined {
  if (uris === undefined) return undefined;
  if (!Array.isArray(uris)) throw new TypeError('redirectUris must be an array of URLs');
  for (const uri of uris) {
    try {
      new URL(uri);
    } catch {
      throw new TypeError(`redirectUris: ${JSON.stringify(uri)} is not an absolute URL`);
    }
    if (uri.includes('#'))
      throw new TypeError(`redirectUris: ${JSON.stringify(uri)} must not have a fragment`);
  }
  return Object.freeze([...uris]);
}

/** Validates options and fills in defaults. Throws a `TypeError`/`RangeError` naming the bad option. */
export function resolveOptions(options: ActOnEmulatorOptions = {}): ResolvedOptions {
  const authLimitPerHour = nonNegativeInteger('authLimitPerHour', options.authLimitPerHour, 5);
  const limitResponse = options.authLimitResponse ?? {
    status: 429,
    body: {
      error: 'too_many_requests',
      error_description: `Authentication limit reached: at most ${authLimitPerHour} password or authorization code grants per hour for this username`,
    },
  };
  if (!Number.isInteger(limitResponse.status) || limitResponse.status < 200 || limitResponse.status > 599) {
    throw new RangeError(
      `authLimitResponse.status must be an HTTP status, got ${String(limitResponse.status)}`,
    );
  }
  const apiRate = options.apiRateLimitPerSecond;
  return Object.freeze({
    clientId: nonEmptyString('clientId', options.clientId, EMULATOR_DEFAULTS.clientId),
    clientSecret: nonEmptyString('clientSecret', options.clientSecret, EMULATOR_DEFAULTS.clientSecret),
    users: Object.freeze(resolveUsers(options.users)),
    tokenTtlSec: positiveInteger('tokenTtlSec', options.tokenTtlSec, 3600),
    refreshTokenTtlSec: positiveInteger('refreshTokenTtlSec', options.refreshTokenTtlSec, THIRTY_DAYS_SEC),
    authLimitPerHour,
    authLimitResponse: Object.freeze({ ...limitResponse }),
    revokeAccessTokensOnReissue: options.revokeAccessTokensOnReissue ?? true,
    redirectUris: resolveRedirectUris(options.redirectUris),
    codeGrantEnabled: options.codeGrantEnabled ?? true,
    codeTtlSec: positiveInteger('codeTtlSec', options.codeTtlSec, 600),
    scope: nonEmptyString('scope', options.scope, 'offline-access'),
    apiRateLimitPerSecond:
      apiRate === undefined ? undefined : nonNegativeInteger('apiRateLimitPerSecond', apiRate, 0),
  });
}
