import path from 'node:path';
import { Redis } from 'ioredis';
import { ActOnStoreError } from '../../src/errors';
import { ACQUIRE_SCRIPT } from '../../src/redis-scripts';
import { sleep } from '../stores/helpers';
import {
  REDIS_URL,
  StorePool,
  assertDistBuilt,
  connectAdmin,
  deleteKeys,
  forkFixture,
  killAll,
  rejection,
  signal,
  startRedisProxy,
  uniquePrefix,
  until,
  type IpcChild,
  type RedisProxy,
} from './redis-helpers';

type EvalSha = (...args: Array<string | number>) => Promise<unknown>;

describe('RedisTokenStore lock', () => {
  let admin: Redis;
  let prefix: string;
  let pool: StorePool;
  let children: IpcChild[];

  beforeAll(async () => {
    admin = await connectAdmin();
  });

  afterAll(async () => {
    await admin?.quit();
  });

  beforeEach(() => {
    prefix = uniquePrefix('lock');
    pool = new StorePool(prefix);
    children = [];
  });

  afterEach(async () => {
    for (const child of children) child.send({ type: 'exit' });
    await killAll(children);
    await pool.closeAll();
    await deleteKeys(admin, prefix);
  });

  function fork(env: Record<string, string> = {}): IpcChild {
    assertDistBuilt(path.resolve(__dirname, '../../dist/redis-scripts.js'));
    const child = forkFixture('lock-child.js', {
      ACTON_TEST_REDIS_URL: REDIS_URL,
      ACTON_TEST_PREFIX: prefix,
      ...env,
    });
    children.push(child);
    return child;
  }

  describe('across processes', () => {
    it('lets one holder at a time in among 4 processes x 5 callers, with strictly increasing fencing tokens', async () => {
      const workers = [fork(), fork(), fork(), fork()];
      await Promise.all(workers.map((child) => child.next('ready')));
      const rounds = 4;
      const callers = 5;
      const counted = workers.map((child) => child.next('counted', 60_000));
      for (const child of workers) child.send({ type: 'count', account: 'acct', callers, rounds });
      const fences = (await Promise.all(counted)).map((message) => message.fences as number[]);

      const total = workers.length * callers * rounds;
      // A non-atomic read-increment-write inside the lock: any overlap of two holders would lose an increment.
      expect(Number(await admin.get(`${prefix}counter`))).toBe(total);
      const all = fences.flat();
      expect(all).toHaveLength(total);
      expect(new Set(all).size).toBe(total);
      expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      for (const own of fences) expect(own).toEqual([...own].sort((a, b) => a - b));
      expect(await admin.exists(`${prefix}lock:{acct}`)).toBe(0);
    }, 60_000);

    it('hands the lock of a holder killed with SIGKILL to a waiting process once its lock TTL ends, with a newer fence', async () => {
      // The lease allows 10 minutes of renewals: only lockTtlMs can free the lock within the waiter's 30 s.
      const holder = fork({ ACTON_TEST_LOCK_TTL_MS: '1500' });
      const waiter = fork();
      await Promise.all([holder.next('ready'), waiter.next('ready')]);
      holder.send({ type: 'hold', account: 'acct', leaseMs: 600_000 });
      const held = (await holder.next('held')).fence as number;
      waiter.send({ type: 'acquire', account: 'acct', waitTimeoutMs: 30_000 });
      await waiter.next('waiting');
      holder.process.kill('SIGKILL');
      expect(await holder.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const acquired = await waiter.next('acquired', 30_000);
      expect(acquired.fence).toBe(held + 1);
      expect(waiter.messages.some((message) => message.type === 'error')).toBe(false);
    }, 60_000);
  });

  it('renews the lock of a live holder past lockTtlMs, up to its leaseMs, so nobody else gets in meanwhile', async () => {
    const holder = pool.create({ lockTtlMs: 600 });
    const other = pool.create();
    const order: string[] = [];
    const held = signal();
    let ttlNearTheEnd = 0;
    const holding = holder.withLock('acct', { leaseMs: 30_000, waitTimeoutMs: 1_000 }, async () => {
      held.fire();
      // Four TTLs: without renewal the key would have expired long ago and the other store got in.
      await sleep(2_400);
      ttlNearTheEnd = await admin.pttl(`${prefix}lock:{acct}`);
      order.push('holder done');
    });
    await held.promise;
    const entering = other.withLock('acct', { leaseMs: 5_000, waitTimeoutMs: 30_000 }, async () => {
      order.push('other in');
    });
    await Promise.all([holding, entering]);
    expect(order).toEqual(['holder done', 'other in']);
    expect(ttlNearTheEnd).toBeGreaterThan(0);
    expect(ttlNearTheEnd).toBeLessThanOrEqual(600);
  });

  it('stops renewing at leaseMs: a holder that hangs longer loses the lock to a waiter', async () => {
    const holder = pool.create({ lockTtlMs: 300 });
    const other = pool.create();
    const held = signal();
    const letGo = signal();
    const holding = holder.withLock('acct', { leaseMs: 900, waitTimeoutMs: 1_000 }, async () => {
      held.fire();
      await letGo.promise;
      return 'holder done';
    });
    await held.promise;
    // Renewed forever, the lock would keep this waiter out until its 30 s wait timed out.
    const entered = await other.withLock(
      'acct',
      { leaseMs: 5_000, waitTimeoutMs: 30_000 },
      async () => 'other in',
    );
    expect(entered).toBe('other in');
    letGo.fire();
    expect(await holding).toBe('holder done');
  });

  it('does not lose a release that arrives while its failed attempt is still on the way back', async () => {
    // The script must be cached so that every attempt is one EVALSHA (no NOSCRIPT fallback to count around).
    await admin.script('LOAD', ACQUIRE_SCRIPT.source);
    const holder = pool.create();
    const client = new Redis(REDIS_URL);
    try {
      const released = signal();
      const duplicate = client.duplicate.bind(client);
      // The store's subscriber is a duplicate of its client: see release messages as it does, just before it.
      client.duplicate = ((override?: Parameters<Redis['duplicate']>[0]) => {
        const subscriber = duplicate(override);
        subscriber.on('message', (_channel: string, message: string) => {
          if ((JSON.parse(message) as { type: string }).type === 'release') released.fire();
        });
        return subscriber;
      }) as Redis['duplicate'];
      const letGo = signal();
      const evalsha = (client.evalsha as unknown as EvalSha).bind(client);
      let acquireAttempts = 0;
      // Holds back the reply of the waiter's second (subscribed) attempt until the holder's release message has
      // been delivered: the order the two connections may well produce on their own.
      (client as unknown as { evalsha: EvalSha }).evalsha = async (...args) => {
        const reply = await evalsha(...args);
        if (args[0] === ACQUIRE_SCRIPT.sha1 && ++acquireAttempts === 2) {
          expect((reply as number[])[0]).toBe(0);
          letGo.fire();
          await released.promise;
        }
        return reply;
      };
      const waiter = pool.create({ client });

      const held = signal();
      const holding = holder.withLock('acct', { leaseMs: 600_000, waitTimeoutMs: 1_000 }, async () => {
        held.fire();
        await letGo.promise;
      });
      await held.promise;
      // Were the release lost, the waiter would sleep until the holder's 10-minute lease ran out.
      const result = await waiter.withLock(
        'acct',
        { leaseMs: 5_000, waitTimeoutMs: 600_000 },
        async () => 'mine',
      );
      await holding;
      expect(result).toBe('mine');
      expect(acquireAttempts).toBe(3);
    } finally {
      await pool.closeAll();
      client.disconnect();
    }
  });

  describe('losing Redis', () => {
    let proxy: RedisProxy;

    beforeEach(async () => {
      proxy = await startRedisProxy();
    });

    afterEach(async () => {
      await proxy.close();
    });

    it('wakes a waiter when Redis goes away, so it fails with ActOnStoreError instead of sleeping out the lease', async () => {
      await admin.script('LOAD', ACQUIRE_SCRIPT.source);
      const holder = pool.create();
      const client = new Redis(proxy.url);
      client.on('error', () => undefined);
      try {
        // Tells when the waiter's second (subscribed) attempt has failed: from then on it sleeps.
        const asleep = signal();
        const evalsha = (client.evalsha as unknown as EvalSha).bind(client);
        let acquireAttempts = 0;
        (client as unknown as { evalsha: EvalSha }).evalsha = async (...args) => {
          const reply = await evalsha(...args);
          if (args[0] === ACQUIRE_SCRIPT.sha1 && ++acquireAttempts === 2) setImmediate(() => asleep.fire());
          return reply;
        };
        const waiter = pool.create({ client, commandTimeoutMs: 1_000 });
        const held = signal();
        const letGo = signal();
        // Holds the lock (on a direct connection) far longer than this test may run.
        const holding = holder.withLock('acct', { leaseMs: 600_000, waitTimeoutMs: 1_000 }, async () => {
          held.fire();
          await letGo.promise;
        });
        await held.promise;
        const waiting = rejection(
          waiter.withLock('acct', { leaseMs: 600_000, waitTimeoutMs: 600_000 }, async () => 'never'),
        );
        await asleep.promise;

        await proxy.stop();
        const failure = await waiting;
        expect(failure).toBeInstanceOf(ActOnStoreError);
        expect((failure as Error).message).toMatch(/Redis is unavailable/);
        expect(acquireAttempts).toBe(2);

        await proxy.start();
        await until('the waiter store to reconnect', () =>
          waiter.get('acct').then(
            () => true,
            () => false,
          ),
        );
        // Back to normal: a new waiter gets the lock once the holder lets go.
        const acquired = waiter.withLock(
          'acct',
          { leaseMs: 5_000, waitTimeoutMs: 600_000 },
          async () => 'mine',
        );
        letGo.fire();
        await holding;
        expect(await acquired).toBe('mine');
      } finally {
        await pool.closeAll();
        client.disconnect();
      }
    });
  });
});
