import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  ActOnConfigurationError,
  ActOnLockTimeoutError,
  ActOnStoreConflictError,
  ActOnStoreError,
} from './errors';
import { acquireLockFile, assertLockOptions, errorCode, KeyedLeaseMutex } from './file-lock';
import { assertAccount, assertExpectedVersion } from './memory-token-store';
import { assertBudgetArguments, reserveInWindow } from './sliding-window';
import { decryptTokenFile, encryptTokenFile, looksEncrypted, parseEncryptionKey } from './token-encryption';
import { copyTokenSet, tokenSetProblem, type TokenSet } from './token-set';
import type { AuthAttemptReservation, LockOptions, StoredTokenSet, TokenStore } from './token-store';

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The token file. Its directory is created (mode 0700) if missing. See `defaultTokenPath()`. */
  readonly path: string;
  /**
   * Encrypts the file at rest with AES-256-GCM: a 32-byte Buffer, 64 hex characters or base64 of 32 bytes.
   * A plaintext file found at `path` is read and encrypted on the next write (migration). Keep the key out of
   * the file's directory, or the encryption protects nothing.
   */
  readonly encryptionKey?: string | Buffer;
}

/** The current file format. Files with a higher one are refused rather than rewritten (and so truncated). */
const FORMAT = 1;
/** The file-wide lock only covers read-modify-write of the file: milliseconds, unless the disk hangs. */
const FILE_LOCK_LEASE_MS = 10_000;
const FILE_LOCK_WAIT_MS = 30_000;
const TEMP_FILE_MAX_AGE_MS = 60_000;
const WATCH_DEBOUNCE_MS = 20;
const WATCH_POLL_INTERVAL_MS = 250;

interface FileState {
  readonly accounts: Map<string, StoredTokenSet>;
  readonly budgets: Map<string, number[]>;
  /** Last version of deleted accounts, so numbering continues after a delete. */
  readonly deleted: Map<string, number>;
  /** Top-level keys this version does not know, written back as found. */
  readonly extra: Map<string, unknown>;
}

interface Subscription {
  readonly listener: (account: string) => void;
}

/**
 * The embedded default {@link TokenStore}: one JSON file holds every account's pair, its version and the
 * auth-budget ledger, shared by all processes of one machine and kept across restarts (a crash loop must not
 * spend Act-On's 5-logins-per-hour budget).
 *
 * - File: `{ "format": 1, "accounts": { [account]: { "version", "tokens" } }, "budgets": { [account]: [epoch ms] } }`,
 *   mode 0600 in a directory created with mode 0700. With `encryptionKey` the whole content is AES-256-GCM
 *   encrypted: `{ "format": 1, "alg": "A256GCM", "iv", "tag", "data" }`.
 * - Writes are atomic (temp file in the same directory, fsync, rename, fsync of the directory): a crash at any
 *   moment leaves the previous or the new file, never a torn or empty one. Temp files of crashed writers are
 *   removed once they are a minute old.
 * - `set`, `delete` and `reserveAuthAttempt` re-read the file under a short file-wide lock (`<path>.lock`), so
 *   compare-and-swap and the budget hold across processes.
 * - `withLock` uses a lock file per account (`<path>.<hash>.lock`), separate from the file-wide lock, so a long
 *   token request for one account does not block the others. A lock is broken when its lease has passed or its
 *   holder's process is gone. Inside one process, callers queue in memory first.
 * - A corrupt file, a file that does not decrypt, or one written by a newer format is never overwritten:
 *   every operation fails with a typed error naming the path until someone looks at it.
 */
export class FileTokenStore implements TokenStore {
  /** Absolute path of the token file. */
  readonly path: string;
  private readonly key: Buffer | undefined;
  private readonly directory: string;
  private readonly baseName: string;
  private readonly accountMutex = new KeyedLeaseMutex();
  private readonly fileMutex = new KeyedLeaseMutex();
  private lastTempCleanup = 0;
  private closed = false;

  private readonly subscriptions = new Set<Subscription>();
  /** Versions as last seen by the watcher; undefined while nobody watches. */
  private watchedVersions: Map<string, number> | undefined;
  private watcher: FSWatcher | undefined;
  private polling = false;
  private debounceTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private recheck = false;

  /**
   * @throws ActOnConfigurationError when `path` is missing or `encryptionKey` has the wrong shape
   *   (the message never contains the key).
   */
  constructor(options: FileTokenStoreOptions) {
    const given = (options as Partial<FileTokenStoreOptions> | undefined)?.path;
    if (typeof given !== 'string' || given.trim() === '') {
      throw new ActOnConfigurationError('path', 'FileTokenStore needs a `path` for its token file');
    }
    this.path = path.resolve(given);
    this.directory = path.dirname(this.path);
    this.baseName = path.basename(this.path);
    this.key = options.encryptionKey === undefined ? undefined : parseEncryptionKey(options.encryptionKey);
  }

  /** {@inheritDoc TokenStore.get} */
  async get(account: string): Promise<StoredTokenSet | undefined> {
    this.assertOpen();
    assertAccount(account);
    // Each read parses a fresh object, so what we hand out is already a private copy.
    return (await this.readState()).accounts.get(account);
  }

  /** {@inheritDoc TokenStore.set} */
  async set(account: string, tokens: TokenSet, expectedVersion: number): Promise<StoredTokenSet> {
    this.assertOpen();
    assertAccount(account);
    assertExpectedVersion(expectedVersion);
    // Known fields only, read once: what is written is exactly what the next get() sees, and nothing else.
    const copy = copyTokenSet(tokens);
    if (copy === undefined) {
      throw new ActOnStoreError(
        `Refusing to store the token set of account "${account}": ${tokenSetProblem(tokens) ?? 'it cannot be read'}`,
      );
    }
    return this.mutate(account, (state) => {
      const current = state.accounts.get(account)?.version ?? 0;
      if (current !== expectedVersion) throw new ActOnStoreConflictError(account, expectedVersion, current);
      const base = current === 0 ? (state.deleted.get(account) ?? 0) : current;
      const stored: StoredTokenSet = { tokens: copy, version: base + 1 };
      state.accounts.set(account, stored);
      state.deleted.delete(account);
      return {
        result: { tokens: structuredClone(copy), version: stored.version },
        write: true,
        written: () => this.noteOwnWrite(account, current, stored.version),
      };
    });
  }

  /** {@inheritDoc TokenStore.delete} */
  async delete(account: string): Promise<void> {
    this.assertOpen();
    assertAccount(account);
    await this.mutate(account, (state) => {
      const stored = state.accounts.get(account);
      if (stored === undefined) return { result: undefined, write: false };
      state.accounts.delete(account);
      state.deleted.set(account, stored.version);
      return { result: undefined, write: true, written: () => this.noteOwnWrite(account, stored.version, 0) };
    });
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
    assertBudgetArguments(limit, windowMs, now);
    return this.mutate<AuthAttemptReservation>(account, (state) => {
      const { reservation, ledger } = reserveInWindow(state.budgets.get(account) ?? [], limit, windowMs, now);
      if (!reservation.allowed) return { result: reservation, write: false };
      state.budgets.set(account, ledger);
      return { result: reservation, write: true };
    });
  }

  /**
   * {@inheritDoc TokenStore.withLock}
   *
   * Holds across processes of this machine (and of machines sharing the directory, by lease only). The lease
   * counts from the moment the lock file is ours; `waitTimeoutMs` covers queueing in this process and waiting
   * for other processes. Not re-entrant.
   */
  async withLock<T>(account: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    assertAccount(account);
    assertLockOptions(options);
    const started = Date.now();
    const deadline = started + options.waitTimeoutMs;
    const onTimeout = (): Error => new ActOnLockTimeoutError(account, Date.now() - started);
    const grant = await this.accountMutex.acquire(account, deadline, onTimeout);
    let held;
    try {
      await this.ensureDirectory();
      held = await acquireLockFile(this.accountLockPath(account), {
        leaseMs: options.leaseMs,
        deadline,
        onTimeout,
      });
    } catch (error) {
      grant.release();
      throw error;
    }
    grant.startLease(options.leaseMs);
    try {
      return await fn();
    } finally {
      await held.release();
      grant.release();
    }
  }

  /**
   * Calls `listener(account)` when another store (usually another process) changes or deletes an account's pair,
   * so in-memory caches can drop it. Best effort: based on `fs.watch` of the directory (falling back to
   * polling), debounced, comparing versions with the last ones seen; this store's own writes are not reported.
   * The watcher never keeps the process alive. Returns the unsubscribe function.
   */
  watch(listener: (account: string) => void): () => void {
    this.assertOpen();
    const subscription: Subscription = { listener };
    this.subscriptions.add(subscription);
    if (this.watchedVersions === undefined) this.startWatching();
    return () => {
      if (!this.subscriptions.delete(subscription)) return;
      if (this.subscriptions.size === 0) this.stopWatching();
    };
  }

  /**
   * Stops the watcher and fails callers still queued for a lock in this process. Calls already holding a lock
   * finish and release it. Further calls throw `ActOnStoreError`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.clear();
    this.stopWatching();
    const closedError = (): Error =>
      new ActOnStoreError(`FileTokenStore ${this.path} was closed while waiting`);
    this.accountMutex.rejectWaiters(closedError);
    this.fileMutex.rejectWaiters(closedError);
  }

  private assertOpen(): void {
    if (this.closed) throw new ActOnStoreError(`FileTokenStore ${this.path} is closed`);
  }

  private accountLockPath(account: string): string {
    const digest = createHash('sha256').update(account, 'utf8').digest('hex').slice(0, 16);
    return `${this.path}.${digest}.lock`;
  }

  private async ensureDirectory(): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new ActOnStoreError(
        `Cannot create the token directory ${this.directory} (${errorCode(error) ?? 'error'})`,
        { cause: error },
      );
    }
  }

  /** Read-modify-write under the file-wide lock. `change` may throw to abort without writing. */
  private async mutate<T>(
    account: string,
    change: (state: FileState) => { result: T; write: boolean; written?: () => void },
  ): Promise<T> {
    const started = Date.now();
    const deadline = started + FILE_LOCK_WAIT_MS;
    const onTimeout = (): Error => new ActOnLockTimeoutError(account, Date.now() - started);
    const grant = await this.fileMutex.acquire('', deadline, onTimeout);
    try {
      await this.ensureDirectory();
      const held = await acquireLockFile(`${this.path}.lock`, {
        leaseMs: FILE_LOCK_LEASE_MS,
        deadline,
        onTimeout,
      });
      grant.startLease(FILE_LOCK_LEASE_MS);
      try {
        const state = await this.readState();
        const outcome = change(state);
        if (outcome.write) {
          await this.writeState(state);
          outcome.written?.();
        }
        return outcome.result;
      } finally {
        await held.release();
      }
    } finally {
      grant.release();
    }
  }

  private async readState(): Promise<FileState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return emptyState();
      throw new ActOnStoreError(`Cannot read token file ${this.path} (${errorCode(error) ?? 'error'})`, {
        cause: error,
      });
    }
    return this.parseState(text);
  }

  private parseState(text: string): FileState {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No `cause`: V8's SyntaxError quotes the text, which may hold tokens.
      throw corruptFile(this.path, 'it is not valid JSON');
    }
    if (looksEncrypted(parsed)) {
      if (this.key === undefined) {
        throw new ActOnStoreError(
          `Token file ${this.path} is encrypted: pass the encryptionKey it was written with to FileTokenStore`,
        );
      }
      const plaintext = decryptTokenFile(parsed, this.key, this.path);
      try {
        parsed = JSON.parse(plaintext);
      } catch {
        throw corruptFile(this.path, 'its decrypted content is not valid JSON');
      }
    }
    return decodeState(parsed, this.path);
  }

  private async writeState(state: FileState): Promise<void> {
    const json = JSON.stringify(encodeState(state));
    const content = this.key === undefined ? json : JSON.stringify(encryptTokenFile(json, this.key));
    await writeAtomically(this.path, content);
    await this.removeStaleTempFiles();
  }

  /** Temp files of writers killed before their rename; looked for at most once a minute. */
  private async removeStaleTempFiles(): Promise<void> {
    const now = Date.now();
    if (now - this.lastTempCleanup < TEMP_FILE_MAX_AGE_MS) return;
    this.lastTempCleanup = now;
    try {
      const pattern = tempFilePattern(this.baseName);
      for (const name of await readdir(this.directory)) {
        if (!pattern.test(name)) continue;
        const file = path.join(this.directory, name);
        try {
          if (now - (await stat(file)).mtimeMs > TEMP_FILE_MAX_AGE_MS) await unlink(file);
        } catch {
          // Gone already, or another process is removing it.
        }
      }
    } catch {
      // Opportunistic: the next write tries again a minute later.
    }
  }

  private startWatching(): void {
    this.watchedVersions = this.readVersionsSync();
    try {
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      const watcher = watch(this.directory, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === this.baseName) this.scheduleCheck();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) {
          this.watcher = undefined;
          this.startPolling();
        }
      });
      this.watcher = watcher;
    } catch {
      this.startPolling();
    }
  }

  private startPolling(): void {
    if (this.polling || this.watchedVersions === undefined) return;
    this.polling = true;
    watchFile(this.path, { persistent: false, interval: WATCH_POLL_INTERVAL_MS }, this.onPoll);
  }

  private readonly onPoll = (): void => this.scheduleCheck();

  private stopWatching(): void {
    this.watchedVersions = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.polling) unwatchFile(this.path, this.onPoll);
    this.polling = false;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
  }

  /** The watcher's starting point. Synchronous so that every write after `watch()` returns is reported. */
  private readVersionsSync(): Map<string, number> {
    try {
      return versionsOf(this.parseState(readFileSync(this.path, 'utf8')));
    } catch {
      return new Map();
    }
  }

  private scheduleCheck(): void {
    if (this.debounceTimer !== undefined || this.watchedVersions === undefined) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.checkForChanges();
    }, WATCH_DEBOUNCE_MS);
    this.debounceTimer.unref();
  }

  private async checkForChanges(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      let state: FileState;
      try {
        state = await this.readState();
      } catch {
        // Best effort: a file being replaced, or broken, is looked at again on the next event.
        return;
      }
      const known = this.watchedVersions;
      if (known === undefined) return;
      const current = versionsOf(state);
      const changed: string[] = [];
      for (const [account, version] of current) if (known.get(account) !== version) changed.push(account);
      for (const account of known.keys()) if (!current.has(account)) changed.push(account);
      this.watchedVersions = current;
      for (const account of changed) {
        for (const { listener } of [...this.subscriptions]) {
          try {
            listener(account);
          } catch {
            // A throwing listener must not starve the others or kill the watcher.
          }
        }
      }
    } finally {
      this.checking = false;
      if (this.recheck) {
        this.recheck = false;
        this.scheduleCheck();
      }
    }
  }

  /** Keeps our own writes out of the watcher's reports (only when it saw the version we replaced). */
  private noteOwnWrite(account: string, previousVersion: number, newVersion: number): void {
    const known = this.watchedVersions;
    if (known === undefined || (known.get(account) ?? 0) !== previousVersion) return;
    if (newVersion === 0) known.delete(account);
    else known.set(account, newVersion);
  }
}

function emptyState(): FileState {
  return { accounts: new Map(), budgets: new Map(), deleted: new Map(), extra: new Map() };
}

function versionsOf(state: FileState): Map<string, number> {
  return new Map([...state.accounts].map(([account, stored]) => [account, stored.version]));
}

function corruptFile(filePath: string, reason: string): ActOnStoreError {
  return new ActOnStoreError(
    `Token file ${filePath} is unreadable (${reason}); it was left untouched. ` +
      `Move it away to start over (every account in it will need to sign in again).`,
  );
}

/** Why `value` is not a storable token set (names the field, never its value), or undefined if it is one. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeState(parsed: unknown, filePath: string): FileState {
  if (!isRecord(parsed)) throw corruptFile(filePath, 'it is not a JSON object');
  if (typeof parsed.format === 'number' && parsed.format > FORMAT) {
    throw new ActOnStoreError(
      `Token file ${filePath} has format ${parsed.format}, written by a newer @acton/oauth-client; ` +
        `it was left untouched. Upgrade this process, or give it another path.`,
    );
  }
  if (parsed.format !== FORMAT) throw corruptFile(filePath, 'its "format" is not 1');
  const state = emptyState();
  if (!isRecord(parsed.accounts)) throw corruptFile(filePath, '"accounts" is not an object');
  for (const [account, entry] of Object.entries(parsed.accounts)) {
    if (!isRecord(entry) || !Number.isSafeInteger(entry.version) || (entry.version as number) < 1) {
      throw corruptFile(filePath, `the version of account "${account}" is not a positive integer`);
    }
    const problem = tokenSetProblem(entry.tokens);
    if (problem !== undefined) throw corruptFile(filePath, `the tokens of account "${account}": ${problem}`);
    state.accounts.set(account, {
      tokens: entry.tokens as unknown as TokenSet,
      version: entry.version as number,
    });
  }
  if (parsed.budgets !== undefined) {
    if (!isRecord(parsed.budgets)) throw corruptFile(filePath, '"budgets" is not an object');
    for (const [account, ledger] of Object.entries(parsed.budgets)) {
      if (!Array.isArray(ledger) || !ledger.every((t) => typeof t === 'number' && Number.isFinite(t))) {
        throw corruptFile(filePath, `the budget ledger of account "${account}" is not a list of timestamps`);
      }
      state.budgets.set(account, ledger as number[]);
    }
  }
  if (parsed.deleted !== undefined) {
    if (!isRecord(parsed.deleted)) throw corruptFile(filePath, '"deleted" is not an object');
    for (const [account, version] of Object.entries(parsed.deleted)) {
      if (!Number.isSafeInteger(version) || (version as number) < 1) {
        throw corruptFile(filePath, `the deleted version of account "${account}" is not a positive integer`);
      }
      state.deleted.set(account, version as number);
    }
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (!['format', 'accounts', 'budgets', 'deleted'].includes(key)) state.extra.set(key, value);
  }
  return state;
}

function encodeState(state: FileState): Record<string, unknown> {
  // Object.fromEntries defines own properties, so an account named "__proto__" stays an ordinary key.
  const entries: [string, unknown][] = [
    ...state.extra,
    ['format', FORMAT],
    [
      'accounts',
      Object.fromEntries(
        [...state.accounts].map(([account, stored]) => [
          account,
          { version: stored.version, tokens: stored.tokens },
        ]),
      ),
    ],
    ['budgets', Object.fromEntries(state.budgets)],
  ];
  if (state.deleted.size > 0) entries.push(['deleted', Object.fromEntries(state.deleted)]);
  return Object.fromEntries(entries);
}

function tempFilePattern(baseName: string): RegExp {
  return new RegExp(`^${baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.[0-9a-f]+\\.tmp$`);
}

/**
 * Temp file in the same directory (rename is only atomic within one file system), fsync'd before the rename
 * so the new name never points at data still in flight, and the directory fsync'd after it so the rename
 * itself survives a power cut. The previous file stays intact whenever anything fails.
 */
async function writeAtomically(filePath: string, content: string): Promise<void> {
  const directory = path.dirname(filePath);
  const temp = path.join(
    directory,
    `${path.basename(filePath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      // The umask may have narrowed 0600 further; the owner must still be able to rewrite the file.
      if (process.platform !== 'win32') await handle.chmod(0o600);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameWithRetry(temp, filePath);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new ActOnStoreError(`Cannot write token file ${filePath} (${errorCode(error) ?? 'error'})`, {
      cause: error,
    });
  }
  await syncDirectory(directory);
}

/** Windows refuses to replace a file another process has open for a moment; POSIX never needs the retry. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (
        process.platform !== 'win32' ||
        attempt >= 10 ||
        !(code === 'EPERM' || code === 'EACCES' || code === 'EBUSY')
      ) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open directories, and some file systems refuse fsync on them: the rename is still atomic.
  }
}
