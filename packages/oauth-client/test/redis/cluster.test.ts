import { startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import type { Redis } from 'ioredis';
import { RedisTokenStore } from '../../src';
import { HOUR_MS, managerFor } from '../helpers/emulator-fixture';
import { request, startManagers, stopManagers, type GoReply, type LoginReply } from './cluster-harness';
import {
  REDIS_URL,
  connectAdmin,
  deleteKeys,
  uniquePrefix,
  until,
  waitForSubscribers,
  type IpcChild,
} from './redis-helpers';

/*
 * Processes that each run their own ActOnTokenManager on one RedisTokenStore prefix, as the instances of an
 * app spread over several machines do. The emulator (in this process) enforces Act-On's rules and counts
 * every grant, reuse and superseded refresh token.
 */
describe('ActOnTokenManager processes sharing a RedisTokenStore', () => {
  let admin: Redis;
  let emulator: ActOnEmulator;
  let emulatorLog: string[];
  let prefix: string;
  let children: IpcChild[];

  beforeAll(async () => {
    admin = await connectAdmin();
  });

  afterAll(async () => {
    await admin?.quit();
  });

  beforeEach(async () => {
    emulatorLog = [];
    emulator = await startActOnEmulator({ logger: (line) => emulatorLog.push(line) });
    prefix = uniquePrefix('cluster');
    children = [];
  });

  afterEach(async () => {
    await stopManagers(children);
    await emulator.close();
    await deleteKeys(admin, prefix);
  });

  /** Logs in from this process, so every child starts from one stored pair (one password grant). */
  async function seedPair(): Promise<string> {
    const store = new RedisTokenStore({ url: REDIS_URL, prefix });
    const seed = managerFor(emulator, { store });
    try {
      return await seed.getAccessToken();
    } finally {
      await seed.close();
      await store.close();
    }
  }

  async function storedVersion(): Promise<number> {
    return Number(await admin.hget(`${prefix}tokens:{default}`, 'version'));
  }

  it('8 processes x 250 callers at expiry: exactly one refresh, no reuse, no failed call, one token everywhere', async () => {
    const seeded = await seedPair();
    children.push(...(await startManagers(emulator, prefix, 8)));
    // Every process serves the seeded pair from memory, as running instances do until it nears expiry.
    const before = await Promise.all(children.map((child) => request(child, 'token')));
    expect(before.map((reply) => reply.token)).toEqual(Array(8).fill(seeded));

    emulator.clock.advance(HOUR_MS);
    const offset = emulator.clock.now() - Date.now();
    const results = await Promise.all(
      children.map((child) => request<GoReply>(child, 'go', { offset, callers: 250 })),
    );

    expect(results.map((r) => r.failed)).toEqual(Array(8).fill(0));
    expect(results.map((r) => r.ok)).toEqual(Array(8).fill(250));
    expect(results.map((r) => r.tokens.length)).toEqual(Array(8).fill(1));
    const served = new Set(results.flatMap((r) => r.tokens));
    expect(served.size).toBe(1);
    expect(served.has(seeded)).toBe(false);
    // Every caller's wait came back (the benchmark reports their percentiles).
    expect(results.map((r) => r.waits.length)).toEqual(Array(8).fill(250));
    expect(results.every((r) => r.waits.every((wait) => Number.isFinite(wait) && wait >= 0))).toBe(true);
    // One process rotated; the seven others found the new pair in Redis under the lock.
    expect(results.reduce((sum, r) => sum + r.events.refresh, 0)).toBe(1);
    expect(results.reduce((sum, r) => sum + r.events.login, 0)).toBe(0);
    expect(results.map((r) => r.events.tokens.join(',')).sort()).toEqual([
      'store,refresh_token',
      ...Array(7).fill('store,store'),
    ]);

    const stats = emulator.stats();
    expect(stats.grants.refresh_token).toBe(1);
    expect(stats.reuseAttempts).toBe(0);
    expect(stats.supersededAttempts).toBe(0);
    expect(stats.invalidGrants).toBe(0);
    expect(stats.grants.password).toBe(1);
    expect(await storedVersion()).toBe(2);
    expect(await admin.exists(`${prefix}lock:{default}`)).toBe(0);
  }, 90_000);

  it('a lock holder killed with SIGKILL mid-refresh: the others proceed once its lock TTL ends, with no reuse', async () => {
    const seeded = await seedPair();
    // A short lock TTL in every process: a dead holder's lock ends with it, while a live holder renews its
    // lock within the manager's lease (about 50 s here), so a slow refresh never lets a second one in.
    const lockTtlMs = 2_000;
    children.push(
      ...(await startManagers(emulator, prefix, 4, { ACTON_TEST_LOCK_TTL_MS: String(lockTtlMs) })),
    );
    const [holder, ...survivors] = children as [IpcChild, ...IpcChild[]];
    expect((await Promise.all(children.map((child) => request(child, 'token')))).map((r) => r.token)).toEqual(
      Array(4).fill(seeded),
    );

    // The next refresh waits at the emulator *before* the grant is looked at; it ends well inside the TTL,
    // so whatever became of the killed request is settled before anyone else may send a refresh token.
    emulator.injectFault({ kind: 'latency', latencyMs: lockTtlMs / 2, grantType: 'refresh_token' });
    emulator.clock.advance(HOUR_MS);
    const offset = emulator.clock.now() - Date.now();

    // The holder alone goes first: it takes the lock and sends the refresh, which stalls at the emulator.
    holder.send({ type: 'go', id: 0, offset, callers: 50 });
    await until('the holder to reach the emulator', () => emulator.stats().faults.latency === 1);
    const pending = survivors.map((child) => request<GoReply>(child, 'go', { offset, callers: 50 }));
    holder.process.kill('SIGKILL');
    expect(await holder.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The killed request lost its connection at the emulator without an answer.
    await until('the emulator to see the dropped refresh', () =>
      emulatorLog.some((line) => /^POST \/token dropped .*grant=refresh_token.*fault=latency/.test(line)),
    );

    const results = await Promise.all(pending);
    expect(results.map((r) => r.failed)).toEqual([0, 0, 0]);
    expect(results.map((r) => r.ok)).toEqual([50, 50, 50]);
    const served = new Set(results.flatMap((r) => r.tokens));
    expect(served.size).toBe(1);
    expect(served.has(seeded)).toBe(false);
    expect(results.reduce((sum, r) => sum + r.events.refresh, 0)).toBe(1);
    expect(results.reduce((sum, r) => sum + r.events.login, 0)).toBe(0);

    const stats = emulator.stats();
    // The killed refresh never reached the grant: the one refresh counted is the survivor's, and it worked.
    expect(stats.faults.latency).toBe(1);
    expect(stats.grants.refresh_token).toBe(1);
    expect(stats.reuseAttempts).toBe(0);
    expect(stats.supersededAttempts).toBe(0);
    expect(stats.invalidGrants).toBe(0);
    expect(stats.grants.password).toBe(1);
    expect(await storedVersion()).toBe(2);
  }, 90_000);

  it('shares the login budget: 6 concurrent logins across 3 processes, 5 reach Act-On, the 6th is refused locally', async () => {
    children.push(...(await startManagers(emulator, prefix, 3)));
    const replies = await Promise.all(
      children.map((child) => request<LoginReply>(child, 'login', { count: 2 })),
    );
    const outcomes = replies.flatMap((reply) => reply.results);

    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.error).toMatchObject({ name: 'ActOnAuthBudgetError', code: 'auth_budget_exhausted' });
    expect(refused[0]?.error?.retryAfterMs).toBeGreaterThan(0);
    expect(refused[0]?.error?.retryAfterMs).toBeLessThanOrEqual(HOUR_MS);

    // A later attempt from any process is refused too, still without a request.
    const again = await request<LoginReply>(children[1] as IpcChild, 'login', { count: 1 });
    expect(again.results[0]).toMatchObject({ ok: false, error: { code: 'auth_budget_exhausted' } });

    const stats = emulator.stats();
    expect(stats.grants.password).toBe(5);
    expect(stats.budgetRejections).toBe(0);
    expect(await admin.zcard(`${prefix}budget:{default}`)).toBe(5);
    // Each login replaced the pair under the lock: five versions, none lost.
    expect(await storedVersion()).toBe(5);
  }, 60_000);

  it('a rotation in one process reaches the memory cache of the others through pub/sub: no 401, no second refresh', async () => {
    const seeded = await seedPair();
    children.push(...(await startManagers(emulator, prefix, 3)));
    const [rotator, ...others] = children as [IpcChild, ...IpcChild[]];
    expect((await Promise.all(children.map((child) => request(child, 'token')))).map((r) => r.token)).toEqual(
      Array(3).fill(seeded),
    );
    // Every process watches (its manager subscribed on first use): a message published now reaches all three.
    await waitForSubscribers(admin, `${prefix}events`, 3);

    const rotated = (await request(rotator, 'refresh')).token;
    expect(rotated).not.toBe(seeded);
    // The old token is still valid for most of an hour, so only the invalidation can make them switch.
    const changed = await Promise.all(
      others.map((child) => request(child, 'awaitChange', { from: seeded, limitMs: 20_000 })),
    );
    expect(changed.map((reply) => reply.token)).toEqual([rotated, rotated]);
    const fetched = await Promise.all(
      others.map((child) => request(child, 'fetch', { path: '/api/1/account' })),
    );
    expect(fetched.map((reply) => reply.status)).toEqual([200, 200]);

    const events = await Promise.all(others.map((child) => request(child, 'events')));
    for (const reply of events) {
      expect(reply.events).toMatchObject({ refresh: 0, login: 0 });
      expect((reply.events as { tokens: string[] }).tokens).toEqual(['store', 'store']);
    }
    const stats = emulator.stats();
    expect(stats.grants.refresh_token).toBe(1);
    expect(stats.grants.password).toBe(1);
    expect(stats.unauthorizedApiRequests).toBe(0);
    expect(stats.reuseAttempts).toBe(0);
    expect(stats.accountRequests).toBe(2);
  }, 60_000);
});
