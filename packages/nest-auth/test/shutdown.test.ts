import { Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { ActOnAuthModule, ActOnTokenService } from '@acton/nest-auth';
import { emulatorFactory, emulatorOptions, HOUR_MS, tempDirs } from './helpers/fixtures';
import { connectRedisAdmin, deleteKeysUnder, REDIS_URL, uniqueRedisPrefix } from './helpers/redis';

/** Calls Act-On while the app shuts down, from a module that does not import ActOnAuthModule. */
@Injectable()
class LastWords implements OnModuleDestroy {
  token: string | undefined;
  constructor(@Inject(ActOnTokenService) private readonly acton: ActOnTokenService) {}

  async onModuleDestroy(): Promise<void> {
    this.token = await this.acton.getAccessToken();
  }
}

@Module({ providers: [LastWords] })
class LastWordsModule {}

describe('shutdown', () => {
  const startEmulator = emulatorFactory();
  const tempDir = tempDirs();
  let admin: Redis | undefined;
  const prefixes: string[] = [];
  afterEach(async () => {
    if (admin === undefined) return;
    for (const prefix of prefixes.splice(0)) await deleteKeysUnder(admin, prefix);
    admin.disconnect();
    admin = undefined;
  });

  it('app.close() closes the manager and the store it built; every onModuleDestroy can still call Act-On', async () => {
    const emulator = await startEmulator();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ActOnAuthModule.forRoot({
          ...emulatorOptions(emulator, {
            store: 'file',
            tokenFile: `${await tempDir()}/tokens.json`,
            backgroundRefresh: true,
            warmUp: true,
          }),
          isGlobal: true,
        }),
        LastWordsModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const service = app.get(ActOnTokenService);
    const store = service.store;
    emulator.clock.advance(HOUR_MS);

    await app.close();

    // Refreshed during another module's onModuleDestroy, before the service closed.
    expect(app.get(LastWords).token).toEqual(expect.any(String));
    expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 1 });
    await expect(service.getAccessToken()).rejects.toThrow(/closed/);
    await expect(store.get('demo@example.com')).rejects.toThrow(/closed/);
    // Idempotent.
    await expect(service.beforeApplicationShutdown()).resolves.toBeUndefined();
  });

  it('the redis store is closed with the app; the data stays in Redis for the next boot', async () => {
    admin = await connectRedisAdmin();
    const prefix = uniqueRedisPrefix('shutdown');
    prefixes.push(prefix);
    const emulator = await startEmulator();
    const options = emulatorOptions(emulator, {
      store: 'redis',
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
      warmUp: true,
    });

    const first = await Test.createTestingModule({ imports: [ActOnAuthModule.forRoot(options)] }).compile();
    await first.init();
    const store = first.get(ActOnTokenService).store;
    await first.close();
    await expect(store.get('demo@example.com')).rejects.toThrow(/closed/);

    const second = await Test.createTestingModule({ imports: [ActOnAuthModule.forRoot(options)] }).compile();
    await second.init();
    await second.close();
    // The second boot reused the pair the first one stored: one login in all.
    expect(emulator.stats().grants.password).toBe(1);
  });
});
