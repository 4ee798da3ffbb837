import { ActOnLockTimeoutError, ActOnStoreConflictError, ActOnStoreError } from '../../src/errors';
import type { TokenStore } from '../../src/token-store';
import { sleep, tokens } from './helpers';

/** How the contract suite gets a store: a fresh, empty one per test, and its teardown. */
export interface StoreFactory {
  create(): Promise<TokenStore>;
  destroy(store: TokenStore): Promise<void>;
}

/**
 * The behaviour every {@link TokenStore} must share. Called inside a `describe` of each store's test file.
 */
export function tokenStoreContract(factory: StoreFactory): void {
  let store: TokenStore;

  beforeEach(async () => {
    store = await factory.create();
  });

  afterEach(async () => {
    await factory.destroy(store);
  });

  describe('versions and compare-and-swap', () => {
    it('holds nothing for an unknown account', async () => {
      expect(await store.get('nobody')).toBeUndefined();
    });

    it('starts at version 1 when the first write expects 0, and counts up', async () => {
      const first = await store.set('a', tokens(1), 0);
      expect(first).toEqual({ tokens: tokens(1), version: 1 });
      const second = await store.set('a', tokens(2), 1);
      expect(second.version).toBe(2);
      expect(await store.get('a')).toEqual({ tokens: tokens(2), version: 2 });
    });

    it('refuses a stale write with ActOnStoreConflictError and writes nothing', async () => {
      await store.set('a', tokens(1), 0);
      await store.set('a', tokens(2), 1);
      const stale = store.set('a', tokens('stale'), 1);
      await expect(stale).rejects.toBeInstanceOf(ActOnStoreConflictError);
      await expect(stale).rejects.toMatchObject({ account: 'a', expectedVersion: 1, actualVersion: 2 });
      await expect(store.set('a', tokens('again'), 0)).rejects.toMatchObject({ actualVersion: 2 });
      await expect(store.set('b', tokens('b'), 3)).rejects.toMatchObject({
        expectedVersion: 3,
        actualVersion: 0,
      });
      expect(await store.get('a')).toEqual({ tokens: tokens(2), version: 2 });
      expect(await store.get('b')).toBeUndefined();
    });

    it('lets exactly one of many concurrent first writers win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.set('race', tokens(`w${i}`), 0)),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.every((r) => r.reason instanceof ActOnStoreConflictError)).toBe(true);
      const stored = await store.get('race');
      expect(stored?.version).toBe(1);
      expect(stored?.tokens).toEqual((won[0] as PromiseFulfilledResult<{ tokens: unknown }>).value.tokens);
    });

    it('keeps accounts apart', async () => {
      await store.set('a', tokens('a'), 0);
      await store.set('b', tokens('b'), 0);
      expect((await store.get('a'))?.tokens.accessToken).toBe('access-a');
      expect((await store.get('b'))?.tokens.accessToken).toBe('access-b');
    });

    it('hands out copies: mutating what it returned or what it was given changes nothing stored', async () => {
      const input = { ...tokens(1) };
      const returned = await store.set('a', input, 0);
      (input as { accessToken: string }).accessToken = 'mutated-input';
      (returned.tokens as { accessToken: string }).accessToken = 'mutated-result';
      const read = await store.get('a');
      (read?.tokens as { refreshToken: string }).refreshToken = 'mutated-read';
      (read as { version: number }).version = 99;
      expect(await store.get('a')).toEqual({ tokens: tokens(1), version: 1 });
    });

    it('deletes a pair; the next write expects 0 again and never reuses an old version', async () => {
      await store.set('a', tokens(1), 0);
      await store.set('a', tokens(2), 1);
      await store.delete('a');
      expect(await store.get('a')).toBeUndefined();
      await expect(store.set('a', tokens('stale'), 2)).rejects.toBeInstanceOf(ActOnStoreConflictError);
      const fresh = await store.set('a', tokens(3), 0);
      expect(fresh.version).toBeGreaterThan(2);
      await store.delete('never-stored');
      expect(await store.get('never-stored')).toBeUndefined();
    });

    it('accepts an account named like an Object.prototype property', async () => {
      await store.set('__proto__', tokens('proto'), 0);
      await store.set('constructor', tokens('ctor'), 0);
      expect((await store.get('__proto__'))?.tokens.accessToken).toBe('access-proto');
      expect((await store.get('constructor'))?.tokens.accessToken).toBe('access-ctor');
      expect(await store.get('toString')).toBeUndefined();
    });

    it('refuses an empty account key and a negative expectedVersion', async () => {
      await expect(store.get('')).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(store.set('a', tokens(1), -1)).rejects.toBeInstanceOf(ActOnStoreError);
      expect(await store.get('a')).toBeUndefined();
    });
  });

  describe('auth budget (sliding window)', () => {
    it('allows `limit` attempts per window, refuses the next with retryAfterMs, and does not count refusals', async () => {
      const limit = 3;
      const windowMs = 1000;
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 10_000)).toEqual({
        allowed: true,
        used: 1,
      });
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 10_100)).toEqual({
        allowed: true,
        used: 2,
      });
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 10_200)).toEqual({
        allowed: true,
        used: 3,
      });
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 10_300)).toEqual({
        allowed: false,
        used: 3,
        retryAfterMs: 700,
      });
      // Refused attempts are not counted: once the first leaves the window, exactly one slot opens.
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 10_999)).toMatchObject({
        allowed: false,
        retryAfterMs: 1,
      });
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 11_000)).toEqual({
        allowed: true,
        used: 3,
      });
      expect(await store.reserveAuthAttempt('a', limit, windowMs, 11_050)).toEqual({
        allowed: false,
        used: 3,
        retryAfterMs: 50,
      });
      // Other accounts have their own budget.
      expect(await store.reserveAuthAttempt('b', limit, windowMs, 11_050)).toEqual({
        allowed: true,
        used: 1,
      });
    });

    it('never allows more than `limit` among concurrent reservations', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, () => store.reserveAuthAttempt('a', 5, 3_600_000, 1_000_000)),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      expect(results.filter((r) => !r.allowed).every((r) => !r.allowed && r.retryAfterMs === 3_600_000)).toBe(
        true,
      );
    });

    it('keeps the ledger when the pair is deleted', async () => {
      await store.set('a', tokens(1), 0);
      await store.reserveAuthAttempt('a', 2, 60_000, 5_000);
      await store.reserveAuthAttempt('a', 2, 60_000, 5_001);
      await store.delete('a');
      expect(await store.reserveAuthAttempt('a', 2, 60_000, 5_002)).toMatchObject({
        allowed: false,
        used: 2,
      });
    });

    it('rejects nonsense arguments instead of guessing', async () => {
      await expect(store.reserveAuthAttempt('a', -1, 1000, 0)).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(store.reserveAuthAttempt('a', 5, 0, 0)).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(store.reserveAuthAttempt('a', 5, 1000, Number.NaN)).rejects.toBeInstanceOf(
        ActOnStoreError,
      );
    });
  });

  describe('withLock', () => {
    const lock = { leaseMs: 10_000, waitTimeoutMs: 10_000 };

    it('runs one caller at a time among many concurrent callers, and returns each result', async () => {
      let active = 0;
      let maxActive = 0;
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          store.withLock('a', lock, async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(i % 3);
            active--;
            return i;
          }),
        ),
      );
      expect(maxActive).toBe(1);
      expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i));
    });

    it('serves waiters of one process in arrival order', async () => {
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.withLock('a', lock, async () => {
            order.push(i);
            await sleep(1);
          }),
        ),
      );
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('does not make different accounts wait for each other', async () => {
      let releaseA!: () => void;
      const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
      let aEntered!: () => void;
      const aStarted = new Promise<void>((resolve) => (aEntered = resolve));
      const a = store.withLock('a', lock, async () => {
        aEntered();
        await aHeld;
      });
      await aStarted;
      const started = Date.now();
      await store.withLock('b', { leaseMs: 10_000, waitTimeoutMs: 2_000 }, async () => undefined);
      expect(Date.now() - started).toBeLessThan(1_000);
      releaseA();
      await a;
    });

    it('lets the holder write the pair and the budget (the store lock is not the grant lock)', async () => {
      const stored = await store.withLock('a', lock, async () => {
        await store.reserveAuthAttempt('a', 5, 60_000, 1);
        const current = await store.get('a');
        return store.set('a', tokens(1), current?.version ?? 0);
      });
      expect(stored.version).toBe(1);
    });

    it('releases the lock when fn throws, and passes the error on', async () => {
      const boom = new Error('boom');
      await expect(
        store.withLock('a', lock, async () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      const started = Date.now();
      await store.withLock('a', { leaseMs: 1_000, waitTimeoutMs: 500 }, async () => undefined);
      expect(Date.now() - started).toBeLessThan(400);
    });

    it('fails a waiter with ActOnLockTimeoutError after waitTimeoutMs', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const holding = new Promise<void>((resolve) => (entered = resolve));
      const holder = store.withLock('a', lock, async () => {
        entered();
        await held;
      });
      await holding;
      const started = Date.now();
      let ran = false;
      const waiting = store.withLock('a', { leaseMs: 10_000, waitTimeoutMs: 80 }, async () => {
        ran = true;
      });
      await expect(waiting).rejects.toBeInstanceOf(ActOnLockTimeoutError);
      await expect(waiting).rejects.toMatchObject({ account: 'a', code: 'lock_timeout' });
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(70);
      expect(waited).toBeLessThan(1_500);
      expect(ran).toBe(false);
      release();
      await holder;
    });

    it('considers a holder past its lease abandoned and lets the next waiter proceed', async () => {
      const events: string[] = [];
      let releaseStuck!: () => void;
      const stuck = new Promise<void>((resolve) => (releaseStuck = resolve));
      let entered!: () => void;
      const holding = new Promise<void>((resolve) => (entered = resolve));
      const holder = store.withLock('a', { leaseMs: 150, waitTimeoutMs: 1_000 }, async () => {
        events.push('holder in');
        entered();
        await stuck;
        events.push('holder out');
      });
      await holding;
      const started = Date.now();
      await store.withLock('a', { leaseMs: 10_000, waitTimeoutMs: 5_000 }, async () => {
        events.push('next in');
      });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(events).toEqual(['holder in', 'next in']);
      releaseStuck();
      await holder;
      // The abandoned holder's late release must not free a lock someone else holds now.
      let active = 0;
      let maxActive = 0;
      await Promise.all(
        Array.from({ length: 5 }, () =>
          store.withLock('a', lock, async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(2);
            active--;
          }),
        ),
      );
      expect(maxActive).toBe(1);
    });

    it('rejects nonsense lock options', async () => {
      await expect(
        store.withLock('a', { leaseMs: 0, waitTimeoutMs: 10 }, async () => undefined),
      ).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(
        store.withLock('a', { leaseMs: 10, waitTimeoutMs: Number.NaN }, async () => undefined),
      ).rejects.toBeInstanceOf(ActOnStoreError);
    });
  });

  describe('close', () => {
    it('fails queued waiters and later calls, lets the holder finish', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const holding = new Promise<void>((resolve) => (entered = resolve));
      const holder = store.withLock('a', { leaseMs: 10_000, waitTimeoutMs: 10_000 }, async () => {
        entered();
        await held;
        return 'finished';
      });
      await holding;
      const waiter = store.withLock('a', { leaseMs: 10_000, waitTimeoutMs: 10_000 }, async () => 'ran');
      await sleep(10);
      await store.close();
      await expect(waiter).rejects.toBeInstanceOf(ActOnStoreError);
      release();
      await expect(holder).resolves.toBe('finished');
      await expect(store.get('a')).rejects.toBeInstanceOf(ActOnStoreError);
      await store.close();
    });
  });
}
