import { Controller, Get, Inject, Query, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { ActOnEmulator } from '@acton/emulator';
import { ActOnStoreError, MemoryTokenStore, type StoredTokenSet } from '@acton/oauth-client';
import {
  ActOnAuthModule,
  ActOnHealthIndicator,
  ActOnTokenService,
  type ActOnAccountHealth,
  type ActOnAuthModuleOptions,
} from '@acton/nest-auth';
import { emulatorFactory, emulatorOptions, HOUR_MS } from './helpers/fixtures';

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(ActOnHealthIndicator) private readonly acton: ActOnHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(@Query('ensure') ensure?: string): Promise<HealthCheckResult> {
    return this.health.check([() => this.acton.isHealthy('acton', { ensureToken: ensure === '1' })]);
  }
}

const DAY_MS = 24 * HOUR_MS;

/** A store whose reads fail, as a Redis or a disk that is gone would. */
class UnreadableStore extends MemoryTokenStore {
  override async get(): Promise<StoredTokenSet | undefined> {
    throw new ActOnStoreError('the disk is on fire');
  }
}

describe('ActOnHealthIndicator with @nestjs/terminus', () => {
  const startEmulator = emulatorFactory();
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: ActOnAuthModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false }), ActOnAuthModule.forRoot(options)],
      controllers: [HealthController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  async function health(
    nest: INestApplication,
    expectedStatus: number,
    query = '',
  ): Promise<{ status: string; accounts: Record<string, ActOnAccountHealth>; raw: string }> {
    const response = await request(nest.getHttpServer()).get(`/health${query}`).expect(expectedStatus);
    return { ...response.body.details.acton, raw: response.text };
  }

  it('follows the default account from missing to valid, refreshable and stale, never showing a token', async () => {
    const emulator: ActOnEmulator = await startEmulator();
    const nest = await start(emulatorOptions(emulator));
    const account = emulator.options.users[0].username;

    const missing = await health(nest, 503);
    expect(missing).toMatchObject({
      status: 'down',
      accounts: { [account]: { state: 'missing', usable: false } },
    });
    // A passive probe never logs in.
    expect(emulator.stats().grants.password).toBe(0);

    const service = nest.get(ActOnTokenService);
    await service.getAccessToken();
    const tokens = await service.getTokenSet();
    const valid = await health(nest, 200);
    expect(valid).toMatchObject({
      status: 'up',
      accounts: {
        [account]: { state: 'valid', usable: true, expiresAt: new Date(tokens!.expiresAt).toISOString() },
      },
    });
    expect(valid.raw).not.toContain(tokens!.accessToken);
    expect(valid.raw).not.toContain(tokens!.refreshToken);

    emulator.clock.advance(HOUR_MS + 1);
    expect((await health(nest, 200)).accounts[account].state).toBe('refreshable');

    emulator.clock.advance(31 * DAY_MS);
    expect((await health(nest, 503)).accounts[account]).toMatchObject({ state: 'stale', usable: false });
    expect(emulator.stats().grants).toMatchObject({ password: 1, refresh_token: 0 });
  });

  it('ensureToken obtains a token (one login) and then reports it valid', async () => {
    const emulator = await startEmulator();
    const nest = await start(emulatorOptions(emulator));
    const result = await health(nest, 200, '?ensure=1');
    expect(result.accounts[emulator.options.users[0].username].state).toBe('valid');
    await health(nest, 200, '?ensure=1');
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('reports every configured account; one that needs reauthorization makes the check fail', async () => {
    const emulator = await startEmulator();
    const nest = await start(emulatorOptions(emulator, { accounts: ['demo@example.com', 'partner'] }));
    await nest.get(ActOnTokenService).getAccessToken();
    await expect(nest.get(ActOnTokenService).getAccessToken('partner')).rejects.toThrow(/authorized again/);
    const result = await health(nest, 503);
    expect(result.accounts['demo@example.com'].state).toBe('valid');
    expect(result.accounts.partner).toMatchObject({ state: 'reauthorization_required', usable: false });
    expect(result.accounts.partner.reason).toMatch(/no credentials/);
  });

  it('a store that cannot be read is reported as an error, not thrown', async () => {
    const emulator = await startEmulator();
    const nest = await start(emulatorOptions(emulator, { store: new UnreadableStore() }));
    const result = await health(nest, 503);
    expect(result.accounts['demo@example.com']).toMatchObject({ state: 'error', usable: false });
    expect(result.accounts['demo@example.com'].reason).toBe('the disk is on fire [store]');
  });

  it('works without terminus: the result is a plain object with the key asked for', async () => {
    const emulator = await startEmulator();
    const moduleRef = await Test.createTestingModule({
      imports: [ActOnAuthModule.forRoot(emulatorOptions(emulator))],
    }).compile();
    try {
      const indicator = moduleRef.get(ActOnHealthIndicator);
      await moduleRef.get(ActOnTokenService).getAccessToken();
      const result = await indicator.isHealthy('act-on');
      expect(result).toEqual({
        'act-on': {
          status: 'up',
          accounts: { 'demo@example.com': { state: 'valid', usable: true, expiresAt: expect.any(String) } },
        },
      });
    } finally {
      await moduleRef.close();
    }
  });
});
