import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  ActOnConfigurationError,
  ActOnOAuthClient,
  ActOnTokenManager,
  FileTokenStore,
  MemoryTokenStore,
  RedisTokenStore,
} from '../src';
import {
  anyNumber,
  anyString,
  CANARY_KEY,
  CANARY_PASSWORD,
  CANARY_SECRET,
  CANARY_URL_PASSWORD,
  expectConfigurationError,
  expectNoCanary,
  expectNoPollution,
  fuzzOptions,
  substitute,
  sweepSingleFaults,
  urlString,
  urlWithSecret,
  weird,
} from './fuzz-arbitraries';

/** Mostly valid values, with some edge cases. */
function mostly<T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: valid }, { weight: 1, arbitrary: edge });
}

/** Counts calls: nothing may be fetched or timed while options are validated. */
function recorder(): { fn: (...args: unknown[]) => never; calls: () => number } {
  let calls = 0;
  return {
    fn: (): never => {
      calls++;
      throw new Error('called during construction');
    },
    calls: () => calls,
  };
}

const secret = fc.constantFrom(
  CANARY_SECRET,
  ` ${CANARY_SECRET} `,
  `${CANARY_SECRET}\n`,
  `x${CANARY_SECRET}`,
);
const password = fc.constantFrom(CANARY_PASSWORD, ` ${CANARY_PASSWORD}`);
const VALID_HEX_KEY = 'ab'.repeat(32);
const encryptionKey = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom(
    CANARY_KEY,
    ` ${CANARY_KEY} `,
    `${CANARY_KEY}${'0'.repeat(34)}`,
    `${CANARY_KEY}=`,
    VALID_HEX_KEY,
    Buffer.alloc(32, 7).toString('base64'),
    Buffer.alloc(32, 7).toString('base64url'),
    Buffer.alloc(31, 7).toString('base64'),
  ),
  fc.constantFrom(32, 31, 33, 0).map((size) => Buffer.alloc(size, 1)),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF+/=_-'.split('')), maxLength: 70 }),
);

const goodUrl = fc.constantFrom(
  'http://127.0.0.1:9',
  'http://localhost:9/',
  'http://[::1]:9',
  'https://api.actonsoftware.com',
  'https://example.com/base/',
);

const clientFields = {
  clientId: mostly(fc.constantFrom('client-id', 'c'), anyString),
  clientSecret: secret,
  region: mostly(fc.constantFrom('us', 'eu'), fc.constantFrom('US', 'EU', 'ap', '', ' us')),
  baseUrl: fc.oneof(goodUrl, urlString, urlWithSecret, fc.constant(undefined)),
  timeoutMs: mostly(fc.integer({ min: 1, max: 600_000 }), anyNumber),
  fetch: fc.constant('recorder'),
  now: fc.constant('recorder'),
};

const managerFields = {
  ...clientFields,
  store: mostly(
    fc.constant('memory-store'),
    fc.oneof(fc.constant(undefined), fc.record({ get: fc.constant(() => undefined), set: weird })),
  ),
  credentials: mostly(
    fc.record({ username: fc.constantFrom('user@example.com', 'u'), password }),
    fc.oneof(
      fc.record({ username: anyString, password }),
      fc.constant((account: string) => ({ username: account, password: CANARY_PASSWORD })),
      fc.record({ username: fc.constant(''), password }),
      fc.record({ password }),
    ),
  ),
  refreshSkewMs: mostly(fc.integer({ min: 0, max: 86_400_000 }), anyNumber),
  authBudget: mostly(
    fc.record({
      limit: fc.integer({ min: 1, max: 1000 }),
      windowMs: fc.integer({ min: 1, max: 604_800_000 }),
    }),
    fc.record({ limit: anyNumber, windowMs: anyNumber }, { requiredKeys: [] }),
  ),
  backgroundRefresh: mostly(fc.boolean(), fc.constantFrom('true', 1, 0)),
  retry: mostly(
    fc.record(
      {
        maxAttempts: fc.integer({ min: 1, max: 10 }),
        baseDelayMs: fc.integer({ min: 1, max: 60_000 }),
        maxDelayMs: fc.integer({ min: 1, max: 300_000 }),
      },
      { requiredKeys: [] },
    ),
    fc.record(
      { maxAttempts: anyNumber, baseDelayMs: anyNumber, maxDelayMs: anyNumber },
      { requiredKeys: [] },
    ),
  ),
  lockWaitTimeoutMs: mostly(fc.integer({ min: 1, max: 600_000 }), anyNumber),
  defaultAccount: mostly(fc.constantFrom('default', 'acct'), anyString),
  logger: fc.constantFrom({}, console, { info: 'not a function' }),
};

const missingDirectory = join(tmpdir(), `acton-fuzz-never-created-${process.pid}`);

const fileStoreFields = {
  path: mostly(
    fc.constantFrom(join(missingDirectory, 'tokens.json'), join(missingDirectory, 'a', 'b.json')),
    anyString,
  ),
  encryptionKey: mostly(fc.constantFrom(VALID_HEX_KEY, Buffer.alloc(32, 3)), encryptionKey),
};

const redisFields = {
  url: mostly(
    fc.constantFrom(
      'redis://127.0.0.1:9',
      `redis://:${CANARY_URL_PASSWORD}@127.0.0.1:9/1`,
      `rediss://user:${CANARY_URL_PASSWORD}@127.0.0.1:9?password=${CANARY_URL_PASSWORD}`,
    ),
    fc.oneof(urlString, urlWithSecret),
  ),
  // `client` and `url` exclude each other: mostly leave `client` out.
  client: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant('fake-client') },
    { weight: 1, arbitrary: fc.constantFrom('not-a-client', {}, null) },
  ),
  prefix: mostly(
    fc.constantFrom('acton:', '', 'app:{x}:'),
    fc.oneof(anyString, fc.constant('x'.repeat(201))),
  ),
  lockTtlMs: mostly(fc.integer({ min: 1, max: 86_400_000 }), anyNumber),
  encryptionKey: mostly(fc.constantFrom(VALID_HEX_KEY, Buffer.alloc(32, 3)), encryptionKey),
  commandTimeoutMs: mostly(fc.integer({ min: 1, max: 86_400_000 }), anyNumber),
};

// ---- one attempt per component: constructs (then checked and closed) or throws a configuration error ----

/** Tallies constructions, so each test can prove its generators get past validation. */
const constructed = { client: 0, manager: 0, file: 0, redis: 0 };

function attemptClient(options: unknown): void {
  const fetch = recorder();
  const now = recorder();
  substitute(options, 'fetch', 'recorder', fetch.fn);
  substitute(options, 'now', 'recorder', now.fn);
  let client: ActOnOAuthClient;
  try {
    client = new ActOnOAuthClient(options as never);
  } catch (error) {
    expectConfigurationError(error, ActOnConfigurationError, 'new ActOnOAuthClient()');
    return;
  }
  constructed.client++;
  expect(fetch.calls() + now.calls()).toBe(0);
  expect(client.baseUrl).toMatch(/^https?:\/\/[^/]/);
  expect(client.baseUrl.endsWith('/')).toBe(false);
  expect(client.timeoutMs).toBeGreaterThan(0);
  expect(client.clientId.trim()).not.toBe('');
  expectNoCanary(client, 'a constructed ActOnOAuthClient');
}

async function attemptManager(options: unknown): Promise<void> {
  const fetch = recorder();
  const now = recorder();
  const ownStore = new MemoryTokenStore();
  substitute(options, 'fetch', 'recorder', fetch.fn);
  substitute(options, 'now', 'recorder', now.fn);
  substitute(options, 'store', 'memory-store', ownStore);
  let manager: ActOnTokenManager;
  try {
    manager = new ActOnTokenManager(options as never);
  } catch (error) {
    await ownStore.close();
    expectConfigurationError(error, ActOnConfigurationError, 'new ActOnTokenManager()');
    return;
  }
  constructed.manager++;
  try {
    expect(fetch.calls() + now.calls()).toBe(0);
    expect(typeof manager.defaultAccount).toBe('string');
    expect(manager.defaultAccount).not.toBe('');
    expectNoCanary(manager, 'a constructed ActOnTokenManager');
  } finally {
    await manager.close();
    await ownStore.close();
  }
}

async function attemptFileStore(options: unknown): Promise<void> {
  let store: FileTokenStore;
  try {
    store = new FileTokenStore(options as never);
  } catch (error) {
    expectConfigurationError(error, ActOnConfigurationError, 'new FileTokenStore()');
    return;
  }
  constructed.file++;
  try {
    expect(typeof store.path).toBe('string');
    expectNoCanary(store, 'a constructed FileTokenStore');
  } finally {
    await store.close();
  }
}

async function attemptRedisStore(options: unknown): Promise<void> {
  // A fake ioredis client that fails the test if the store uses it during construction or close().
  let clientCalls = 0;
  const touch = (): never => {
    clientCalls++;
    throw new Error('the client was used during construction');
  };
  const fakeClient = {
    status: 'wait',
    evalsha: touch,
    eval: touch,
    hmget: touch,
    duplicate: touch,
    on: touch,
    options: { host: '127.0.0.1', port: 9, password: CANARY_URL_PASSWORD },
  };
  substitute(options, 'client', 'fake-client', fakeClient);
  let store: RedisTokenStore;
  try {
    store = new RedisTokenStore(options as never);
  } catch (error) {
    expect(clientCalls).toBe(0);
    expectConfigurationError(error, ActOnConfigurationError, 'new RedisTokenStore()');
    return;
  }
  constructed.redis++;
  try {
    expect(clientCalls).toBe(0);
    expectNoCanary(store, 'a constructed RedisTokenStore');
  } finally {
    await store.close();
  }
  expect(clientCalls).toBe(0);
}

afterEach(() => {
  expectNoPollution();
});

afterAll(async () => {
  // Construction and close() never create anything on disk.
  await expect(stat(missingDirectory)).rejects.toMatchObject({ code: 'ENOENT' });
});

describe('fuzz: option validation of @acton/oauth-client (random options)', () => {
  it('new ActOnOAuthClient(options) constructs or throws an ActOnConfigurationError, never echoing a secret', () => {
    const before = constructed.client;
    fc.assert(
      fc.property(fuzzOptions(clientFields, ['clientID', 'client_secret', 'baseURL']), attemptClient),
      // Known counterexample, run first so the failure does not depend on the seed: region without a prototype.
      {
        numRuns: 300,
        examples: [[{ clientId: 'c', clientSecret: CANARY_SECRET, region: Object.create(null) }]],
      },
    );
    // The generators must get past the validation sometimes, or the property proves little.
    expect(constructed.client).toBeGreaterThan(before);
  });

  it('new ActOnTokenManager(options) constructs (and closes) or throws an ActOnConfigurationError', async () => {
    const before = constructed.manager;
    await fc.assert(
      fc.asyncProperty(
        fuzzOptions(managerFields, ['clientID', 'refreshSkew', 'budget', 'account']),
        attemptManager,
      ),
      {
        numRuns: 300,
        examples: [
          [
            {
              clientId: 'c',
              clientSecret: CANARY_SECRET,
              region: Object.create(null),
              store: 'memory-store',
            },
          ],
        ],
      },
    );
    expect(constructed.manager).toBeGreaterThan(before);
  });

  it('new FileTokenStore(options) constructs (touching nothing) or throws an ActOnConfigurationError', async () => {
    const before = constructed.file;
    await fc.assert(
      fc.asyncProperty(fuzzOptions(fileStoreFields, ['file', 'key', 'encryption_key']), attemptFileStore),
      { numRuns: 300 },
    );
    expect(constructed.file).toBeGreaterThan(before);
  });

  it('new RedisTokenStore(options) validates without connecting: constructs (and closes) or throws an ActOnConfigurationError', async () => {
    const before = constructed.redis;
    await fc.assert(
      fc.asyncProperty(fuzzOptions(redisFields, ['redisUrl', 'host', 'password']), attemptRedisStore),
      // Known counterexample: percent-encoding garbage in the userinfo (ioredis throws URIError).
      { numRuns: 200, examples: [[{ url: 'redis://%E0%A4%A@127.0.0.1:9' }]] },
    );
    expect(constructed.redis).toBeGreaterThan(before);
  });
});

describe('fuzz: option validation of @acton/oauth-client (every option × every hostile value)', () => {
  const clientBases = [
    { clientId: 'client-id', clientSecret: CANARY_SECRET },
    { clientId: 'client-id', clientSecret: CANARY_SECRET, region: 'eu', timeoutMs: 1000 },
    {
      clientId: 'client-id',
      clientSecret: CANARY_SECRET,
      baseUrl: 'http://127.0.0.1:9',
      fetch: 'recorder',
      now: 'recorder',
    },
  ];
  const clientKeys = ['clientId', 'clientSecret', 'region', 'baseUrl', 'timeoutMs', 'fetch', 'now'];

  it('ActOnOAuthClient', async () => {
    const { tried, failures } = await sweepSingleFaults(clientBases, clientKeys, attemptClient);
    expect(tried).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  });

  it('ActOnTokenManager', async () => {
    const managerBases = clientBases.map((base) => ({
      ...base,
      store: 'memory-store',
      credentials: { username: 'user@example.com', password: CANARY_PASSWORD },
      refreshSkewMs: 60_000,
      authBudget: { limit: 5, windowMs: 3_600_000 },
      backgroundRefresh: false,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
      lockWaitTimeoutMs: 5000,
      defaultAccount: 'default',
      logger: {},
    }));
    const keys = [
      ...clientKeys,
      'store',
      'credentials',
      'refreshSkewMs',
      'authBudget',
      'backgroundRefresh',
      'retry',
      'lockWaitTimeoutMs',
      'defaultAccount',
      'logger',
    ];
    const { tried, failures } = await sweepSingleFaults(managerBases, keys, attemptManager);
    expect(tried).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });

  it('ActOnTokenManager nested options (authBudget, retry, credentials)', async () => {
    const base = { clientId: 'client-id', clientSecret: CANARY_SECRET, store: 'memory-store' };
    const nested: Array<[string, string[], Record<string, unknown>]> = [
      ['authBudget', ['limit', 'windowMs'], { limit: 5, windowMs: 3_600_000 }],
      [
        'retry',
        ['maxAttempts', 'baseDelayMs', 'maxDelayMs'],
        { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 9 },
      ],
      ['credentials', ['username', 'password'], { username: 'user', password: CANARY_PASSWORD }],
    ];
    const failures: string[] = [];
    for (const [option, keys, valid] of nested) {
      const result = await sweepSingleFaults([valid], keys, (inner) =>
        attemptManager({ ...base, [option]: inner }),
      );
      failures.push(...result.failures.map((line) => `${option}: ${line}`));
    }
    expect(failures).toEqual([]);
  });

  it('FileTokenStore', async () => {
    const bases = [
      { path: join(missingDirectory, 'tokens.json') },
      { path: join(missingDirectory, 'tokens.json'), encryptionKey: VALID_HEX_KEY },
    ];
    const { failures } = await sweepSingleFaults(bases, ['path', 'encryptionKey'], attemptFileStore);
    expect(failures).toEqual([]);
  });

  it('RedisTokenStore (url and client forms)', async () => {
    const bases = [
      { url: `redis://:${CANARY_URL_PASSWORD}@127.0.0.1:9/1` },
      {
        client: 'fake-client',
        prefix: 'p:',
        lockTtlMs: 1000,
        commandTimeoutMs: 1000,
        encryptionKey: VALID_HEX_KEY,
      },
    ];
    const keys = ['url', 'client', 'prefix', 'lockTtlMs', 'encryptionKey', 'commandTimeoutMs'];
    const { failures } = await sweepSingleFaults(bases, keys, attemptRedisStore);
    // Percent-encoding garbage in the userinfo of an otherwise valid URL, which the sweep does not vary.
    for (const url of ['redis://%E0%A4%A@127.0.0.1:9', `redis://u:%zz${CANARY_URL_PASSWORD}@127.0.0.1:9`]) {
      try {
        await attemptRedisStore({ url });
      } catch (error) {
        failures.push(`url = ${url} → ${(error as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
