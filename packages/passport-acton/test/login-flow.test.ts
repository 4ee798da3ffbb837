import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { isTokenSet } from '@acton/oauth-client';
import { ActOnStrategy, type ActOnUser } from 'passport-acton';
import {
  appFactory,
  authorizeAtActOn,
  emulatorFactory,
  emulatorOptions,
  fullLogin,
  hitCallback,
  startLogin,
} from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();

describe('authorization redirect', () => {
  it("sends the browser to Act-On's /authorize with every parameter Act-On expects", async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));

    const { authorizeUrl, setCookies } = await startLogin(app);

    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${emulator.url}/authorize`);
    const query = Object.fromEntries(authorizeUrl.searchParams);
    expect(query).toEqual({
      response_type: 'code',
      client_id: EMULATOR_DEFAULTS.clientId,
      redirect_uri: app.callbackURL,
      scope: 'PRODUCTION',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    // No session in this app: the state travels in the signed cookie.
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]).toMatch(
      /^acton_oauth_state=[^;]+; Path=\/auth\/acton\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
  });

  it('uses a fresh state for every authorization request', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const states = new Set<string | null>();
    for (let i = 0; i < 5; i++) states.add((await startLogin(app)).authorizeUrl.searchParams.get('state'));
    expect(states.size).toBe(5);
    expect(states.has(null)).toBe(false);
  });

  it('honours a custom scope (array joined with spaces) and per-request scope', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ loginOptions: { scope: 'OTHER' } });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { scope: ['PRODUCTION', 'EXTRA'] })));
    expect((await startLogin(app)).authorizeUrl.searchParams.get('scope')).toBe('OTHER');

    const plain = await startApp();
    plain.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, plain, { scope: ['PRODUCTION', 'EXTRA'] })),
    );
    expect((await startLogin(plain)).authorizeUrl.searchParams.get('scope')).toBe('PRODUCTION EXTRA');
  });

  it('resolves a relative callbackURL against the request host and uses it for the token request too', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, app, { callbackURL: '/auth/acton/callback' })),
    );
    const { response, authorizeUrl } = await fullLogin(app);
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(app.callbackURL);
    expect(response.status).toBe(200);
    expect(emulator.stats().grants.authorization_code).toBe(1);
  });

  it('leaves state out entirely with state: false', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { state: false })));
    const { authorizeUrl, setCookies } = await startLogin(app);
    expect(authorizeUrl.searchParams.has('state')).toBe(false);
    expect(setCookies).toEqual([]);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    expect(callbackUrl.searchParams.has('state')).toBe(false);
    expect((await hitCallback(app, callbackUrl)).status).toBe(200);
  });
});

describe('full login through the emulator', () => {
  it('posts the login form, follows the redirect, exchanges the code and loads the profile', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));

    const before = Date.now();
    const { response, callbackUrl } = await fullLogin(app);
    expect(response.status).toBe(200);
    expect(callbackUrl.searchParams.get('code')).toEqual(expect.any(String));

    const { err, user } = app.lastOutcome();
    expect(err).toBeNull();
    const { profile, tokens } = user as ActOnUser;
    expect(profile).toMatchObject({
      provider: 'acton',
      id: '10001',
      displayName: 'Demo',
      username: EMULATOR_DEFAULTS.username,
      emails: [{ value: EMULATOR_DEFAULTS.username }],
      accountName: "Demo's Account",
      cname: 'demo.actonsoftware.com',
      userType: 'Marketing',
      isAdmin: true,
      timeZone: 'US/Pacific',
    });
    expect(JSON.parse(profile._raw)).toEqual(profile._json);
    expect(profile._json.account_id).toBe(10001);

    expect(isTokenSet(tokens)).toBe(true);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.scope).toBe('offline-access');
    expect(tokens.obtainedAt).toBeGreaterThanOrEqual(before);
    expect(tokens.expiresAt - tokens.obtainedAt).toBe(3600 * 1000);
    expect(profile.tokens).toBe(tokens);

    const stats = emulator.stats();
    expect(stats.grants.authorization_code).toBe(1);
    expect(stats.accountRequests).toBe(1);
    expect(stats.unauthorizedApiRequests).toBe(0);
  });

  it('hands over tokens that really work at Act-On (the refresh token rotates once)', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    await fullLogin(app);
    const { tokens } = app.lastOutcome().user as ActOnUser;

    const account = await fetch(`${emulator.url}/api/1/account`, {
      headers: { Authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(account.status).toBe(200);
    await account.text();
    const refreshed = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken,
        client_id: EMULATOR_DEFAULTS.clientId,
        client_secret: EMULATOR_DEFAULTS.clientSecret,
      }).toString(),
    });
    expect(refreshed.status).toBe(200);
    await refreshed.text();
  });

  it('uses the expires_in that arrives (86400 as in older docs)', async () => {
    const emulator = await startEmulator({ tokenTtlSec: 86400 });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    await fullLogin(app);
    const { tokens } = app.lastOutcome().user as ActOnUser;
    expect(tokens.expiresAt - tokens.obtainedAt).toBe(86400 * 1000);
  });

  it('reads the profile of the user who signed in when several exist', async () => {
    const emulator = await startEmulator({
      users: [
        { username: 'first@example.com', password: 'pw-first-123' },
        { username: '12345_agency.manager@example.com', password: 'pw-second-123' },
      ],
    });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    await fullLogin(app, { username: '12345_agency.manager@example.com', password: 'pw-second-123' });
    const { profile } = app.lastOutcome().user as ActOnUser;
    expect(profile.id).toBe('10002');
    expect(profile.username).toBe('12345_agency.manager@example.com');
    expect(profile.emails).toEqual([{ value: 'agency.manager@example.com' }]);
  });

  it('tolerates an account without the optional fields', async () => {
    const emulator = await startEmulator({
      users: [
        {
          username: EMULATOR_DEFAULTS.username,
          password: EMULATOR_DEFAULTS.password,
          account: {
            account_id: 777,
            login: undefined,
            cname: undefined,
            user_type: undefined,
            isAdmin: undefined,
            time_zone: undefined,
            user_name: undefined,
          },
        },
      ],
    });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response } = await fullLogin(app);
    expect(response.status).toBe(200);
    const { profile } = app.lastOutcome().user as ActOnUser;
    expect(profile.id).toBe('777');
    expect(profile.displayName).toBe(EMULATOR_DEFAULTS.username);
    for (const field of ['username', 'cname', 'userType', 'isAdmin', 'timeZone']) {
      expect(profile).not.toHaveProperty(field);
    }
    expect(profile.accountName).toBe("Demo's Account");
  });
});

describe('callback failures', () => {
  it("fails (no error) when the user denies access at Act-On, with Act-On's description", async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response, callbackUrl } = await fullLogin(app, { action: 'deny' });
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(response.status).toBe(401);
    const { err, user, info } = app.lastOutcome();
    expect(err).toBeNull();
    expect(user).toBe(false);
    expect(info).toEqual({ message: 'The user denied the authorization request' });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });

  it('refuses a callback whose state does not match (CSRF) without exchanging the code', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl, cookie } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    callbackUrl.searchParams.set('state', 'attacker-chosen-state-value-0000');
    const response = await hitCallback(app, callbackUrl, cookie);
    expect(response.status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Invalid authorization request state.' });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });

  it("refuses an attacker's own code and state when the victim's browser has no state cookie", async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    const response = await hitCallback(app, callbackUrl);
    expect(response.status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Unable to verify authorization request state.' });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });
});
