import { ActOnLockTimeoutError, ActOnStoreConflictError, ActOnStoreError } from './errors';
import { assertLockOptions, KeyedLeaseMutex } from './file-lock';
import { reserveInWindow } from './sliding-window';
import { copyTokenSet, tokenSetProblem, type TokenSet } from './token-set';
import type { AuthAttemptReservation, LockOptions, StoredTokenSet, TokenStore } from './token-store';
import { describeValue } from './describe-value';

/**
 * A {@link TokenStore} for one process: token sets, the auth-budget ledger and the grant locks live in
 * memory, and nothing survives a restart. Use it for tests and for processes that never share an Act-On
 * account with another process; otherwise use `FileTokenStore` (one machine) or `RedisTokenStore`.
 *
 * - Versions: the first write of an account expects version 0 and gets 1. After `delete`, the next write
 *   again expects 0 but continues the old numbering, so a writer that read before the delete can never match.
 * - Locks: per-account FIFO mutex. A holder that outlives `leaseMs` is considered abandoned and the next
 *   waiter proceeds (the old holder may still be running); a waiter not served within `waitTimeoutMs` fails
 *   with `ActOnLockTimeoutError`. Locks are not re-entrant. Timers are unref'd.
 * - Everything returned is a copy: callers mutating it cannot change what is stored.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly pairs = new Map<string, StoredTokenSet>();
  /** Last version of deleted accounts, so numbering continues after a delete. */
  private readonly deletedVersions = new Map<string, number>();
  private readonly ledgers = new Map<string, number[]>();
  private readonly locks = new KeyedLeaseMutex();
  private closed = false;

  /** {@inheritDoc TokenStore.get} */
  async get(account: string): Promise<StoredTokenSet | undefined> {
    this.assertOpen();
    assertAccount(account);
    const stored = this.pairs.get(account);
    return stored === undefined ? undefined : copyStored(stored);
  }

  /** {@inheritDoc TokenStore.set} */
  async set(account: string, tokens: TokenSet, expectedVersion: number): Promise<StoredTokenSet> {
    this.assertOpen();
    assertAccount(account);
    assertExpectedVersion(expectedVersion);
    const copy = copyTokenSet(tokens);
    if (copy === undefined) {
      throw new ActOnStoreError(
        `Refusing to store the token set of account "${account}": ${tokenSetProblem(tokens) ?? 'it cannot be read'}`,
      );
    }
    const current = this.pairs.get(account)?.version ?? 0;
    if (current !== expectedVersion) throw new ActOnStoreConflictError(account, expectedVersion, current);
    const base = current === 0 ? (this.deletedVersions.get(account) ?? 0) : current;
    const stored: StoredTokenSet = { tokens: copy, version: base + 1 };
    this.pairs.set(account, stored);
    this.deletedVersions.delete(account);
    return copyStored(stored);
  }

  /** {@inheritDoc TokenStore.delete} */
  async delete(account: string): Promise<void> {
    this.assertOpen();
    assertAccount(account);
    const stored = this.pairs.get(account);
    if (stored === undefined) return;
    this.pairs.delete(account);
    this.deletedVersions.set(account, stored.version);
  }

  /** {@inheritDoc TokenStore.reserveAuthAttempt} */
  async reserveAuthAttempt(
    account: string,
    limit: number,
    windowMs: number,
    now: number,
  ): Promise<AuthAttemptReservation> {
    this.assertOpen();
    assertAccount(account);
    const { reservation, ledger } = reserveInWindow(this.ledgers.get(account) ?? [], limit, windowMs, now);
    this.ledgers.set(account, ledger);
    return { ...reservation };
  }

  /** {@inheritDoc TokenStore.withLock} */
  async withLock<T>(account: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    assertAccount(account);
    assertLockOptions(options);
    const started = Date.now();
    const grant = await this.locks.acquire(
      account,
      started + options.waitTimeoutMs,
      () => new ActOnLockTimeoutError(account, Date.now() - started),
    );
    grant.startLease(options.leaseMs);
    try {
      return await fn();
    } finally {
      grant.release();
    }
  }

  /**
   * Fails every caller still waiting for a lock and refuses further calls. Holders already running finish
   * normally. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.locks.rejectWaiters(
      () => new ActOnStoreError('MemoryTokenStore was closed while waiting for a lock'),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new ActOnStoreError('MemoryTokenStore is closed');
  }
}

function copyStored(stored: StoredTokenSet): StoredTokenSet {
  return { tokens: structuredClone(stored.tokens), version: stored.version };
}

/**
 * Account keys end up as map keys and JSON property names; an empty one is almost certainly a bug upstream.
 * @internal Shared with `FileTokenStore`.
 */
export function assertAccount(account: unknown): asserts account is string {
  if (typeof account !== 'string' || account.length === 0) {
    throw new ActOnStoreError('Account key must be a non-empty string');
  }
}

/** @internal Shared with `FileTokenStore`. */
export function assertExpectedVersion(expectedVersion: unknown): asserts expectedVersion is number {
  if (!Number.isSafeInteger(expectedVersion) || (expectedVersion as number) < 0) {
    throw new ActOnStoreError(
      `expectedVersion must be a non-negative integer (0 when the account holds no pair), got ${describeValue(expectedVersion)}`,
    );
  }
}
