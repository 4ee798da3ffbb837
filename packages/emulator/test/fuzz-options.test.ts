import fc from 'fast-check';
import {
  createActOnEmulator,
  createManualClock,
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
} from '@acton/emulator';
import {
  anyNumber,
  anyString,
  CANARY_PASSWORD,
  CANARY_SECRET,
  dangerousKey,
  describeThrown,
  expectNoCanary,
  expectNoPollution,
  fuzzOptions,
  PlantedError,
  sweepSingleFaults,
  urlString,
  weird,
} from '../../oauth-client/test/fuzz-arbitraries';
import { CLIENT, FORM, form, passwordGrant } from './helpers';

/** Mostly valid values, with some edge cases. */
function mostly<T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: valid }, { weight: 1, arbitrary: edge });
}

/**
 * The emulator is a development tool: a bad option may throw any Error (its validation throws TypeError and
 * RangeError on purpose), as long as it is an Error with a message that does not echo a secret. Errors of Node's
 * own realm (e.g. from URL parsing) are recognised by shape.
 */
function expectAnError(error: unknown, where: string): void {
  if (error instanceof PlantedError) return;
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (!(error instanceof Error) && !(typeof name === 'string' && typeof message === 'string')) {
    throw new Error(`${where} threw ${describeThrown(error)}, not an Error`);
  }
  if (typeof message !== 'string' || message.trim() === '')
    throw new Error(`${where} threw an Error without a message`);
  expectNoCanary(error, where);
}

const user = fc.record(
  {
    username: mostly(
      fc.constantFrom('demo@example.com', 'other@example.com', '123_agency@example.com'),
      anyString,
    ),
    password: mostly(fc.constantFrom(CANARY_PASSWORD), anyString),
    apiEnabled: mostly(fc.boolean(), weird),
    account: mostly(
      fc.record({ account_id: fc.integer({ min: 1, max: 99_999 }) }, { requiredKeys: [] }),
      weird,
    ),
  },
  { requiredKeys: ['username', 'password'] },
);

const fields = {
  clientId: mostly(fc.constantFrom('emulator-client-id', 'c'), anyString),
  clientSecret: mostly(fc.constantFrom(CANARY_SECRET), anyString),
  users: mostly(
    fc.array(user, { minLength: 1, maxLength: 3 }),
    fc.oneof(fc.constant([]), fc.array(weird, { maxLength: 2 })),
  ),
  tokenTtlSec: mostly(fc.integer({ min: 1, max: 86_400 }), anyNumber),
  refreshTokenTtlSec: mostly(fc.integer({ min: 1, max: 2_592_000 }), anyNumber),
  authLimitPerHour: mostly(fc.oneof(fc.nat(10), fc.constant(Number.POSITIVE_INFINITY)), anyNumber),
  authLimitResponse: mostly(
    fc.record({ status: fc.integer({ min: 200, max: 599 }), body: fc.jsonValue() }),
    fc.oneof(fc.record({ status: anyNumber, body: weird, headers: weird }), weird),
  ),
  revokeAccessTokensOnReissue: mostly(fc.boolean(), weird),
  redirectUris: mostly(
    fc.constantFrom(['http://127.0.0.1:3000/cb'], []),
    fc.oneof(fc.array(urlString, { maxLength: 3 }), weird),
  ),
  codeGrantEnabled: mostly(fc.boolean(), weird),
  codeTtlSec: mostly(fc.integer({ min: 1, max: 600 }), anyNumber),
  scope: mostly(fc.constantFrom('offline-access', 'PRODUCTION'), anyString),
  apiRateLimitPerSecond: mostly(fc.integer({ min: 0, max: 10 }), anyNumber),
  clock: mostly(fc.constant('manual-clock'), weird),
  faults: mostly(
    fc.record(
      {
        seed: fc.integer(),
        latencyMs: fc.oneof(fc.nat(5), fc.tuple(fc.nat(5), fc.nat(5))),
        errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
        dropRate: fc.double({ min: 0, max: 1, noNaN: true }),
        rotateThenDropRate: fc.double({ min: 0, max: 1, noNaN: true }),
        paths: fc.constantFrom(['/token'], []),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      fc.record(
        {
          seed: anyNumber,
          latencyMs: fc.oneof(anyNumber, fc.array(anyNumber, { maxLength: 3 })),
          errorRate: anyNumber,
          paths: weird,
        },
        { requiredKeys: [] },
      ),
      weird,
    ),
  ),
  logger: mostly(
    fc.constant(() => undefined),
    weird,
  ),
};

let constructed = 0;

async function attemptEmulator(options: unknown): Promise<void> {
  if (options !== null && typeof options === 'object') {
    try {
      const descriptor = Object.getOwnPropertyDescriptor(options, 'clock');
      if (descriptor?.writable === true && descriptor.value === 'manual-clock') {
        Object.defineProperty(options, 'clock', {
          ...descriptor,
          value: createManualClock(1_700_000_000_000),
        });
      }
    } catch {
      // A hostile options object stays as it is.
    }
  }
  let emulator: ActOnEmulator;
  try {
    emulator = createActOnEmulator(options as never);
  } catch (error) {
    expectAnError(error, 'createActOnEmulator()');
    return;
  }
  constructed++;
  try {
    // Created, not started; its own bookkeeping works.
    expect(emulator.server.listening).toBe(false);
    expect(emulator.options.users.length).toBeGreaterThan(0);
    expect(typeof emulator.stats().tokenRequests).toBe('number');
    expectNoCanary(emulator.options.clientId, 'the resolved clientId');
  } finally {
    await emulator.close();
  }
  expectNoPollution();
}

describe('fuzz: createActOnEmulator() options', () => {
  afterEach(() => {
    expectNoPollution();
  });

  it('constructs (without listening) or throws an Error with a message, never a secret in it', async () => {
    const before = constructed;
    await fc.assert(fc.asyncProperty(fuzzOptions(fields, ['client_id', 'port', 'user']), attemptEmulator), {
      numRuns: 150,
    });
    expect(constructed).toBeGreaterThan(before);
  });

  it('every option × every hostile value', async () => {
    const bases = [
      {},
      {
        clientId: 'c',
        clientSecret: CANARY_SECRET,
        users: [
          {
            username: 'demo@example.com',
            password: CANARY_PASSWORD,
            apiEnabled: true,
            account: { account_id: 5 },
          },
        ],
        tokenTtlSec: 60,
        refreshTokenTtlSec: 600,
        authLimitPerHour: 5,
        authLimitResponse: { status: 429, body: 'slow down' },
        revokeAccessTokensOnReissue: true,
        redirectUris: ['http://127.0.0.1:3000/cb'],
        codeGrantEnabled: true,
        codeTtlSec: 60,
        scope: 'PRODUCTION',
        apiRateLimitPerSecond: 5,
        clock: 'manual-clock',
        faults: {
          seed: 1,
          latencyMs: [0, 1],
          errorRate: 0,
          dropRate: 0,
          rotateThenDropRate: 0,
          paths: ['/token'],
        },
        logger: () => undefined,
      },
    ];
    const { tried, failures } = await sweepSingleFaults(bases, Object.keys(fields), attemptEmulator);
    expect(tried).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });

  it('setFaults() and injectFault() with hostile arguments: applied or refused with an Error', async () => {
    const emulator = createActOnEmulator();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fields.faults, weird),
          fc.oneof(
            weird,
            fc.record(
              { kind: weird, times: anyNumber, status: anyNumber, latencyMs: anyNumber, path: weird },
              { requiredKeys: [] },
            ),
          ),
          async (faults, oneShot) => {
            for (const [name, call] of [
              ['setFaults()', () => emulator.setFaults(faults as never)],
              ['injectFault()', () => emulator.injectFault(oneShot as never)],
            ] as const) {
              try {
                call();
              } catch (error) {
                expectAnError(error, `emulator.${name}`);
              }
            }
            emulator.setFaults(undefined);
            emulator.reset();
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      await emulator.close();
    }
  });
});

describe('fuzz: request fields named after Object.prototype members (a gap of fuzz.test.ts)', () => {
  let emulator: ActOnEmulator;

  beforeAll(async () => {
    emulator = await startActOnEmulator({ authLimitPerHour: Number.POSITIVE_INFINITY });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(() => {
    expectNoPollution();
  });

  const protoName = fc.oneof(
    dangerousKey,
    fc.constantFrom(
      '__defineGetter__',
      'isPrototypeOf',
      'toLocaleString',
      'propertyIsEnumerable',
      'length',
      'name',
    ),
  );

  it('a username, code, refresh token, client id or bearer token like "__proto__" changes nothing outside the emulator', async () => {
    const request = fc.oneof(
      fc.record({
        kind: fc.constant('password' as const),
        username: protoName,
        password: fc.oneof(protoName, fc.constant('x')),
      }),
      fc.record({ kind: fc.constant('refresh' as const), token: protoName }),
      fc.record({
        kind: fc.constant('code' as const),
        code: protoName,
        redirect: fc.oneof(protoName, fc.constant('http://127.0.0.1:1/cb')),
      }),
      fc.record({ kind: fc.constant('client' as const), clientId: protoName, secret: protoName }),
      fc.record({ kind: fc.constant('bearer' as const), token: protoName }),
      fc.record({ kind: fc.constant('authorize' as const), clientId: protoName, state: protoName }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let response: Response;
        switch (r.kind) {
          case 'password':
          case 'refresh':
          case 'code':
          case 'client': {
            const fields: Record<string, string> =
              r.kind === 'password'
                ? { grant_type: 'password', username: r.username, password: r.password, ...CLIENT }
                : r.kind === 'refresh'
                  ? { grant_type: 'refresh_token', refresh_token: r.token, ...CLIENT }
                  : r.kind === 'code'
                    ? { grant_type: 'authorization_code', code: r.code, redirect_uri: r.redirect, ...CLIENT }
                    : {
                        grant_type: 'password',
                        username: EMULATOR_DEFAULTS.username,
                        password: 'x',
                        client_id: r.clientId,
                        client_secret: r.secret,
                      };
            response = await fetch(`${emulator.url}/token`, {
              method: 'POST',
              headers: { 'content-type': FORM },
              body: form(fields),
            });
            break;
          }
          case 'bearer':
            response = await fetch(`${emulator.url}/api/1/account`, {
              headers: { authorization: `Bearer ${r.token}` },
            });
            break;
          case 'authorize':
            response = await fetch(
              `${emulator.url}/authorize?${form({ client_id: r.clientId, state: r.state, response_type: 'code', redirect_uri: 'http://127.0.0.1:1/cb' })}`,
            );
            break;
        }
        await response.arrayBuffer();
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        // The emulator runs inside the caller's process: its bookkeeping must not reach shared prototypes.
        expectNoPollution();
        expect(emulator.stats().perUser).toEqual({
          [EMULATOR_DEFAULTS.username]: expect.objectContaining({ tokensIssued: expect.any(Number) }),
        });
      }),
      { numRuns: 100, examples: [[{ kind: 'password', username: '__proto__', password: 'x' }]] },
    );
    // And the emulator still serves its real user.
    expect((await passwordGrant(emulator)).status).toBe(200);
  });
});
