import { EMULATOR_DEFAULTS, type ActOnEmulator, type EmulatorAccountInfo } from '@acton/emulator';
import {
  ActOnAuthBudgetError,
  ActOnReauthorizationRequiredError,
  ActOnTokenEndpointError,
  ActOnTokenManager,
  FileTokenStore,
  MemoryTokenStore,
  type ReauthorizeEvent,
  type TokensEvent,
} from '../src';
import { HOUR_MS, makeTempDir, managerFor, startEmulator } from './helpers/emulator-fixture';

describe('ActOnTokenManager against the emulator', () => {
  let emulator: ActOnEmulator;
  const managers: ActOnTokenManager[] = [];
  const track = (manager: ActOnTokenManager) => {
    managers.push(manager);
    return manager;
  };

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });

  it('logs in once by itself and then serves the token from memory', async () => {
    const manager = track(managerFor(emulator));
    const first = await manager.getAccessToken();
    const again = await Promise.all(Array.from({ length: 100 }, () => manager.getAccessToken()));
    expect(new Set(again)).toEqual(new Set([first]));
    expect(emulator.stats().grants).toEqual({ password: 1, authorization_code: 0, refresh_token: 0 });
  });

  it('1,000 concurrent getAccessToken() calls at expiry send exactly one refresh and all succeed', async () => {
    const manager = track(managerFor(emulator));
    const before = await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => manager.getAccessToken()));
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(0);
    const tokens = new Set(results.map((result) => (result as PromiseFulfilledResult<string>).value));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    expect(emulator.stats().grants.refresh_token).toBe(1);
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('100 consecutive expiries rotate 100 times with zero reuse and a working token each time', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    for (let expiry = 0; expiry < 100; expiry++) {
      emulator.clock.advance(HOUR_MS);
      const response = await manager.fetch('/api/1/account');
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const stats = emulator.stats();
    expect(stats.grants.refresh_token).toBe(100);
    expect(stats.reuseAttempts).toBe(0);
    expect(stats.supersededAttempts).toBe(0);
    expect(stats.grants.password).toBe(1);
  });

  it('refreshes proactively refreshSkewMs before expiry', async () => {
    const manager = track(managerFor(emulator, { refreshSkewMs: 5 * 60_000 }));
    const first = await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS - 6 * 60_000);
    expect(await manager.getAccessToken()).toBe(first);
    emulator.clock.advance(2 * 60_000);
    expect(await manager.getAccessToken()).not.toBe(first);
    expect(emulator.stats().grants.refresh_token).toBe(1);
  });

  it('recovers from the store when another process rotated behind its back, without a password grant', async () => {
    const temp = await makeTempDir();
    try {
      const path = `${temp.dir}/tokens.json`;
      const ours = track(managerFor(emulator, { store: new FileTokenStore({ path }) }));
      const theirs = track(
        managerFor(emulator, { store: new FileTokenStore({ path }), credentials: undefined }),
      );
      await ours.getAccessToken();
      await theirs.refresh();
      // By default the emulator kills older access tokens too: our cached token now earns a 401.
      const response = await ours.fetch('/api/1/account');
      expect(response.status).toBe(200);
      await response.body?.cancel();
      const stats = emulator.stats();
      expect(stats.grants.password).toBe(1);
      expect(stats.grants.refresh_token).toBe(1);
      expect(stats.reuseAttempts + stats.supersededAttempts).toBe(0);
    } finally {
      await temp.cleanup();
    }
  });

  it('a pair killed behind its back (a colleague logged in elsewhere) costs exactly one password grant', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.issueTokens(EMULATOR_DEFAULTS.username);
    emulator.clock.advance(HOUR_MS);
    const logins: string[] = [];
    manager.on('login', (event) => logins.push(event.reason));
    const token = await manager.getAccessToken();
    const response = await manager.fetch('/api/1/account');
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(token).toEqual(expect.any(String));
    expect(logins).toEqual(['refresh token rejected (invalid_grant)']);
    expect(emulator.stats().grants.password).toBe(2);
    expect(emulator.stats().supersededAttempts).toBe(1);
  });

  it('without credentials a dead pair emits reauthorize and throws a typed error, then stops calling Act-On', async () => {
    const seed = track(managerFor(emulator));
    const store = new MemoryTokenStore();
    await seed.getAccessToken();
    const tokens = await seed.getTokenSet();
    const manager = track(managerFor(emulator, { store, credentials: undefined }));
    await manager.saveTokens('default', tokens!);
    emulator.issueTokens(EMULATOR_DEFAULTS.username);
    emulator.clock.advance(HOUR_MS);
    const events: ReauthorizeEvent[] = [];
    manager.on('reauthorize', (event) => events.push(event));
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(ActOnReauthorizationRequiredError);
    const requestsAfterFirstFailure = emulator.stats().tokenRequests;
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(ActOnReauthorizationRequiredError);
    expect(emulator.stats().tokenRequests).toBe(requestsAfterFirstFailure);
    expect(events.map((event) => event.account)).toEqual(['default', 'default']);
    expect(await store.get('default')).toBeUndefined();
  });

  it('refuses a login past the auth budget with retryAfterMs and without any request to Act-On', async () => {
    const store = new MemoryTokenStore();
    const manager = track(managerFor(emulator, { store, authBudget: { limit: 2, windowMs: HOUR_MS } }));
    await manager.login({ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password });
    await manager.login({ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password });
    const requests = emulator.stats().tokenRequests;
    const error = await manager
      .login({ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnAuthBudgetError);
    expect((error as ActOnAuthBudgetError).retryAfterMs).toBeGreaterThan(HOUR_MS - 60_000);
    expect((error as ActOnAuthBudgetError).retryAfterMs).toBeLessThanOrEqual(HOUR_MS);
    expect(emulator.stats().tokenRequests).toBe(requests);
    await manager.forget('default');
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(ActOnAuthBudgetError);
    expect(emulator.stats().tokenRequests).toBe(requests);
  });

  it('the default budget is 5 logins per hour, shared through the store by every manager on it', async () => {
    const store = new MemoryTokenStore();
    const a = track(managerFor(emulator, { store }));
    const b = track(managerFor(emulator, { store }));
    const creds = { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password };
    for (const manager of [a, b, a, b, a]) await manager.login(creds);
    await expect(b.login(creds)).rejects.toBeInstanceOf(ActOnAuthBudgetError);
    expect(emulator.stats().grants.password).toBe(5);
    expect(emulator.stats().budgetRejections).toBe(0);
  });

  it('a restart on the same FileTokenStore reuses the stored pair: zero password grants', async () => {
    const temp = await makeTempDir();
    try {
      const path = `${temp.dir}/tokens.json`;
      const first = managerFor(emulator, { store: new FileTokenStore({ path }) });
      const token = await first.getAccessToken();
      await first.close();
      const passwordGrants = emulator.stats().grants.password;
      for (let restart = 0; restart < 5; restart++) {
        const restarted = managerFor(emulator, { store: new FileTokenStore({ path }) });
        expect(await restarted.getAccessToken()).toBe(token);
        await restarted.close();
      }
      expect(emulator.stats().grants.password).toBe(passwordGrants);
    } finally {
      await temp.cleanup();
    }
  });

  it('retries transient refresh failures with backoff and never falls back to a password grant', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'error', status: 503, times: 2, grantType: 'refresh_token' });
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(emulator.stats().grants.password).toBe(1);
    expect(emulator.stats().reuseAttempts).toBe(0);

    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'error', status: 503, times: 10, grantType: 'refresh_token' });
    const error = await manager.getAccessToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnTokenEndpointError);
    expect((error as ActOnTokenEndpointError).status).toBe(503);
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('a 4xx on refresh is not retried', async () => {
    const manager = track(managerFor(emulator, { clientSecret: EMULATOR_DEFAULTS.clientSecret }));
    await manager.getAccessToken();
    const tokenSet = await manager.getTokenSet();
    const other = track(
      managerFor(emulator, {
        clientSecret: 'not-the-secret',
        credentials: undefined,
        store: new MemoryTokenStore(),
      }),
    );
    await other.saveTokens('default', tokenSet!);
    emulator.clock.advance(HOUR_MS);
    const before = emulator.stats().tokenRequests;
    await expect(other.getAccessToken()).rejects.toMatchObject({ status: 401, error: 'access_denied' });
    expect(emulator.stats().tokenRequests).toBe(before + 1);
  });

  it('a refresh lost on the wire after rotating ("rotate then drop") is resent once, then costs one password grant', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'refresh_token' });
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    const stats = emulator.stats();
    expect(stats.grants.refresh_token).toBe(2);
    expect(stats.reuseAttempts).toBe(1);
    expect(stats.grants.password).toBe(2);
  });

  it('a dropped refresh with no side effect is resent and succeeds without a login', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'drop', grantType: 'refresh_token' });
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(emulator.stats().grants.password).toBe(1);
    expect(emulator.stats().reuseAttempts).toBe(0);
  });

  it('serves the still-valid token when a proactive refresh fails transiently', async () => {
    const manager = track(managerFor(emulator, { refreshSkewMs: 10 * 60_000, retry: { maxAttempts: 1 } }));
    const token = await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS - 5 * 60_000);
    emulator.injectFault({ kind: 'error', status: 502, grantType: 'refresh_token' });
    expect(await manager.getAccessToken()).toBe(token);
  });

  it('fetch() refreshes once on a 401 and resends the same body, streams included', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.issueTokens(EMULATOR_DEFAULTS.username);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('payload'));
        controller.close();
      },
    });
    const response = await manager.fetch('/api/1/account', { method: 'GET', headers: { 'x-test': '1' } });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    // A stream body is buffered so a retry can send it again (the account endpoint ignores it).
    const second = await manager.fetch('api/1/account', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(second.status).not.toBe(401);
    await second.body?.cancel();
  });

  it('concurrent 401s on a token generation another process already replaced trigger no refresh at all', async () => {
    const store = new MemoryTokenStore();
    const ours = track(managerFor(emulator, { store }));
    const theirs = track(managerFor(emulator, { store }));
    await ours.getAccessToken();
    await theirs.refresh();
    const responses = await Promise.all(Array.from({ length: 20 }, () => ours.fetch('/api/1/account')));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    await Promise.all(responses.map((response) => response.body?.cancel()));
    expect(emulator.stats().grants.refresh_token).toBe(1);
    expect(emulator.stats().unauthorizedApiRequests).toBe(20);
  });

  it('concurrent 401s on the current generation share one refresh', async () => {
    // The manager keeps real time while Act-On's clock jumps: the token looks valid here and is dead there.
    const manager = track(managerFor(emulator, { now: Date.now }));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS + 1_000);
    const responses = await Promise.all(Array.from({ length: 20 }, () => manager.fetch('/api/1/account')));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    await Promise.all(responses.map((response) => response.body?.cancel()));
    expect(emulator.stats().unauthorizedApiRequests).toBe(20);
    expect(emulator.stats().grants.refresh_token).toBe(1);
    expect(emulator.stats().reuseAttempts).toBe(0);
  });

  it('fetch() never sends the bearer token to another origin', async () => {
    const manager = track(managerFor(emulator));
    await expect(manager.fetch('https://evil.example.com/api/1/account')).rejects.toMatchObject({
      code: 'configuration',
      option: 'url',
    });
    expect(emulator.stats().tokenRequests).toBe(0);
  });

  it('emits tokens and refresh events that carry no token', async () => {
    const manager = track(managerFor(emulator));
    const events: TokensEvent[] = [];
    manager.on('tokens', (event) => events.push(event));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    await manager.getAccessToken();
    const current = await manager.getTokenSet();
    expect(events.map((event) => event.source)).toEqual(['password', 'refresh_token']);
    const printed = JSON.stringify(events);
    expect(printed).not.toContain(current!.accessToken);
    expect(printed).not.toContain(current!.refreshToken);
  });

  it('serves several accounts through a credentials function', async () => {
    const emulatorWithUsers = await startEmulator({
      users: [
        { username: 'alice@example.com', password: 'alice-pw' },
        { username: 'bob@example.com', password: 'bob-pw' },
      ],
    });
    try {
      const manager = track(
        managerFor(emulatorWithUsers, {
          credentials: (account) =>
            account === 'alice'
              ? { username: 'alice@example.com', password: 'alice-pw' }
              : account === 'bob'
                ? { username: 'bob@example.com', password: 'bob-pw' }
                : undefined,
        }),
      );
      const alice = (await (
        await manager.fetch('/api/1/account', {}, { account: 'alice' })
      ).json()) as EmulatorAccountInfo;
      const bob = (await (
        await manager.fetch('/api/1/account', {}, { account: 'bob' })
      ).json()) as EmulatorAccountInfo;
      expect(alice.login).toBe('alice@example.com');
      expect(bob.login).toBe('bob@example.com');
      await expect(manager.getAccessToken('carol')).rejects.toBeInstanceOf(ActOnReauthorizationRequiredError);
    } finally {
      await emulatorWithUsers.close();
    }
  });

  it('saveTokens() hands over a code-grant pair that is then rotated safely', async () => {
    const seed = track(managerFor(emulator));
    await seed.getAccessToken();
    const tokens = (await seed.getTokenSet())!;
    const manager = track(managerFor(emulator, { credentials: undefined }));
    await manager.saveTokens('12345', tokens);
    expect(await manager.getAccessToken('12345')).toBe(tokens.accessToken);
    emulator.clock.advance(HOUR_MS);
    expect(await manager.getAccessToken('12345')).not.toBe(tokens.accessToken);
    await expect(manager.saveTokens('12345', { accessToken: 'x' } as never)).rejects.toMatchObject({
      code: 'configuration',
      option: 'tokens',
    });
  });
});
