import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ActOnConfigurationError,
  ActOnDecryptionError,
  ActOnStoreConflictError,
  ActOnStoreError,
} from '../../src/errors';
import { FileTokenStore } from '../../src/file-token-store';
import type { TokenStore } from '../../src/token-store';
import { tokenStoreContract } from './contract';
import { sleep, tempDir, tokens } from './helpers';

const KEY_HEX = 'a1'.repeat(32);

describe('FileTokenStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const open: FileTokenStore[] = [];

  function store(file = 'tokens.json', encryptionKey?: string | Buffer): FileTokenStore {
    const s = new FileTokenStore({ path: path.join(dir, file), ...(encryptionKey ? { encryptionKey } : {}) });
    open.push(s);
    return s;
  }

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await remove();
  });

  describe('TokenStore contract (plaintext)', () => {
    tokenStoreContract({
      create: async () => store(),
      destroy: (s: TokenStore) => s.close(),
    });
  });

  describe('TokenStore contract (encrypted)', () => {
    tokenStoreContract({
      create: async () => store('tokens.json', KEY_HEX),
      destroy: (s: TokenStore) => s.close(),
    });
  });

  describe('persistence and file layout', () => {
    it('survives a restart: a new instance on the same path sees the pair, its version and the budget', async () => {
      const first = store();
      await first.set('a', tokens(1), 0);
      await first.set('a', tokens(2), 1);
      await first.reserveAuthAttempt('a', 5, 3_600_000, 1_000);
      await first.close();
      const second = store();
      expect(await second.get('a')).toEqual({ tokens: tokens(2), version: 2 });
      expect(await second.reserveAuthAttempt('a', 5, 3_600_000, 2_000)).toEqual({ allowed: true, used: 2 });
    });

    it('writes the documented JSON format', async () => {
      const s = store();
      await s.set('a', tokens(1), 0);
      await s.reserveAuthAttempt('a', 5, 3_600_000, 1_000);
      const content = JSON.parse(await readFile(s.path, 'utf8'));
      expect(content).toEqual({
        format: 1,
        accounts: { a: { version: 1, tokens: tokens(1) } },
        budgets: { a: [1_000] },
      });
    });

    it('keeps top-level keys it does not know when rewriting', async () => {
      const s = store();
      await writeFile(s.path, JSON.stringify({ format: 1, accounts: {}, budgets: {}, note: { keep: true } }));
      await s.set('a', tokens(1), 0);
      expect(JSON.parse(await readFile(s.path, 'utf8')).note).toEqual({ keep: true });
    });

    it('creates missing directories with mode 0700 and the file with mode 0600', async () => {
      const s = store(path.join('nested', 'deeper', 'tokens.json'));
      await s.set('a', tokens(1), 0);
      expect((await stat(path.join(dir, 'nested'))).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(dir, 'nested', 'deeper'))).mode & 0o777).toBe(0o700);
      expect((await stat(s.path)).mode & 0o777).toBe(0o600);
    });

    it('tightens an existing file to 0600 when it writes it', async () => {
      const s = store();
      await writeFile(s.path, JSON.stringify({ format: 1, accounts: {}, budgets: {} }));
      await chmod(s.path, 0o644);
      await s.set('a', tokens(1), 0);
      expect((await stat(s.path)).mode & 0o777).toBe(0o600);
    });

    it('leaves no temp or lock files behind after writes and locks', async () => {
      const s = store();
      await s.withLock('a', { leaseMs: 5_000, waitTimeoutMs: 5_000 }, async () => {
        await s.set('a', tokens(1), 0);
        await s.reserveAuthAttempt('a', 5, 60_000, 1);
      });
      await s.delete('a');
      expect(await readdir(dir)).toEqual(['tokens.json']);
    });

    it('removes temp files of crashed writers once they are a minute old, and nothing else', async () => {
      const s = store();
      const old = path.join(dir, 'tokens.json.4242.0123abcd.tmp');
      const recent = path.join(dir, 'tokens.json.4243.0123abce.tmp');
      const unrelated = path.join(dir, 'other.json.4244.0123abcf.tmp');
      for (const file of [old, recent, unrelated]) await writeFile(file, '{"format":1,"acc');
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      await utimes(old, twoMinutesAgo, twoMinutesAgo);
      await utimes(unrelated, twoMinutesAgo, twoMinutesAgo);
      await s.set('a', tokens(1), 0);
      expect((await readdir(dir)).sort()).toEqual(
        ['other.json.4244.0123abcf.tmp', 'tokens.json', 'tokens.json.4243.0123abce.tmp'].sort(),
      );
    });

    it('refuses to store a token set that could not be read back, naming the field but not the secret', async () => {
      const s = store();
      const bad = { ...tokens('secret-value'), expiresAt: Number.NaN };
      const attempt = s.set('a', bad, 0);
      await expect(attempt).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(attempt).rejects.toThrow(/expiresAt/);
      await expect(attempt).rejects.not.toThrow(/secret-value/);
      expect(await readdir(dir)).toEqual([]);
    });

    it('rejects a missing path at construction', () => {
      expect(() => new FileTokenStore({ path: '' })).toThrow(ActOnConfigurationError);
      expect(() => new FileTokenStore({} as { path: string })).toThrow(ActOnConfigurationError);
    });

    it('serves compare-and-swap across two instances on one file', async () => {
      const one = store();
      const two = store();
      await one.set('a', tokens(1), 0);
      const read = await two.get('a');
      await one.set('a', tokens(2), 1);
      await expect(two.set('a', tokens('stale'), read?.version ?? 0)).rejects.toBeInstanceOf(
        ActOnStoreConflictError,
      );
      expect((await two.get('a'))?.tokens).toEqual(tokens(2));
    });

    it('shares the budget ledger between instances on one file', async () => {
      const one = store();
      const two = store();
      const now = 50_000;
      for (let i = 0; i < 3; i++)
        expect((await one.reserveAuthAttempt('a', 5, 60_000, now + i)).allowed).toBe(true);
      for (let i = 3; i < 5; i++)
        expect((await two.reserveAuthAttempt('a', 5, 60_000, now + i)).allowed).toBe(true);
      expect(await one.reserveAuthAttempt('a', 5, 60_000, now + 10)).toEqual({
        allowed: false,
        used: 5,
        retryAfterMs: 60_000 - 10,
      });
    });

    it('drops ledger entries that left the window when it writes', async () => {
      const s = store();
      await s.reserveAuthAttempt('a', 5, 1_000, 1_000);
      await s.reserveAuthAttempt('a', 5, 1_000, 1_500);
      await s.reserveAuthAttempt('a', 5, 1_000, 2_200);
      expect(JSON.parse(await readFile(s.path, 'utf8')).budgets.a).toEqual([1_500, 2_200]);
    });
  });

  describe('encryption at rest', () => {
    it('round-trips through a file that holds no token in clear', async () => {
      const s = store('tokens.json', KEY_HEX);
      await s.set('acct', tokens('SECRET-123'), 0);
      const raw = await readFile(s.path, 'utf8');
      const envelope = JSON.parse(raw);
      expect(envelope).toEqual({
        format: 1,
        alg: 'A256GCM',
        iv: expect.any(String),
        tag: expect.any(String),
        data: expect.any(String),
      });
      expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
      expect(raw).not.toContain('SECRET-123');
      expect(raw).not.toContain('acct');
      expect(await store('tokens.json', Buffer.from(KEY_HEX, 'hex')).get('acct')).toEqual({
        tokens: tokens('SECRET-123'),
        version: 1,
      });
    });

    it('uses a fresh IV for every write', async () => {
      const s = store('tokens.json', KEY_HEX);
      await s.set('a', tokens(1), 0);
      const first = JSON.parse(await readFile(s.path, 'utf8')).iv;
      await s.set('a', tokens(1), 1);
      expect(JSON.parse(await readFile(s.path, 'utf8')).iv).not.toBe(first);
    });

    it('fails with ActOnDecryptionError on a wrong key and leaves the file exactly as it was', async () => {
      const right = store('tokens.json', KEY_HEX);
      await right.set('a', tokens(1), 0);
      const before = await readFile(right.path);
      const wrongKey = 'b2'.repeat(32);
      const wrong = store('tokens.json', wrongKey);
      await expect(wrong.get('a')).rejects.toBeInstanceOf(ActOnDecryptionError);
      await expect(wrong.set('a', tokens(2), 1)).rejects.toBeInstanceOf(ActOnDecryptionError);
      await expect(wrong.delete('a')).rejects.toBeInstanceOf(ActOnDecryptionError);
      const budget = wrong.reserveAuthAttempt('a', 5, 1000, 1);
      await expect(budget).rejects.toBeInstanceOf(ActOnDecryptionError);
      await expect(budget).rejects.not.toThrow(new RegExp(`${wrongKey}|${KEY_HEX}`));
      expect((await readFile(right.path)).equals(before)).toBe(true);
      expect(await right.get('a')).toEqual({ tokens: tokens(1), version: 1 });
    });

    it('fails with ActOnDecryptionError on a tampered file and does not overwrite it', async () => {
      const s = store('tokens.json', KEY_HEX);
      await s.set('a', tokens(1), 0);
      const envelope = JSON.parse(await readFile(s.path, 'utf8'));
      const data = Buffer.from(envelope.data, 'base64');
      data[5] ^= 0x01;
      const tampered = JSON.stringify({ ...envelope, data: data.toString('base64') });
      await writeFile(s.path, tampered);
      await expect(s.get('a')).rejects.toBeInstanceOf(ActOnDecryptionError);
      await expect(s.set('a', tokens(2), 1)).rejects.toBeInstanceOf(ActOnDecryptionError);
      expect(await readFile(s.path, 'utf8')).toBe(tampered);
    });

    it('says the file is encrypted when opened without a key, and leaves it alone', async () => {
      const s = store('tokens.json', KEY_HEX);
      await s.set('a', tokens(1), 0);
      const before = await readFile(s.path);
      const plain = store();
      const attempt = plain.set('a', tokens(2), 1);
      await expect(attempt).rejects.toBeInstanceOf(ActOnStoreError);
      await expect(attempt).rejects.toThrow(/encrypted.*encryptionKey/);
      expect((await readFile(s.path)).equals(before)).toBe(true);
    });

    it('reads a plaintext file with a key and encrypts it on the next write (migration)', async () => {
      const plain = store();
      await plain.set('a', tokens('MIGRATE-ME'), 0);
      const keyed = store('tokens.json', KEY_HEX);
      expect(await keyed.get('a')).toEqual({ tokens: tokens('MIGRATE-ME'), version: 1 });
      await keyed.set('a', tokens('MIGRATED'), 1);
      const raw = await readFile(keyed.path, 'utf8');
      expect(JSON.parse(raw).alg).toBe('A256GCM');
      expect(raw).not.toContain('MIGRATED');
      expect(await keyed.get('a')).toEqual({ tokens: tokens('MIGRATED'), version: 2 });
    });

    it.each([
      ['a 32-byte Buffer', randomBytes(32)],
      ['64 hex characters', randomBytes(32).toString('hex')],
      ['base64', randomBytes(32).toString('base64')],
      ['base64url without padding', randomBytes(32).toString('base64url')],
    ])('accepts %s as key', async (_name, key) => {
      const s = store('tokens.json', key);
      await s.set('a', tokens(1), 0);
      expect((await s.get('a'))?.version).toBe(1);
    });

    it.each([
      ['a 31-byte Buffer', randomBytes(31)],
      ['a 33-byte Buffer', randomBytes(33)],
      ['63 hex characters', 'c'.repeat(63)],
      ['a passphrase', 'correct horse battery staple'],
      ['base64 of 16 bytes', randomBytes(16).toString('base64')],
      ['an empty string', ''],
      ['a number', 42 as unknown as string],
    ])('rejects %s as key with ActOnConfigurationError that does not print it', (_name, key) => {
      let thrown: unknown;
      try {
        new FileTokenStore({ path: path.join(dir, 'tokens.json'), encryptionKey: key });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ActOnConfigurationError);
      expect((thrown as ActOnConfigurationError).option).toBe('encryptionKey');
      const shown = Buffer.isBuffer(key) ? key.toString('hex') : String(key);
      if (shown.length > 2) expect((thrown as Error).message).not.toContain(shown);
    });
  });

  describe('corrupt files', () => {
    it.each([
      ['not JSON', '{"format":1,"accounts":{"a":{"version":1,"tokens":{"accessToken":"LEAKY'],
      ['empty', ''],
      ['a JSON array', '[]'],
      ['a wrong format', '{"format":"one","accounts":{}}'],
      ['a bad version', '{"format":1,"accounts":{"a":{"version":0,"tokens":{}}}}'],
      ['a bad token set', '{"format":1,"accounts":{"a":{"version":1,"tokens":{"accessToken":"LEAKY"}}}}'],
      ['a bad ledger', '{"format":1,"accounts":{},"budgets":{"a":["yesterday"]}}'],
    ])(
      'refuses a file that is %s with an ActOnStoreError naming the path, and never overwrites it',
      async (_n, text) => {
        const s = store();
        await writeFile(s.path, text);
        for (const operation of [
          () => s.get('a'),
          () => s.set('a', tokens(1), 0),
          () => s.delete('a'),
          () => s.reserveAuthAttempt('a', 5, 1_000, 1),
        ]) {
          const attempt = operation();
          await expect(attempt).rejects.toBeInstanceOf(ActOnStoreError);
          await expect(attempt).rejects.toThrow(s.path);
          await expect(attempt).rejects.not.toThrow(/LEAKY/);
        }
        expect(await readFile(s.path, 'utf8')).toBe(text);
      },
    );

    it('refuses a file of a newer format instead of rewriting it', async () => {
      const s = store();
      const text = '{"format":2,"accounts":{},"more":[]}';
      await writeFile(s.path, text);
      await expect(s.set('a', tokens(1), 0)).rejects.toThrow(/format 2/);
      expect(await readFile(s.path, 'utf8')).toBe(text);
    });

    it('does not attach a cause that could quote the file', async () => {
      const s = store();
      await writeFile(s.path, '{"accessToken":"LEAKY"');
      const error = await s.get('a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ActOnStoreError);
      expect((error as Error).cause).toBeUndefined();
    });
  });

  describe('watch', () => {
    function nextCall(calls: string[], timeoutMs = 3_000): Promise<void> {
      const start = calls.length;
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = (): void => {
          if (calls.length > start) resolve();
          else if (Date.now() > deadline) reject(new Error('listener was not called'));
          else setTimeout(poll, 5);
        };
        poll();
      });
    }

    it('reports writes and deletes by another instance, not its own, and stops after unsubscribe', async () => {
      const watching = store();
      const other = store();
      await other.set('a', tokens(1), 0);
      const calls: string[] = [];
      const unsubscribe = watching.watch((account) => calls.push(account));

      let next = nextCall(calls);
      await other.set('a', tokens(2), 1);
      await next;
      expect(calls).toEqual(['a']);

      next = nextCall(calls);
      await other.set('b', tokens(1), 0);
      await next;
      expect(calls).toEqual(['a', 'b']);

      await watching.set('a', tokens(3), 2);
      await watching.reserveAuthAttempt('a', 5, 1000, 1);
      await sleep(300);
      expect(calls).toEqual(['a', 'b']);

      next = nextCall(calls);
      await other.delete('b');
      await next;
      expect(calls).toEqual(['a', 'b', 'b']);

      unsubscribe();
      await other.set('a', tokens(4), 3);
      await sleep(300);
      expect(calls).toEqual(['a', 'b', 'b']);
    });

    it('works when the directory does not exist yet, and survives a throwing listener', async () => {
      const watching = store(path.join('later', 'tokens.json'));
      const calls: string[] = [];
      watching.watch(() => {
        throw new Error('listener bug');
      });
      watching.watch((account) => calls.push(account));
      const next = nextCall(calls);
      await store(path.join('later', 'tokens.json')).set('x', tokens(1), 0);
      await next;
      expect(calls).toEqual(['x']);
    });

    it('stops on close()', async () => {
      const watching = store();
      const calls: string[] = [];
      watching.watch((account) => calls.push(account));
      await watching.close();
      await store().set('a', tokens(1), 0);
      await sleep(300);
      expect(calls).toEqual([]);
    });
  });

  describe('withLock file layout', () => {
    it('holds one lock file per account next to the token file, naming neither account nor secret', async () => {
      const s = store();
      const contents = await s.withLock('alice', { leaseMs: 5_000, waitTimeoutMs: 1_000 }, async () =>
        s.withLock('bob', { leaseMs: 5_000, waitTimeoutMs: 1_000 }, async () => {
          const names = (await readdir(dir)).filter((name) =>
            /^tokens\.json\.[0-9a-f]{16}\.lock$/.test(name),
          );
          return Promise.all(names.map((name) => readFile(path.join(dir, name), 'utf8')));
        }),
      );
      expect(contents).toHaveLength(2);
      for (const text of contents) {
        expect(JSON.parse(text)).toEqual({
          pid: process.pid,
          hostname: expect.any(String),
          token: expect.stringMatching(/^[0-9a-f]{32}$/),
          acquiredAt: expect.any(Number),
          leaseMs: 5_000,
        });
        expect(text).not.toMatch(/alice|bob/);
      }
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
