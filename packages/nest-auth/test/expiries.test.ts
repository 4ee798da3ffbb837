import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { ActOnEmulator } from '@acton/emulator';
import {
  ActOnReauthorizationRequiredError,
  type ActOnCredentials,
  type TokensEvent,
} from '@acton/oauth-client';
import { ActOnAuthModule, ActOnTokenService, type ActOnAuthModuleOptions } from '@acton/nest-auth';
import { AccountController, emulatorFactory, emulatorOptions, HOUR_MS } from './helpers/fixtures';

describe('ActOnTokenService against the emulator', () => {
  const startEmulator = emulatorFactory();
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(
    emulator: ActOnEmulator,
    options: ActOnAuthModuleOptions = {},
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [ActOnAuthModule.forRoot(emulatorOptions(emulator, options))],
      controllers: [AccountController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('a controller calls the account endpoint across 6 token expiries: one login, 6 rotations, zero reuse', async () => {
    const emulator = await startEmulator();
    const nest = await start(emulator);
    const service = nest.get(ActOnTokenService);
    const tokens: string[] = [];
    const rotations: TokensEvent[] = [];
    service.on('tokens', (event) => rotations.push(event));

    for (let hour = 0; hour <= 6; hour++) {
      if (hour > 0) emulator.clock.advance(HOUR_MS);
      // Several requests per hour: only the first after an expiry may rotate.
      for (let call = 0; call < 3; call++) {
        const response = await request(nest.getHttpServer()).get('/acton/account').expect(200);
        expect(response.body).toMatchObject({ status: 200, body: { user_email: expect.any(String) } });
      }
      tokens.push(await service.getAccessToken());
    }

    expect(new Set(tokens).size).toBe(7);
    const stats = emulator.stats();
    expect(stats.grants).toEqual({ password: 1, authorization_code: 0, refresh_token: 6 });
    expect(stats.reuseAttempts).toBe(0);
    expect(stats.supersededAttempts).toBe(0);
    expect(stats.unauthorizedApiRequests).toBe(0);
    expect(stats.accountRequests).toBe(21);
    expect(rotations.map((event) => event.source)).toEqual(['password', ...Array(6).fill('refresh_token')]);
  });

  it('concurrent requests at an expiry share one refresh', async () => {
    const emulator = await startEmulator();
    const nest = await start(emulator);
    await request(nest.getHttpServer()).get('/acton/account').expect(200);
    emulator.clock.advance(HOUR_MS);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => request(nest.getHttpServer()).get('/acton/account')),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(emulator.stats().grants.refresh_token).toBe(1);
    expect(emulator.stats().reuseAttempts).toBe(0);
  });

  it('serves any account key; the configured username stays the default account', async () => {
    const users = [
      { username: 'main@example.com', password: 'main-password' },
      { username: '1234_agency@example.com', password: 'agency-password' },
      { username: 'other@example.com', password: 'other-password' },
    ];
    const emulator = await startEmulator({ users });
    const passwords = new Map(users.map((user) => [user.username, user.password]));
    const asked: string[] = [];
    const nest = await start(emulator, {
      username: users[0].username,
      password: users[0].password,
      // The account key is the username here; the function is asked about every account but the default one.
      credentials: (account: string): ActOnCredentials | undefined => {
        asked.push(account);
        const password = passwords.get(account);
        return password === undefined ? undefined : { username: account, password };
      },
      accounts: users.map((user) => user.username),
    });
    const service = nest.get(ActOnTokenService);
    expect(service.defaultAccount).toBe(users[0].username);

    for (let hour = 0; hour < 3; hour++) {
      if (hour > 0) emulator.clock.advance(HOUR_MS);
      for (const user of users) {
        const query = user === users[0] ? '' : `?account=${encodeURIComponent(user.username)}`;
        const response = await request(nest.getHttpServer()).get(`/acton/account${query}`).expect(200);
        expect(response.body.body.login).toBe(
          emulator.options.users.find((u) => u.username === user.username)?.account.login,
        );
      }
    }
    const stats = emulator.stats();
    for (const user of users) {
      expect(stats.perUser[user.username]).toMatchObject({ passwordGrants: 1, refreshGrants: 2 });
    }
    expect(stats.reuseAttempts).toBe(0);
    expect(asked).not.toContain(users[0].username);

    // An account nobody can log in to: the service says so instead of guessing.
    await expect(service.getAccessToken('unknown-account')).rejects.toBeInstanceOf(
      ActOnReauthorizationRequiredError,
    );
  });

  it('exposes the manager: login, refresh, getTokenSet, saveTokens, forget and events', async () => {
    const emulator = await startEmulator({
      users: [
        { username: 'acme@example.com', password: 'acme-password' },
        { username: 'partner@example.com', password: 'partner-password' },
      ],
    });
    const nest = await start(emulator, { username: undefined, password: undefined, defaultAccount: 'acme' });
    const service = nest.get(ActOnTokenService);
    const events: string[] = [];
    service.on('login', (event) => events.push(`login:${event.account}`));
    service.on('refresh', (event) => events.push(`refresh:${event.account}`));
    const reauthorize = jest.fn();
    service.once('reauthorize', reauthorize);

    // No credentials configured: the default account needs a human (or a hand-over).
    await expect(service.getAccessToken()).rejects.toBeInstanceOf(ActOnReauthorizationRequiredError);
    expect(reauthorize).toHaveBeenCalledWith(expect.objectContaining({ account: 'acme' }));

    const user = emulator.options.users[0];
    const first = await service.login({ username: user.username, password: user.password });
    expect(await service.getAccessToken('acme')).toBe(first.accessToken);
    const rotated = await service.refresh('acme');
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect((await service.getTokenSet('acme'))?.accessToken).toBe(rotated.accessToken);

    // Hand a pair over to another account key, as passport-acton does after a code grant. (Another Act-On
    // user: a new pair for acme's username would kill acme's pair, as Act-On does.)
    const handedOver = emulator.issueTokens(emulator.options.users[1].username);
    await service.saveTokens('handed-over', {
      accessToken: handedOver.access_token,
      refreshToken: handedOver.refresh_token,
      tokenType: handedOver.token_type,
      expiresAt: emulator.clock.now() + handedOver.expires_in * 1000,
      obtainedAt: emulator.clock.now(),
    });
    const response = await service.fetch('/api/1/account', {}, { account: 'handed-over' });
    expect(response.status).toBe(200);
    await response.body?.cancel();

    await service.forget('handed-over');
    expect(await service.getTokenSet('handed-over')).toBeUndefined();
    expect(events).toEqual(['login:acme', 'refresh:acme']);
    expect(emulator.stats().reuseAttempts).toBe(0);

    const listener = jest.fn();
    service.on('refresh', listener);
    service.off('refresh', listener);
    await service.refresh('acme');
    expect(listener).not.toHaveBeenCalled();
  });
});
