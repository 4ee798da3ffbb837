import { spawn } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ActOnLockTimeoutError } from '../../src/errors';
import { acquireLockFile, isProcessAlive, LeaseMutex } from '../../src/file-lock';
import { sleep, tempDir } from './helpers';

function timeoutError(): Error {
  return new ActOnLockTimeoutError('test', 0);
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

describe('lock files', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let lockPath: string;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    lockPath = path.join(dir, 'x.lock');
  });

  afterEach(async () => {
    await remove();
  });

  async function plant(content: object): Promise<void> {
    await writeFile(lockPath, JSON.stringify(content));
  }

  async function acquireWithin(waitMs: number): Promise<number> {
    const started = Date.now();
    const held = await acquireLockFile(lockPath, {
      leaseMs: 5_000,
      deadline: started + waitMs,
      onTimeout: timeoutError,
    });
    const waited = Date.now() - started;
    await held.release();
    return waited;
  }

  it('waits for a live lock of another host and times out with the given error', async () => {
    await plant({ pid: 1, hostname: 'elsewhere', token: 't', acquiredAt: Date.now(), leaseMs: 60_000 });
    await expect(acquireWithin(150)).rejects.toBeInstanceOf(ActOnLockTimeoutError);
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe('t');
  });

  it('breaks a lock whose lease has passed, whatever the host', async () => {
    await plant({
      pid: 1,
      hostname: 'elsewhere',
      token: 't',
      acquiredAt: Date.now() - 10_000,
      leaseMs: 5_000,
    });
    expect(await acquireWithin(2_000)).toBeLessThan(500);
  });

  it('breaks a lock of a process of this host that no longer exists, despite a long lease', async () => {
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    await plant({ pid, hostname: hostname(), token: 't', acquiredAt: Date.now(), leaseMs: 600_000 });
    expect(await acquireWithin(2_000)).toBeLessThan(500);
  });

  it('breaks a lock naming our own pid that we do not hold (an earlier process with the same pid)', async () => {
    await plant({
      pid: process.pid,
      hostname: hostname(),
      token: 'not-ours',
      acquiredAt: Date.now(),
      leaseMs: 600_000,
    });
    expect(await acquireWithin(2_000)).toBeLessThan(500);
  });

  it('treats an unreadable lock as being written at first, and as stale after a grace period', async () => {
    await writeFile(lockPath, '');
    await expect(acquireWithin(150)).rejects.toBeInstanceOf(ActOnLockTimeoutError);
    const old = new Date(Date.now() - 10_000);
    await utimes(lockPath, old, old);
    expect(await acquireWithin(2_000)).toBeLessThan(500);
  });

  it('gets past a break lock left by a dead breaker', async () => {
    await plant({
      pid: 1,
      hostname: 'elsewhere',
      token: 't',
      acquiredAt: Date.now() - 10_000,
      leaseMs: 5_000,
    });
    const pid = await deadPid();
    await writeFile(
      `${lockPath}.break`,
      JSON.stringify({ pid, hostname: hostname(), token: 'b', acquiredAt: Date.now(), leaseMs: 5_000 }),
    );
    expect(await acquireWithin(2_000)).toBeLessThan(500);
  });

  it('lets exactly one of many waiters through at a time when they all find the same stale lock', async () => {
    await plant({
      pid: 1,
      hostname: 'elsewhere',
      token: 't',
      acquiredAt: Date.now() - 10_000,
      leaseMs: 5_000,
    });
    let active = 0;
    let maxActive = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const held = await acquireLockFile(lockPath, {
          leaseMs: 10_000,
          deadline: Date.now() + 20_000,
          onTimeout: timeoutError,
        });
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(2);
        active--;
        await held.release();
      }),
    );
    expect(maxActive).toBe(1);
  });

  it('does not delete a lock that was broken and taken by someone else when the late holder releases', async () => {
    const late = await acquireLockFile(lockPath, {
      leaseMs: 50,
      deadline: Date.now(),
      onTimeout: timeoutError,
    });
    await sleep(80);
    const next = await acquireLockFile(lockPath, {
      leaseMs: 5_000,
      deadline: Date.now() + 2_000,
      onTimeout: timeoutError,
    });
    await late.release();
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).toBe(next.token);
    await next.release();
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('LeaseMutex', () => {
  it('hands the lock to the next waiter when the lease runs out, and ignores the late release', async () => {
    const mutex = new LeaseMutex();
    const first = await mutex.acquire(Date.now() + 1_000, timeoutError);
    first.startLease(30);
    const second = await mutex.acquire(Date.now() + 1_000, timeoutError);
    first.release();
    await expect(mutex.acquire(Date.now() + 50, timeoutError)).rejects.toBeInstanceOf(ActOnLockTimeoutError);
    second.release();
    expect(mutex.idle).toBe(true);
  });

  it('times out at once when the deadline has passed and the lock is taken', async () => {
    const mutex = new LeaseMutex();
    const held = await mutex.acquire(Date.now(), timeoutError);
    await expect(mutex.acquire(Date.now() - 1, timeoutError)).rejects.toBeInstanceOf(ActOnLockTimeoutError);
    held.release();
    expect(mutex.idle).toBe(true);
  });
});
