import type { OutgoingHttpHeaders } from 'node:http';
import {
  ACTON_BASE_URLS,
  ActOnConfigurationError,
  validateBaseUrl,
  type ActOnRegion,
} from '@acton/oauth-client';
import type { StateStore } from 'passport-oauth2';
import { ACCOUNT_PATH } from './profile-request';
import type { ActOnSkipUserProfile, ActOnStrategyOptionsBase } from './strategy-options';
import { DEFAULT_STATE_TTL_MS, MAX_STATE_TTL_MS, type ActOnStateStoreLike } from './state-store';

/** The `ACTON_*` environment variables the strategy reads. */
export interface ActOnStrategyEnvironment {
  readonly ACTON_CLIENT_ID?: string;
  readonly ACTON_CLIENT_SECRET?: string;
  readonly ACTON_CALLBACK_URL?: string;
  readonly ACTON_REGION?: string;
  readonly ACTON_BASE_URL?: string;
}

/** Options after environment defaults and validation; nothing of the caller's object is kept or changed. */
export interface ResolvedStrategyOptions {
  readonly clientID: string;
  readonly clientSecret: string;
  readonly callbackURL: string;
  readonly baseURL: string;
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly accountURL: string;
  readonly scope: string;
  readonly state: boolean;
  readonly store: ActOnStateStoreLike | StateStore | undefined;
  readonly stateTtlMs: number;
  readonly passReqToCallback: boolean;
  readonly skipUserProfile: ActOnSkipUserProfile;
  readonly sessionKey: string;
  readonly proxy: boolean | undefined;
  readonly customHeaders: OutgoingHttpHeaders | undefined;
}

/** Spellings from the core (`clientId`) or other libraries that passport strategies spell differently. */
const MISSPELLED: Readonly<Record<string, string>> = {
  clientId: 'clientID',
  clientSecretKey: 'clientSecret',
  callbackUrl: 'callbackURL',
  redirectUri: 'callbackURL',
  redirectURL: 'callbackURL',
  baseUrl: 'baseURL',
  authorizationURL: 'baseURL',
  tokenURL: 'baseURL',
};

const REGIONS: readonly ActOnRegion[] = ['us', 'eu'];

function fromEnv(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function requiredString(value: unknown, option: string, envName: string): string {
  if (value === undefined) {
    throw new ActOnConfigurationError(
      option,
      `ActOnStrategy needs ${option}: pass options.${option} or set the ${envName} environment variable`,
    );
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ActOnConfigurationError(option, `${option} must be a non-empty string`);
  }
  return value;
}

function validateCallbackURL(value: string, source: string): string {
  if (value.startsWith('/') && !value.startsWith('//')) {
    if (/[\s#]/.test(value))
      throw new ActOnConfigurationError('callbackURL', `${source} must not contain spaces or '#'`);
    return value;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActOnConfigurationError(
      'callbackURL',
      `${source} must be an absolute http(s) URL or a path starting with '/', got ${JSON.stringify(value.slice(0, 100))}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ActOnConfigurationError('callbackURL', `${source} must use http: or https:`);
  }
  if (url.hash || url.username || url.password) {
    throw new ActOnConfigurationError('callbackURL', `${source} must not contain a fragment or credentials`);
  }
  return value;
}

function resolveBaseURL(options: ActOnStrategyOptionsBase, env: ActOnStrategyEnvironment): string {
  if (options.baseURL !== undefined) return validateBaseUrl(options.baseURL, 'baseURL');
  // An explicit region in code wins over a base URL from the environment.
  const envBase = options.region === undefined ? fromEnv(env.ACTON_BASE_URL) : undefined;
  if (envBase !== undefined) return validateBaseUrl(envBase, 'ACTON_BASE_URL');
  const regionSource = options.region !== undefined ? 'region' : 'ACTON_REGION';
  const rawRegion = options.region ?? fromEnv(env.ACTON_REGION)?.toLowerCase() ?? 'us';
  if (!REGIONS.includes(rawRegion as ActOnRegion)) {
    throw new ActOnConfigurationError(
      'region',
      `${regionSource} must be 'us' or 'eu', got ${typeof rawRegion === 'string' ? JSON.stringify(rawRegion) : `a ${typeof rawRegion}`}`,
    );
  }
  return ACTON_BASE_URLS[rawRegion as ActOnRegion];
}

function resolveScope(scope: unknown): string {
  if (scope === undefined) return 'PRODUCTION';
  if (typeof scope === 'string' && scope.trim() !== '') return scope;
  if (
    Array.isArray(scope) &&
    scope.length > 0 &&
    scope.every((s) => typeof s === 'string' && s.trim() !== '')
  ) {
    return scope.join(' ');
  }
  throw new ActOnConfigurationError('scope', 'scope must be a non-empty string or array of strings');
}

function optionalBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new ActOnConfigurationError(option, `${option} must be a boolean`);
}

function resolveStore(store: unknown): ActOnStateStoreLike | StateStore | undefined {
  if (store === undefined) return undefined;
  const candidate = store as { store?: unknown; verify?: unknown } | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.store !== 'function' ||
    typeof candidate.verify !== 'function'
  ) {
    throw new ActOnConfigurationError(
      'store',
      'store must be a state store object with store() and verify() methods',
    );
  }
  return store as ActOnStateStoreLike | StateStore;
}

function resolveSkipUserProfile(value: unknown): ActOnSkipUserProfile {
  if (value === undefined) return false;
  if (typeof value === 'boolean' || typeof value === 'function') return value as ActOnSkipUserProfile;
  throw new ActOnConfigurationError('skipUserProfile', 'skipUserProfile must be a boolean or a function');
}

/**
 * Validates the strategy's options once, at construction, filling gaps from `ACTON_*` variables. Every error is an
 * `ActOnConfigurationError` whose `option` names the culprit; the caller's object is only read.
 */
export function resolveStrategyOptions(
  options: ActOnStrategyOptionsBase & { passReqToCallback?: boolean },
  env: ActOnStrategyEnvironment,
): ResolvedStrategyOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ActOnConfigurationError('options', 'ActOnStrategy options must be an object');
  }
  for (const [wrong, right] of Object.entries(MISSPELLED)) {
    if (wrong in options) {
      throw new ActOnConfigurationError(
        wrong,
        `ActOnStrategy has no option ${wrong}; did you mean ${right}?`,
      );
    }
  }
  const clientID = requiredString(
    options.clientID ?? fromEnv(env.ACTON_CLIENT_ID),
    'clientID',
    'ACTON_CLIENT_ID',
  );
  const clientSecret = requiredString(
    options.clientSecret ?? fromEnv(env.ACTON_CLIENT_SECRET),
    'clientSecret',
    'ACTON_CLIENT_SECRET',
  );
  const callbackSource = options.callbackURL !== undefined ? 'callbackURL' : 'ACTON_CALLBACK_URL';
  const callbackURL = validateCallbackURL(
    requiredString(
      options.callbackURL ?? fromEnv(env.ACTON_CALLBACK_URL),
      'callbackURL',
      'ACTON_CALLBACK_URL',
    ),
    callbackSource,
  );
  const baseURL = resolveBaseURL(options, env);
  const stateTtlMs = options.stateTtlMs ?? DEFAULT_STATE_TTL_MS;
  if (!Number.isInteger(stateTtlMs) || stateTtlMs < 1000 || stateTtlMs > MAX_STATE_TTL_MS) {
    throw new ActOnConfigurationError(
      'stateTtlMs',
      `stateTtlMs must be a whole number of ms between 1000 and ${MAX_STATE_TTL_MS}`,
    );
  }
  if (
    options.sessionKey !== undefined &&
    (typeof options.sessionKey !== 'string' || options.sessionKey === '')
  ) {
    throw new ActOnConfigurationError('sessionKey', 'sessionKey must be a non-empty string');
  }
  if (
    options.customHeaders !== undefined &&
    (options.customHeaders === null || typeof options.customHeaders !== 'object')
  ) {
    throw new ActOnConfigurationError(
      'customHeaders',
      'customHeaders must be an object of header names to values',
    );
  }
  return {
    clientID,
    clientSecret,
    callbackURL,
    baseURL,
    authorizationURL: `${baseURL}/authorize`,
    tokenURL: `${baseURL}/token`,
    accountURL: `${baseURL}${ACCOUNT_PATH}`,
    scope: resolveScope(options.scope),
    state: optionalBoolean(options.state, 'state') ?? true,
    store: resolveStore(options.store),
    stateTtlMs,
    passReqToCallback: optionalBoolean(options.passReqToCallback, 'passReqToCallback') ?? false,
    skipUserProfile: resolveSkipUserProfile(options.skipUserProfile),
    sessionKey: options.sessionKey ?? `oauth2:${new URL(baseURL).hostname}`,
    proxy: optionalBoolean(options.proxy, 'proxy'),
    // Copied so later changes to the caller's object do not leak into requests.
    customHeaders: options.customHeaders === undefined ? undefined : { ...options.customHeaders },
  };
}
