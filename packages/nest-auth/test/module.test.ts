import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { ActOnEmulator } from '@acton/emulator';
import { ActOnTokenManager } from '@acton/oauth-client';
import {
  ACTON_TOKEN_MANAGER,
  ActOnAuthModule,
  ActOnTokenService,
  type ActOnAuthModuleOptions,
  type ActOnAuthOptionsFactory,
} from '@acton/nest-auth';
import {
  AccountController,
  emulatorEnv,
  emulatorFactory,
  emulatorOptions,
  tempDirs,
  withEnv,
} from './helpers/fixtures';

/** Injects the service from a module that does NOT import ActOnAuthModule: resolvable only if it is global. */
@Injectable()
class FeatureConsumer {
  constructor(@Inject(ActOnTokenService) readonly acton: ActOnTokenService) {}
}

@Module({ providers: [FeatureConsumer], exports: [FeatureConsumer] })
class FeatureModule {}

/** Where a `useClass`/`useExisting` factory finds the emulator: a provider of an imported module. */
const EMULATOR = 'EMULATOR';
let currentEmulator: ActOnEmulator | undefined;

@Module({ providers: [{ provide: EMULATOR, useFactory: () => currentEmulator }], exports: [EMULATOR] })
class EmulatorModule {}

@Injectable()
class ActOnConfig implements ActOnAuthOptionsFactory {
  constructor(@Inject(EMULATOR) private readonly emulator: ActOnEmulator) {}

  createActOnAuthOptions(): ActOnAuthModuleOptions {
    return emulatorOptions(this.emulator);
  }
}

@Module({ imports: [EmulatorModule], providers: [ActOnConfig], exports: [ActOnConfig] })
class ActOnConfigModule {}

describe('ActOnAuthModule registration', () => {
  const startEmulator = emulatorFactory();
  const setEnv = withEnv();
  const tempDir = tempDirs();
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    currentEmulator = undefined;
  });

  async function appWith(imports: Array<ReturnType<typeof ActOnAuthModule.forRoot> | typeof FeatureModule>) {
    const moduleRef = await Test.createTestingModule({ imports, controllers: [AccountController] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  async function expectAccountCall(app: INestApplication, emulator: ActOnEmulator): Promise<void> {
    const response = await request(app.getHttpServer()).get('/acton/account').expect(200);
    expect(response.body.status).toBe(200);
    expect(response.body.body.account_id).toBe(emulator.options.users[0].account.account_id);
  }

  it('forRoot with explicit options: the configured username is the default account', async () => {
    const emulator = await startEmulator();
    const app = await appWith([ActOnAuthModule.forRoot(emulatorOptions(emulator))]);
    await expectAccountCall(app, emulator);
    const service = app.get(ActOnTokenService);
    expect(service.defaultAccount).toBe(emulator.options.users[0].username);
    expect(service.accounts).toEqual([emulator.options.users[0].username]);
    expect(await service.getTokenSet(emulator.options.users[0].username)).toBeDefined();
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('forRoot() without arguments reads every ACTON_* variable', async () => {
    const emulator = await startEmulator();
    const dir = await tempDir();
    setEnv({ ...emulatorEnv(emulator), ACTON_TOKEN_STORE: 'file', ACTON_TOKEN_FILE: `${dir}/tokens.json` });
    const app = await appWith([ActOnAuthModule.forRoot()]);
    await expectAccountCall(app, emulator);
    const manager = app.get<ActOnTokenManager>(ACTON_TOKEN_MANAGER);
    expect(manager).toBeInstanceOf(ActOnTokenManager);
    expect(manager.baseUrl).toBe(emulator.url);
    expect(manager.defaultAccount).toBe(emulator.options.users[0].username);
    expect((manager.store as { path?: string }).path).toBe(`${dir}/tokens.json`);
  });

  it('explicit options win over the environment, which fills in the rest', async () => {
    const emulator = await startEmulator();
    // A wrong base URL and store in the environment must not matter when the options say otherwise.
    setEnv({ ...emulatorEnv(emulator), ACTON_BASE_URL: 'http://127.0.0.1:9', ACTON_TOKEN_STORE: 'redis' });
    const app = await appWith([
      ActOnAuthModule.forRoot({ baseUrl: emulator.url, store: 'memory', now: () => emulator.clock.now() }),
    ]);
    await expectAccountCall(app, emulator);
  });

  it('forRootAsync with ConfigModule/ConfigService through useFactory', async () => {
    const emulator = await startEmulator();
    const app = await appWith([
      ActOnAuthModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({
            ignoreEnvFile: true,
            load: [() => ({ acton: { ...emulatorEnv(emulator) } })],
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService): ActOnAuthModuleOptions => ({
          clientId: config.getOrThrow<string>('acton.ACTON_CLIENT_ID'),
          clientSecret: config.getOrThrow<string>('acton.ACTON_CLIENT_SECRET'),
          username: config.getOrThrow<string>('acton.ACTON_USERNAME'),
          password: config.getOrThrow<string>('acton.ACTON_PASSWORD'),
          baseUrl: config.getOrThrow<string>('acton.ACTON_BASE_URL'),
          store: 'memory',
          env: false,
        }),
      }),
    ]);
    await expectAccountCall(app, emulator);
  });

  it('forRootAsync with useClass (the class injects from the imported modules)', async () => {
    currentEmulator = await startEmulator();
    const app = await appWith([
      ActOnAuthModule.forRootAsync({ imports: [EmulatorModule], useClass: ActOnConfig }),
    ]);
    await expectAccountCall(app, currentEmulator);
  });

  it('forRootAsync with useExisting', async () => {
    currentEmulator = await startEmulator();
    const app = await appWith([
      ActOnAuthModule.forRootAsync({ imports: [ActOnConfigModule], useExisting: ActOnConfig }),
    ]);
    await expectAccountCall(app, currentEmulator);
  });

  it('isGlobal through forRootAsync: a module that does not import ActOnAuthModule gets the service', async () => {
    const emulator = await startEmulator();
    const app = await appWith([
      ActOnAuthModule.forRootAsync({ isGlobal: true, useFactory: () => emulatorOptions(emulator) }),
      FeatureModule,
    ]);
    const consumer = app.get(FeatureConsumer);
    expect(consumer.acton).toBe(app.get(ActOnTokenService));
    const response = await consumer.acton.fetch('/api/1/account');
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('isGlobal through forRoot', async () => {
    const emulator = await startEmulator();
    const app = await appWith([
      ActOnAuthModule.forRoot({ ...emulatorOptions(emulator), isGlobal: true }),
      FeatureModule,
    ]);
    expect(app.get(FeatureConsumer).acton).toBe(app.get(ActOnTokenService));
  });

  it('without isGlobal the service stays private to importers (sync and async)', async () => {
    const emulator = await startEmulator();
    await expect(
      Test.createTestingModule({
        imports: [
          ActOnAuthModule.forRootAsync({ useFactory: () => emulatorOptions(emulator) }),
          FeatureModule,
        ],
      }).compile(),
    ).rejects.toThrow(/FeatureConsumer/);
    await expect(
      Test.createTestingModule({
        imports: [ActOnAuthModule.forRoot({ ...emulatorOptions(emulator), isGlobal: false }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/FeatureConsumer/);
    expect(ActOnAuthModule.forRootAsync({ useFactory: () => ({}) }).global).toBe(false);
    expect(ActOnAuthModule.forRootAsync({ isGlobal: true, useFactory: () => ({}) }).global).toBe(true);
  });

  it('two registrations in two apps keep separate managers', async () => {
    const emulator = await startEmulator();
    const first = await appWith([ActOnAuthModule.forRoot(emulatorOptions(emulator))]);
    const second = await appWith([ActOnAuthModule.forRoot(emulatorOptions(emulator))]);
    expect(first.get(ActOnTokenService).manager).not.toBe(second.get(ActOnTokenService).manager);
  });
});
