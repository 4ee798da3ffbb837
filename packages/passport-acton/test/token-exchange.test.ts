import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { ActOnInvalidTokenResponseError } from '@acton/oauth-client';
import { InternalOAuthError, TokenError } from 'passport-oauth2';
import { ActOnStrategy, ActOnTokenError, type ActOnUser } from 'passport-acton';
import { ACCOUNT_ANSWER, startFakeActOn, tokenAnswer, type FakeActOn, type FakeAnswer } from './fake-act-on';
import {
  appFactory,
  authorizeAtActOn,
  emulatorFactory,
  emulatorOptions,
  fullLogin,
  hitCallback,
  startLogin,
  type TestApp,
} from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();
const fakes: FakeActOn[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakeActOn(tokenReply: FakeAnswer): Promise<FakeActOn> {
  const fake = await startFakeActOn((req) => (req.path.startsWith('/token') ? tokenReply : ACCOUNT_ANSWER));
  fakes.push(fake);
  return fake;
}

/** Sends the app's callback a code as Act-On would, with a valid state, against a fake token endpoint. */
async function callbackWithCode(app: TestApp, code: string): Promise<number> {
  const { authorizeUrl, cookie } = await startLogin(app);
  const callback = new URL(app.callbackURL);
  callback.searchParams.set('code', code);
  callback.searchParams.set('state', authorizeUrl.searchParams.get('state') ?? '');
  return (await hitCallback(app, callback, cookie)).status;
}

function fakeOptions(fake: FakeActOn, app: TestApp) {
  return {
    clientID: 'fake-client-id',
    clientSecret: 'fake-client-secret-value',
    baseURL: fake.url,
    callbackURL: app.callbackURL,
  };
}

describe('token request', () => {
  it('posts grant_type, code, redirect_uri and the client credentials in the form body, no Basic auth', async () => {
    const fake = await fakeActOn(tokenAnswer());
    const app = await startApp();
    app.passport.use(new ActOnStrategy(fakeOptions(fake, app)));
    expect(await callbackWithCode(app, 'the-code-123')).toBe(200);

    const tokenRequest = fake.requests.find((r) => r.path === '/token');
    expect(tokenRequest).toBeDefined();
    expect(tokenRequest?.method).toBe('POST');
    expect(tokenRequest?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(tokenRequest?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code-123',
      redirect_uri: app.callbackURL,
      client_id: 'fake-client-id',
      client_secret: 'fake-client-secret-value',
    });

    const accountRequest = fake.requests.find((r) => r.path.startsWith('/api/1/account'));
    expect(accountRequest?.path).toBe('/api/1/account');
    expect(accountRequest?.headers.authorization).toBe('Bearer fake-access-token-1234567890');
  });

  it.each([
    ['without a refresh_token', { refresh_token: undefined }, /refresh_token is missing/],
    ['with a non-numeric expires_in', { expires_in: 'soon' }, /expires_in is missing or not a number/],
    ['with an absurd expires_in', { expires_in: 10 ** 9 }, /outside the sane range/],
    ['with a token_type other than Bearer', { token_type: 'mac' }, /token_type is not Bearer/],
  ])('refuses a 200 answer %s before loading the profile', async (_what, overrides, reason) => {
    const fake = await fakeActOn(tokenAnswer(overrides));
    const app = await startApp();
    app.passport.use(new ActOnStrategy(fakeOptions(fake, app)));
    expect(await callbackWithCode(app, 'code-1')).toBe(500);
    const { err } = app.lastOutcome();
    expect(err).toBeInstanceOf(InternalOAuthError);
    const cause = (err as InternalOAuthError).oauthError;
    expect(cause).toBeInstanceOf(ActOnInvalidTokenResponseError);
    expect((cause as Error).message).toMatch(reason);
    expect(fake.requests.some((r) => r.path.startsWith('/api/1/account'))).toBe(false);
  });

  it("falls back to passport-oauth2's reading for an error answer that is not an OAuth error object", async () => {
    const fake = await fakeActOn({ status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html' });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(fakeOptions(fake, app)));
    expect(await callbackWithCode(app, 'code-1')).toBe(500);
    const { err } = app.lastOutcome();
    expect(err).toBeInstanceOf(InternalOAuthError);
    expect(err).not.toBeInstanceOf(ActOnTokenError);
    expect((err as Error).message).toBe('Failed to obtain access token');
    expect((err as InternalOAuthError).oauthError).toEqual({
      statusCode: 502,
      data: '<html>Bad gateway</html>',
    });
  });

  it('reports an unreachable token endpoint as an InternalOAuthError', async () => {
    const fake = await fakeActOn(tokenAnswer());
    const app = await startApp();
    app.passport.use(new ActOnStrategy(fakeOptions(fake, app)));
    const { authorizeUrl, cookie } = await startLogin(app);
    await fake.close();
    const callback = new URL(app.callbackURL);
    callback.searchParams.set('code', 'code-1');
    callback.searchParams.set('state', authorizeUrl.searchParams.get('state') ?? '');
    expect((await hitCallback(app, callback, cookie)).status).toBe(500);
    const { err } = app.lastOutcome();
    expect(err).toBeInstanceOf(InternalOAuthError);
    expect((err as InternalOAuthError).oauthError).toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe("token endpoint errors in Act-On's words", () => {
  it('refuses a reused authorization code with invalid_grant', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const first = await fullLogin(app);
    expect(first.response.status).toBe(200);

    // A second authorization request (fresh state), answered with the old code.
    const { authorizeUrl, cookie } = await startLogin(app);
    const replay = new URL(first.callbackUrl);
    replay.searchParams.set('state', authorizeUrl.searchParams.get('state') ?? '');
    const response = await hitCallback(app, replay, cookie);
    expect(response.status).toBe(500);

    const { err } = app.lastOutcome();
    expect(err).toBeInstanceOf(ActOnTokenError);
    expect(err).toBeInstanceOf(TokenError);
    const tokenError = err as ActOnTokenError;
    expect(tokenError.name).toBe('ActOnTokenError');
    expect(tokenError.error).toBe('invalid_grant');
    expect(tokenError.code).toBe('invalid_grant');
    expect(tokenError.errorDescription).toBe('Authorization code has already been used');
    expect(tokenError.error_description).toBe('Authorization code has already been used');
    expect(tokenError.status).toBe(400);
    expect(tokenError.message).toBe(
      "Act-On's token endpoint refused the authorization code: invalid_grant (Authorization code has already been used) [HTTP 400]",
    );
    expect(emulator.stats().grants.authorization_code).toBe(2);
  });

  it('reports wrong client credentials as access_denied with HTTP 401', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, app, { clientSecret: 'not-the-right-secret' })),
    );
    const { response } = await fullLogin(app);
    expect(response.status).toBe(500);
    const err = app.lastOutcome().err as ActOnTokenError;
    expect(err).toBeInstanceOf(ActOnTokenError);
    expect([err.status, err.error, err.errorDescription]).toEqual([401, 'access_denied', 'Unauthorized']);
    expect(err.message).not.toContain('not-the-right-secret');
    expect(JSON.stringify(err)).not.toContain('not-the-right-secret');
  });

  it('reports a spent hourly login budget with the status and error Act-On sent', async () => {
    const emulator = await startEmulator({ authLimitPerHour: 1 });
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    expect((await fullLogin(app)).response.status).toBe(200);
    expect((await fullLogin(app)).response.status).toBe(500);
    const err = app.lastOutcome().err as ActOnTokenError;
    expect(err).toBeInstanceOf(ActOnTokenError);
    expect([err.status, err.error]).toEqual([429, 'too_many_requests']);
    expect(emulator.stats().budgetRejections).toBe(1);
  });

  it('reports a 5xx OAuth error answer from the token endpoint', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    emulator.injectFault({ kind: 'error', path: '/token', status: 503 });
    expect((await fullLogin(app)).response.status).toBe(500);
    const err = app.lastOutcome().err as ActOnTokenError;
    expect(err).toBeInstanceOf(ActOnTokenError);
    expect([err.status, err.error, err.errorDescription]).toEqual([503, 'server_error', 'Injected fault']);
  });

  it('reports a redirect_uri that differs from the authorization request', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ loginOptions: { callbackURL: '/auth/acton/callback?from=login' } });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl, cookie } = await startLogin(app);
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${app.callbackURL}?from=login`);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    const response = await hitCallback(app, callbackUrl, cookie);
    expect(response.status).toBe(500);
    const err = app.lastOutcome().err as ActOnTokenError;
    expect([err.error, err.errorDescription]).toEqual([
      'invalid_grant',
      'redirect_uri does not match the authorization request',
    ]);
    expect(app.lastOutcome().user).toBeUndefined();
  });

  it('still signs in after a failed exchange once a fresh code arrives', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    emulator.injectFault({ kind: 'error', path: '/token', status: 500 });
    expect((await fullLogin(app)).response.status).toBe(500);
    expect((await fullLogin(app)).response.status).toBe(200);
    expect((app.lastOutcome().user as ActOnUser).profile.username).toBe(EMULATOR_DEFAULTS.username);
  });
});
