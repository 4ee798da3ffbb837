import { EventEmitter } from 'node:events';
import { backoffDelayMs, sleep, worstCaseRetryMs } from './backoff';
import { resolveClientOptions } from './client-options';
import { defaultTokenPath } from './default-token-path';
import {
  ActOnAuthBudgetError,
  ActOnConfigurationError,
  ActOnError,
  ActOnNetworkError,
  ActOnReauthorizationRequiredError,
  ActOnStoreConflictError,
  ActOnStoreError,
  ActOnTokenEndpointError,
} from './errors';
import { FileTokenStore } from './file-token-store';
import { authorizedFetch, type ActOnFetchOptions } from './authorized-fetch';
import { ActOnOAuthClient, type ActOnCredentials } from './oauth-client';
import type { ActOnTokenManagerEvents, TokenSource } from './token-manager-events';
import {
  isCredentials,
  resolveManagerPolicy,
  type ActOnLogger,
  type ActOnTokenManagerOptions,
  type CredentialsOption,
  type ResolvedManagerPolicy,
} from './token-manager-options';
import { copyTokenSet, type TokenSet } from './token-set';
import type { LockOptions, StoredTokenSet, TokenStore } from './token-store';
import { timerDelay } from './timers';

/** A pair in use by this process, with the moment it should be rotated. */
interface CachedPair {
  readonly tokens: TokenSet;
  readonly version: number;
  /** `expiresAt` minus the refresh skew: past it, callers take the slow path. */
  readonly refreshAt: number;
}

/** A rotated pair the store refused to take: kept so the refresh token is never lost, written before use. */
interface UnsavedPair {
  readonly tokens: TokenSet;
  readonly expectedVersion: number;
  readonly source: TokenSource;
}

/**
 * What a caller of the slow path needs.
 * - `after`: the pair must be newer than this version (a 401 on that generation, or a forced rotation).
 * - `force`: rotate even a usable pair, unless a newer one than `after` already exists.
 */
interface Demand {
  readonly after?: number;
  readonly force?: boolean;
}

interface AccountState {
  /** The one grant (or forget) in flight for this account; `undefined` once it settles. */
  inflight?: Promise<CachedPair | undefined>;
  unsaved?: UnsavedPair;
  /** Sends of the stored pair's refresh token whose outcome is unknown (the request may have reached Act-On). */
  unknownSends?: { readonly version: number; readonly count: number };
  /** After a failed proactive refresh: serve the still-valid token without retrying until then. */
  retryProactiveAt?: number;
  timer?: NodeJS.Timeout;
}

/** Why the manager logged in although the stored refresh token may still be alive. */
const REASON_UNKNOWN_TWICE = 'refresh sent twice without an answer';
/** A failed proactive refresh is not retried for this long while the current token still works. */
const PROACTIVE_RETRY_COOLDOWN_MS = 5_000;
/** The grant lock outlives the worst case of retries by this much. */
const LEASE_MARGIN_MS = 10_000;

/**
 * The long-lived owner of Act-On token pairs, keyed by an account key (default `'default'`).
 *
 * It keeps Act-On's rules for you: a refresh token is sent at most once (one resend only when a response was
 * lost on the wire), concurrent callers share one refresh, every grant runs under the account's lock in the
 * store (so processes sharing the store take turns), the new pair is saved before anyone uses it, and password
 * grants stay within a login budget counted in the store.
 *
 * @example
 * const acton = new ActOnTokenManager({ clientId, clientSecret, credentials: { username, password } });
 * const response = await acton.fetch('/api/1/account');
 */
export class ActOnTokenManager extends EventEmitter<ActOnTokenManagerEvents> {
  /** The account key methods use when they get none. */
  readonly defaultAccount: string;
  readonly #client: ActOnOAuthClient;
  readonly #store: TokenStore;
  readonly #ownsStore: boolean;
  readonly #policy: ResolvedManagerPolicy;
  readonly #credentials: CredentialsOption | undefined;
  readonly #logger: ActOnLogger | undefined;
  readonly #now: () => number;
  readonly #lockOptions: LockOptions;
  readonly #fetchOptions: ActOnFetchOptions;
  /** The hot path reads only this map. */
  readonly #cache = new Map<string, CachedPair>();
  readonly #states = new Map<string, AccountState>();
  #unwatch: (() => void) | undefined;
  #watching = false;
  #closed = false;

  /** @throws ActOnConfigurationError naming the first bad option; values are never echoed. */
  constructor(options: ActOnTokenManagerOptions) {
    super();
    // Client options first, so their errors come first; the client is built from the validated values.
    const client = resolveClientOptions(options);
    this.#policy = resolveManagerPolicy(options);
    this.#client = new ActOnOAuthClient(client);
    this.#now = client.now;
    this.#credentials = options.credentials;
    this.#logger = options.logger;
    this.defaultAccount = this.#policy.defaultAccount;
    this.#ownsStore = options.store === undefined;
    this.#store =
      options.store ?? new FileTokenStore({ path: defaultTokenPath(client.clientId, client.baseUrl) });
    const leaseMs = worstCaseRetryMs(this.#policy.retry, client.timeoutMs) + LEASE_MARGIN_MS;
    this.#lockOptions = { leaseMs, waitTimeoutMs: this.#policy.lockWaitTimeoutMs ?? leaseMs + 5_000 };
    this.#fetchOptions = { baseUrl: client.baseUrl, fetch: client.fetch, timeoutMs: client.timeoutMs };
  }

  /** The store holding this manager's pairs, budget ledger and locks. */
  get store(): TokenStore {
    return this.#store;
  }

  /** Base URL of the Act-On gateway in use. */
  get baseUrl(): string {
    return this.#client.baseUrl;
  }

  /** The token-endpoint client underneath (one request per call, no storage). */
  get client(): ActOnOAuthClient {
    return this.#client;
  }

  /**
   * A valid access token for `account`. The hot path is a memory read; within `refreshSkewMs` of expiry the pair
   * is rotated first (one refresh however many callers wait), and an account without a pair logs in by itself
   * when credentials are configured.
   *
   * @throws ActOnReauthorizationRequiredError when there is no usable pair and no way to log in.
   * @throws ActOnAuthBudgetError when a login is needed but the hourly budget is spent (nothing was sent).
   */
  getAccessToken(account?: string): Promise<string> {
    const cached = this.#cache.get(account ?? this.defaultAccount);
    if (cached !== undefined && this.#now() < cached.refreshAt)
      return Promise.resolve(cached.tokens.accessToken);
    return this.#slowPair(account ?? this.defaultAccount).then((pair) => pair.tokens.accessToken);
  }

  /** The current pair of `account` (from memory, else from the store), or `undefined`. Never calls Act-On. */
  async getTokenSet(account?: string): Promise<TokenSet | undefined> {
    const key = this.#account(account);
    this.#assertOpen();
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached.tokens;
    const stored = await this.#store.get(key);
    return stored?.tokens;
  }

  /**
   * Logs in with a password grant and stores the pair under `account` (default: the default account).
   * Counts against the login budget; past it, throws `ActOnAuthBudgetError` without calling Act-On.
   */
  async login(credentials: ActOnCredentials, account?: string): Promise<TokenSet> {
    const key = this.#account(account);
    this.#assertOpen();
    if (!isCredentials(credentials)) {
      throw new ActOnConfigurationError(
        'credentials',
        'login() needs { username, password } with non-empty strings',
      );
    }
    const pair = await this.#singleFlight(key, () =>
      this.#store.withLock(key, this.#lockOptions, () =>
        this.#loginLocked(key, credentials, 'login() called'),
      ),
    );
    return pair.tokens;
  }

  /**
   * Hands over a pair obtained elsewhere (typically a code grant through `passport-acton`) and stores it under
   * `account`. From then on the manager rotates it like any other.
   */
  async saveTokens(account: string, tokens: TokenSet): Promise<void> {
    const key = this.#account(account);
    this.#assertOpen();
    // Known fields only: nothing a caller hung on the object (a toJSON, a getter, a secret) reaches the store.
    const copy = copyTokenSet(tokens);
    if (copy === undefined) {
      throw new ActOnConfigurationError(
        'tokens',
        'saveTokens() needs a TokenSet { accessToken, refreshToken, tokenType, expiresAt, obtainedAt, scope? }',
      );
    }
    await this.#singleFlight(key, () =>
      this.#store.withLock(key, this.#lockOptions, async () => {
        const current = await this.#store.get(key);
        this.#state(key).unsaved = undefined;
        return this.#persist(key, copy, current?.version ?? 0, 'saved');
      }),
    );
  }

  /**
   * Rotates the pair of `account` now, whatever its expiry (unless another caller or process rotated it since
   * this call started, in which case that newer pair is returned).
   */
  async refresh(account?: string): Promise<TokenSet> {
    const key = this.#account(account);
    this.#assertOpen();
    // The version stored now, not the one cached: a rotation that finished before this call is not "since".
    const current = await this.#store.get(key);
    const pair = await this.#obtain(key, { force: true, after: current?.version });
    return pair.tokens;
  }

  /** Drops the pair of `account` from memory and from the store. The login budget is not reset. */
  async forget(account: string): Promise<void> {
    const key = this.#account(account);
    this.#assertOpen();
    await this.#singleFlight(key, () =>
      this.#store.withLock(key, this.#lockOptions, async () => {
        await this.#store.delete(key);
        this.#drop(key);
        this.#state(key).unsaved = undefined;
        return undefined;
      }),
    );
  }

  /**
   * An authorized request to Act-On's API. `pathOrUrl` is relative to the base URL (`/api/1/account`) or an
   * absolute URL on the same origin (the bearer token is never sent elsewhere). On a 401 the pair is refreshed
   * once, only if the request carried the current token generation, and the request is resent with the same body.
   */
  async fetch(
    pathOrUrl: string | URL,
    init: RequestInit = {},
    options: { account?: string } = {},
  ): Promise<Response> {
    const key = this.#account(options.account);
    this.#assertOpen();
    return authorizedFetch(this.#fetchOptions, pathOrUrl, init, {
      current: async () => {
        const cached = this.#cache.get(key);
        const pair =
          cached !== undefined && this.#now() < cached.refreshAt ? cached : await this.#slowPair(key);
        return { token: pair.tokens.accessToken, version: pair.version };
      },
      afterUnauthorized: async (version) => {
        this.#log('info', 'Act-On answered 401; checking for a newer token generation', {
          account: key,
          version,
        });
        const pair = await this.#obtain(key, { after: version });
        return { token: pair.tokens.accessToken, version: pair.version };
      },
    });
  }

  /**
   * Stops timers and watchers. Closes the store only if the manager created it (the default file store);
   * a store you passed in is yours to close. Further calls reject. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const state of this.#states.values()) clearTimeout(state.timer);
    this.#cache.clear();
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.#ownsStore) await this.#store.close();
  }

  /** Secret-free summary, so logging the manager is harmless. */
  toJSON(): Record<string, string | number> {
    return {
      clientId: this.#client.clientId,
      baseUrl: this.#client.baseUrl,
      defaultAccount: this.defaultAccount,
    };
  }

  async #slowPair(account: string): Promise<CachedPair> {
    this.#account(account);
    this.#assertOpen();
    const cached = this.#cache.get(account);
    const state = this.#state(account);
    // The current token still works: a failed proactive refresh must not turn into a failed call.
    if (
      cached !== undefined &&
      state.retryProactiveAt !== undefined &&
      this.#now() < state.retryProactiveAt
    ) {
      if (this.#now() < cached.tokens.expiresAt) return cached;
    }
    try {
      const pair = await this.#obtain(account, {});
      state.retryProactiveAt = undefined;
      return pair;
    } catch (error) {
      const current = this.#cache.get(account);
      if (current !== undefined && this.#now() < current.tokens.expiresAt && !this.#closed) {
        state.retryProactiveAt = this.#now() + PROACTIVE_RETRY_COOLDOWN_MS;
        this.#log('warn', 'Proactive refresh failed; serving the still-valid access token', {
          account,
          error: describe(error),
        });
        return current;
      }
      throw error;
    }
  }

  /** Single-flight entry of the slow path: joins a grant in flight if its result will do, else starts one. */
  async #obtain(account: string, demand: Demand): Promise<CachedPair> {
    this.#startWatching();
    const state = this.#state(account);
    for (let round = 0; round < 3; round++) {
      const cached = this.#cache.get(account);
      if (cached !== undefined && this.#satisfies(cached, demand)) return cached;
      if (state.inflight === undefined) break;
      const joined = await state.inflight;
      if (joined !== undefined && this.#satisfies(joined, demand)) return joined;
    }
    return this.#singleFlight(account, () =>
      this.#store.withLock(account, this.#lockOptions, () => this.#grantLocked(account, demand)),
    );
  }

  /** A pair satisfies a demand when it is usable and newer than what the caller saw fail. */
  #satisfies(pair: CachedPair, demand: Demand): boolean {
    if (!(this.#now() < pair.refreshAt)) return false;
    if (demand.after === undefined) return demand.force !== true;
    return pair.version > demand.after;
  }

  /** Runs `task` as the account's one grant in flight; callers arriving meanwhile wait for it first. */
  async #singleFlight<T extends CachedPair | undefined>(account: string, task: () => Promise<T>): Promise<T> {
    const state = this.#state(account);
    while (state.inflight !== undefined) await state.inflight.catch(() => undefined);
    const running = task();
    state.inflight = running;
    try {
      return await running;
    } finally {
      if (state.inflight === running) state.inflight = undefined;
    }
  }

  /** Under the account's lock: re-read the store, then adopt, rotate or log in. */
  async #grantLocked(account: string, demand: Demand): Promise<CachedPair> {
    await this.#flushUnsaved(account);
    const stored = await this.#store.get(account);
    if (stored === undefined) {
      this.#drop(account);
      return this.#loginWithConfiguredCredentials(account, 'no stored token pair');
    }
    const pair = this.#toCached(stored);
    if (this.#satisfies(pair, demand)) return this.#adopt(account, pair, 'store');
    return this.#refreshLocked(account, stored);
  }

  async #refreshLocked(account: string, stored: StoredTokenSet): Promise<CachedPair> {
    // Sent twice already with no answer: a third send could be a second reuse. Log in instead, if we can.
    const unknownTwice = (): boolean => {
      const sends = this.#state(account).unknownSends;
      return sends !== undefined && sends.version === stored.version && sends.count >= 2;
    };
    if (unknownTwice()) {
      const credentials = await this.#credentialsFor(account);
      if (credentials !== undefined) return this.#loginLocked(account, credentials, REASON_UNKNOWN_TWICE);
    }
    let tokens: TokenSet;
    try {
      tokens = await this.#refreshWithRetry(account, stored);
    } catch (error) {
      if (error instanceof ActOnNetworkError && error.requestSent && unknownTwice()) {
        const credentials = await this.#credentialsFor(account);
        if (credentials === undefined) throw error;
        this.#log(
          'warn',
          'The refresh was sent twice without an answer; logging in instead of sending it again',
          {
            account,
          },
        );
        return this.#loginLocked(account, credentials, REASON_UNKNOWN_TWICE);
      }
      if (!(error instanceof ActOnTokenEndpointError && error.isInvalidGrant)) throw error;
      // Another process may have rotated without our lock (an older client, a script): look before logging in.
      const again = await this.#store.get(account);
      if (again !== undefined && again.version !== stored.version) {
        const newer = this.#toCached(again);
        if (this.#now() < newer.refreshAt) return this.#adopt(account, newer, 'store');
      }
      this.#log('warn', 'Act-On rejected the refresh token (invalid_grant); the stored pair is dead', {
        account,
      });
      // A dead refresh token must never be sent again.
      await this.#store.delete(account);
      this.#drop(account);
      return this.#loginWithConfiguredCredentials(account, 'refresh token rejected (invalid_grant)', error);
    }
    const saved = await this.#persist(account, tokens, stored.version, 'refresh_token');
    this.emit('refresh', { account, version: saved.version, expiresAt: saved.tokens.expiresAt });
    this.#log('info', 'Act-On token pair rotated', {
      account,
      version: saved.version,
      expiresAt: tokens.expiresAt,
    });
    return saved;
  }

  /**
   * Sends the refresh token, retrying transient failures with backoff. A request whose outcome is unknown (it may
   * have reached Act-On) is resent at most once, counted per stored pair across calls; 4xx answers are final.
   */
  async #refreshWithRetry(account: string, stored: StoredTokenSet): Promise<TokenSet> {
    const retry = this.#policy.retry;
    const state = this.#state(account);
    let unknown = state.unknownSends?.version === stored.version ? state.unknownSends.count : 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const tokens = await this.#client.refreshGrant(stored.tokens.refreshToken);
        state.unknownSends = undefined;
        return tokens;
      } catch (error) {
        if (error instanceof ActOnNetworkError && error.requestSent) {
          unknown++;
          state.unknownSends = { version: stored.version, count: unknown };
          if (unknown >= 2) throw error;
        }
        if (!isTransient(error) || attempt >= retry.maxAttempts) throw error;
        await this.#backoff(account, 'refreshing the Act-On token', attempt, error);
      }
    }
  }

  async #backoff(account: string, what: string, attempt: number, error: unknown): Promise<void> {
    const delayMs = backoffDelayMs(attempt, this.#policy.retry);
    this.#log('warn', `Transient failure ${what}; retrying`, {
      account,
      attempt,
      delayMs,
      error: describe(error),
    });
    await sleep(delayMs);
  }

  async #loginWithConfiguredCredentials(
    account: string,
    reason: string,
    cause?: unknown,
  ): Promise<CachedPair> {
    const credentials = await this.#credentialsFor(account);
    if (credentials === undefined) {
      const why = `${reason}, and no credentials are configured for it`;
      this.#log('warn', 'Act-On account needs to be authorized again', { account, reason: why });
      this.emit('reauthorize', { account, reason: why });
      throw new ActOnReauthorizationRequiredError(account, why, cause === undefined ? undefined : { cause });
    }
    return this.#loginLocked(account, credentials, reason);
  }

  /**
   * Password grant within the budget, under the account's lock. Every attempt is counted in the budget. Only
   * failures that cannot have logged in are retried (a 5xx answer, a request that never left); an unknown outcome
   * is not, since each resend spends one of Act-On's five hourly logins.
   */
  async #loginLocked(account: string, credentials: ActOnCredentials, reason: string): Promise<CachedPair> {
    const { limit, windowMs } = this.#policy.authBudget;
    let tokens: TokenSet;
    for (let attempt = 1; ; attempt++) {
      const reservation = await this.#store.reserveAuthAttempt(account, limit, windowMs, this.#now());
      if (!reservation.allowed) {
        this.#log('warn', 'Act-On login refused locally: the login budget is spent', {
          account,
          retryAfterMs: reservation.retryAfterMs,
        });
        throw new ActOnAuthBudgetError(account, reservation.retryAfterMs, limit, windowMs);
      }
      this.#log('info', 'Logging in to Act-On with a password grant', {
        account,
        reason,
        attempt: reservation.used,
      });
      try {
        tokens = await this.#client.passwordGrant(credentials);
        break;
      } catch (error) {
        const cannotHaveLoggedIn =
          (error instanceof ActOnTokenEndpointError && error.status >= 500) ||
          (error instanceof ActOnNetworkError && !error.requestSent);
        if (!cannotHaveLoggedIn || attempt >= this.#policy.retry.maxAttempts) throw error;
        await this.#backoff(account, 'logging in to Act-On', attempt, error);
      }
    }
    const current = await this.#store.get(account);
    this.#state(account).unsaved = undefined;
    const saved = await this.#persist(account, tokens, current?.version ?? 0, 'password');
    this.emit('login', { account, version: saved.version, reason });
    return saved;
  }

  /**
   * Saves a new pair before anyone may use it. A lost compare-and-swap means someone else saved a pair while we
   * held the lock (an expired lease): theirs wins. Any other store failure keeps our pair aside, so the refresh
   * token is not lost, and the next grant writes it first.
   */
  async #persist(
    account: string,
    tokens: TokenSet,
    expectedVersion: number,
    source: TokenSource,
  ): Promise<CachedPair> {
    let stored: StoredTokenSet;
    try {
      stored = await this.#store.set(account, tokens, expectedVersion);
    } catch (error) {
      if (error instanceof ActOnStoreConflictError) {
        this.#report(
          account,
          error,
          'A newer pair was saved by someone else while we held the lock; using theirs',
        );
        const theirs = await this.#store.get(account);
        if (theirs !== undefined) return this.#adopt(account, this.#toCached(theirs), 'store');
      } else {
        this.#state(account).unsaved = { tokens, expectedVersion, source };
        this.#report(
          account,
          toActOnError(error),
          'The new token pair could not be saved; it is kept for a retry',
        );
      }
      throw error;
    }
    return this.#adopt(account, this.#toCached(stored), source);
  }

  async #flushUnsaved(account: string): Promise<void> {
    const state = this.#state(account);
    const unsaved = state.unsaved;
    if (unsaved === undefined) return;
    try {
      const stored = await this.#store.set(account, unsaved.tokens, unsaved.expectedVersion);
      state.unsaved = undefined;
      this.#adopt(account, this.#toCached(stored), unsaved.source);
    } catch (error) {
      if (!(error instanceof ActOnStoreConflictError)) throw error;
      state.unsaved = undefined;
    }
  }

  #adopt(account: string, pair: CachedPair, source: TokenSource): CachedPair {
    // Whatever brought the pair here (a grant, login(), saveTokens()), rotations elsewhere must now reach us.
    this.#startWatching();
    const previous = this.#cache.get(account);
    this.#cache.set(account, pair);
    this.#scheduleBackgroundRefresh(account, pair);
    if (previous?.version !== pair.version || previous.tokens.accessToken !== pair.tokens.accessToken) {
      this.emit('tokens', {
        account,
        version: pair.version,
        source,
        expiresAt: pair.tokens.expiresAt,
        obtainedAt: pair.tokens.obtainedAt,
      });
    }
    return pair;
  }

  #drop(account: string): void {
    this.#cache.delete(account);
    clearTimeout(this.#states.get(account)?.timer);
  }

  #toCached(stored: StoredTokenSet): CachedPair {
    const { expiresAt, obtainedAt } = stored.tokens;
    // Never more than half a token's lifetime, so short-lived tokens are not refreshed on every call.
    const skew = Math.min(this.#policy.refreshSkewMs, Math.max(0, (expiresAt - obtainedAt) / 2));
    return { tokens: stored.tokens, version: stored.version, refreshAt: expiresAt - skew };
  }

  #scheduleBackgroundRefresh(account: string, pair: CachedPair): void {
    if (!this.#policy.backgroundRefresh || this.#closed) return;
    const state = this.#state(account);
    clearTimeout(state.timer);
    const delay = timerDelay(pair.refreshAt - this.#now());
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (this.#closed || this.#cache.get(account) !== pair) return;
      this.#obtain(account, {}).catch((error: unknown) => {
        this.#report(account, toActOnError(error), 'Background refresh failed');
      });
    }, delay);
    state.timer.unref();
  }

  /** Drops cached pairs another process replaced, so the next call reads the store instead of sending a 401. */
  #startWatching(): void {
    if (this.#watching || this.#closed) return;
    this.#watching = true;
    this.#unwatch = this.#store.watch?.((account) => {
      if (this.#states.get(account)?.inflight === undefined) this.#drop(account);
    });
  }

  async #credentialsFor(account: string): Promise<ActOnCredentials | undefined> {
    const option = this.#credentials;
    if (option === undefined) return undefined;
    if (typeof option !== 'function') return account === this.defaultAccount ? option : undefined;
    const credentials = await option(account);
    if (credentials === undefined) return undefined;
    if (!isCredentials(credentials)) {
      throw new ActOnConfigurationError(
        'credentials',
        `credentials(${JSON.stringify(account)}) must return { username, password } with non-empty strings, or undefined`,
      );
    }
    return credentials;
  }

  #state(account: string): AccountState {
    let state = this.#states.get(account);
    if (state === undefined) {
      state = {};
      this.#states.set(account, state);
    }
    return state;
  }

  #account(account: string | undefined): string {
    const key = account ?? this.defaultAccount;
    if (typeof key !== 'string' || key === '' || key.length > 256) {
      throw new ActOnConfigurationError(
        'account',
        'an account key must be a non-empty string of at most 256 characters',
      );
    }
    return key;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ActOnConfigurationError('manager', 'this ActOnTokenManager is closed');
  }

  /** `error` events only when someone listens: an unheard `error` event would crash the process. */
  #report(account: string, error: ActOnError, message: string): void {
    this.#log('error', message, { account, error: describe(error) });
    if (this.listenerCount('error') > 0) this.emit('error', { account, error });
  }

  #log(level: keyof ActOnLogger, message: string, fields: Record<string, unknown>): void {
    this.#logger?.[level]?.(message, fields);
  }
}

/** Network failures, timeouts and 5xx answers may pass; other answers are final. */
function isTransient(error: unknown): boolean {
  if (error instanceof ActOnNetworkError) return true;
  return error instanceof ActOnTokenEndpointError && error.status >= 500;
}

/** Secret-free one-line description of an error for log fields (ActOnError messages are secret-free). */
function describe(error: unknown): string {
  if (error instanceof ActOnError) return `${error.name} (${error.code}): ${error.message}`;
  return error instanceof Error ? error.name : 'unknown error';
}

function toActOnError(error: unknown): ActOnError {
  if (error instanceof ActOnError) return error;
  return new ActOnStoreError(
    `Token store failure: ${error instanceof Error ? error.name : 'unknown error'}`,
    {
      cause: error,
    },
  );
}
