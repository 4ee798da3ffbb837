import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Redis } from 'ioredis';
import type { ActOnEmulator } from '@acton/emulator';
import { FileTokenStore, MemoryTokenStore, RedisTokenStore } from '@acton/oauth-client';
import { ActOnAuthModule, ActOnTokenService, type ActOnAuthModuleOptions } from '@acton/nest-auth';
import {
  AccountController,
  emulatorFactory,
  emulatorOptions,
  HOUR_MS,
  randomKey,
  tempDirs,
} from './helpers/fixtures';
import { connectRedisAdmin, deleteKeysUnder, keysUnder, REDIS_URL, uniqueRedisPrefix } from './helpers/redis';

describe('token store options', () => {
  const startEmulator = emulatorFactory();
  const tempDir = tempDirs();
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(emulator: ActOnEmulator, options: ActOnAuthModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [ActOnAuthModule.forRoot(emulatorOptions(emulator, options))],
      controllers: [AccountController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function callAccount(app: INestApplication): Promise<void> {
    const response = await request(app.getHttpServer()).get('/acton/account').expect(200);
    expect(response.body.status).toBe(200);
  }

  describe('memory', () => {
    it('keeps pairs in a MemoryTokenStore that a new app does not see', async () => {
      const emulator = await startEmulator();
      const first = await start(emulator, { store: 'memory' });
      expect(first.get(ActOnTokenService).store).toBeInstanceOf(MemoryTokenStore);
      await callAccount(first);
      const second = await start(emulator, { store: 'memory' });
      expect(await second.get(ActOnTokenService).getTokenSet()).toBeUndefined();
    });
  });

  describe('file', () => {
    it('writes the token file with mode 0600 at the configured path', async () => {
      const emulator = await startEmulator();
      const path = join(await tempDir(), 'nested', 'tokens.json');
      const app = await start(emulator, { store: 'file', tokenFile: path });
      expect(app.get(ActOnTokenService).store).toBeInstanceOf(FileTokenStore);
      await callAccount(app);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const tokens = await app.get(ActOnTokenService).getTokenSet();
      expect(await readFile(path, 'utf8')).toContain(tokens?.refreshToken);
    });

    it('is the default store; ACTON_TOKEN_FILE and ACTON_ENCRYPTION_KEY encrypt it at rest', async () => {
      const emulator = await startEmulator();
      const path = join(await tempDir(), 'tokens.json');
      const app = await start(emulator, {
        store: undefined,
        env: { ACTON_TOKEN_FILE: path, ACTON_ENCRYPTION_KEY: randomKey() },
      });
      await callAccount(app);
      const tokens = await app.get(ActOnTokenService).getTokenSet();
      const content = await readFile(path, 'utf8');
      expect(JSON.parse(content)).toMatchObject({ alg: 'A256GCM' });
      expect(content).not.toContain(tokens?.accessToken);
      expect(content).not.toContain(tokens?.refreshToken);
    });

    it('warm-up: the first boot logs in, a restart reuses the stored pair, a late restart refreshes it', async () => {
      const emulator = await startEmulator();
      const options: ActOnAuthModuleOptions = {
        store: 'file',
        tokenFile: join(await tempDir(), 't.json'),
        warmUp: true,
      };

      const first = await start(emulator, options);
      // Warmed up before any request.
      expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 0 });
      await first.close();

      const second = await start(emulator, options);
      await callAccount(second);
      expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 0 });
      await second.close();

      emulator.clock.advance(2 * HOUR_MS);
      const third = await start(emulator, options);
      expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 1 });
      await callAccount(third);
      expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 1 });
      expect(emulator.stats().reuseAttempts).toBe(0);
    });
  });

  describe('redis (real Redis)', () => {
    let admin: Redis | undefined;
    let prefix: string;
    beforeEach(async () => {
      // Fails the test (never skips) when Redis is unreachable.
      admin = await connectRedisAdmin();
      prefix = uniqueRedisPrefix('store');
    });
    afterEach(async () => {
      if (admin === undefined) return;
      await deleteKeysUnder(admin, prefix);
      admin.disconnect();
      admin = undefined;
    });

    it('two apps sharing one Redis store rotate one pair across expiries with zero reuse', async () => {
      const emulator = await startEmulator();
      const options: ActOnAuthModuleOptions = { store: 'redis', redisUrl: REDIS_URL, redisPrefix: prefix };
      const first = await start(emulator, options);
      const second = await start(emulator, options);
      expect(first.get(ActOnTokenService).store).toBeInstanceOf(RedisTokenStore);

      for (let hour = 0; hour < 4; hour++) {
        if (hour > 0) emulator.clock.advance(HOUR_MS);
        await callAccount(first);
        await callAccount(second);
      }
      const stats = emulator.stats();
      expect(stats.grants).toMatchObject({ password: 1, refresh_token: 3 });
      expect(stats.reuseAttempts).toBe(0);
      expect(stats.supersededAttempts).toBe(0);
      const account = emulator.options.users[0].username;
      expect(await keysUnder(admin!, prefix)).toContain(`tokens:{${account}}`);
    });

    it('ACTON_TOKEN_STORE=redis with ACTON_REDIS_URL and ACTON_ENCRYPTION_KEY', async () => {
      const emulator = await startEmulator();
      const app = await start(emulator, {
        store: undefined,
        redisPrefix: prefix,
        env: { ACTON_TOKEN_STORE: 'Redis', ACTON_REDIS_URL: REDIS_URL, ACTON_ENCRYPTION_KEY: randomKey() },
      });
      await callAccount(app);
      const account = emulator.options.users[0].username;
      const tokens = await app.get(ActOnTokenService).getTokenSet();
      const stored = await admin!.hget(`${prefix}tokens:{${account}}`, 'tokens');
      expect(stored).toEqual(expect.any(String));
      expect(stored).not.toContain(tokens?.accessToken);
      expect(stored).not.toContain(tokens?.refreshToken);
    });
  });

  describe('a TokenStore instance', () => {
    it('is used as given and left open for its owner', async () => {
      const emulator = await startEmulator();
      const store = new MemoryTokenStore();
      const app = await start(emulator, { store });
      expect(app.get(ActOnTokenService).store).toBe(store);
      await callAccount(app);
      await app.close();
      apps.splice(apps.indexOf(app), 1);
      // Still open: the app that owns it decides when to close it.
      expect((await store.get(emulator.options.users[0].username))?.version).toBe(1);
      await store.close();
    });
  });
});
