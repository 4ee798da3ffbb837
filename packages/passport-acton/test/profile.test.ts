import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { InternalOAuthError } from 'passport-oauth2';
import { ActOnProfileError, ActOnStrategy, parseProfile, type ActOnAccountProfile } from 'passport-acton';
import { startFakeActOn, tokenAnswer, type FakeActOn } from './fake-act-on';
import { appFactory, emulatorFactory, emulatorOptions, fullLogin } from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();

function loadProfile(
  strategy: ActOnStrategy,
  accessToken: string,
): Promise<{ err: unknown; profile: unknown }> {
  return new Promise((resolve) =>
    strategy.userProfile(accessToken, (err, profile) => resolve({ err, profile })),
  );
}

function strategyFor(baseURL: string): ActOnStrategy {
  return new ActOnStrategy({
    clientID: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseURL,
    callbackURL: 'http://127.0.0.1:3000/auth/acton/callback',
  });
}

describe('parseProfile', () => {
  it("maps Act-On's account info to a Passport profile", () => {
    const body = JSON.stringify({
      account_id: 12345,
      cname: 'johndoe.actonsoftware.com',
      user_name: 'John Doe',
      user_email: 'john.doe@example.com',
      account_name: "John Doe's Account",
      user_type: 'Marketing',
      isAdmin: true,
      login: 'johndoe@example.com',
      time_zone: 'US/Pacific',
    });
    expect(parseProfile(body)).toEqual({
      provider: 'acton',
      id: '12345',
      displayName: 'John Doe',
      username: 'johndoe@example.com',
      emails: [{ value: 'john.doe@example.com' }],
      accountName: "John Doe's Account",
      cname: 'johndoe.actonsoftware.com',
      userType: 'Marketing',
      isAdmin: true,
      timeZone: 'US/Pacific',
      _raw: body,
      _json: JSON.parse(body),
    } satisfies ActOnAccountProfile);
  });

  it('keeps only account_id as required and falls back for the display name', () => {
    expect(parseProfile('{"account_id":"987"}')).toEqual({
      provider: 'acton',
      id: '987',
      displayName: '987',
      _raw: '{"account_id":"987"}',
      _json: { account_id: '987' },
    });
    expect(parseProfile('{"account_id":1,"user_email":"a@b.c"}').displayName).toBe('a@b.c');
    expect(parseProfile('{"account_id":1,"account_name":"Acme"}').displayName).toBe('Acme');
    expect(parseProfile('{"account_id":1,"login":"x@y.z","user_email":"a@b.c"}').displayName).toBe('x@y.z');
  });

  it('ignores optional fields of the wrong type and reads "true"/"false" strings for isAdmin', () => {
    const profile = parseProfile(
      JSON.stringify({
        account_id: 1,
        user_name: 42,
        user_email: null,
        isAdmin: 'false',
        time_zone: ['x'],
        login: '',
      }),
    );
    expect(profile).toEqual(expect.objectContaining({ id: '1', displayName: '1', isAdmin: false }));
    expect(profile).not.toHaveProperty('emails');
    expect(profile).not.toHaveProperty('username');
    expect(profile).not.toHaveProperty('timeZone');
    expect(profile._json.user_name).toBe(42);
  });

  it.each([
    ['not JSON', '<html></html>', /not JSON/],
    ['a JSON array', '[1]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['an object without account_id', '{"user_name":"x"}', /account_id is missing/],
    ['a non-numeric account_id', '{"account_id":"abc"}', /account_id is missing/],
    ['a negative account_id', '{"account_id":-4}', /account_id is missing/],
  ])('refuses %s with an ActOnProfileError', (_what, body, message) => {
    let caught: unknown;
    try {
      parseProfile(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ActOnProfileError);
    expect((caught as ActOnProfileError).reason).toBe('invalid_response');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('userProfile against the emulator', () => {
  it('sends the token as a Bearer header and returns the profile', async () => {
    const emulator = await startEmulator();
    const { access_token: accessToken } = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    const { err, profile } = await loadProfile(strategyFor(emulator.url), accessToken);
    expect(err).toBeNull();
    expect(profile).toMatchObject({ provider: 'acton', id: '10001', username: EMULATOR_DEFAULTS.username });
    expect(emulator.stats().accountRequests).toBe(1);
  });

  it('turns a 401 into an ActOnProfileError that says the token was refused, without the token', async () => {
    const emulator = await startEmulator();
    const badToken = 'definitely-not-a-valid-token-xyz';
    const { err } = await loadProfile(strategyFor(emulator.url), badToken);
    expect(err).toBeInstanceOf(ActOnProfileError);
    expect(err).toBeInstanceOf(InternalOAuthError);
    const profileError = err as ActOnProfileError;
    expect(profileError.name).toBe('ActOnProfileError');
    expect(profileError.reason).toBe('unauthorized');
    expect(profileError.status).toBe(401);
    expect(profileError.httpCode).toBe('401');
    expect(profileError.httpMessage).toBe('Unauthorized');
    expect(profileError.message).toBe(
      'Act-On refused the access token while reading the account profile: GET /api/1/account answered HTTP 401 (Unauthorized)',
    );
    expect(JSON.stringify(profileError)).not.toContain(badToken);
    expect(String(profileError)).not.toContain(badToken);
  });

  it('turns PUBLIC_API_FEATURE_NOT_ENABLED into an error that says so', async () => {
    const emulator = await startEmulator({
      users: [{ username: 'noapi@example.com', password: 'no-api-password', apiEnabled: false }],
    });
    const { access_token: accessToken } = emulator.issueTokens('noapi@example.com');
    const { err } = await loadProfile(strategyFor(emulator.url), accessToken);
    const profileError = err as ActOnProfileError;
    expect(profileError).toBeInstanceOf(ActOnProfileError);
    expect(profileError.reason).toBe('api_access_not_enabled');
    expect(profileError.status).toBe(403);
    expect(profileError.moreInformation).toBe('PUBLIC_API_FEATURE_NOT_ENABLED');
    expect(profileError.message).toMatch(
      /^This Act-On account has no API access \(PUBLIC_API_FEATURE_NOT_ENABLED\)/,
    );
    expect(profileError.message).toMatch(/HTTP 403/);
  });

  it('reports a rate-limited account read as rate_limited', async () => {
    const emulator = await startEmulator({ apiRateLimitPerSecond: 1 });
    const { access_token: accessToken } = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    const strategy = strategyFor(emulator.url);
    expect((await loadProfile(strategy, accessToken)).err).toBeNull();
    const { err } = await loadProfile(strategy, accessToken);
    expect((err as ActOnProfileError).reason).toBe('rate_limited');
    expect((err as ActOnProfileError).status).toBe(429);
  });

  it('reports a 5xx as http_error and an unreachable Act-On as network', async () => {
    const emulator = await startEmulator();
    const { access_token: accessToken } = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    const strategy = strategyFor(emulator.url);
    emulator.injectFault({ kind: 'error', path: '/api/1/account', status: 502 });
    const failed = (await loadProfile(strategy, accessToken)).err as ActOnProfileError;
    expect([failed.reason, failed.status]).toEqual(['http_error', 502]);

    await emulator.close();
    const unreachable = (await loadProfile(strategy, accessToken)).err as ActOnProfileError;
    expect(unreachable.reason).toBe('network');
    expect(unreachable.status).toBeUndefined();
    expect(unreachable.message).toMatch(
      /^Could not reach Act-On to read the account profile: .*(ECONNREFUSED|ECONNRESET)/,
    );
  });
});

describe('profile errors during a login', () => {
  it('fails the login with the PUBLIC_API_FEATURE_NOT_ENABLED error', async () => {
    const emulator = await startEmulator({
      users: [
        { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password, apiEnabled: false },
      ],
    });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response } = await fullLogin(app);
    expect(response.status).toBe(500);
    expect(response.body.error).toMatch(/PUBLIC_API_FEATURE_NOT_ENABLED/);
    expect((app.lastOutcome().err as ActOnProfileError).reason).toBe('api_access_not_enabled');
    expect(emulator.stats().grants.authorization_code).toBe(1);
  });

  it('fails the login when Act-On refuses the fresh token on /api/1/account', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    emulator.injectFault({ kind: 'error', path: '/api/1/account', status: 401 });
    const { response } = await fullLogin(app);
    expect(response.status).toBe(500);
    const err = app.lastOutcome().err as ActOnProfileError;
    expect(err.reason).toBe('unauthorized');
    expect(err.message).toMatch(/refused the access token/);
  });

  it('fails the login on an account answer without account_id', async () => {
    let fake: FakeActOn | undefined;
    try {
      fake = await startFakeActOn((req) =>
        req.path === '/token' ? tokenAnswer() : { status: 200, body: '{"user_name":"No Id"}' },
      );
      const app = await startApp();
      app.passport.use(
        new ActOnStrategy({
          clientID: 'c',
          clientSecret: 's',
          baseURL: fake.url,
          callbackURL: app.callbackURL,
          state: false,
        }),
      );
      const callback = new URL(app.callbackURL);
      callback.searchParams.set('code', 'abc');
      const { default: request } = await import('supertest');
      const response = await request(app.server).get(`${callback.pathname}${callback.search}`);
      expect(response.status).toBe(500);
      expect((app.lastOutcome().err as ActOnProfileError).reason).toBe('invalid_response');
    } finally {
      await fake?.close();
    }
  });
});
