import {
  ACTON_BASE_URLS,
  defaultTokenPath,
  validateBaseUrl,
  type ActOnCredentials,
  type ActOnTokenManagerOptions,
  type CredentialsOption,
  type TokenStore,
} from '@acton/oauth-client';
import type { ActOnAuthModuleOptions, ActOnTokenStoreKind } from './acton-auth-module-options';
import {
  moduleConfigurationError,
  relabelConfigurationError,
  type OptionSource,
} from './configuration-error';
import { readActOnEnv, type ActOnEnvOption } from './env-options';

/** The store to build, after validation. */
export type ResolvedStoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly path: string; readonly encryptionKey?: string | Buffer }
  | {
      readonly kind: 'redis';
      readonly url: string;
      readonly prefix?: string;
      readonly encryptionKey?: string | Buffer;
    }
  | { readonly kind: 'instance'; readonly store: TokenStore };

/** Manager options as the module passes them on (the store and logger are added when the manager is built). */
export type ResolvedManagerOptions = Omit<ActOnTokenManagerOptions, 'store' | 'logger'>;

/** Module options after env fallback and validation. */
export interface ResolvedActOnAuthOptions {
  readonly manager: ResolvedManagerOptions;
  readonly store: ResolvedStoreSpec;
  /** Act-On's base URL in use, without a trailing slash. */
  readonly baseUrl: string;
  readonly defaultAccount: string;
  /** Accounts warmed up and reported by the health indicator. */
  readonly accounts: readonly string[];
  readonly warmUp: boolean;
  readonly now: () => number;
  /** Where each option came from, to point error messages at the right place. */
  readonly sources: Readonly<Partial<Record<string, OptionSource>>>;
}

const STORE_KINDS: readonly ActOnTokenStoreKind[] = ['memory', 'file', 'redis'];
const TOKEN_STORE_METHODS = ['get', 'set', 'delete', 'reserveAuthAttempt', 'withLock', 'close'] as const;

/** Every option the module knows; anything else is a typo that would otherwise be silently ignored. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof ActOnAuthModuleOptions | 'isGlobal'>([
  'clientId',
  'clientSecret',
  'region',
  'baseUrl',
  'username',
  'password',
  'credentials',
  'defaultAccount',
  'accounts',
  'store',
  'tokenFile',
  'redisUrl',
  'redisPrefix',
  'encryptionKey',
  'warmUp',
  'timeoutMs',
  'refreshSkewMs',
  'authBudget',
  'backgroundRefresh',
  'retry',
  'lockWaitTimeoutMs',
  'fetch',
  'now',
  'env',
  // Stripped by the module builder in forRoot(), but a forRootAsync factory may hand it back.
  'isGlobal',
]);

/** True when `value` has every method of the `TokenStore` interface. */
export function isTokenStore(value: unknown): value is TokenStore {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return TOKEN_STORE_METHODS.every((method) => typeof candidate[method] === 'function');
}

function environmentOf(option: ActOnAuthModuleOptions['env']): Readonly<Record<string, string | undefined>> {
  if (option === undefined || option === true) return process.env;
  if (option === false) return {};
  if (option !== null && typeof option === 'object' && !Array.isArray(option)) return option;
  throw moduleConfigurationError(
    'env',
    'env must be true (read process.env), false (read nothing) or an object of variables',
    'options',
  );
}

function optionalString(
  value: unknown,
  option: string,
  source: OptionSource | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw moduleConfigurationError(option, `${option} must be a non-empty string`, source);
  }
  return value;
}

/**
 * Applies the environment fallback and validates every option the module itself interprets, once, at
 * bootstrap. Options the manager interprets (timeouts, budget, retry, …) are validated by its constructor.
 * Errors are `ActOnConfigurationError`s naming the option; no message ever contains a value.
 */
export function resolveActOnAuthOptions(input: ActOnAuthModuleOptions | undefined): ResolvedActOnAuthOptions {
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    throw moduleConfigurationError('options', 'the module options must be an object');
  }
  const options: ActOnAuthModuleOptions = input ?? {};
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      // Shortened, and never an empty name even for a key like "".
      const name = key === '' ? '(empty name)' : key.length > 40 ? `${key.slice(0, 40)}…` : key;
      throw moduleConfigurationError(name, `unknown option "${name}" (check its spelling)`, 'options');
    }
  }
  const env = readActOnEnv(environmentOf(options.env));
  const sources: Partial<Record<string, OptionSource>> = {};
  for (const key of Object.keys(options) as Array<keyof ActOnAuthModuleOptions>) {
    if (options[key] !== undefined) sources[key] = 'options';
  }
  /** The explicit option wins; the environment fills in what the caller left out. */
  const pick = <K extends ActOnEnvOption>(key: K): ActOnAuthModuleOptions[K] | string | undefined => {
    if (options[key] !== undefined) return options[key];
    const fromEnv = env[key];
    if (fromEnv !== undefined) sources[key] = 'env';
    return fromEnv;
  };

  const clientId = optionalString(pick('clientId'), 'clientId', sources.clientId);
  if (clientId === undefined) throw moduleConfigurationError('clientId', 'clientId is required');
  const clientSecret = optionalString(pick('clientSecret'), 'clientSecret', sources.clientSecret);
  if (clientSecret === undefined) throw moduleConfigurationError('clientSecret', 'clientSecret is required');

  // The base URL is needed here, before the manager exists, to name the default token file.
  const baseUrlOption = pick('baseUrl');
  const regionOption = pick('region');
  let baseUrl: string;
  if (baseUrlOption !== undefined) {
    try {
      baseUrl = validateBaseUrl(baseUrlOption, 'baseUrl');
    } catch (error) {
      throw relabelConfigurationError(error, {}, sources);
    }
  } else {
    const region = regionOption ?? 'us';
    if (region !== 'us' && region !== 'eu') {
      throw moduleConfigurationError('region', `region must be 'us' or 'eu'`, sources.region);
    }
    baseUrl = ACTON_BASE_URLS[region];
  }

  const username = optionalString(pick('username'), 'username', sources.username);
  const password = optionalString(pick('password'), 'password', sources.password);
  if (username !== undefined && password === undefined) {
    throw moduleConfigurationError('password', 'password is required when username is set');
  }
  if (password !== undefined && username === undefined) {
    throw moduleConfigurationError('username', 'username is required when password is set');
  }
  const credentialsOption = options.credentials;
  if (
    credentialsOption !== undefined &&
    typeof credentialsOption !== 'function' &&
    (credentialsOption === null || typeof credentialsOption !== 'object')
  ) {
    throw moduleConfigurationError(
      'credentials',
      'credentials must be { username, password } or a function (account) => credentials',
      'options',
    );
  }
  if (credentialsOption !== undefined && typeof credentialsOption !== 'function' && username !== undefined) {
    throw moduleConfigurationError(
      'credentials',
      'credentials as an object cannot be combined with username/password: use one or the other',
      'options',
    );
  }

  const defaultAccount =
    optionalString(options.defaultAccount, 'defaultAccount', 'options') ??
    username ??
    (credentialsOption !== undefined && typeof credentialsOption !== 'function'
      ? credentialsOption.username
      : undefined) ??
    'default';
  const accounts = resolveAccounts(options.accounts, defaultAccount);
  const credentials = combineCredentials(username, password, credentialsOption, defaultAccount);

  if (options.warmUp !== undefined && typeof options.warmUp !== 'boolean') {
    throw moduleConfigurationError('warmUp', 'warmUp must be a boolean', 'options');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw moduleConfigurationError('now', 'now must be a function returning epoch milliseconds', 'options');
  }
  const now = options.now ?? Date.now;

  const store = resolveStore(options, pick, sources, clientId, baseUrl);

  const manager: ResolvedManagerOptions = {
    clientId,
    clientSecret,
    ...(baseUrlOption !== undefined ? { baseUrl } : { region: baseUrl === ACTON_BASE_URLS.eu ? 'eu' : 'us' }),
    ...(credentials === undefined ? {} : { credentials }),
    defaultAccount,
    now,
    ...passThrough(options),
  };
  return {
    manager,
    store,
    baseUrl,
    defaultAccount,
    accounts,
    warmUp: options.warmUp ?? false,
    now,
    sources,
  };
}

/** Manager tuning options, handed over untouched so that the manager's own validation names them. */
function passThrough(options: ActOnAuthModuleOptions): Partial<ResolvedManagerOptions> {
  const keys = [
    'timeoutMs',
    'refreshSkewMs',
    'authBudget',
    'backgroundRefresh',
    'retry',
    'lockWaitTimeoutMs',
    'fetch',
  ] as const;
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (options[key] !== undefined) picked[key] = options[key];
  return picked as Partial<ResolvedManagerOptions>;
}

function resolveAccounts(value: unknown, defaultAccount: string): readonly string[] {
  if (value === undefined) return [defaultAccount];
  if (!Array.isArray(value) || value.length === 0) {
    throw moduleConfigurationError(
      'accounts',
      'accounts must be a non-empty array of account keys',
      'options',
    );
  }
  for (const account of value) {
    if (typeof account !== 'string' || account === '') {
      throw moduleConfigurationError('accounts', 'accounts must contain non-empty strings only', 'options');
    }
  }
  return Object.freeze([...new Set(value as string[])]);
}

/**
 * The configured username/password belong to the default account; a credentials function, if any, is asked
 * about every other account.
 */
function combineCredentials(
  username: string | undefined,
  password: string | undefined,
  credentials: CredentialsOption | undefined,
  defaultAccount: string,
): CredentialsOption | undefined {
  if (username === undefined || password === undefined) return credentials;
  const own: ActOnCredentials = { username, password };
  if (typeof credentials !== 'function') return own;
  return (account: string) => (account === defaultAccount ? own : credentials(account));
}

function resolveStore(
  options: ActOnAuthModuleOptions,
  pick: (key: 'store' | 'tokenFile' | 'redisUrl' | 'encryptionKey') => unknown,
  sources: Partial<Record<string, OptionSource>>,
  clientId: string,
  baseUrl: string,
): ResolvedStoreSpec {
  const store = pick('store') ?? 'file';
  if (isTokenStore(store)) return { kind: 'instance', store };
  if (typeof store !== 'string' || !(STORE_KINDS as readonly string[]).includes(store)) {
    throw moduleConfigurationError(
      'store',
      `store must be one of ${STORE_KINDS.map((kind) => `'${kind}'`).join(', ')} or a TokenStore instance`,
      sources.store,
    );
  }
  const encryptionKey = pick('encryptionKey');
  if (encryptionKey !== undefined && typeof encryptionKey !== 'string' && !Buffer.isBuffer(encryptionKey)) {
    throw moduleConfigurationError('encryptionKey', 'encryptionKey must be a string or a Buffer', 'options');
  }
  const key = encryptionKey === undefined ? {} : { encryptionKey };
  switch (store as ActOnTokenStoreKind) {
    case 'memory':
      return { kind: 'memory' };
    case 'file': {
      const tokenFile = optionalString(pick('tokenFile'), 'tokenFile', sources.tokenFile);
      const environment = environmentOf(options.env);
      return {
        kind: 'file',
        path: tokenFile ?? defaultTokenPath(clientId, baseUrl, { env: environment }),
        ...key,
      };
    }
    case 'redis': {
      const url = optionalString(pick('redisUrl'), 'redisUrl', sources.redisUrl);
      if (url === undefined)
        throw moduleConfigurationError('redisUrl', "redisUrl is required with store 'redis'");
      if (options.redisPrefix !== undefined && typeof options.redisPrefix !== 'string') {
        throw moduleConfigurationError('redisPrefix', 'redisPrefix must be a string', 'options');
      }
      return {
        kind: 'redis',
        url,
        ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }),
        ...key,
      };
    }
  }
}
