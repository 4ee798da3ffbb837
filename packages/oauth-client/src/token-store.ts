import type { TokenSet } from './token-set';

/** A token set as kept by a {@link TokenStore}, with the version that compare-and-swap writes rely on. */
export interface StoredTokenSet {
  readonly tokens: TokenSet;
  /** Starts at 1 for the first write of an account and grows by one with each write. */
  readonly version: number;
}

/** Outcome of {@link TokenStore.reserveAuthAttempt}. */
export type AuthAttemptReservation =
  | { readonly allowed: true; readonly used: number }
  | { readonly allowed: false; readonly used: number; readonly retryAfterMs: number };

/** Options for {@link TokenStore.withLock}. */
export interface LockOptions {
  /**
   * How long the lock is held at most if its holder dies or hangs. A grant holds it from
   * "re-read the stored pair" to "new pair saved", so the lease must outlive the token POST's deadline.
   */
  readonly leaseMs: number;
  /** How long to wait for another holder before failing with `ActOnLockTimeoutError`. */
  readonly waitTimeoutMs: number;
}

/**
 * Where token sets, the auth-budget ledger and the per-account grant lock live.
 *
 * Every process that talks to Act-On with the same client id and username must share one store:
 * a refresh anywhere kills the pair everywhere. Implementations: `MemoryTokenStore` (one process),
 * `FileTokenStore` (processes on one machine), `RedisTokenStore` (many machines).
 */
export interface TokenStore {
  /** Reads the current pair of an account, bypassing any cache the caller keeps. */
  get(account: string): Promise<StoredTokenSet | undefined>;
  /**
   * Compare-and-swap write: succeeds only if the stored version is still `expectedVersion`
   * (`0` when the account holds no pair). Otherwise it throws `ActOnStoreConflictError` and writes nothing,
   * so a stale writer can never replace a newer refresh token. Durable when the promise resolves.
   */
  set(account: string, tokens: TokenSet, expectedVersion: number): Promise<StoredTokenSet>;
  /** Removes the pair of an account (its budget ledger stays: forgetting tokens must not reset the login budget). */
  delete(account: string): Promise<void>;
  /**
   * Counts one password or code grant attempt in a sliding window shared by every process on the store,
   * if fewer than `limit` happened in the last `windowMs` before `now`. Refused attempts are not counted.
   */
  reserveAuthAttempt(
    account: string,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<AuthAttemptReservation>;
  /** Runs `fn` while holding the account's grant lock, across every process sharing the store. */
  withLock<T>(account: string, options: LockOptions, fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: calls `listener` when another process may have written an account's pair,
   * so in-memory caches can drop it. Returns an unsubscribe function.
   */
  watch?(listener: (account: string) => void): () => void;
  /** Releases timers, watchers and connections. */
  close(): Promise<void>;
}
