import { spawn } from 'node:child_process';
import path from 'node:path';
import { startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { Redis } from 'ioredis';
import { ActOnStoreError, ActOnTokenManager, type TokenStore, type TokensEvent } from '../../src';
import { managerFor } from '../helpers/emulator-fixture';
import { tokens } from '../stores/helpers';
import {
  REDIS_URL,
  StorePool,
  assertDistBuilt,
  connectAdmin,
  deleteKeys,
  rejection,
  signal,
  startRedisProxy,
  subscriberCount,
  uniquePrefix,
  until,
  waitForSubscribers,
  type RedisProxy,
} from './redis-helpers';

type SendCommand = (command: { name: string }, stream?: unknown) => unknown;

/** The same store without `watch`: a manager on it never hears about other processes' rotations. */
function withoutWatch(store: TokenStore): TokenStore {
  return {
    get: (account) => store.get(account),
    set: (account, pair, expectedVersion) => store.set(account, pair, expectedVersion),
    delete: (account) => store.delete(account),
    reserveAuthAttempt: (account, limit, windowMs, now) =>
      store.reserveAuthAttempt(account, limit, windowMs, now),
    withLock: (account, options, fn) => store.withLock(account, options, fn),
    close: () => store.close(),
  };
}

describe('RedisTokenStore in one process: missed rotations, connecting, losing Redis', () => {
  let admin: Redis;
  let emulator: ActOnEmulator;
  let prefix: string;
  let pool: StorePool;
  let managers: ActOnTokenManager[];

  beforeAll(async () => {
    admin = await connectAdmin();
  });

  afterAll(async () => {
    await admin?.quit();
  });

  beforeEach(async () => {
    emulator = await startActOnEmulator();
    prefix = uniquePrefix('manager');
    pool = new StorePool(prefix);
    managers = [];
  });

  afterEach(async () => {
    await Promise.all(managers.map((manager) => manager.close()));
    await pool.closeAll();
    await emulator.close();
    await deleteKeys(admin, prefix);
  });

  function manager(store: TokenStore): ActOnTokenManager {
    const made = managerFor(emulator, { store });
    managers.push(made);
    return made;
  }

  it('a 401 makes a manager that missed the rotation re-read Redis and retry with the new token, without refreshing', async () => {
    const rotator = manager(pool.create());
    const deaf = manager(withoutWatch(pool.create()));
    const seeded = await rotator.getAccessToken();
    expect(await deaf.getAccessToken()).toBe(seeded);
    const seen: TokensEvent[] = [];
    deaf.on('tokens', (event) => seen.push(event));

    const rotated = (await rotator.refresh()).accessToken;
    // Nothing told `deaf`: it still serves the old token from memory (valid for most of an hour).
    expect(await deaf.getAccessToken()).toBe(seeded);

    const response = await deaf.fetch('/api/1/account');
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(await deaf.getAccessToken()).toBe(rotated);
    expect(seen.map((event) => [event.source, event.version])).toEqual([['store', 2]]);
    const stats = emulator.stats();
    expect(stats.unauthorizedApiRequests).toBe(1);
    expect(stats.grants.refresh_token).toBe(1);
    expect(stats.grants.password).toBe(1);
    expect(stats.reuseAttempts).toBe(0);
  });

  describe('connecting', () => {
    it('makes all first callers share one wait for the connection (no listener per caller)', async () => {
      const client = new Redis(REDIS_URL, { lazyConnect: true });
      try {
        const store = pool.create({ client });
        const listeners = (): number[] =>
          ['ready', 'close', 'end'].map((event) => client.listenerCount(event));
        const before = listeners();
        // 50 callers before the connection is up, as at the start of a busy process.
        const calls = Array.from({ length: 50 }, (_, i) => store.get(`acct-${i}`));
        expect(listeners().map((count, i) => count - (before[i] as number))).toEqual([1, 1, 1]);
        expect(await Promise.all(calls)).toEqual(Array(50).fill(undefined));
        expect(listeners()).toEqual(before);
      } finally {
        client.disconnect();
      }
    });
  });

  describe('losing Redis', () => {
    let proxy: RedisProxy;

    beforeEach(async () => {
      proxy = await startRedisProxy();
    });

    afterEach(async () => {
      await proxy.close();
    });

    it('fails store calls with ActOnStoreError while Redis is cut off, keeps serving cached tokens, and recovers', async () => {
      const store = pool.create({ url: proxy.url, commandTimeoutMs: 1_000 });
      const acton = manager(store);
      const token = await acton.getAccessToken();

      await proxy.stop();
      // The hot path never touches Redis.
      expect(await acton.getAccessToken()).toBe(token);
      const failures = await Promise.all([
        rejection(store.get('default')),
        rejection(store.set('other', tokens(1), 0)),
        rejection(store.delete('other')),
        rejection(store.reserveAuthAttempt('default', 5, 3_600_000, Date.now())),
        rejection(store.withLock('default', { leaseMs: 5_000, waitTimeoutMs: 600_000 }, async () => 1)),
        rejection(acton.refresh()),
      ]);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(ActOnStoreError);
        expect(failure).toMatchObject({ code: 'store' });
        expect((failure as Error).message).toMatch(/Redis is unavailable at redis:\/\/127\.0\.0\.1:\d+ \(/);
      }
      expect(emulator.stats().grants.refresh_token).toBe(0);

      await proxy.start();
      await until('the store to reconnect', () =>
        store.get('default').then(
          () => true,
          () => false,
        ),
      );
      expect((await store.get('default'))?.tokens.accessToken).toBe(token);
      const rotated = (await acton.refresh()).accessToken;
      expect(rotated).not.toBe(token);
      expect(await acton.getAccessToken()).toBe(rotated);
      expect(emulator.stats().grants.refresh_token).toBe(1);
      expect(emulator.stats().reuseAttempts).toBe(0);
    });

    it('closes cleanly while its subscriber reconnects: no unhandled rejection from a re-subscription after QUIT', async () => {
      const client = new Redis(proxy.url, { lazyConnect: true });
      client.on('error', () => undefined);
      try {
        // The store's subscriber is a duplicate of its client: reach it to close the store at the worst moment.
        let subscriber: Redis | undefined;
        const duplicate = client.duplicate.bind(client);
        client.duplicate = ((override?: Parameters<Redis['duplicate']>[0]) => {
          subscriber = duplicate(override);
          return subscriber;
        }) as Redis['duplicate'];
        const store = pool.create({ client, commandTimeoutMs: 1_000 });
        store.watch(() => undefined);
        await waitForSubscribers(admin, `${prefix}events`, 1);
        const closed = signal<Promise<void>>();
        // Connected again and its ready check (INFO) sent but not answered: close now, so that anything sent on
        // "ready" goes out after our QUIT and is answered by a closed connection.
        const send = subscriber?.sendCommand.bind(subscriber) as SendCommand;
        let readyChecks = 0;
        (subscriber as unknown as { sendCommand: SendCommand }).sendCommand = (command, stream) => {
          const sent = send(command, stream);
          if (command.name === 'info' && ++readyChecks === 1)
            process.nextTick(() => closed.fire(store.close()));
          return sent;
        };
        await proxy.stop();
        await proxy.start();
        await await closed.promise;
        await until('the subscriber connection to end', () => subscriber?.status === 'end');
        // Jest fails the test on an unhandled rejection (ioredis's own re-subscription used to leave one):
        // give it turns of the event loop to surface.
        for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await subscriberCount(admin, `${prefix}events`)).toBe(0);
      } finally {
        client.disconnect();
      }
    });

    it('close() after losing Redis leaves nothing behind that keeps the process alive', async () => {
      assertDistBuilt();
      const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'close-child.js')], {
        env: { ...process.env, ACTON_TEST_REDIS_URL: REDIS_URL, ACTON_TEST_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      // The child exits with 1 and names the resources if anything still holds its event loop a second later.
      expect({ out, err, code }).toEqual({ out: 'closed after get ActOnStoreError\n', err: '', code: 0 });
    });

    it('tells watchers about every known account after its subscriber reconnects (messages may have been lost)', async () => {
      const writer = pool.create();
      const watcher = pool.create({ url: proxy.url, commandTimeoutMs: 1_000 });
      await writer.set('acct', tokens(1), 0);
      expect((await watcher.get('acct'))?.version).toBe(1);
      const seen: string[] = [];
      const notified = signal();
      watcher.watch((account) => {
        seen.push(account);
        notified.fire();
      });
      await waitForSubscribers(admin, `${prefix}events`, 1);

      await proxy.stop();
      // Written while the watcher cannot hear it.
      await writer.set('acct', tokens(2), 1);
      expect(seen).toEqual([]);
      await proxy.start();
      await notified.promise;
      expect(seen).toEqual(['acct']);
      expect((await watcher.get('acct'))?.tokens).toEqual(tokens(2));
    });
  });
});
