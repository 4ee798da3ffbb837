import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TokenSet } from '../../src/token-set';
import type { LockOptions, TokenStore } from '../../src/token-store';

/** A token set whose secrets carry `label`, so tests can tell pairs apart (and grep files for them). */
export function tokens(label: string | number, overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: `access-${label}`,
    refreshToken: `refresh-${label}`,
    tokenType: 'Bearer',
    scope: 'offline-access',
    expiresAt: 1_700_000_000_000 + 3_600_000,
    obtainedAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh directory under the OS temp dir; `remove()` deletes it with everything in it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'acton-stores-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const FIXTURES = path.join(__dirname, 'fixtures');
const DIST_STORE = path.resolve(__dirname, '../../dist/file-token-store.js');

/** Child scripts load the compiled store; fail the suite with the fix instead of a confusing child crash. */
export function assertDistBuilt(): void {
  if (!existsSync(DIST_STORE)) {
    throw new Error(
      `${DIST_STORE} is missing: the cross-process tests run children on the compiled store. ` +
        'Run `npx tsc -b packages/oauth-client` (or `npm test`, which builds first).',
    );
  }
}

/** A running fixture script with helpers to wait for its output and its end. */
export interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stdout line that starts with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  stdout(): string;
  stderr(): string;
}

export function runFixture(script: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, [path.join(FIXTURES, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const found = out.split('\n').find((l) => l.startsWith(waiter.prefix));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    exited,
    stdout: () => out,
    stderr: () => err,
    line: (prefix, timeoutMs = 10_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${script} printed no "${prefix}" line in ${timeoutMs} ms; stderr: ${err}`)),
          timeoutMs,
        );
        const done = (line: string): void => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.push({ prefix, resolve: done });
        check();
        void exited.then(() => {
          check();
          if (waiters.some((w) => w.resolve === done)) {
            clearTimeout(timer);
            reject(new Error(`${script} exited before printing "${prefix}"; stderr: ${err}`));
          }
        });
      }),
  };
}

/** Takes `account`'s lock and keeps it until `release()`; `held` resolves once fn runs. */
export function holdLock(
  store: TokenStore,
  account: string,
  options: LockOptions,
): { held: Promise<void>; release: () => void; done: Promise<void> } {
  let entered!: () => void;
  const held = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = store.withLock(account, options, async () => {
    entered();
    await released;
  });
  return { held, release, done };
}
