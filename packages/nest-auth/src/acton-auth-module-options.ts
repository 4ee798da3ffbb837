import type {
  ActOnRegion,
  AuthBudgetOptions,
  CredentialsOption,
  FetchFunction,
  RetryOptions,
  TokenStore,
} from '@acton/oauth-client';

/** Where the module keeps token pairs, the login budget ledger and the grant locks. */
export type ActOnTokenStoreKind = 'memory' | 'file' | 'redis';

/**
 * Options of {@link ActOnAuthModule}. Every field is optional here because any field the caller leaves out is
 * read from its `ACTON_*` environment variable (see {@link ACTON_ENV_VARIABLES}); what is still missing after
 * that fails the bootstrap with an `ActOnConfigurationError` naming the option.
 */
export interface ActOnAuthModuleOptions {
  /** Your Act-On application's client id. Env: `ACTON_CLIENT_ID`. */
  readonly clientId?: string;
  /** Your Act-On application's client secret. Env: `ACTON_CLIENT_SECRET`. Never logged or echoed. */
  readonly clientSecret?: string;
  /** `'us'` (default) or `'eu'`. Env: `ACTON_REGION`. Ignored when `baseUrl` is set. */
  readonly region?: ActOnRegion;
  /** Overrides `region`, e.g. an emulator's URL. Env: `ACTON_BASE_URL`. */
  readonly baseUrl?: string;

  /**
   * Act-On username of the default account. It becomes the default account key (unless `defaultAccount`
   * says otherwise) and, with `password`, lets the manager log in by itself. Env: `ACTON_USERNAME`.
   */
  readonly username?: string;
  /** Password of `username`. Env: `ACTON_PASSWORD`. Never logged or echoed. */
  readonly password?: string;
  /**
   * Credentials for accounts other than the default one, as a function `(account) => { username, password }`
   * (return `undefined` for accounts that must go through the code grant). With `username`/`password` set,
   * the function is only asked about the other accounts. A `{ username, password }` object is accepted as an
   * alternative to `username`/`password`, not in addition to them.
   */
  readonly credentials?: CredentialsOption;
  /** Account key used when a method gets none. Default: `username`, else `'default'`. */
  readonly defaultAccount?: string;
  /**
   * Account keys the app relies on: warmed up at bootstrap (with `warmUp`) and reported by
   * {@link ActOnHealthIndicator}. Default: `[defaultAccount]`.
   */
  readonly accounts?: readonly string[];

  /**
   * `'memory'`, `'file'` (default) or `'redis'`, or a `TokenStore` instance (which the app owns and closes).
   * Env: `ACTON_TOKEN_STORE`.
   */
  readonly store?: ActOnTokenStoreKind | TokenStore;
  /** Token file of the `file` store. Env: `ACTON_TOKEN_FILE`. Default: a per-user data directory. */
  readonly tokenFile?: string;
  /** `redis://` or `rediss://` URL of the `redis` store. Env: `ACTON_REDIS_URL`. Required with `store: 'redis'`. */
  readonly redisUrl?: string;
  /** Key prefix of the `redis` store. Default `'acton:'`. */
  readonly redisPrefix?: string;
  /**
   * AES-256-GCM key that encrypts pairs at rest in the `file` and `redis` stores: 64 hex characters, base64 of
   * 32 bytes, or a 32-byte Buffer. Env: `ACTON_ENCRYPTION_KEY`. Never logged or echoed.
   */
  readonly encryptionKey?: string | Buffer;

  /**
   * Obtain a token for every account of `accounts` while the app boots (`onApplicationBootstrap`): the
   * stored pair is reused or refreshed, and a password grant happens only when no pair is stored. A failure
   * is logged, not thrown, so that an Act-On outage cannot turn into a crash loop. Default `false`.
   */
  readonly warmUp?: boolean;

  /** Hard deadline of one request to Act-On, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Refresh this long before expiry. Default 5 minutes. */
  readonly refreshSkewMs?: number;
  /** Local login budget per account. Default `{ limit: 5, windowMs: 3_600_000 }`, Act-On's own limit. */
  readonly authBudget?: AuthBudgetOptions;
  /** Refresh in the background before expiry, on an unref'd timer. Default `false`. */
  readonly backgroundRefresh?: boolean;
  /** Retry policy for transient refresh failures. */
  readonly retry?: RetryOptions;
  /** How long a caller waits for another process's grant. Default: lease + 5 s. */
  readonly lockWaitTimeoutMs?: number;
  /** Injectable `fetch` (tests, proxies). Default: the global one. */
  readonly fetch?: FetchFunction;
  /** Clock in epoch ms. Default `Date.now`; tests pass an emulator's clock. */
  readonly now?: () => number;

  /**
   * Where unset options are read from: `true` (default) reads `process.env`, `false` reads nothing, an object
   * is read instead of `process.env` (handy in tests).
   */
  readonly env?: boolean | Readonly<Record<string, string | undefined>>;
}

/**
 * A class that produces {@link ActOnAuthModuleOptions} for `ActOnAuthModule.forRootAsync({ useClass })` or
 * `forRootAsync({ useExisting })`.
 */
export interface ActOnAuthOptionsFactory {
  createActOnAuthOptions(): Promise<ActOnAuthModuleOptions> | ActOnAuthModuleOptions;
}
