import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import {
  ActOnConfigurationError,
  ActOnDecryptionError,
  ActOnLockTimeoutError,
  ActOnStoreConflictError,
  ActOnStoreError,
} from './errors';
import {
  ACQUIRE_SCRIPT,
  DELETE_SCRIPT,
  RELEASE_SCRIPT,
  RENEW_SCRIPT,
  RESERVE_SCRIPT,
  SET_SCRIPT,
  type LuaScript,
} from './redis-scripts';
import { assertLockOptions } from './file-lock';
import { timerDelay } from './timers';
import { decryptTokenFile, encryptTokenFile, looksEncrypted, parseEncryptionKey } from './token-encryption';
import { assertBudgetArguments } from './sliding-window';
import { copyTokenSet, type TokenSet } from './token-set';
import type { AuthAttemptReservation, LockOptions, StoredTokenSet, TokenStore } from './token-store';
import { describeValue } from './describe-value';

/** Lifetime of the lock key when `lockTtlMs` is not set; a live holder renews it. */
const DEFAULT_LOCK_TTL_MS = 10_000;

/** Options of {@link RedisTokenStore}. Pass exactly one of `client` and `url`. */
export interface RedisTokenStoreOptions {
  /**
   * An ioredis client the caller owns: `close()` leaves it open. The store duplicates it once for its
   * pub/sub subscriber (that duplicate is the store's and is closed by `close()`).
   */
  readonly client?: Redis;
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…`: the store opens and owns its connections
   * (closed by `close()`). Needs the optional peer dependency `ioredis`.
   */
  readonly url?: string;
  /** Prefix of every key and of the pub/sub channel. Default `'acton:'`. */
  readonly prefix?: string;
  /**
   * Lifetime of the Redis lock key in ms: after a holder dies this long, another process may take the lock.
   * A live holder renews the key (every third of it) for as long as the caller's `LockOptions.leaseMs`
   * allows, so a grant slower than `lockTtlMs` keeps the lock, and a holder that hangs past `leaseMs` loses it.
   * Default 10,000 ms (or the caller's `leaseMs` when that is shorter), so a killed holder blocks the others
   * for seconds, not for the whole lease.
   */
  readonly lockTtlMs?: number;
  /**
   * Encrypts stored pairs with AES-256-GCM: 32 bytes as a Buffer, 64 hex characters, or base64.
   * Every process sharing the store needs the same key.
   */
  readonly encryptionKey?: Buffer | string;
  /**
   * How long a Redis command may take, connecting included, before it fails with `ActOnStoreError`
   * ("Redis is unavailable …") instead of hanging. Default 2000 ms.
   */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_PREFIX = 'acton:';
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** While the subscriber is down a release message may be missed: poll the lock at most this rarely. */
const DEGRADED_POLL_MS = 250;
/** Reconnect backoff cap: recovery after an outage should take about this long at most. */
const MAX_RECONNECT_DELAY_MS = 500;
const CLOSE_GRACE_MS = 500;
/** How long ioredis lets a closing socket end gracefully before destroying it. */
const DISCONNECT_TIMEOUT_MS = 100;

type ChangeListener = (account: string) => void;

/** A lock waiter's registration for the next wake-up of its account. */
interface Wakeup {
  wait(ms: number): Promise<void>;
  cancel(): void;
}

interface EventMessage {
  readonly type: 'set' | 'delete' | 'release';
  readonly account: string;
  readonly version?: number;
  readonly instance: string;
}

/**
 * A {@link TokenStore} in Redis, for processes on many machines that share one Act-On pair.
 *
 * - Pairs live in a hash `${prefix}tokens:{account}` (`version`, `tokens`); writes are compare-and-set in Lua.
 *   `delete()` keeps `version` as a tombstone so versions never go backwards.
 * - The login budget is a sorted set `${prefix}budget:{account}` (a sliding window, updated in Lua).
 * - The grant lock is `${prefix}lock:{account}` (`SET NX PX`, fenced by `${prefix}fence:{account}`, released
 *   by compare-and-delete). Waiters are woken by pub/sub on `${prefix}events`, not by polling.
 * - `watch()` reports pairs changed by other store instances, so the token manager's memory cache (its hot
 *   path: `get()` always reads Redis) can drop them.
 *
 * Commands fail fast with `ActOnStoreError` while Redis is unreachable and work again once it is back.
 *
 * @example
 * const store = new RedisTokenStore({ url: process.env.ACTON_REDIS_URL });
 * const manager = new ActOnTokenManager({ clientId, clientSecret, credentials, store });
 */
export class RedisTokenStore implements TokenStore {
  /** Key and channel prefix in use. */
  readonly prefix: string;
  /** Random id of this store instance, carried by its pub/sub messages so it can ignore its own. */
  readonly instanceId: string = randomBytes(9).toString('base64url');

  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #target: string;
  readonly #channel: string;
  readonly #lockTtlMs: number | undefined;
  readonly #encryptionKey: Buffer | undefined;
  readonly #commandTimeoutMs: number;
  readonly #subscriberOptions: Partial<RedisOptions>;
  readonly #localLocks = new LocalLockQueue();
  readonly #listeners = new Set<ChangeListener>();
  /** Waiters for an account's Redis lock, woken by a release message (or by our own release). */
  readonly #lockWaiters = new Map<string, Set<() => void>>();
  /** Accounts this instance has touched: after the subscriber reconnects they may have changed unseen. */
  readonly #knownAccounts = new Set<string>();
  readonly #closeHooks: Array<() => void> = [];
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;
  #subscriberReadyOnce = false;
  /** The wait for the client's pending connection attempt, shared by the commands that arrive meanwhile. */
  #connecting: Promise<void> | undefined;
  #attemptCounter = 0;
  #closed = false;

  /**
   * @throws ActOnConfigurationError naming the option at fault (never echoing a secret); when `url` is
   * given but `ioredis` is not installed.
   */
  constructor(options: RedisTokenStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new ActOnConfigurationError('client', 'RedisTokenStore needs { client } or { url }');
    }
    const { client, url } = options;
    if (client !== undefined && url !== undefined) {
      throw new ActOnConfigurationError('url', 'RedisTokenStore takes either `client` or `url`, not both');
    }
    if (client === undefined && url === undefined) {
      throw new ActOnConfigurationError(
        'client',
        'RedisTokenStore needs an ioredis `client` or a redis:// `url`',
      );
    }
    this.prefix = validatePrefix(options.prefix);
    this.#channel = `${this.prefix}events`;
    this.#lockTtlMs =
      options.lockTtlMs === undefined ? undefined : validatePositiveMs(options.lockTtlMs, 'lockTtlMs');
    this.#commandTimeoutMs =
      options.commandTimeoutMs === undefined
        ? DEFAULT_COMMAND_TIMEOUT_MS
        : validatePositiveMs(options.commandTimeoutMs, 'commandTimeoutMs');
    this.#encryptionKey =
      options.encryptionKey === undefined ? undefined : parseEncryptionKey(options.encryptionKey);
    // Our own connections fail fast and come back quickly; neither re-sends a command whose caller has
    // already been told it failed (a late write would surprise that caller).
    const connectionOptions: Partial<RedisOptions> = {
      lazyConnect: true,
      connectTimeout: this.#commandTimeoutMs,
      // disconnect() gives a socket this long to end before destroying it. ioredis keeps that timer (ref'd)
      // even when the socket had already closed (a lost connection), which held close() callers' processes
      // open for 2 s (its default).
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(MAX_RECONNECT_DELAY_MS, 25 * 2 ** Math.min(attempt, 10)),
    };
    // The subscriber never gives up on a SUBSCRIBE and re-subscribes after each reconnect: itself, in its
    // 'ready' handler. ioredis's own autoResubscribe sends a SUBSCRIBE nobody awaits, whose rejection (when
    // the connection closes before the answer, e.g. close() just after a reconnect) was unhandled.
    this.#subscriberOptions = {
      ...connectionOptions,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    };
    if (client !== undefined) {
      if (!isRedisClient(client)) {
        throw new ActOnConfigurationError('client', 'client must be an ioredis Redis instance');
      }
      this.#client = client;
      this.#ownsClient = false;
      this.#target = describeClient(client);
    } else {
      const parsed = validateRedisUrl(url);
      this.#target = redactUrl(parsed);
      const RedisClass = loadIoredis();
      this.#client = new RedisClass(url as string, {
        ...connectionOptions,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        commandTimeout: this.#commandTimeoutMs,
        autoResendUnfulfilledCommands: false,
      });
      this.#ownsClient = true;
      // Without a listener ioredis prints every connection error; failures reach callers as ActOnStoreError.
      this.#client.on('error', noop);
    }
  }

  /** Reads the account's pair from Redis, every time (Redis is authoritative; callers keep their own cache). */
  async get(account: string): Promise<StoredTokenSet | undefined> {
    const key = this.#tokensKey(account);
    const [version, payload] = await this.#run('get', false, (redis) =>
      redis.hmget(key, 'version', 'tokens'),
    );
    if (payload === null || payload === undefined) return undefined;
    const tokens = this.#decode(key, payload);
    const parsed = Number(version);
    if (!Number.isSafeInteger(parsed) || parsed < 1) {
      throw new ActOnStoreError(
        `The stored pair at Redis key ${key} has no valid version; it was left untouched`,
      );
    }
    return { tokens, version: parsed };
  }

  /**
   * Compare-and-set write (one Lua script): stores `tokens` as version `expectedVersion + 1` if the
   * current version is `expectedVersion` (0: no pair), else throws `ActOnStoreConflictError` and writes
   * nothing. Tells other instances through pub/sub.
   *
   * Writes are fenced by this version check, not by the lock's fencing token: a holder whose lease ran out
   * mid-grant must still be able to save the pair it received, because the refresh token it spent is gone
   * and refusing the write would lose the account's only live pair. The version check alone already stops
   * a stale writer from replacing a newer pair.
   */
  async set(account: string, tokens: TokenSet, expectedVersion: number): Promise<StoredTokenSet> {
    const key = this.#tokensKey(account);
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new ActOnStoreError(
        `expectedVersion must be a non-negative integer, got ${describeValue(expectedVersion)}`,
      );
    }
    const copy = copyForStore(tokens);
    const payload = this.#encode(copy);
    const reply = await this.#eval(
      SET_SCRIPT,
      'set',
      [key],
      [String(expectedVersion), payload, this.#channel, this.instanceId, account],
    );
    const [ok, version] = integers(reply, 'set');
    if (ok !== 1) throw new ActOnStoreConflictError(account, expectedVersion, version);
    return { tokens: copy, version };
  }

  /** Removes the account's pair; its version stays as a tombstone and its budget ledger stays too. */
  async delete(account: string): Promise<void> {
    const key = this.#tokensKey(account);
    await this.#eval(DELETE_SCRIPT, 'delete', [key], [this.#channel, this.instanceId, account]);
  }

  /** Sliding-window budget shared by every process on this Redis (one Lua script). Refused attempts are not counted. */
  async reserveAuthAttempt(
    account: string,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<AuthAttemptReservation> {
    checkAccount(account);
    // Same checks as every other store: a wrong limit or window is a programming error, not "no budget".
    assertBudgetArguments(limit, windowMs, now);
    const member = `${now}:${this.instanceId}:${++this.#attemptCounter}:${randomBytes(4).toString('hex')}`;
    const reply = await this.#eval(
      RESERVE_SCRIPT,
      'reserveAuthAttempt',
      [this.#redisKey('budget', account)],
      [String(now), String(windowMs), String(limit), member],
    );
    if (!Array.isArray(reply)) throw unexpectedReply('reserveAuthAttempt');
    const allowed = Number(reply[0]) === 1;
    const used = Number(reply[1]);
    if (allowed) return { allowed: true, used };
    const freeing =
      reply[2] === '' || reply[2] === null || reply[2] === undefined ? undefined : Number(reply[2]);
    // With limit 0 no slot ever opens; a full window is the most honest wait to report.
    const retryAfterMs = freeing === undefined ? windowMs : freeing + windowMs - now;
    return { allowed: false, used, retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) };
  }

  /**
   * Runs `fn` holding the account's lock across every process on this Redis.
   *
   * Callers of this process queue in memory first (FIFO), so only one of them at a time talks to Redis.
   * The Redis lock is `SET NX PX` with a fenced token; a waiter sleeps until a release message arrives
   * (or, as a fallback, until the holder's lease would end) rather than polling. A holder that dies
   * frees the lock after `lockTtlMs` (else `options.leaseMs`); a live one renews it up to `options.leaseMs`.
   *
   * @throws ActOnLockTimeoutError after `waitTimeoutMs` without the lock; ActOnStoreError if Redis fails.
   */
  async withLock<T>(account: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
    checkAccount(account);
    this.#assertOpen();
    assertLockOptions(options);
    const requestedLeaseMs = validateLockMs(options?.leaseMs, 'leaseMs', false);
    // The key lives ttlMs; a live holder renews it up to leaseMs in all (never less than one ttl).
    const ttlMs = this.#lockTtlMs ?? Math.min(DEFAULT_LOCK_TTL_MS, requestedLeaseMs);
    const leaseMs = Math.max(requestedLeaseMs, ttlMs);
    const waitTimeoutMs = validateLockMs(options?.waitTimeoutMs, 'waitTimeoutMs', true);
    const started = Date.now();
    const deadline = started + waitTimeoutMs;
    const timeout = (): ActOnLockTimeoutError => new ActOnLockTimeoutError(account, Date.now() - started);
    this.#knownAccounts.add(account);
    const local = await this.#localLocks.acquire(account, deadline, timeout);
    let token: string;
    try {
      token = await this.#acquireRedisLock(account, ttlMs, deadline, timeout);
    } catch (error) {
      local.release();
      throw error;
    }
    // Same lease in memory: a holder that hangs past it must not block this process's other callers,
    // since other processes may take the Redis lock by then anyway.
    local.startLease(leaseMs);
    const stopRenewing =
      ttlMs < leaseMs ? this.#keepRenewing(account, token, ttlMs, Date.now() + leaseMs) : noop;
    try {
      return await fn();
    } finally {
      stopRenewing();
      await this.#releaseRedisLock(account, token);
      local.release();
    }
  }

  /**
   * Calls `listener(account)` whenever another store instance (any process) writes or deletes a pair,
   * and for every account this instance has used after its subscriber reconnects (messages may have been
   * missed). Uses the store's single subscriber connection. Returns the unsubscribe function.
   */
  watch(listener: (account: string) => void): () => void {
    this.#assertOpen();
    if (typeof listener !== 'function') throw new ActOnStoreError('watch() needs a listener function');
    this.#listeners.add(listener);
    // A failed SUBSCRIBE is retried by ioredis; until then nothing arrives, which is what a missed message does anyway.
    this.#ensureSubscribed().catch(noop);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Stops the subscriber and, with `url`, closes the store's connections. A caller's `client` stays open.
   * Waiters for a lock fail; a running `fn` finishes, and its lock ends with its lease.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#localLocks.rejectWaiters(
      () => new ActOnStoreError('RedisTokenStore was closed while waiting for a lock'),
    );
    for (const waiters of this.#lockWaiters.values()) for (const wake of waiters) wake();
    this.#lockWaiters.clear();
    for (const hook of this.#closeHooks.splice(0)) hook();
    const closing: Array<Promise<void>> = [];
    if (this.#subscriber !== undefined) closing.push(closeConnection(this.#subscriber));
    if (this.#ownsClient) closing.push(closeConnection(this.#client));
    await Promise.all(closing);
  }

  /** Secret-free description for logs. */
  toJSON(): Record<string, unknown> {
    return {
      type: 'RedisTokenStore',
      target: this.#target,
      prefix: this.prefix,
      encrypted: this.#encryptionKey !== undefined,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RedisTokenStore ${JSON.stringify(this.toJSON())}`;
  }

  // ---- keys and payloads -----------------------------------------------------------------------

  #redisKey(kind: 'tokens' | 'budget' | 'lock' | 'fence', account: string): string {
    return `${this.prefix}${kind}:{${account}}`;
  }

  #tokensKey(account: string): string {
    checkAccount(account);
    this.#knownAccounts.add(account);
    return this.#redisKey('tokens', account);
  }

  /** Plain JSON, or the same AES-256-GCM envelope as the file store's (`token-encryption.ts`). */
  #encode(tokens: TokenSet): string {
    const plain = JSON.stringify(tokens);
    return this.#encryptionKey === undefined
      ? plain
      : JSON.stringify(encryptTokenFile(plain, this.#encryptionKey));
  }

  #decode(key: string, payload: string): TokenSet {
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      // No `cause`: V8's SyntaxError quotes the text, which may hold tokens.
      throw new ActOnStoreError(
        `The stored pair at Redis key ${key} is not valid JSON; it was left untouched`,
      );
    }
    if (looksEncrypted(value)) {
      if (this.#encryptionKey === undefined) {
        throw new ActOnStoreError(
          `The pair at Redis key ${key} is encrypted: pass the encryptionKey it was written with to RedisTokenStore`,
        );
      }
      // Wrong key or altered value: ActOnDecryptionError naming the key; the stored value stays as it is.
      const plain = decryptTokenFile(value, this.#encryptionKey, key);
      try {
        value = JSON.parse(plain);
      } catch {
        throw new ActOnDecryptionError(key);
      }
    }
    // A plaintext pair read with a key configured is accepted: the next write seals it (turning encryption on).
    const tokens = copyTokenSet(value);
    if (tokens === undefined) {
      throw new ActOnStoreError(
        `The stored pair at Redis key ${key} is not a token set; it was left untouched`,
      );
    }
    return tokens;
  }

  // ---- the lock ------------------------------------------------------------------------------------

  async #acquireRedisLock(
    account: string,
    leaseMs: number,
    deadline: number,
    timeout: () => ActOnLockTimeoutError,
  ): Promise<string> {
    const keys = [this.#redisKey('lock', account), this.#redisKey('fence', account)];
    const tokenPrefix = `${this.instanceId}:${randomBytes(12).toString('base64url')}`;
    let subscribed = false;
    // Armed before each attempt, not after it fails: the release message travels on the subscriber's
    // connection and may be handled before the failed attempt's reply, and must not be lost then.
    let wakeup = this.#armWakeup(account);
    try {
      for (;;) {
        this.#assertOpen();
        const reply = await this.#eval(ACQUIRE_SCRIPT, 'lock', keys, [
          tokenPrefix,
          String(Math.ceil(leaseMs)),
        ]);
        const [ok, value] = integers(reply, 'lock');
        if (ok === 1) return `${tokenPrefix}:${value}`;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw timeout();
        if (!subscribed) {
          // Subscribe before the next attempt: a release published after that attempt fails cannot be missed.
          // Uncontended locks never get here, so a store that never waits never opens a subscriber.
          subscribed = await this.#ensureSubscribed().then(
            () => true,
            () => false,
          );
          if (subscribed) {
            wakeup.cancel();
            wakeup = this.#armWakeup(account);
            continue;
          }
        }
        const healthy = this.#subscriber?.status === 'ready';
        // Woken by a release message (or by the subscriber losing Redis); the timer only covers a holder
        // whose lease ends without a release (it died) and, while the subscriber is down, messages that
        // cannot arrive.
        const pttl = value > 0 ? value + 1 : DEGRADED_POLL_MS;
        // After the wait comes one more attempt even at the deadline: a release may have woken us just then.
        await wakeup.wait(Math.min(remaining, healthy ? pttl : Math.min(pttl, DEGRADED_POLL_MS)));
        wakeup = this.#armWakeup(account);
      }
    } finally {
      wakeup.cancel();
    }
  }

  /**
   * While `fn` runs, extends the lock key to `ttlMs` every third of it (compare-and-expire), never past
   * `until`. Stops when the lock has passed on. A failed renewal (Redis unreachable) is tried again at the
   * next tick: the key may well still be ours. Returns the function that stops it.
   */
  #keepRenewing(account: string, token: string, ttlMs: number, until: number): () => void {
    const keys = [this.#redisKey('lock', account)];
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      if (stopped || this.#closed) return;
      timer = setTimeout(renew, timerDelay(Math.max(1, Math.floor(ttlMs / 3))));
      timer.unref();
    };
    const renew = (): void => {
      const extendMs = Math.min(ttlMs, until - Date.now());
      if (stopped || extendMs < 1) return;
      this.#eval(RENEW_SCRIPT, 'renew the lock', keys, [token, String(Math.ceil(extendMs))]).then((reply) => {
        if (Number(reply) === 1) schedule();
      }, schedule);
    };
    schedule();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  async #releaseRedisLock(account: string, token: string): Promise<void> {
    try {
      // Also after close() when the client is the caller's: other processes should not wait out the lease.
      await this.#eval(
        RELEASE_SCRIPT,
        'unlock',
        [this.#redisKey('lock', account)],
        [token, this.#channel, this.instanceId, account],
        true,
      );
    } catch {
      // Best effort by design: the lease frees the lock anyway, and throwing here would hide fn's outcome.
    }
    this.#wake(account);
  }

  /**
   * Registers for the account's next wake-up (a release, an outage, a reconnect, close) from now on.
   * `wait(ms)` resolves at once if it already came, else on it or after `ms`. `cancel()` unregisters.
   */
  #armWakeup(account: string): Wakeup {
    let waiters = this.#lockWaiters.get(account);
    if (waiters === undefined) {
      waiters = new Set();
      this.#lockWaiters.set(account, waiters);
    }
    const set = waiters;
    let woken = false;
    let timer: NodeJS.Timeout | undefined;
    let resolveWait: (() => void) | undefined;
    const done = (): void => {
      woken = true;
      if (timer !== undefined) clearTimeout(timer);
      set.delete(done);
      if (set.size === 0 && this.#lockWaiters.get(account) === set) this.#lockWaiters.delete(account);
      resolveWait?.();
    };
    set.add(done);
    return {
      wait: (ms) =>
        new Promise<void>((resolve) => {
          if (woken) {
            resolve();
            return;
          }
          resolveWait = resolve;
          timer = setTimeout(done, timerDelay(Math.max(1, ms)));
          timer.unref();
        }),
      cancel: done,
    };
  }

  #wake(account: string): void {
    const waiters = this.#lockWaiters.get(account);
    if (waiters !== undefined) for (const wake of [...waiters]) wake();
  }

  // ---- pub/sub ---------------------------------------------------------------------------------

  #ensureSubscribed(): Promise<void> {
    this.#assertOpen();
    if (this.#subscribed !== undefined) return this.#subscribed;
    const subscriber = this.#subscriber ?? this.#createSubscriber();
    const attempt = withDeadline(subscriber.subscribe(this.#channel), this.#commandTimeoutMs).then(
      () => undefined,
      (error: unknown) => {
        if (this.#subscribed === attempt) this.#subscribed = undefined;
        throw this.#storeError('subscribe', error);
      },
    );
    this.#subscribed = attempt;
    return attempt;
  }

  #createSubscriber(): Redis {
    const subscriber = this.#client.duplicate(this.#subscriberOptions);
    subscriber.on('error', noop);
    // Lost Redis: a release may now go unheard, and the lock may be unreachable too. Waiters try again at
    // once, so they fail with ActOnStoreError (or fall back to polling) instead of sleeping out a lease.
    subscriber.on('close', () => {
      for (const account of [...this.#lockWaiters.keys()]) this.#wake(account);
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#onMessage(message);
    });
    subscriber.on('ready', () => {
      if (this.#closed) return;
      if (!this.#subscriberReadyOnce) {
        this.#subscriberReadyOnce = true;
        return;
      }
      // Back after an outage: anything published meanwhile is lost. Once subscribed again, retry waiting
      // lockers and tell watchers that every account we know of may have changed.
      subscriber.subscribe(this.#channel).then(() => {
        for (const account of [...this.#lockWaiters.keys()]) this.#wake(account);
        for (const account of this.#knownAccounts) this.#notify(account);
      }, noop);
    });
    this.#subscriber = subscriber;
    return subscriber;
  }

  #onMessage(message: string): void {
    let event: EventMessage;
    try {
      event = JSON.parse(message) as EventMessage;
    } catch {
      return;
    }
    if (event === null || typeof event !== 'object' || typeof event.account !== 'string') return;
    if (event.type === 'release') {
      this.#wake(event.account);
      return;
    }
    if ((event.type === 'set' || event.type === 'delete') && event.instance !== this.instanceId) {
      this.#notify(event.account);
    }
  }

  #notify(account: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(account);
      } catch {
        // One faulty listener must not keep the others from dropping a stale pair.
      }
    }
  }

  // ---- commands --------------------------------------------------------------------------------

  async #eval(
    script: LuaScript,
    what: string,
    keys: string[],
    args: string[],
    afterClose = false,
  ): Promise<unknown> {
    return this.#run(what, afterClose, async (redis) => {
      try {
        return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
      } catch (error) {
        // First use on this Redis (or after SCRIPT FLUSH / a restart): EVAL loads the script into its cache.
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          return redis.eval(script.source, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });
  }

  /**
   * Runs one command with a deadline. Commands are only sent on a ready connection: while Redis is
   * unreachable they fail at once (or when the pending connection attempt fails) with a typed error.
   */
  async #run<T>(what: string, afterClose: boolean, command: (redis: Redis) => Promise<T>): Promise<T> {
    if (!afterClose) this.#assertOpen();
    const redis = this.#client;
    const deadline = Date.now() + this.#commandTimeoutMs;
    try {
      if (redis.status !== 'ready') await this.#connected(redis, deadline);
      return await withDeadline(command(redis), Math.max(1, deadline - Date.now()));
    } catch (error) {
      throw this.#storeError(what, error);
    }
  }

  /** Resolves once `redis` is ready; rejects when it is reconnecting after a failure, ended, or at `deadline`. */
  #connected(redis: Redis, deadline: number): Promise<void> {
    const status = redis.status;
    if (status === 'ready') return Promise.resolve();
    if (status === 'end') {
      return Promise.reject(
        new Error(this.#ownsClient ? 'connection closed' : 'the ioredis client was closed'),
      );
    }
    if (status === 'reconnecting' || status === 'close') {
      return Promise.reject(new Error('reconnecting after a failed connection'));
    }
    // One wait per connection attempt, shared by every caller (each with its own deadline): a listener per
    // caller would pile up past EventEmitter's limit when a busy process starts.
    this.#connecting ??= this.#untilReady(redis, status === 'wait');
    return withDeadline(this.#connecting, Math.max(1, deadline - Date.now()), 'connect timed out');
  }

  #untilReady(redis: Redis, connect: boolean): Promise<void> {
    const attempt = new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        redis.off('ready', onReady);
        redis.off('close', onClose);
        redis.off('end', onClose);
        const index = this.#closeHooks.indexOf(hook);
        if (index >= 0) this.#closeHooks.splice(index, 1);
        if (this.#connecting === attempt) this.#connecting = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = (): void => finish();
      const onClose = (): void => finish(new Error('connection failed'));
      const hook = (): void => finish(new Error('store closed'));
      this.#closeHooks.push(hook);
      redis.once('ready', onReady);
      redis.once('close', onClose);
      redis.once('end', onClose);
      if (connect) redis.connect().catch(noop);
    });
    // Callers past their deadline no longer listen; the outcome is still settled here.
    attempt.catch(noop);
    return attempt;
  }

  /** A typed, secret-free error: never the command's arguments (they hold tokens), never a URL password. */
  #storeError(what: string, error: unknown): ActOnStoreError {
    if (error instanceof ActOnStoreError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const cause = sanitizedCause(error);
    if (isReplyError(error)) {
      return new ActOnStoreError(`Redis refused ${what} at ${this.#target}: ${boundText(message)}`, {
        cause,
      });
    }
    return new ActOnStoreError(
      `Redis is unavailable at ${this.#target} (${boundText(message)}); ${what} failed`,
      {
        cause,
      },
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new ActOnStoreError('RedisTokenStore is closed');
  }
}

// ---- the in-process queue ------------------------------------------------------------------------

/** A held in-process slot of one account. */
interface LocalGrant {
  startLease(leaseMs: number): void;
  release(): void;
}

interface LocalWaiter {
  readonly grant: (grant: LocalGrant) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface LocalQueue {
  holder: object | undefined;
  leaseTimer: NodeJS.Timeout | undefined;
  readonly waiters: LocalWaiter[];
}

/**
 * Per-account FIFO of this process's callers, so 250 concurrent callers make one Redis waiter, not 250.
 * A holder past its lease hands on (the Redis lock has expired by then too); its late release is a no-op.
 */
class LocalLockQueue {
  readonly #queues = new Map<string, LocalQueue>();

  acquire(account: string, deadline: number, onTimeout: () => Error): Promise<LocalGrant> {
    let queue = this.#queues.get(account);
    if (queue === undefined) {
      queue = { holder: undefined, leaseTimer: undefined, waiters: [] };
      this.#queues.set(account, queue);
    }
    if (queue.holder === undefined && queue.waiters.length === 0)
      return Promise.resolve(this.#grant(account, queue));
    const current = queue;
    return new Promise<LocalGrant>((resolve, reject) => {
      const wait = deadline - Date.now();
      if (wait <= 0) {
        reject(onTimeout());
        return;
      }
      const waiter: LocalWaiter = { grant: resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const index = current.waiters.indexOf(waiter);
        if (index >= 0) current.waiters.splice(index, 1);
        this.#forgetIfIdle(account, current);
        reject(onTimeout());
      }, timerDelay(wait));
      waiter.timer.unref();
      current.waiters.push(waiter);
    });
  }

  rejectWaiters(error: () => Error): void {
    for (const queue of this.#queues.values()) {
      for (const waiter of queue.waiters.splice(0)) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reject(error());
      }
      if (queue.leaseTimer) clearTimeout(queue.leaseTimer);
    }
  }

  #grant(account: string, queue: LocalQueue): LocalGrant {
    const holder = {};
    queue.holder = holder;
    const handOn = (): void => {
      if (queue.holder !== holder) return;
      if (queue.leaseTimer) clearTimeout(queue.leaseTimer);
      queue.leaseTimer = undefined;
      queue.holder = undefined;
      const next = queue.waiters.shift();
      if (next === undefined) {
        this.#forgetIfIdle(account, queue);
        return;
      }
      if (next.timer) clearTimeout(next.timer);
      next.grant(this.#grant(account, queue));
    };
    return {
      startLease: (leaseMs) => {
        if (queue.holder !== holder || queue.leaseTimer) return;
        queue.leaseTimer = setTimeout(handOn, timerDelay(leaseMs));
        queue.leaseTimer.unref();
      },
      release: handOn,
    };
  }

  #forgetIfIdle(account: string, queue: LocalQueue): void {
    if (queue.holder === undefined && queue.waiters.length === 0 && this.#queues.get(account) === queue) {
      this.#queues.delete(account);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

function noop(): void {}

/** Loads ioredis on demand: the package works without it unless a RedisTokenStore is built from a URL. */
function loadIoredis(): new (url: string, options: RedisOptions) => Redis {
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('ioredis');
  } catch {
    throw new ActOnConfigurationError(
      'url',
      'RedisTokenStore needs the optional peer dependency "ioredis" (npm install ioredis), or pass an ioredis `client`',
    );
  }
  const module = loaded as { Redis?: unknown; default?: unknown };
  const constructor = module.Redis ?? module.default ?? loaded;
  if (typeof constructor !== 'function') {
    throw new ActOnConfigurationError('url', 'The installed "ioredis" does not export a Redis class');
  }
  return constructor as new (url: string, options: RedisOptions) => Redis;
}

function isRedisClient(value: unknown): value is Redis {
  const candidate = value as Record<string, unknown> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.evalsha === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.hmget === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.status === 'string'
  );
}

function describeClient(client: Redis): string {
  const options = (client as { options?: { host?: unknown; port?: unknown; path?: unknown } }).options;
  if (typeof options?.path === 'string' && options.path !== '') return options.path;
  const host = typeof options?.host === 'string' ? options.host : 'localhost';
  const port = typeof options?.port === 'number' ? options.port : 6379;
  return `${host}:${port}`;
}

function validateRedisUrl(url: unknown): URL {
  if (typeof url !== 'string' || url === '') {
    throw new ActOnConfigurationError('url', 'url must be a redis:// or rediss:// URL');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ActOnConfigurationError('url', 'url is not a valid URL (expected redis://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ActOnConfigurationError('url', `url must use redis:// or rediss://, not ${parsed.protocol}//`);
  }
  try {
    // ioredis decodes these itself and would throw a bare URIError on a malformed escape.
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
    decodeURIComponent(parsed.pathname);
  } catch {
    throw new ActOnConfigurationError('url', 'url has a malformed %-escape in its user, password or path');
  }
  return parsed;
}

/** The URL without its password (and without query parameters, which may carry one too). */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return '(invalid URL)';
  }
  if (parsed.password !== '') parsed.password = '***';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function validatePrefix(prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix.length > 200) {
    throw new ActOnConfigurationError('prefix', 'prefix must be a string of at most 200 characters');
  }
  return prefix;
}

function validatePositiveMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 24 * 3_600_000) {
    throw new ActOnConfigurationError(
      option,
      `${option} must be a number of milliseconds between 1 and 86400000`,
    );
  }
  return value;
}

function validateLockMs(value: unknown, name: string, zeroAllowed: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new ActOnStoreError(
      `withLock: ${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of ms`,
    );
  }
  return value;
}

function checkAccount(account: unknown): asserts account is string {
  if (typeof account !== 'string' || account === '') {
    throw new ActOnStoreError('The account key must be a non-empty string');
  }
}

/** Known fields only, so nothing unexpected (or secret) a caller hung on the object is stored. */
function copyForStore(tokens: unknown): TokenSet {
  const copy = copyTokenSet(tokens);
  if (copy === undefined) {
    throw new ActOnStoreError(
      'set() needs a TokenSet { accessToken, refreshToken, tokenType, scope?, expiresAt, obtainedAt }',
    );
  }
  return copy;
}

function integers(reply: unknown, what: string): [number, number] {
  if (!Array.isArray(reply) || reply.length < 2) throw unexpectedReply(what);
  return [Number(reply[0]), Number(reply[1])];
}

function unexpectedReply(what: string): ActOnStoreError {
  return new ActOnStoreError(`Redis sent an unexpected reply to ${what}`);
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

function boundText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/**
 * ioredis errors may carry the failed command with its arguments (which hold tokens): keep only the
 * name, message and errno-style code.
 */
function sanitizedCause(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const copy = new Error(boundText(error.message));
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}

function withDeadline<T>(promise: Promise<T>, ms: number, message?: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message ?? `no reply within ${Math.round(ms)} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** QUIT politely, but never wait on a Redis that is gone; then drop the socket and stop reconnecting. */
async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status !== 'end' && redis.status !== 'wait') {
    await withDeadline(redis.quit(), CLOSE_GRACE_MS).catch(noop);
  }
  redis.disconnect(false);
}
