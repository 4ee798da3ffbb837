import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { ActOnConfigurationError, isTokenSet } from '@acton/oauth-client';
import OAuth2Strategy from 'passport-oauth2';
import {
  ActOnStrategy,
  Strategy,
  type ActOnStrategyOptions,
  type ActOnUser,
  type ActOnVerifyFunction,
} from 'passport-acton';
import { ACCOUNT_ANSWER, startFakeActOn, tokenAnswer } from './fake-act-on';
import {
  appFactory,
  emulatorFactory,
  emulatorOptions,
  fullLogin,
  hitCallback,
  startLogin,
  withActOnEnv,
} from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();

const CALLBACK = 'https://app.example.com/auth/acton/callback';

function configurationError(build: () => unknown): ActOnConfigurationError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ActOnConfigurationError);
    return error as ActOnConfigurationError;
  }
  throw new Error('expected an ActOnConfigurationError');
}

/** Where the strategy sends the browser, without any HTTP: what passport-oauth2 was configured with. */
async function authorizationTarget(strategy: ActOnStrategy): Promise<URL> {
  const app = await startApp();
  app.passport.use(strategy);
  return (await startLogin(app)).authorizeUrl;
}

describe('construction', () => {
  it("is a passport-oauth2 strategy named 'acton', exported as Strategy and ActOnStrategy", () => {
    expect(Strategy).toBe(ActOnStrategy);
    const strategy = new ActOnStrategy({ clientID: 'id', clientSecret: 'secret', callbackURL: CALLBACK });
    expect(strategy).toBeInstanceOf(OAuth2Strategy);
    expect(strategy.name).toBe('acton');
  });

  it('works with no arguments from ACTON_* variables, end to end, yielding { profile, tokens }', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const strategy = withActOnEnv(
      {
        ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
        ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
        ACTON_CALLBACK_URL: app.callbackURL,
        ACTON_BASE_URL: emulator.url,
      },
      () => new ActOnStrategy(),
    );
    app.passport.use(strategy);
    const { response, authorizeUrl } = await fullLogin(app);
    expect(authorizeUrl.origin).toBe(emulator.url);
    expect(response.status).toBe(200);
    const user = app.lastOutcome().user as ActOnUser;
    expect(Object.keys(user).sort()).toEqual(['profile', 'tokens']);
    expect(user.profile.id).toBe('10001');
    expect(isTokenSet(user.tokens)).toBe(true);
  });

  it('takes a verify callback alone, with options from the environment', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const strategy = withActOnEnv(
      {
        ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
        ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
        ACTON_CALLBACK_URL: app.callbackURL,
        ACTON_BASE_URL: emulator.url,
      },
      () => new ActOnStrategy((_accessToken, _refreshToken, profile, done) => done(null, { id: profile.id })),
    );
    app.passport.use(strategy);
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(app.lastOutcome().user).toEqual({ id: '10001' });
  });

  it.each([
    ['ACTON_CLIENT_ID', 'clientID'],
    ['ACTON_CLIENT_SECRET', 'clientSecret'],
    ['ACTON_CALLBACK_URL', 'callbackURL'],
  ])('fails at construction when %s is missing, naming the option and the variable', (variable, option) => {
    const env: Record<string, string | undefined> = {
      ACTON_CLIENT_ID: 'id',
      ACTON_CLIENT_SECRET: 'secret',
      ACTON_CALLBACK_URL: CALLBACK,
      [variable]: undefined,
    };
    const error = withActOnEnv(env, () => configurationError(() => new ActOnStrategy()));
    expect(error.option).toBe(option);
    expect(error.message).toBe(
      `ActOnStrategy needs ${option}: pass options.${option} or set the ${variable} environment variable`,
    );
  });

  it('treats an empty variable as missing', () => {
    const error = withActOnEnv(
      { ACTON_CLIENT_ID: '  ', ACTON_CLIENT_SECRET: 's', ACTON_CALLBACK_URL: CALLBACK },
      () => configurationError(() => new ActOnStrategy()),
    );
    expect(error.option).toBe('clientID');
  });

  it('prefers options over variables', async () => {
    const strategy = withActOnEnv(
      {
        ACTON_CLIENT_ID: 'env-id',
        ACTON_CLIENT_SECRET: 'env-secret',
        ACTON_CALLBACK_URL: 'https://env.example/cb',
      },
      () => new ActOnStrategy({ clientID: 'option-id', callbackURL: CALLBACK }),
    );
    const target = await authorizationTarget(strategy);
    expect(target.searchParams.get('client_id')).toBe('option-id');
    expect(target.searchParams.get('redirect_uri')).toBe(CALLBACK);
  });
});

describe('region and baseURL', () => {
  const base = { clientID: 'id', clientSecret: 'secret', callbackURL: CALLBACK };

  it.each([
    [{}, {}, 'https://api.actonsoftware.com/authorize'],
    [{ region: 'eu' as const }, {}, 'https://api-eu.actonsoftware.com/authorize'],
    [{}, { ACTON_REGION: 'EU' }, 'https://api-eu.actonsoftware.com/authorize'],
    [
      {},
      { ACTON_BASE_URL: 'https://restapi.actonsoftware.com/' },
      'https://restapi.actonsoftware.com/authorize',
    ],
    [
      { baseURL: 'https://gateway.example.com/acton' },
      { ACTON_REGION: 'eu' },
      'https://gateway.example.com/acton/authorize',
    ],
    [
      { region: 'us' as const },
      { ACTON_BASE_URL: 'https://restapi.actonsoftware.com' },
      'https://api.actonsoftware.com/authorize',
    ],
    [{ baseURL: 'http://127.0.0.1:4010' }, {}, 'http://127.0.0.1:4010/authorize'],
  ])('options %p with env %p authorize at %s', async (options, env, expected) => {
    const strategy = withActOnEnv(env, () => new ActOnStrategy({ ...base, ...options }));
    const target = await authorizationTarget(strategy);
    expect(`${target.origin}${target.pathname}`).toBe(expected);
  });

  it('lets ACTON_BASE_URL win over ACTON_REGION (the emulator standing in for the EU gateway)', async () => {
    // The EU host itself is not reachable from tests; the emulator stands in for it through ACTON_BASE_URL.
    const emulator = await startEmulator();
    const app = await startApp();
    const strategy = withActOnEnv(
      { ACTON_REGION: 'eu', ACTON_BASE_URL: emulator.url },
      () => new ActOnStrategy(emulatorOptions(emulator, app, { baseURL: undefined })),
    );
    app.passport.use(strategy);
    expect((await fullLogin(app)).response.status).toBe(200);
  });

  it.each([
    [{ region: 'apac' }, {}, 'region', /region must be 'us' or 'eu'/],
    [{}, { ACTON_REGION: 'mars' }, 'region', /ACTON_REGION must be 'us' or 'eu'/],
    [{ baseURL: 'http://acton.example.com' }, {}, 'baseURL', /baseURL must use https:/],
    [{}, { ACTON_BASE_URL: 'not a url' }, 'ACTON_BASE_URL', /ACTON_BASE_URL is not a valid absolute URL/],
    [{ baseURL: 'https://api.actonsoftware.com?x=1' }, {}, 'baseURL', /query string/],
  ])('rejects %p / env %p naming %s', (options, env, option, message) => {
    const error = withActOnEnv(env, () =>
      configurationError(() => new ActOnStrategy({ ...base, ...(options as Partial<ActOnStrategyOptions>) })),
    );
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });
});

describe('option validation', () => {
  const base = { clientID: 'id', clientSecret: 'secret', callbackURL: CALLBACK };

  it.each([
    [{ clientId: 'x' }, 'clientId', /did you mean clientID\?/],
    [{ baseUrl: 'https://x.example' }, 'baseUrl', /did you mean baseURL\?/],
    [{ callbackUrl: 'https://x.example' }, 'callbackUrl', /did you mean callbackURL\?/],
    [{ tokenURL: 'https://x.example/token' }, 'tokenURL', /did you mean baseURL\?/],
    [{ callbackURL: 'ftp://x.example/cb' }, 'callbackURL', /http: or https:/],
    [{ callbackURL: 'relative/cb' }, 'callbackURL', /absolute http\(s\) URL or a path/],
    [{ callbackURL: 'https://x.example/cb#frag' }, 'callbackURL', /fragment/],
    [{ clientSecret: 42 }, 'clientSecret', /non-empty string/],
    [{ scope: [] }, 'scope', /non-empty string or array/],
    [{ state: 'yes' }, 'state', /boolean/],
    [{ store: {} }, 'store', /store\(\) and verify\(\)/],
    [{ stateTtlMs: 10 }, 'stateTtlMs', /between 1000/],
    [{ passReqToCallback: 1 }, 'passReqToCallback', /boolean/],
    [{ skipUserProfile: 'no' }, 'skipUserProfile', /boolean or a function/],
    [{ skipUserProfile: true }, 'skipUserProfile', /needs a verify callback of your own/],
  ])('rejects %p naming %s', (extra, option, message) => {
    const error = withActOnEnv({}, () =>
      configurationError(() => new ActOnStrategy({ ...base, ...extra } as unknown as ActOnStrategyOptions)),
    );
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('rejects a verify that is not a function', () => {
    const error = configurationError(
      () => new ActOnStrategy(base, 'verify' as unknown as ActOnVerifyFunction),
    );
    expect(error.option).toBe('verify');
  });

  it("never mutates the caller's options object", async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const customHeaders = { 'X-Trace': 'abc' };
    const options = Object.freeze({
      ...emulatorOptions(emulator, app),
      scope: Object.freeze(['PRODUCTION']) as readonly string[],
      customHeaders: Object.freeze(customHeaders),
    });
    const snapshot = JSON.stringify(options);
    app.passport.use(new ActOnStrategy(options));
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(JSON.stringify(options)).toBe(snapshot);
    expect(Object.keys(options).sort()).toEqual(
      ['baseURL', 'callbackURL', 'clientID', 'clientSecret', 'customHeaders', 'scope'].sort(),
    );
  });

  it('sends customHeaders to Act-On, as they were at construction', async () => {
    const fake = await startFakeActOn((req) => (req.path === '/token' ? tokenAnswer() : ACCOUNT_ANSWER));
    try {
      const app = await startApp();
      const customHeaders: Record<string, string> = { 'X-Trace': 'abc' };
      app.passport.use(
        new ActOnStrategy({
          clientID: 'c',
          clientSecret: 's',
          baseURL: fake.url,
          callbackURL: app.callbackURL,
          state: false,
          customHeaders,
        }),
      );
      customHeaders['X-Trace'] = 'changed-later';
      const callback = new URL(app.callbackURL);
      callback.searchParams.set('code', 'abc');
      expect((await hitCallback(app, callback)).status).toBe(200);
      expect(fake.requests.map((r) => [r.path, r.headers['x-trace']])).toEqual([
        ['/token', 'abc'],
        ['/api/1/account', 'abc'],
      ]);
    } finally {
      await fake.close();
    }
  });
});
