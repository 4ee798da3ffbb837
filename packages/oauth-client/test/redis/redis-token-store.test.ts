import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import {
  ActOnConfigurationError,
  ActOnDecryptionError,
  ActOnStoreConflictError,
  ActOnStoreError,
} from '../../src/errors';
import { RedisTokenStore } from '../../src/redis-token-store';
import type { TokenStore } from '../../src/token-store';
import { tokenStoreContract } from '../stores/contract';
import { tokens } from '../stores/helpers';
import {
  REDIS_URL,
  StorePool,
  connectAdmin,
  deleteKeys,
  listKeys,
  signal,
  subscriberCount,
  uniquePrefix,
  waitForSubscribers,
} from './redis-helpers';

const KEY_HEX = 'b2'.repeat(32);
const OTHER_KEY = randomBytes(32);

describe('RedisTokenStore', () => {
  let admin: Redis;

  beforeAll(async () => {
    admin = await connectAdmin();
  });

  afterAll(async () => {
    await admin?.quit();
  });

  describe('TokenStore contract (url, plaintext)', () => {
    const prefixes = new Map<TokenStore, string>();
    tokenStoreContract({
      create: async () => {
        const prefix = uniquePrefix('contract');
        const store = new RedisTokenStore({ url: REDIS_URL, prefix });
        prefixes.set(store, prefix);
        return store;
      },
      destroy: async (store) => {
        await store.close();
        await deleteKeys(admin, prefixes.get(store) as string);
        prefixes.delete(store);
      },
    });
  });

  describe('TokenStore contract (caller-owned client, encrypted)', () => {
    const made = new Map<TokenStore, { prefix: string; client: Redis }>();
    tokenStoreContract({
      create: async () => {
        const prefix = uniquePrefix('contract-enc');
        const client = new Redis(REDIS_URL, { lazyConnect: true });
        const store = new RedisTokenStore({ client, prefix, encryptionKey: KEY_HEX });
        made.set(store, { prefix, client });
        return store;
      },
      destroy: async (store) => {
        const { prefix, client } = made.get(store) as { prefix: string; client: Redis };
        await store.close();
        client.disconnect();
        await deleteKeys(admin, prefix);
        made.delete(store);
      },
    });
  });

  describe('Redis specifics', () => {
    let prefix: string;
    let pool: StorePool;

    beforeEach(() => {
      prefix = uniquePrefix('store');
      pool = new StorePool(prefix);
    });

    afterEach(async () => {
      await pool.closeAll();
      await deleteKeys(admin, prefix);
    });

    it('lays out one hash-tagged key per account and purpose under the prefix', async () => {
      const store = pool.create();
      await store.set('acct', tokens(1), 0);
      await store.reserveAuthAttempt('acct', 5, 60_000, Date.now());
      await store.withLock('acct', { leaseMs: 5_000, waitTimeoutMs: 1_000 }, async () => {
        expect(await admin.exists(`${prefix}lock:{acct}`)).toBe(1);
      });
      expect(await listKeys(admin, prefix)).toEqual(['budget:{acct}', 'fence:{acct}', 'tokens:{acct}']);
      expect(await admin.hget(`${prefix}tokens:{acct}`, 'version')).toBe('1');
      expect(JSON.parse((await admin.hget(`${prefix}tokens:{acct}`, 'tokens')) as string)).toEqual(tokens(1));
    });

    it('uses acton: as the default prefix', () => {
      const client = new Redis(REDIS_URL, { lazyConnect: true });
      const store = new RedisTokenStore({ client });
      expect(store.prefix).toBe('acton:');
      expect(store.toJSON()).toMatchObject({ prefix: 'acton:' });
      client.disconnect();
      return store.close();
    });

    it('lets only one of two instances win a compare-and-set, and reports the version it lost to', async () => {
      const a = pool.create();
      const b = pool.create();
      await a.set('acct', tokens(1), 0);
      const seenByB = await b.get('acct');
      expect(seenByB?.version).toBe(1);
      await a.set('acct', tokens('a2'), 1);
      const stale = b.set('acct', tokens('b2'), seenByB?.version as number);
      await expect(stale).rejects.toBeInstanceOf(ActOnStoreConflictError);
      await expect(stale).rejects.toMatchObject({ account: 'acct', expectedVersion: 1, actualVersion: 2 });
      expect(await b.get('acct')).toEqual({ tokens: tokens('a2'), version: 2 });
    });

    it('lets exactly one writer win among concurrent writers on several instances', async () => {
      const stores = [pool.create(), pool.create(), pool.create()];
      await stores[0]?.set('acct', tokens(0), 0);
      const results = await Promise.allSettled(
        stores.flatMap((store, s) =>
          Array.from({ length: 10 }, (_, i) => store.set('acct', tokens(`${s}-${i}`), 1)),
        ),
      );
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      expect(won[0]?.version).toBe(2);
      expect(
        results.every((r) => r.status === 'fulfilled' || r.reason instanceof ActOnStoreConflictError),
      ).toBe(true);
    });

    it('never reads from a local copy: a write by another instance is visible at once', async () => {
      const a = pool.create();
      const b = pool.create();
      await a.set('acct', tokens(1), 0);
      expect((await b.get('acct'))?.tokens.accessToken).toBe('access-1');
      await a.set('acct', tokens(2), 1);
      expect((await b.get('acct'))?.tokens.accessToken).toBe('access-2');
      await a.delete('acct');
      expect(await b.get('acct')).toBeUndefined();
    });

    it('keeps a tombstone of the version after delete, so versions never go backwards', async () => {
      const a = pool.create();
      const b = pool.create();
      await a.set('acct', tokens(1), 0);
      await a.set('acct', tokens(2), 1);
      await b.delete('acct');
      const key = `${prefix}tokens:{acct}`;
      expect(await admin.hgetall(key)).toEqual({ version: '2' });
      expect(await a.get('acct')).toBeUndefined();
      await expect(a.set('acct', tokens('stale'), 2)).rejects.toMatchObject({
        expectedVersion: 2,
        actualVersion: 0,
      });
      expect(await a.set('acct', tokens(3), 0)).toEqual({ tokens: tokens(3), version: 3 });
      await b.delete('acct');
      await b.delete('acct');
      expect(await b.set('acct', tokens(4), 0)).toMatchObject({ version: 4 });
      expect(await a.get('acct')).toEqual({ tokens: tokens(4), version: 4 });
    });

    it('keeps the budget ledger when the pair is deleted', async () => {
      const store = pool.create();
      await store.set('acct', tokens(1), 0);
      await store.reserveAuthAttempt('acct', 1, 60_000, 1_000);
      await store.delete('acct');
      expect(await admin.zcard(`${prefix}budget:{acct}`)).toBe(1);
    });

    describe('encryption at rest', () => {
      it('stores only ciphertext and reads it back, whatever form the same key is given in', async () => {
        const key = randomBytes(32);
        const writer = pool.create({ encryptionKey: key });
        await writer.set('acct', tokens('secret'), 0);
        const raw = (await admin.hget(`${prefix}tokens:{acct}`, 'tokens')) as string;
        expect(raw).not.toContain('access-secret');
        expect(raw).not.toContain('refresh-secret');
        expect(JSON.parse(raw)).toMatchObject({ alg: 'A256GCM' });
        for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), key]) {
          const reader = pool.create({ encryptionKey: form });
          expect(await reader.get('acct')).toEqual({ tokens: tokens('secret'), version: 1 });
        }
      });

      it('refuses a wrong key with ActOnDecryptionError naming the Redis key, and leaves the value alone', async () => {
        const writer = pool.create({ encryptionKey: KEY_HEX });
        await writer.set('acct', tokens('secret'), 0);
        const key = `${prefix}tokens:{acct}`;
        const before = await admin.hgetall(key);
        const wrong = pool.create({ encryptionKey: OTHER_KEY });
        const failed = wrong.get('acct');
        await expect(failed).rejects.toBeInstanceOf(ActOnDecryptionError);
        await expect(failed).rejects.toMatchObject({ path: key, code: 'decryption_failed' });
        const error = (await failed.catch((e: unknown) => e)) as Error;
        expect(error.message).not.toMatch(/access-secret|refresh-secret/);
        expect(error.message).not.toContain(KEY_HEX);
        expect(error.message).not.toContain(OTHER_KEY.toString('hex'));
        expect(await admin.hgetall(key)).toEqual(before);
      });

      it('refuses to read an encrypted pair without a key, naming the missing option', async () => {
        await pool.create({ encryptionKey: KEY_HEX }).set('acct', tokens(1), 0);
        const failed = pool.create().get('acct');
        await expect(failed).rejects.toBeInstanceOf(ActOnStoreError);
        await expect(failed).rejects.toThrow(/encryptionKey/);
      });

      it('reads a plaintext pair once a key is configured and encrypts it on the next write', async () => {
        await pool.create().set('acct', tokens(1), 0);
        const store = pool.create({ encryptionKey: KEY_HEX });
        expect(await store.get('acct')).toEqual({ tokens: tokens(1), version: 1 });
        await store.set('acct', tokens(2), 1);
        const raw = (await admin.hget(`${prefix}tokens:{acct}`, 'tokens')) as string;
        expect(raw).not.toContain('access-2');
        expect(await store.get('acct')).toEqual({ tokens: tokens(2), version: 2 });
      });

      it('refuses a tampered ciphertext', async () => {
        const store = pool.create({ encryptionKey: KEY_HEX });
        await store.set('acct', tokens(1), 0);
        const key = `${prefix}tokens:{acct}`;
        const envelope = JSON.parse((await admin.hget(key, 'tokens')) as string) as { data: string };
        const data = Buffer.from(envelope.data, 'base64');
        data[0] = (data[0] as number) ^ 1;
        await admin.hset(key, 'tokens', JSON.stringify({ ...envelope, data: data.toString('base64') }));
        await expect(store.get('acct')).rejects.toBeInstanceOf(ActOnDecryptionError);
      });
    });

    it('reports an unreadable stored value without quoting it', async () => {
      const store = pool.create();
      await admin.hset(`${prefix}tokens:{acct}`, 'version', '1', 'tokens', '{"accessToken":"leak-me"');
      const failed = store.get('acct');
      await expect(failed).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(failed).rejects.not.toThrow(/leak-me/);
    });

    describe('auth budget', () => {
      it('is shared by every instance: 5 across two stores, the 6th refused on either, refusals not counted', async () => {
        const a = pool.create();
        const b = pool.create();
        const windowMs = 3_600_000;
        const t0 = 1_700_000_000_000;
        const outcomes = [];
        for (let i = 0; i < 5; i++) {
          outcomes.push(await (i % 2 === 0 ? a : b).reserveAuthAttempt('acct', 5, windowMs, t0 + i * 1_000));
        }
        expect(outcomes.map((o) => o.used)).toEqual([1, 2, 3, 4, 5]);
        expect(outcomes.every((o) => o.allowed)).toBe(true);
        expect(await a.reserveAuthAttempt('acct', 5, windowMs, t0 + 10_000)).toEqual({
          allowed: false,
          used: 5,
          retryAfterMs: windowMs - 10_000,
        });
        expect(await b.reserveAuthAttempt('acct', 5, windowMs, t0 + 20_000)).toEqual({
          allowed: false,
          used: 5,
          retryAfterMs: windowMs - 20_000,
        });
        expect(await admin.zcard(`${prefix}budget:{acct}`)).toBe(5);
        // The oldest attempt leaves the window: exactly one slot opens, for whichever instance asks first.
        expect(await b.reserveAuthAttempt('acct', 5, windowMs, t0 + windowMs)).toEqual({
          allowed: true,
          used: 5,
        });
        expect(await a.reserveAuthAttempt('acct', 5, windowMs, t0 + windowMs)).toMatchObject({
          allowed: false,
        });
      });

      it('lets the ledger expire with its newest attempt, so Redis does not keep dead ledgers', async () => {
        const store = pool.create();
        const now = Date.now();
        await store.reserveAuthAttempt('acct', 5, 60_000, now - 30_000);
        await store.reserveAuthAttempt('acct', 5, 60_000, now);
        const ttl = await admin.pttl(`${prefix}budget:{acct}`);
        expect(ttl).toBeGreaterThan(30_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
      });

      it('never allows more than the limit among concurrent reservations from several instances', async () => {
        const stores = [pool.create(), pool.create(), pool.create()];
        const results = await Promise.all(
          stores.flatMap((store) =>
            Array.from({ length: 8 }, () => store.reserveAuthAttempt('acct', 5, 3_600_000, 5_000_000)),
          ),
        );
        expect(results.filter((r) => r.allowed)).toHaveLength(5);
      });

      it('waits for the surplus to leave when the limit was lowered, like the other stores', async () => {
        const store = pool.create();
        for (let i = 0; i < 4; i++) await store.reserveAuthAttempt('acct', 5, 1_000, 10_000 + i * 100);
        expect(await store.reserveAuthAttempt('acct', 2, 1_000, 10_350)).toEqual({
          allowed: false,
          used: 4,
          retryAfterMs: 10_200 + 1_000 - 10_350,
        });
        expect(await store.reserveAuthAttempt('acct', 0, 1_000, 10_350)).toMatchObject({
          retryAfterMs: 1_000,
        });
      });
    });

    describe('watch', () => {
      it('tells one instance about pairs written or deleted by another, but not about its own writes', async () => {
        const a = pool.create();
        const b = pool.create();
        const seen: string[] = [];
        const got = [signal(), signal()];
        a.watch((account) => {
          seen.push(account);
          got[seen.length - 1]?.fire();
        });
        // Let the subscription settle through a round trip of our own, without timing: B's first write
        // must happen after A subscribed, or it could be missed (as with any pub/sub).
        await waitForSubscribers(admin, `${prefix}events`, 1);
        await a.set('own', tokens(1), 0);
        await b.set('theirs', tokens(1), 0);
        await got[0]?.promise;
        await b.delete('theirs');
        await got[1]?.promise;
        expect(seen).toEqual(['theirs', 'theirs']);
      });

      it('stops calling a listener once unsubscribed, and keeps calling the others', async () => {
        const a = pool.create();
        const b = pool.create();
        const first: string[] = [];
        const second: string[] = [];
        const arrived = [signal(), signal()];
        const stop = a.watch((account) => first.push(account));
        a.watch((account) => {
          second.push(account);
          arrived[second.length - 1]?.fire();
        });
        await waitForSubscribers(admin, `${prefix}events`, 1);
        await b.set('x', tokens(1), 0);
        await arrived[0]?.promise;
        stop();
        await b.set('y', tokens(1), 0);
        await arrived[1]?.promise;
        expect(second).toEqual(['x', 'y']);
        expect(first).toEqual(['x']);
      });

      it('keeps notifying the other listeners when one throws', async () => {
        const a = pool.create();
        const b = pool.create();
        const got = signal<string>();
        a.watch(() => {
          throw new Error('listener bug');
        });
        a.watch((account) => got.fire(account));
        await waitForSubscribers(admin, `${prefix}events`, 1);
        await b.set('x', tokens(1), 0);
        expect(await got.promise).toBe('x');
      });

      it('uses one subscriber connection per store, however many listeners', async () => {
        const a = pool.create();
        for (let i = 0; i < 20; i++) a.watch(() => undefined);
        await waitForSubscribers(admin, `${prefix}events`, 1);
        expect(await subscriberCount(admin, `${prefix}events`)).toBe(1);
      });
    });

    describe('options', () => {
      it('needs exactly one of client and url, naming the option', () => {
        const client = new Redis(REDIS_URL, { lazyConnect: true });
        try {
          expect(() => new RedisTokenStore({})).toThrow(ActOnConfigurationError);
          expect(() => new RedisTokenStore({})).toThrow(expect.objectContaining({ option: 'client' }));
          expect(() => new RedisTokenStore({ client, url: REDIS_URL })).toThrow(
            expect.objectContaining({ option: 'url', code: 'configuration' }),
          );
          expect(() => new RedisTokenStore({ client: {} as Redis })).toThrow(
            expect.objectContaining({ option: 'client' }),
          );
        } finally {
          client.disconnect();
        }
      });

      it('refuses bad URLs, prefixes, durations and keys without echoing secrets', () => {
        expect(() => new RedisTokenStore({ url: 'http://u:hunter22@example.com' })).toThrow(
          expect.objectContaining({ option: 'url' }),
        );
        expect(() => new RedisTokenStore({ url: 'not a url' })).toThrow(
          expect.objectContaining({ option: 'url' }),
        );
        expect(() => new RedisTokenStore({ url: REDIS_URL, prefix: 42 as unknown as string })).toThrow(
          expect.objectContaining({ option: 'prefix' }),
        );
        expect(() => new RedisTokenStore({ url: REDIS_URL, lockTtlMs: 0 })).toThrow(
          expect.objectContaining({ option: 'lockTtlMs' }),
        );
        expect(() => new RedisTokenStore({ url: REDIS_URL, commandTimeoutMs: Number.NaN })).toThrow(
          expect.objectContaining({ option: 'commandTimeoutMs' }),
        );
        const shortKey = 'c3'.repeat(20);
        let thrown: unknown;
        try {
          new RedisTokenStore({ url: REDIS_URL, encryptionKey: shortKey });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(ActOnConfigurationError);
        expect(thrown).toMatchObject({ option: 'encryptionKey' });
        expect((thrown as Error).message).not.toContain(shortKey);
        let urlError: unknown;
        try {
          new RedisTokenStore({ url: 'http://u:hunter22@example.com' });
        } catch (error) {
          urlError = error;
        }
        expect((urlError as Error).message).not.toContain('hunter22');
      });

      it('explains a missing ioredis when built from a URL', () => {
        jest.isolateModules(() => {
          jest.doMock('ioredis', () => {
            throw new Error("Cannot find module 'ioredis'");
          });
          type Module = typeof import('../../src/redis-token-store');
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const isolated: Module = require('../../src/redis-token-store');
          let thrown: unknown;
          try {
            new isolated.RedisTokenStore({ url: REDIS_URL });
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toMatchObject({ code: 'configuration', option: 'url' });
          expect((thrown as Error).message).toMatch(/npm install ioredis/);
        });
        jest.dontMock('ioredis');
      });

      it('never shows the Redis password in toJSON or inspect', async () => {
        const store = pool.create({ url: 'redis://user:s3cr3t-pw@127.0.0.1:1/0?password=s3cr3t-pw' });
        expect(JSON.stringify(store)).not.toContain('s3cr3t-pw');
        expect(inspect(store)).not.toContain('s3cr3t-pw');
        expect(JSON.stringify(store)).toContain('***');
      });

      it('leaves a caller-owned client open on close, and closes its own subscriber', async () => {
        const client = new Redis(REDIS_URL);
        try {
          const store = pool.create({ client });
          store.watch(() => undefined);
          await store.set('acct', tokens(1), 0);
          await waitForSubscribers(admin, `${prefix}events`, 1);
          await store.close();
          expect(await client.ping()).toBe('PONG');
          expect(await subscriberCount(admin, `${prefix}events`)).toBe(0);
          await expect(store.get('acct')).rejects.toBeInstanceOf(ActOnStoreError);
        } finally {
          client.disconnect();
        }
      });
    });
  });
});
