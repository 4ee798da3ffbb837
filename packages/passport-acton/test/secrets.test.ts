import { inspect } from 'node:util';
import { ActOnStrategy, ActOnProfileError, ActOnTokenError } from 'passport-acton';
import { InternalOAuthError } from 'passport-oauth2';
import { ACCOUNT_ANSWER, startFakeActOn, tokenAnswer, type FakeActOn, type FakeAnswer } from './fake-act-on';
import { appFactory, hitCallback, startLogin, type TestApp } from './helpers';

const startApp = appFactory();
const fakes: FakeActOn[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const CLIENT_SECRET = 'super-secret-client-value-123';
const CODE = 'authorization-code-value-456';
const ACCESS_TOKEN = 'fake-access-token-1234567890';
const REFRESH_TOKEN = 'fake-refresh-token-1234567890';
const SECRETS = [CLIENT_SECRET, CODE, ACCESS_TOKEN, REFRESH_TOKEN];

async function loginAgainst(
  tokenReply: FakeAnswer,
  accountReply: FakeAnswer = ACCOUNT_ANSWER,
): Promise<{ app: TestApp; err: unknown }> {
  const fake = await startFakeActOn((req) => (req.path === '/token' ? tokenReply : accountReply));
  fakes.push(fake);
  const app = await startApp();
  app.passport.use(
    new ActOnStrategy({
      clientID: 'client',
      clientSecret: CLIENT_SECRET,
      baseURL: fake.url,
      callbackURL: app.callbackURL,
    }),
  );
  const { authorizeUrl, cookie } = await startLogin(app);
  const callback = new URL(app.callbackURL);
  callback.searchParams.set('code', CODE);
  callback.searchParams.set('state', authorizeUrl.searchParams.get('state') ?? '');
  await hitCallback(app, callback, cookie);
  return { app, err: app.lastOutcome().err };
}

/** Every text an app might log about an error. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [e.message, String(e), e.stack ?? '', JSON.stringify(e), JSON.stringify({ ...e })];
}

function expectNoSecrets(error: unknown): void {
  for (const text of renderings(error)) {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  }
}

describe('no secret when the strategy itself is printed', () => {
  it('keeps the client secret out of inspect() and JSON of the strategy, and a login still works', async () => {
    const strategy = new ActOnStrategy({
      clientID: 'client',
      clientSecret: CLIENT_SECRET,
      baseURL: 'http://127.0.0.1:9',
      callbackURL: 'http://127.0.0.1/cb',
    });
    expect(inspect(strategy, { depth: 8 })).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(strategy)).not.toContain(CLIENT_SECRET);
    const { err } = await loginAgainst(tokenAnswer());
    expect(err).toBeNull();
  });
});

describe('no secret in any error text', () => {
  it('scrubs the client secret and the code that a token endpoint echoes in its error', async () => {
    const { err } = await loginAgainst({
      status: 401,
      body: JSON.stringify({
        error: 'invalid_client',
        error_description: `client_secret ${CLIENT_SECRET} is wrong for code ${CODE}`,
      }),
    });
    expect(err).toBeInstanceOf(ActOnTokenError);
    expect((err as ActOnTokenError).errorDescription).toBe(
      'client_secret [redacted] is wrong for code [redacted]',
    );
    expectNoSecrets(err);
  });

  it('scrubs them from a non-JSON error page kept by the InternalOAuthError fallback', async () => {
    const { err } = await loginAgainst({
      status: 500,
      body: `<pre>POST body: client_secret=${CLIENT_SECRET}&code=${CODE}</pre>`,
      contentType: 'text/html',
    });
    expect(err).toBeInstanceOf(InternalOAuthError);
    expect(err).not.toBeInstanceOf(ActOnTokenError);
    expectNoSecrets(err);
  });

  it('keeps tokens out of the error for an unusable token answer', async () => {
    const { err } = await loginAgainst(tokenAnswer({ expires_in: -5 }));
    expect(err).toBeInstanceOf(InternalOAuthError);
    expectNoSecrets(err);
  });

  it('keeps the access token out of a profile error even when Act-On echoes it', async () => {
    const { err } = await loginAgainst(tokenAnswer(), {
      status: 401,
      body: JSON.stringify({
        httpCode: '401',
        httpMessage: 'Unauthorized',
        moreInformation: `token ${ACCESS_TOKEN}`,
      }),
    });
    expect(err).toBeInstanceOf(ActOnProfileError);
    expect((err as ActOnProfileError).moreInformation).toBe('token [redacted]');
    expect((err as Error).message).toContain('token [redacted]');
    expect((err as ActOnProfileError).oauthError).toEqual({
      statusCode: 401,
      data: JSON.stringify({
        httpCode: '401',
        httpMessage: 'Unauthorized',
        moreInformation: 'token [redacted]',
      }),
    });
    expectNoSecrets(err);
  });
});
