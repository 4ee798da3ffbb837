import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ActOnError, ActOnLockTimeoutError, FileTokenStore, MemoryTokenStore, type TokenStore } from '../src';
import {
  anyNumber,
  anyString,
  describeThrown,
  expectNoCanary,
  expectNoPollution,
  fuzzTokenSet,
  groupFailures,
  HOSTILE_VALUES,
  PlantedError,
  problemOf,
  type SweepFailure,
  TOKEN_FIELDS,
  weird,
  within,
} from './fuzz-arbitraries';

/** What every store accepts as a token set (the weakest of the stores' own checks, RedisTokenStore's). */
function isStorableTokenSet(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.accessToken === 'string' &&
    typeof v.refreshToken === 'string' &&
    typeof v.tokenType === 'string' &&
    (v.scope === undefined || typeof v.scope === 'string') &&
    typeof v.expiresAt === 'number' &&
    Number.isFinite(v.expiresAt) &&
    typeof v.obtainedAt === 'number' &&
    Number.isFinite(v.obtainedAt)
  );
}

const account = fc.oneof(
  { withCrossShrink: true },
  {
    weight: 4,
    arbitrary: fc.constantFrom('acct', 'other', '__proto__', 'constructor', 'hasOwnProperty', 'é'),
  },
  { weight: 2, arbitrary: anyString },
  { weight: 1, arbitrary: weird },
);
const version = fc.oneof({ withCrossShrink: true }, fc.nat(3), anyNumber, weird);
const lockOptions = fc.oneof(
  { withCrossShrink: true },
  {
    weight: 3,
    arbitrary: fc.record({ leaseMs: fc.integer({ min: 1, max: 5000 }), waitTimeoutMs: fc.nat(5000) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ leaseMs: fc.oneof(anyNumber, weird), waitTimeoutMs: fc.oneof(anyNumber, weird) }),
  },
  { weight: 1, arbitrary: weird },
);

type StoreCall =
  | { method: 'get'; account: unknown }
  | { method: 'set'; account: unknown; tokens: unknown; version: unknown }
  | { method: 'delete'; account: unknown }
  | { method: 'reserveAuthAttempt'; account: unknown; limit: unknown; windowMs: unknown; now: unknown }
  | { method: 'withLock'; account: unknown; options: unknown; fnThrows: boolean };

const storeCall: fc.Arbitrary<StoreCall> = fc.oneof(
  { withCrossShrink: true },
  fc.record({ method: fc.constant('get' as const), account }),
  fc.record({ method: fc.constant('set' as const), account, tokens: fuzzTokenSet, version }),
  fc.record({ method: fc.constant('delete' as const), account }),
  fc.record({
    method: fc.constant('reserveAuthAttempt' as const),
    account,
    limit: fc.oneof(fc.nat(10), anyNumber, weird),
    windowMs: fc.oneof(fc.integer({ min: 1, max: 3_600_000 }), anyNumber, weird),
    now: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000_000 }), anyNumber, weird),
  }),
  fc.record({
    method: fc.constant('withLock' as const),
    account,
    options: lockOptions,
    fnThrows: fc.boolean(),
  }),
);

/** One call with hostile arguments: it resolves, or rejects with a typed ActOnError (or the caller's own error). */
async function runCall(store: TokenStore, call: StoreCall): Promise<void> {
  const fnError = new PlantedError('withLock callback');
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    const pending = (async () => {
      switch (call.method) {
        case 'get':
          return store.get(call.account as string);
        case 'set':
          return store.set(call.account as string, call.tokens as never, call.version as number);
        case 'delete':
          return store.delete(call.account as string);
        case 'reserveAuthAttempt':
          return store.reserveAuthAttempt(
            call.account as string,
            call.limit as number,
            call.windowMs as number,
            call.now as number,
          );
        case 'withLock':
          return store.withLock(call.account as string, call.options as never, async () => {
            if (call.fnThrows) throw fnError;
            return 'fn-result';
          });
      }
    })();
    outcome = { ok: true, value: await within(pending, 5000, `store.${call.method}()`) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (!outcome.ok) {
    const { error } = outcome;
    if (error === fnError || error instanceof PlantedError) return;
    if (!(error instanceof ActOnError)) {
      throw new Error(`store.${call.method}() rejected with ${describeThrown(error)}, not an ActOnError`);
    }
    expect(error.message.trim()).not.toBe('');
    expectNoCanary(error, `store.${call.method}() error`);
    return;
  }
  if (call.method === 'withLock') expect(outcome.value).toBe('fn-result');
  if (call.method === 'set') {
    // What a store accepted must be a token set, and must read back as it was given.
    const stored = outcome.value as { tokens: unknown; version: number };
    if (!isStorableTokenSet(call.tokens)) {
      throw new Error(
        `store.set() accepted a value that is not a TokenSet: ${fc.stringify(call.tokens).slice(0, 300)}`,
      );
    }
    const readBack = await within(store.get(call.account as string), 5000, 'store.get() after set()');
    expect(readBack?.version).toBe(stored.version);
    const given = call.tokens as Record<string, unknown>;
    for (const field of TOKEN_FIELDS) {
      const read = (readBack?.tokens as unknown as Record<string, unknown>)[field];
      // -0 may come back as 0 through JSON: the same number.
      if (typeof given[field] === 'number') expect(read === given[field]).toBe(true);
      else expect(read).toEqual(given[field]);
    }
  }
}

afterEach(() => {
  expectNoPollution();
});

const VALID_TOKENS = {
  accessToken: 'at-1',
  refreshToken: 'rt-1',
  tokenType: 'Bearer',
  expiresAt: 1_700_000_003_600,
  obtainedAt: 1_700_000_000_000,
};

/**
 * Every argument of every store method, one at a time, set to every hostile value (and every token field, and
 * every extra hostile field on a valid token set), the others valid. Lists every failing combination at once.
 */
async function sweepStoreArguments(
  makeStore: () => TokenStore,
): Promise<{ tried: number; failures: string[] }> {
  const valid: Record<StoreCall['method'], StoreCall> = {
    get: { method: 'get', account: 'acct' },
    set: { method: 'set', account: 'acct', tokens: VALID_TOKENS, version: 0 },
    delete: { method: 'delete', account: 'acct' },
    reserveAuthAttempt: { method: 'reserveAuthAttempt', account: 'acct', limit: 5, windowMs: 1000, now: 1 },
    withLock: {
      method: 'withLock',
      account: 'acct',
      options: { leaseMs: 1000, waitTimeoutMs: 1000 },
      fnThrows: false,
    },
  };
  const variants: Array<{ where: string; value: string; call: StoreCall }> = [];
  for (const call of Object.values(valid)) {
    for (const argument of Object.keys(call).filter((key) => key !== 'method' && key !== 'fnThrows')) {
      for (const [name, make] of HOSTILE_VALUES) {
        variants.push({
          where: `${call.method}(${argument})`,
          value: name,
          call: { ...call, [argument]: make() } as StoreCall,
        });
      }
    }
  }
  for (const field of TOKEN_FIELDS) {
    for (const [name, make] of HOSTILE_VALUES) {
      variants.push({
        where: `set(tokens.${field})`,
        value: name,
        call: { ...valid.set, tokens: { ...VALID_TOKENS, [field]: make() } } as StoreCall,
      });
    }
  }
  for (const key of ['extra', 'toJSON', '__proto__', 'constructor']) {
    for (const [name, make] of HOSTILE_VALUES) {
      const tokens: Record<string, unknown> = { ...VALID_TOKENS };
      Object.defineProperty(tokens, key, {
        value: make(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      variants.push({
        where: `set(tokens + own ${key})`,
        value: name,
        call: { ...valid.set, tokens } as StoreCall,
      });
    }
  }
  for (const [name, make] of HOSTILE_VALUES) {
    for (const option of ['leaseMs', 'waitTimeoutMs']) {
      variants.push({
        where: `withLock(options.${option})`,
        value: name,
        call: {
          ...valid.withLock,
          options: { leaseMs: 1000, waitTimeoutMs: 1000, [option]: make() },
        } as StoreCall,
      });
    }
  }
  const failed: SweepFailure[] = [];
  for (const { where, value, call } of variants) {
    const store = makeStore();
    try {
      await runCall(store, call);
    } catch (error) {
      const problem = problemOf(error)
        .replace(/(accepted a value that is not a TokenSet).*/, '$1')
        .replace(/Token file \S+ is unreadable.*/, 'the token file became unreadable');
      failed.push({ where, value, problem });
    } finally {
      await store.close();
    }
  }
  return { tried: variants.length, failures: groupFailures(failed) };
}

describe('fuzz: token store methods with hostile arguments', () => {
  it('MemoryTokenStore: every call resolves or rejects with a typed ActOnError; what set() accepts reads back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storeCall, { minLength: 1, maxLength: 5 }), async (calls) => {
        const store = new MemoryTokenStore();
        try {
          for (const call of calls) await runCall(store, call);
        } finally {
          await store.close();
        }
      }),
      {
        numRuns: 300,
        // Known counterexample: MemoryTokenStore.set() stores anything, here `undefined`.
        examples: [[[{ method: 'set', account: 'acct', tokens: undefined, version: 0 }]]],
      },
    );
  });

  it('MemoryTokenStore: every argument × every hostile value', async () => {
    const { tried, failures } = await sweepStoreArguments(() => new MemoryTokenStore());
    expect(tried).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  });

  describe('FileTokenStore', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'acton-fuzz-store-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('every call resolves or rejects with a typed ActOnError; what set() accepts reads back (and the file stays readable)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(storeCall, { minLength: 1, maxLength: 4 }), async (calls) => {
          const store = new FileTokenStore({ path: join(dir, `tokens-${run++}.json`) });
          try {
            for (const call of calls) await runCall(store, call);
            // Whatever was written, the file must still be readable for every other account.
            await within(store.get('an-unrelated-account'), 5000, 'store.get()');
          } finally {
            await store.close();
          }
        }),
        {
          numRuns: 60,
          // Known counterexamples: a bigint next to the tokens (TypeError), a toJSON that rewrites them.
          examples: [
            [[{ method: 'set', account: 'acct', tokens: { ...VALID_TOKENS, extra: 10n }, version: 0 }]],
            [
              [
                {
                  method: 'set',
                  account: 'acct',
                  tokens: { ...VALID_TOKENS, toJSON: () => ({}) },
                  version: 0,
                },
              ],
            ],
          ],
        },
      );
    });

    it('every argument × every hostile value', async () => {
      let run = 0;
      const { failures } = await sweepStoreArguments(
        () => new FileTokenStore({ path: join(dir, `sweep-${run++}.json`) }),
      );
      expect(failures).toEqual([]);
    });
  });

  it.each([
    ['MemoryTokenStore', (): TokenStore => new MemoryTokenStore()],
    [
      'FileTokenStore',
      (): TokenStore =>
        new FileTokenStore({ path: join(tmpdir(), `acton-fuzz-lock-${process.pid}-${Math.random()}.json`) }),
    ],
  ])(
    '%s.withLock: for every lock option it accepts, two overlapping holders never run at once within the lease, and a long enough wait succeeds',
    async (_name, makeStore) => {
      const HOLD_MS = 20;
      const durations = [1, 5, 200, 1000, 2 ** 31 - 1, 2 ** 31, 3e9, 1e12, 8.64e15];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...durations),
          fc.constantFrom(0, ...durations),
          async (leaseMs, waitTimeoutMs) => {
            const store = makeStore();
            let inside = 0;
            let overlap = false;
            const hold = async (): Promise<void> => {
              inside++;
              if (inside > 1) overlap = true;
              await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
              inside--;
            };
            const options = { leaseMs, waitTimeoutMs };
            try {
              const results = await within(
                Promise.allSettled([
                  store.withLock('acct', options, hold),
                  store.withLock('acct', options, hold),
                ]),
                5000,
                'two withLock() calls',
              );
              for (const result of results) {
                if (result.status === 'rejected' && !(result.reason instanceof ActOnError)) {
                  throw new Error(`withLock rejected with ${describeThrown(result.reason)}`);
                }
              }
              const [first, second] = results;
              expect(first?.status).toBe('fulfilled');
              // A lease far longer than the holder needs must keep the second caller out.
              if (leaseMs >= 200) expect(overlap).toBe(false);
              // A wait far longer than the holder needs must end in the lock, not in a timeout.
              if (waitTimeoutMs >= 1000 && leaseMs >= 200) {
                if (second?.status === 'rejected') {
                  throw new Error(
                    `the second caller failed with ${describeThrown(second.reason)} although it may wait ${waitTimeoutMs} ms for a ${HOLD_MS} ms holder`,
                  );
                }
              }
              if (second?.status === 'rejected') expect(second.reason).toBeInstanceOf(ActOnLockTimeoutError);
            } finally {
              await store.close();
            }
          },
        ),
        {
          numRuns: 40,
          // Known counterexamples: durations above setTimeout's 2^31-1 ms fire after 1 ms.
          examples: [
            [3e9, 1000],
            [1000, 3e9],
          ],
        },
      );
    },
  );
});
