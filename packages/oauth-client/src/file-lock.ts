import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ActOnError, ActOnStoreError } from './errors';
import { describeValue } from './describe-value';
import { timerDelay } from './timers';

/*
 * Two kinds of lock live here, both with a lease:
 *  - LeaseMutex / KeyedLeaseMutex: an in-process FIFO mutex. MemoryTokenStore uses it alone; FileTokenStore
 *    queues callers on it before touching the lock file, so a thousand callers of one process make one
 *    poller instead of a thousand.
 *  - acquireLockFile: a lock file created with O_EXCL that holds across processes on one machine.
 */

/** A held in-process lock. `release()` is idempotent and a no-op once the lease has handed the lock on. */
export interface MutexGrant {
  /** Starts the lease: if the holder has not released after `leaseMs`, the lock passes to the next waiter. */
  startLease(leaseMs: number): void;
  release(): void;
}

interface Waiter {
  readonly resolve: (grant: MutexGrant) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * In-process FIFO mutex with a wait deadline per waiter and a lease per holder.
 *
 * A holder that outlives its lease is considered abandoned (hung, or lost its way) and the next waiter
 * proceeds while the old holder may still be running: a token grant that hangs must not block every
 * other caller forever. Its later `release()` then does nothing. All timers are unref'd.
 */
export class LeaseMutex {
  private holder: { leaseTimer: NodeJS.Timeout | undefined } | undefined;
  private readonly waiters: Waiter[] = [];

  /** @param onIdle - called whenever nobody holds or waits for the lock any more. */
  constructor(private readonly onIdle?: () => void) {}

  /** True when nobody holds or waits for the lock (lets {@link KeyedLeaseMutex} forget it). */
  get idle(): boolean {
    return this.holder === undefined && this.waiters.length === 0;
  }

  /**
   * Resolves once the lock is ours; rejects with `onTimeout()` if that has not happened by `deadline`
   * (epoch ms).
   */
  acquire(deadline: number, onTimeout: () => Error): Promise<MutexGrant> {
    if (this.holder === undefined && this.waiters.length === 0) {
      return Promise.resolve(this.grant());
    }
    return new Promise<MutexGrant>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, done: false };
      const wait = deadline - Date.now();
      if (wait <= 0) {
        reject(onTimeout());
        return;
      }
      waiter.timer = setTimeout(() => {
        if (waiter.done) return;
        waiter.done = true;
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(onTimeout());
        this.changed();
      }, timerDelay(wait));
      waiter.timer.unref();
      this.waiters.push(waiter);
    });
  }

  /** Rejects every waiter with `error` (used by `close()`); the current holder keeps running. */
  rejectWaiters(error: () => Error): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.done = true;
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reject(error());
    }
    if (this.holder?.leaseTimer) clearTimeout(this.holder.leaseTimer);
  }

  private changed(): void {
    if (this.idle) this.onIdle?.();
  }

  private grant(): MutexGrant {
    const holder: { leaseTimer: NodeJS.Timeout | undefined } = { leaseTimer: undefined };
    this.holder = holder;
    const handOn = (): void => {
      if (this.holder !== holder) return;
      if (holder.leaseTimer) clearTimeout(holder.leaseTimer);
      this.holder = undefined;
      this.next();
    };
    return {
      startLease: (leaseMs) => {
        if (this.holder !== holder || holder.leaseTimer) return;
        holder.leaseTimer = setTimeout(handOn, timerDelay(leaseMs));
        holder.leaseTimer.unref();
      },
      release: handOn,
    };
  }

  private next(): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.changed();
      return;
    }
    waiter.done = true;
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve(this.grant());
  }
}

/** One {@link LeaseMutex} per key, dropped again when idle so that many accounts do not leak memory. */
export class KeyedLeaseMutex {
  private readonly mutexes = new Map<string, LeaseMutex>();

  acquire(key: string, deadline: number, onTimeout: () => Error): Promise<MutexGrant> {
    let mutex = this.mutexes.get(key);
    if (mutex === undefined) {
      const created: LeaseMutex = new LeaseMutex(() => {
        if (this.mutexes.get(key) === created) this.mutexes.delete(key);
      });
      this.mutexes.set(key, created);
      mutex = created;
    }
    return mutex.acquire(deadline, onTimeout);
  }

  /** Rejects all waiters of all keys. */
  rejectWaiters(error: () => Error): void {
    for (const mutex of this.mutexes.values()) mutex.rejectWaiters(error);
  }

  /** Number of keys currently held or waited for (for tests). */
  get size(): number {
    return this.mutexes.size;
  }
}

/**
 * Checks `LockOptions`: a zero or negative lease would hand the lock on at once, and a NaN deadline would
 * wait forever.
 * @internal Shared by the stores.
 */
export function assertLockOptions(options: unknown): void {
  let leaseMs: unknown;
  let waitTimeoutMs: unknown;
  try {
    const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
    leaseMs = o.leaseMs;
    waitTimeoutMs = o.waitTimeoutMs;
  } catch {
    throw new ActOnStoreError('Lock options could not be read');
  }
  if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs <= 0) {
    throw new ActOnStoreError(`Lock leaseMs must be a positive number, got ${describeValue(leaseMs)}`);
  }
  if (typeof waitTimeoutMs !== 'number' || !Number.isFinite(waitTimeoutMs) || waitTimeoutMs < 0) {
    throw new ActOnStoreError(
      `Lock waitTimeoutMs must be a non-negative number, got ${describeValue(waitTimeoutMs)}`,
    );
  }
}

/** What a lock file holds. `hostname` lets a reader decide whether `pid` can be checked locally. */
export interface LockFileContent {
  readonly pid: number;
  readonly hostname?: string;
  /** Random per acquisition: release and breaking compare it, never the pid. */
  readonly token: string;
  readonly acquiredAt: number;
  readonly leaseMs: number;
}

/** A lock file we hold. */
export interface HeldLockFile {
  readonly token: string;
  /** Deletes the lock file if it still holds our token. Never throws: a failed release ends with the lease. */
  release(): Promise<void>;
}

/** Options of {@link acquireLockFile}. */
export interface LockFileOptions {
  readonly leaseMs: number;
  /** Epoch ms after which waiting fails with `onTimeout()`. */
  readonly deadline: number;
  readonly onTimeout: () => Error;
}

const HOSTNAME = safeHostname();

/**
 * Tokens of lock files held by this process. A lock file that names our own pid and host but not one of
 * these tokens was left by an earlier process that had the same pid (pid 1 in a restarted container).
 */
const liveTokens = new Set<string>();

/** A holder that crashed between creating the lock file and writing it leaves it empty; after this, it is stale. */
const UNREADABLE_GRACE_MS = 2000;
/** Breaking a stale lock takes a few syscalls; a break lock older than this belongs to a dead breaker. */
const BREAK_LOCK_STALE_MS = 5000;
/** Release takes the break lock when it is this close to (or past) its lease: a breaker may be at work. */
const RELEASE_GUARD_MS = 1000;

/**
 * Acquires the lock file at `lockPath`, creating it with O_EXCL (`open(..., 'wx')`).
 *
 * A lock is stale when its lease has passed, or when it names a process of this host that no longer exists
 * (`process.kill(pid, 0)` says ESRCH). Stale locks are broken under a second, short lock (`<lockPath>.break`)
 * after re-reading the token, so two waiters that both saw the same stale lock cannot both break it and then
 * delete each other's fresh lock. Waiters poll with a 5→50 ms backoff and jitter.
 */
export async function acquireLockFile(lockPath: string, options: LockFileOptions): Promise<HeldLockFile> {
  const token = randomBytes(16).toString('hex');
  // Registered before the file exists: another store of this process may read it before we return.
  liveTokens.add(token);
  let delay = 5;
  try {
    for (;;) {
      const acquiredAt = Date.now();
      const content: LockFileContent = {
        pid: process.pid,
        hostname: HOSTNAME,
        token,
        acquiredAt,
        leaseMs: options.leaseMs,
      };
      if (await tryCreate(lockPath, JSON.stringify(content))) {
        return heldLock(lockPath, token, acquiredAt, options.leaseMs);
      }
      const current = await readLock(lockPath);
      if (current.kind !== 'absent' && isStale(current, Date.now())) {
        await breakStale(lockPath, current);
        if (Date.now() >= options.deadline) throw options.onTimeout();
        continue;
      }
      const remaining = options.deadline - Date.now();
      if (remaining <= 0) throw options.onTimeout();
      if (current.kind === 'absent') continue;
      await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
      delay = Math.min(50, delay * 1.5);
    }
  } catch (error) {
    liveTokens.delete(token);
    if (error instanceof ActOnError) throw error;
    throw new ActOnStoreError(`Cannot take lock file ${lockPath} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
}

type ReadLock =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly mtimeMs: number }
  | { readonly kind: 'held'; readonly content: LockFileContent };

/** Reads and classifies a lock file. Exported for tests. */
export async function readLock(lockPath: string): Promise<ReadLock> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'absent' };
    throw new ActOnStoreError(`Cannot read lock file ${lockPath} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
  const content = parseLockContent(text);
  if (content !== undefined) return { kind: 'held', content };
  try {
    return { kind: 'unreadable', mtimeMs: (await stat(lockPath)).mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'absent' };
    throw new ActOnStoreError(`Cannot stat lock file ${lockPath} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
}

/** Whether a lock read at `now` may be broken. Exported for tests. */
export function isStale(lock: ReadLock, now: number): boolean {
  if (lock.kind === 'absent') return false;
  if (lock.kind === 'unreadable') return now - lock.mtimeMs > UNREADABLE_GRACE_MS;
  const { content } = lock;
  if (now > content.acquiredAt + content.leaseMs) return true;
  if (content.hostname !== HOSTNAME) return false;
  if (content.pid === process.pid) return !liveTokens.has(content.token);
  return !isProcessAlive(content.pid);
}

/** `process.kill(pid, 0)` probes without signalling; EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

function heldLock(lockPath: string, token: string, acquiredAt: number, leaseMs: number): HeldLockFile {
  let released = false;
  return {
    token,
    release: async () => {
      if (released) return;
      released = true;
      try {
        // Within the lease nobody may break our lock, so check-then-unlink cannot race a breaker.
        // Near or past it, a breaker may be between its own check and unlink: serialize with it.
        const guarded = Date.now() - acquiredAt > leaseMs - RELEASE_GUARD_MS;
        const breakLock = guarded ? await acquireBreakLock(lockPath, Date.now() + 1000) : undefined;
        try {
          const current = await readLock(lockPath);
          if (current.kind === 'held' && current.content.token === token) await unlinkIfPresent(lockPath);
        } finally {
          await breakLock?.();
        }
      } catch {
        // Best effort by design: the lease frees the lock anyway, and throwing here would hide fn's outcome.
      } finally {
        liveTokens.delete(token);
      }
    },
  };
}

async function breakStale(lockPath: string, seen: ReadLock): Promise<void> {
  const releaseBreak = await acquireBreakLock(lockPath, Date.now());
  if (releaseBreak === undefined) {
    // Someone else is breaking it right now; look again shortly.
    await sleep(2 + Math.random() * 5);
    return;
  }
  try {
    const again = await readLock(lockPath);
    if (again.kind === 'absent' || !isStale(again, Date.now())) return;
    const sameLock =
      again.kind === 'held' && seen.kind === 'held'
        ? again.content.token === seen.content.token
        : again.kind === 'unreadable' && seen.kind === 'unreadable';
    if (sameLock) {
      try {
        await unlinkIfPresent(lockPath);
      } catch (error) {
        throw new ActOnStoreError(
          `Cannot remove stale lock file ${lockPath} (${errorCode(error) ?? 'error'})`,
          {
            cause: error,
          },
        );
      }
    }
  } finally {
    await releaseBreak().catch(() => undefined);
  }
}

/**
 * Takes `<lockPath>.break`, trying until `deadline` (one try if already past). Returns its release
 * function, or undefined if another breaker holds it. A break lock left by a dead breaker is removed
 * without ceremony: breaking takes microseconds, so two processes both finding a dead breaker's lock
 * at the same instant is as unlikely as it gets here.
 */
async function acquireBreakLock(
  lockPath: string,
  deadline: number,
): Promise<(() => Promise<void>) | undefined> {
  const breakPath = `${lockPath}.break`;
  const token = randomBytes(16).toString('hex');
  liveTokens.add(token);
  try {
    for (;;) {
      const content: LockFileContent = {
        pid: process.pid,
        hostname: HOSTNAME,
        token,
        acquiredAt: Date.now(),
        leaseMs: BREAK_LOCK_STALE_MS,
      };
      if (await tryCreate(breakPath, JSON.stringify(content))) {
        return async () => {
          try {
            const current = await readLock(breakPath);
            if (current.kind === 'held' && current.content.token === token) await unlinkIfPresent(breakPath);
          } finally {
            liveTokens.delete(token);
          }
        };
      }
      const current = await readLock(breakPath);
      if (current.kind === 'absent') continue;
      if (isStale(current, Date.now())) {
        await unlinkIfPresent(breakPath);
        continue;
      }
      if (Date.now() >= deadline) {
        liveTokens.delete(token);
        return undefined;
      }
      await sleep(2 + Math.random() * 3);
    }
  } catch (error) {
    liveTokens.delete(token);
    throw error;
  }
}

/** Creates `path` exclusively with `text`. False if it already exists. */
async function tryCreate(path: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new ActOnStoreError(`Cannot create lock file ${path} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
  try {
    await handle.writeFile(text, 'utf8');
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlinkIfPresent(path).catch(() => undefined);
    throw new ActOnStoreError(`Cannot write lock file ${path} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
  await handle.close();
  return true;
}

function parseLockContent(text: string): LockFileContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    !Number.isSafeInteger(v.pid) ||
    typeof v.token !== 'string' ||
    !Number.isFinite(v.acquiredAt) ||
    !Number.isFinite(v.leaseMs) ||
    (v.hostname !== undefined && typeof v.hostname !== 'string')
  ) {
    return undefined;
  }
  return {
    pid: v.pid as number,
    token: v.token,
    acquiredAt: v.acquiredAt as number,
    leaseMs: v.leaseMs as number,
    ...(typeof v.hostname === 'string' ? { hostname: v.hostname } : {}),
  };
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/**
 * Poll sleeps stay ref'd on purpose: a caller awaiting the lock is real work in progress,
 * and an unref'd timer would let Node exit in the middle of it.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, timerDelay(ms)));
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return '';
  }
}

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
