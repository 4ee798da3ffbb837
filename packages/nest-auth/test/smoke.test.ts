import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDirs } from './helpers/fixtures';
import { connectRedisAdmin, deleteKeysUnder, keysUnder, REDIS_URL, uniqueRedisPrefix } from './helpers/redis';

const PACKAGE_DIR = resolve(__dirname, '..');
const SMOKE = join(__dirname, 'fixtures', 'smoke.cjs');
/** A child that has not exited by itself this long after starting has an open handle (or hangs). */
const EXIT_DEADLINE_MS = 20_000;

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitedAt: number;
  readonly killed: boolean;
}

/** Runs the plain-Node fixture on the built package; kills it (and reports that) past the deadline. */
function runSmoke(args: string[]): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SMOKE, ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_DEADLINE_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const exitedAt = Date.now();
      // 'close' waits for the pipes to drain.
      child.on('close', () => resolvePromise({ code, signal, stdout, stderr, exitedAt, killed }));
    });
  });
}

interface SmokeReport {
  statuses: Array<[number, number, boolean]>;
  grants: { password: number; authorization_code: number; refresh_token: number };
  reuseAttempts: number;
  terminusLoaded: boolean;
  closedAt: number;
}

function expectCleanRun(result: ChildResult): SmokeReport {
  if (result.code !== 0) {
    throw new Error(
      `smoke.cjs exited with ${result.code ?? result.signal} (killed: ${result.killed}):\n${result.stderr}`,
    );
  }
  expect(result.killed).toBe(false);
  const report = JSON.parse(result.stdout.trim()) as SmokeReport;
  expect(report.statuses).toEqual([
    [200, 200, true],
    [200, 200, true],
    [200, 200, true],
  ]);
  expect(report.grants).toEqual({ password: 1, authorization_code: 0, refresh_token: 2 });
  expect(report.reuseAttempts).toBe(0);
  // The health indicator does not pull in the optional peer.
  expect(report.terminusLoaded).toBe(false);
  // After app.close() nothing kept the process alive: it ended by itself, promptly.
  expect(result.exitedAt - report.closedAt).toBeLessThan(1_500);
  return report;
}

describe('the built package in plain Node (dist, no ts-jest)', () => {
  const tempDir = tempDirs();

  beforeAll(() => {
    for (const file of [
      join(PACKAGE_DIR, 'dist', 'index.js'),
      resolve(PACKAGE_DIR, '../oauth-client/dist/index.js'),
    ]) {
      if (!existsSync(file)) {
        throw new Error(
          `${file} is missing: build first with \`npx tsc -b packages/nest-auth\` (npm test builds).`,
        );
      }
    }
  });

  it('memory store: boots, calls Act-On across expiries, closes and exits by itself', async () => {
    expectCleanRun(await runSmoke(['memory']));
  });

  it('file store: the same, and the token file is left behind', async () => {
    const file = join(await tempDir(), 'tokens.json');
    expectCleanRun(await runSmoke(['file', file]));
    expect(existsSync(file)).toBe(true);
  });

  it('redis store (real Redis): the same, Redis connections closed', async () => {
    const admin = await connectRedisAdmin();
    const prefix = uniqueRedisPrefix('smoke');
    try {
      expectCleanRun(await runSmoke(['redis', REDIS_URL, prefix]));
      expect((await keysUnder(admin, prefix)).some((key) => key.startsWith('tokens:'))).toBe(true);
    } finally {
      await deleteKeysUnder(admin, prefix);
      admin.disconnect();
    }
  });

  it('bad options: Nest prints one message naming the option, no secret, and exits with code 1', async () => {
    const result = await runSmoke(['bad-options']);
    expect(result.killed).toBe(false);
    expect(result.code).toBe(1);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output.match(/ActOnAuthModule: /g)).toHaveLength(1);
    expect(output).toContain(
      'ActOnAuthModule: clientSecret is required (set the option "clientSecret" or ACTON_CLIENT_SECRET)',
    );
    expect(output).not.toContain('smoke-canary-password');
    expect(output).not.toContain('the app booted');
  });
});
