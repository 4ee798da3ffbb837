import fc from 'fast-check';
import { ActOnConfigurationError } from '@acton/oauth-client';
import { ActOnCookieStateStore, ActOnStrategy } from 'passport-acton';
import {
  anyNumber,
  anyString,
  CANARY_KEY,
  CANARY_SECRET,
  expectConfigurationError,
  expectNoPollution,
  fuzzOptions,
  sweepSingleFaults,
  urlString,
  urlWithSecret,
} from '../../oauth-client/test/fuzz-arbitraries';

/** Mostly valid values, with some edge cases (rarely: the strategy has many options, each able to fail it). */
function mostly<T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ withCrossShrink: true }, { weight: 6, arbitrary: valid }, { weight: 1, arbitrary: edge });
}

const ENV_NAMES = [
  'ACTON_CLIENT_ID',
  'ACTON_CLIENT_SECRET',
  'ACTON_CALLBACK_URL',
  'ACTON_REGION',
  'ACTON_BASE_URL',
];

const stateStoreLike = { store: (): void => undefined, verify: (): void => undefined };

const strategyFields = {
  clientID: mostly(fc.constantFrom('client-id', 'c'), anyString),
  clientSecret: fc.constantFrom(CANARY_SECRET, ` ${CANARY_SECRET}`),
  callbackURL: mostly(
    fc.constantFrom(
      '/auth/acton/callback',
      'http://127.0.0.1:3000/cb',
      'https://app.example.com/auth/acton/callback',
    ),
    fc.oneof(urlString, anyString),
  ),
  region: mostly(fc.constantFrom('us', 'eu'), fc.constantFrom('US', 'ap', '', ' eu')),
  baseURL: fc.oneof(
    fc.constantFrom('http://127.0.0.1:9', 'https://api.actonsoftware.com'),
    urlString,
    urlWithSecret,
    fc.constant(undefined),
  ),
  scope: mostly(
    fc.oneof(fc.constantFrom('PRODUCTION', 'offline-access'), fc.constant(['PRODUCTION', 'offline-access'])),
    fc.oneof(anyString, fc.array(anyString, { maxLength: 3 })),
  ),
  state: mostly(fc.boolean(), fc.constantFrom('true', 1, 0)),
  store: mostly(
    fc.constant(stateStoreLike),
    fc.constantFrom({ store: 1, verify: 2 }, { store: () => undefined }),
  ),
  stateTtlMs: mostly(fc.integer({ min: 1000, max: 3_600_000 }), anyNumber),
  skipUserProfile: mostly(
    fc.constantFrom(false, true, () => false),
    fc.constantFrom('yes', 1, null),
  ),
  sessionKey: mostly(fc.constantFrom('oauth2:acton', 's'), anyString),
  proxy: mostly(fc.boolean(), fc.constantFrom('yes', 0)),
  customHeaders: mostly(fc.constant({ 'x-trace': '1' }), fc.constantFrom('x', 1, null)),
  passReqToCallback: mostly(fc.boolean(), fc.constantFrom('true', 1)),
};

const verify = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom(
    (_a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void) => done(null, {}),
    (_a: string, _r: string, _params: unknown, _p: unknown, done: (e: null, u: unknown) => void) =>
      done(null, {}),
    (_req: unknown, _a: string, _r: string, _params: unknown, _p: unknown, done: (e: null) => void) =>
      done(null),
    undefined,
  ),
  fc.constantFrom('verify', 1, {}, null),
  // Weighted towards a real callback, or the verify check alone would stop most runs.
  fc.constantFrom((_a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void) =>
    done(null, {}),
  ),
  fc.constantFrom((_a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void) =>
    done(null, {}),
  ),
);

/** ACTON_* variables as a deployment might set them: unset, blank, plausible or odd. */
const environment = fc.record(
  {
    ACTON_CLIENT_ID: fc.oneof(fc.constantFrom('', ' ', 'env-client'), anyString),
    ACTON_CLIENT_SECRET: fc.constantFrom('', CANARY_SECRET, ` ${CANARY_SECRET} `),
    ACTON_CALLBACK_URL: fc.oneof(fc.constantFrom('', '/cb', 'https://app.example.com/cb'), urlString),
    ACTON_REGION: fc.oneof(fc.constantFrom('', 'us', 'EU', ' eu ', 'ap'), anyString),
    ACTON_BASE_URL: fc.oneof(fc.constantFrom('', 'http://127.0.0.1:9'), urlString, urlWithSecret),
  },
  { requiredKeys: [] },
);

/** Runs `fn` with exactly the given ACTON_* variables (environment values are strings without NUL bytes). */
function withEnvironment<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  try {
    for (const name of ENV_NAMES) delete process.env[name];
    for (const [name, value] of Object.entries(vars)) process.env[name] = value.replace(/\0/g, '');
    return fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

let constructed = 0;

function attemptStrategy(options: unknown, verifyFn: unknown): void {
  let strategy: ActOnStrategy;
  try {
    strategy =
      options === 'verify-only'
        ? new ActOnStrategy(verifyFn as never)
        : new ActOnStrategy(options as never, verifyFn as never);
  } catch (error) {
    expectConfigurationError(error, ActOnConfigurationError, 'new ActOnStrategy()');
    return;
  }
  constructed++;
  expect(strategy.name).toBe('acton');
}

let storesConstructed = 0;

function attemptCookieStore(options: unknown): void {
  try {
    new ActOnCookieStateStore(options as never);
    storesConstructed++;
  } catch (error) {
    expectConfigurationError(error, ActOnConfigurationError, 'new ActOnCookieStateStore()');
  }
}

const cookieStoreFields = {
  secret: mostly(
    fc.constantFrom(CANARY_KEY, `${CANARY_KEY}-and-more`, new Uint8Array(32).fill(7)),
    fc.constantFrom('short', CANARY_KEY.slice(0, 15), new Uint8Array(8), 'é'.repeat(8), Buffer.alloc(16)),
  ),
  salt: mostly(fc.constantFrom('client-id', 'passport-acton'), anyString),
  ttlMs: mostly(fc.integer({ min: 1000, max: 3_600_000 }), anyNumber),
  cookieName: mostly(fc.constantFrom('acton_oauth_state', 'x'), anyString),
  cookiePath: mostly(fc.constantFrom('/', '/auth/acton/callback'), anyString),
  secure: mostly(fc.boolean(), fc.constantFrom('true', 1)),
  now: mostly(
    fc.constant(() => Date.now()),
    fc.constantFrom('now', 1),
  ),
};

describe('fuzz: option validation of passport-acton', () => {
  const saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  beforeAll(() => {
    // The strategy reads ACTON_* variables: a developer's own must not change the outcome.
    for (const name of ENV_NAMES) delete process.env[name];
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  });
  afterEach(() => {
    expectNoPollution();
  });

  it('new ActOnStrategy(options, verify) constructs or throws an ActOnConfigurationError, never echoing a secret', () => {
    const before = constructed;
    fc.assert(
      fc.property(
        fc.oneof(
          {
            weight: 12,
            arbitrary: fuzzOptions(strategyFields, ['clientId', 'callbackUrl', 'baseUrl', 'redirectUri']),
          },
          { weight: 1, arbitrary: fc.constant('verify-only') },
        ),
        verify,
        fc.option(environment, { freq: 3 }),
        (options, verifyFn, env) => {
          withEnvironment(env ?? {}, () => attemptStrategy(options, verifyFn));
        },
      ),
      {
        numRuns: 300,
        // Known counterexample: region without a prototype.
        examples: [
          [
            { clientID: 'c', clientSecret: CANARY_SECRET, callbackURL: '/cb', region: Object.create(null) },
            undefined,
            null,
          ],
        ],
      },
    );
    expect(constructed).toBeGreaterThan(before);
  });

  it('new ActOnCookieStateStore(options) constructs or throws an ActOnConfigurationError, never echoing the secret', () => {
    const before = storesConstructed;
    fc.assert(fc.property(fuzzOptions(cookieStoreFields, ['key', 'ttl']), attemptCookieStore), {
      numRuns: 200,
      // Known counterexample: a salt that is not a string reaches crypto unchecked.
      examples: [[{ secret: CANARY_KEY, salt: 5 }]],
    });
    expect(storesConstructed).toBeGreaterThan(before);
  });

  it('ActOnStrategy: every option × every hostile value', async () => {
    const verifyFn = (_a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void): void =>
      done(null, {});
    const bases = [
      { clientID: 'client-id', clientSecret: CANARY_SECRET, callbackURL: '/auth/acton/callback' },
      {
        clientID: 'client-id',
        clientSecret: CANARY_SECRET,
        callbackURL: 'https://app.example.com/cb',
        region: 'eu',
        scope: ['PRODUCTION'],
        state: true,
        stateTtlMs: 60_000,
        skipUserProfile: false,
        sessionKey: 'oauth2:x',
        proxy: false,
        customHeaders: { 'x-a': '1' },
        passReqToCallback: false,
      },
      {
        clientID: 'client-id',
        clientSecret: CANARY_SECRET,
        callbackURL: '/cb',
        baseURL: 'http://127.0.0.1:9',
        store: stateStoreLike,
      },
    ];
    const { tried, failures } = await sweepSingleFaults(bases, Object.keys(strategyFields), (options) =>
      attemptStrategy(options, verifyFn),
    );
    expect(tried).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });

  it('ActOnCookieStateStore: every option × every hostile value', async () => {
    const bases = [
      { secret: CANARY_KEY },
      {
        secret: CANARY_KEY,
        salt: 'client-id',
        ttlMs: 60_000,
        cookieName: 'acton_oauth_state',
        cookiePath: '/cb',
        secure: true,
        now: () => 1,
      },
    ];
    const { failures } = await sweepSingleFaults(bases, Object.keys(cookieStoreFields), attemptCookieStore);
    expect(failures).toEqual([]);
  });
});
