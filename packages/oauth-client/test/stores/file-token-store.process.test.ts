import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FileTokenStore } from '../../src/file-token-store';
import { assertDistBuilt, runFixture, sleep, tempDir } from './helpers';

/** Cross-process behaviour of FileTokenStore: every test here runs real child processes on the compiled store. */
describe('FileTokenStore across processes', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let file: string;
  const stores: FileTokenStore[] = [];

  function store(): FileTokenStore {
    const s = new FileTokenStore({ path: file });
    stores.push(s);
    return s;
  }

  beforeAll(() => {
    assertDistBuilt();
  });

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    file = path.join(dir, 'tokens.json');
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await remove();
  });

  it('never leaves a torn or empty file when a writer is SIGKILLed mid-write (25 kills)', async () => {
    let lastVersion = 0;
    for (let round = 0; round < 25; round++) {
      const writer = runFixture('write-loop.js', [file, 'acct']);
      await writer.line('ready');
      // Random moments within the write loop: before, during and after fsync and rename.
      await sleep(Math.random() * 25);
      writer.process.kill('SIGKILL');
      expect((await writer.exited).signal).toBe('SIGKILL');

      const content = JSON.parse(await readFile(file, 'utf8'));
      const account = content.accounts.acct;
      // Each written pair names its own version: a mixed or stale file would not match.
      expect(account.tokens.accessToken).toBe(`access-${account.version}`);
      expect(account.tokens.refreshToken).toBe(`refresh-${account.version}`);
      expect(account.version).toBeGreaterThanOrEqual(lastVersion);
      lastVersion = account.version;
    }
    // Whatever the kills left (lock files of dead holders, temp files), a new writer carries on.
    const stored = await store().set('acct', { ...(await store().get('acct'))!.tokens }, lastVersion);
    expect(stored.version).toBe(lastVersion + 1);
    expect(lastVersion).toBeGreaterThan(25);
  });

  it('loses no update when 4 processes each increment a counter 25 times under withLock', async () => {
    const marker = path.join(dir, 'inside-lock');
    const children = Array.from({ length: 4 }, () =>
      runFixture('lock-counter.js', [file, 'counter', '25', marker]),
    );
    const exits = await Promise.all(children.map((c) => c.exited));
    for (const [i, exit] of exits.entries()) {
      expect({ exit, stderr: children[i]?.stderr() }).toEqual({
        exit: { code: 0, signal: null },
        stderr: '',
      });
    }
    const stored = await store().get('counter');
    expect(stored?.tokens.accessToken).toBe('access-100');
    expect(stored?.version).toBe(100);
    expect((await readdir(dir)).sort()).toEqual(['tokens.json']);
  });

  it('breaks the lock of a SIGKILLed holder long before the wait timeout', async () => {
    const holder = runFixture('lock-holder.js', [file, 'acct', '60000']);
    await holder.line('locked');
    const s = store();
    // While the holder lives, its lock holds.
    await expect(
      s.withLock('acct', { leaseMs: 1_000, waitTimeoutMs: 200 }, async () => 'too early'),
    ).rejects.toMatchObject({ code: 'lock_timeout' });

    holder.process.kill('SIGKILL');
    await holder.exited;
    const started = Date.now();
    const result = await s.withLock(
      'acct',
      { leaseMs: 5_000, waitTimeoutMs: 10_000 },
      async () => 'acquired',
    );
    expect(result).toBe('acquired');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('lets waiting processes through one at a time after the holder is SIGKILLed', async () => {
    const holder = runFixture('lock-holder.js', [file, 'counter', '60000']);
    await holder.line('locked');
    const marker = path.join(dir, 'inside-lock');
    const waiters = Array.from({ length: 3 }, () =>
      runFixture('lock-counter.js', [file, 'counter', '5', marker]),
    );
    await sleep(300);
    holder.process.kill('SIGKILL');
    await holder.exited;
    const exits = await Promise.all(waiters.map((c) => c.exited));
    for (const [i, exit] of exits.entries()) {
      expect({ exit, stderr: waiters[i]?.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    }
    expect((await store().get('counter'))?.tokens.accessToken).toBe('access-15');
  });

  it('lets the next process in once a live holder outlives its lease', async () => {
    const holder = runFixture('lock-holder.js', [file, 'acct', '300']);
    await holder.line('locked');
    const started = Date.now();
    try {
      await store().withLock('acct', { leaseMs: 5_000, waitTimeoutMs: 5_000 }, async () => undefined);
      const waited = Date.now() - started;
      expect(waited).toBeLessThan(3_000);
      expect(holder.process.exitCode).toBeNull();
    } finally {
      holder.process.kill('SIGKILL');
      await holder.exited;
    }
  });

  it('shares the auth budget with another process', async () => {
    const s = store();
    const now = 1_000_000;
    for (let i = 0; i < 3; i++)
      expect((await s.reserveAuthAttempt('acct', 5, 60_000, now + i)).allowed).toBe(true);
    const child = runFixture('reserve.js', [file, 'acct', '5', '60000', String(now + 5)]);
    expect(JSON.parse((await child.line('reservation')).slice('reservation '.length))).toEqual({
      allowed: true,
      used: 4,
    });
    expect(await s.reserveAuthAttempt('acct', 5, 60_000, now + 6)).toEqual({ allowed: true, used: 5 });
    const refused = runFixture('reserve.js', [file, 'acct', '5', '60000', String(now + 7)]);
    expect(JSON.parse((await refused.line('reservation')).slice('reservation '.length))).toEqual({
      allowed: false,
      used: 5,
      retryAfterMs: 60_000 - 7,
    });
  });

  it('tells a watcher about a write by another process', async () => {
    const s = store();
    const calls: string[] = [];
    s.watch((account) => calls.push(account));
    const child = runFixture('set-once.js', [file, 'from-child', 'x', '0']);
    await child.line('stored 1');
    const deadline = Date.now() + 3_000;
    while (calls.length === 0 && Date.now() < deadline) await sleep(10);
    expect(calls).toEqual(['from-child']);
  });

  it('does not keep a process alive because it watches the file', async () => {
    const child = runFixture('watch-then-idle.js', [file]);
    await child.line('written');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      child.exited,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 5_000))),
    ]);
    clearTimeout(timer);
    if (exit === 'still running') child.process.kill('SIGKILL');
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
