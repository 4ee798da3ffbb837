/**
 * Shared building blocks of the fuzz/property tests (issue 8): hostile values, option objects built from them,
 * secret canaries, and the checks every fuzz test applies to an error. Depends on fast-check only, so every
 * package's fuzz tests can import it.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';

/** Planted in secret options (client secrets); no error text may ever contain one. */
export const CANARY_SECRET = 'fuzz-canary-secret-xyz';
/** Planted in passwords. */
export const CANARY_PASSWORD = 'fuzz-canary-password-qrs';
/** Planted in encryption keys and signing secrets (not a valid key: it must be refused without being echoed). */
export const CANARY_KEY = 'fuzz-canary-encryption-key-uvw';
/** Planted as the password part of URLs (`https://user:<canary>@host`). */
export const CANARY_URL_PASSWORD = 'fuzz-canary-url-password-klm';
/** Planted as refresh tokens and authorization codes sent to a token endpoint. */
export const CANARY_REFRESH_TOKEN = 'fuzz-canary-refresh-token-def';
export const CANARIES: readonly string[] = [
  CANARY_SECRET,
  CANARY_PASSWORD,
  CANARY_KEY,
  CANARY_URL_PASSWORD,
  CANARY_REFRESH_TOKEN,
];

/**
 * Thrown by the getters, proxies and `toString` methods the fuzzers plant. It is the caller's own exception: code
 * under test may let it pass through unchanged, but must not turn it into anything else.
 */
export class PlantedError extends Error {
  constructor(where: string) {
    super(`planted failure in ${where}`);
    this.name = 'PlantedError';
  }
}

/** Gives a hostile value a readable name in fast-check's counterexample reports (which must not trip over it). */
function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false });
  return value;
}

/** A proxy whose every string-keyed trap throws; symbol reads pass through so reporting still works. */
export function throwingProxy(label = 'throwingProxy'): object {
  const target = labelled({}, label);
  const fail = (trap: string) => (): never => {
    throw new PlantedError(`${label}.${trap}`);
  };
  return new Proxy(target, {
    get: (t, key) => (typeof key === 'symbol' ? Reflect.get(t, key) : fail('get')()),
    has: (t, key) => (typeof key === 'symbol' ? Reflect.has(t, key) : fail('has')()),
    ownKeys: fail('ownKeys'),
    getOwnPropertyDescriptor: (t, key) =>
      typeof key === 'symbol' ? Reflect.getOwnPropertyDescriptor(t, key) : fail('getOwnPropertyDescriptor')(),
    set: fail('set'),
    defineProperty: fail('defineProperty'),
    deleteProperty: fail('deleteProperty'),
  });
}

const HUGE = 'a'.repeat(1 << 20);

/** Strings that break naive code: empty, blank, control and format characters, keywords, huge. */
export const specialString: fc.Arbitrary<string> = fc.constantFrom(
  '',
  ' ',
  '\t',
  '\n',
  ' \r\n ',
  '\u0000',
  '\u200b',
  '\ufeff',
  '\ud800',
  'us',
  'eu',
  'US',
  ' eu ',
  'true',
  'false',
  '0',
  '-1',
  '1e3',
  'NaN',
  'Infinity',
  'undefined',
  'null',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '[object Object]',
  '%00',
  '%zz',
  '%E0%A4%A',
  '../../etc/passwd',
  '<script>',
  '"\'`',
  'memory',
  'file',
  'redis',
);

export const hugeString: fc.Arbitrary<string> = fc.constantFrom(
  HUGE,
  ` ${HUGE} `,
  `https://${HUGE}.example.com`,
  `/${HUGE}`,
  `redis://${HUGE}`,
);

/** Any string: printable, full unicode, lone surrogates and control characters, or special ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { withCrossShrink: true },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      maxLength: 20,
    }),
  },
  { weight: 3, arbitrary: specialString },
);

/** URL-shaped strings: good, almost good, and hostile ones (credentials, other schemes, odd hosts, percent garbage). */
export const urlString: fc.Arbitrary<string> = fc.oneof(
  { withCrossShrink: true },
  { weight: 2, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'http://127.0.0.1:9',
      'http://localhost:9/',
      'http://[::1]:9',
      'https://api.actonsoftware.com',
      'https://api-eu.actonsoftware.com/',
      'http://example.com',
      'https://example.com//',
      'http://127.0.0.1:9/?q=1',
      'http://127.0.0.1:9/#f',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hi',
      '//example.com',
      '/relative/path',
      'relative',
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://localhost./',
      'HTTP://LOCALHOST:9',
      'http://[::ffff:127.0.0.1]/',
      'http://127.0.0.1:65536',
      'http://%zz',
      'http://a b',
      'http://\u0000',
      'https://例え.jp/',
      'redis://127.0.0.1:9',
      'redis://127.0.0.1:9/15',
      'redis://%E0%A4%A@127.0.0.1:9',
      'redis://u:%zz@127.0.0.1:9',
      'redis://',
      'redis:',
      'redis://h:1/99999999999999999999',
      'unix:///tmp/redis.sock',
    ),
  },
);

/**
 * URLs carrying {@link CANARY_URL_PASSWORD} as their password. Only for options that are URLs with credentials in
 * them (a base URL, a Redis URL): in any other option the value is no secret and may legitimately be shown.
 */
export const urlWithSecret: fc.Arbitrary<string> = fc.constantFrom(
  `https://user:${CANARY_URL_PASSWORD}@example.com/`,
  `http://u:${CANARY_URL_PASSWORD}@127.0.0.1:9`,
  `http://:${CANARY_URL_PASSWORD}@localhost:9/`,
  `redis://:${CANARY_URL_PASSWORD}@127.0.0.1:9/0`,
  `rediss://user:${CANARY_URL_PASSWORD}@127.0.0.1:9`,
  `redis://u:${CANARY_URL_PASSWORD}@127.0.0.1:9/0?password=${CANARY_URL_PASSWORD}`,
  `redis://u:${CANARY_URL_PASSWORD}%zz@127.0.0.1:9`,
  `http://u:${CANARY_URL_PASSWORD}@a b/`,
);

export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  { withCrossShrink: true },
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1,
    2,
    5,
    10,
    999,
    1000,
    1001,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 32,
    60_000,
    300_000,
    600_000,
    600_001,
    3_600_000,
    86_400_000,
    86_400_001,
  ),
);

/**
 * Values no option validator expects, by name; each is built afresh so no run can change another's. Type
 * confusion (objects without a prototype, throwing `toString`, symbols, bigints, boxed primitives) is what turns a
 * validator's own error message into a crash: `String(Object.create(null))` throws a TypeError.
 */
export const HOSTILE_VALUES: ReadonlyArray<readonly [string, () => unknown]> = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['true', () => true],
  ['false', () => false],
  ['0', () => 0],
  ['-0', () => -0],
  ['-1', () => -1],
  ['0.5', () => 0.5],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['-Infinity', () => Number.NEGATIVE_INFINITY],
  ['MAX_VALUE', () => Number.MAX_VALUE],
  ['2^53+2', () => Number.MAX_SAFE_INTEGER + 2],
  ["''", () => ''],
  ["' '", () => ' '],
  ["'\\n'", () => '\n'],
  ["'\\u0000'", () => '\u0000'],
  ["'\\ud800'", () => '\ud800'],
  ["'__proto__'", () => '__proto__'],
  ['huge string', () => HUGE],
  ['Object.create(null)', () => labelled(Object.create(null) as object, 'Object.create(null)')],
  ['{}', () => ({})],
  ['[]', () => []],
  ["['us']", () => ['us']],
  ['new Date(NaN)', () => new Date(Number.NaN)],
  ['Map', () => new Map([['clientId', 'x']])],
  ['Set', () => new Set(['us'])],
  ['RegExp', () => /regex/],
  ['empty Buffer', () => Buffer.alloc(0)],
  ['32-byte Buffer', () => Buffer.alloc(32, 1)],
  ['Uint8Array(16)', () => new Uint8Array(16)],
  ['function', () => () => undefined],
  ['async function', () => async () => undefined],
  ['class', () => class Foo {}],
  ['Symbol', () => Symbol('fuzz')],
  ['10n', () => 10n],
  ["new String('us')", () => new String('us')],
  ['new Number(1000)', () => new Number(1000)],
  ['new Boolean(false)', () => new Boolean(false)],
  ['throwing proxy', () => throwingProxy()],
  [
    'throwing toString/valueOf',
    () =>
      labelled(
        {
          toString(): string {
            throw new PlantedError('toString');
          },
          valueOf(): number {
            throw new PlantedError('valueOf');
          },
        },
        'throwing toString/valueOf',
      ),
  ],
  [
    'throwing Symbol.toPrimitive',
    () =>
      labelled(
        {
          [Symbol.toPrimitive](): never {
            throw new PlantedError('Symbol.toPrimitive');
          },
        },
        'throwing Symbol.toPrimitive',
      ),
  ],
  ['JSON __proto__', () => JSON.parse('{"__proto__":{"polluted":"yes"}}') as unknown],
  ['constructor.prototype', () => ({ constructor: { prototype: { polluted: 'yes' } } })],
  ['frozen thenable', () => Object.freeze(labelled({ then: () => undefined }, 'frozen thenable'))],
  ['Error', () => new Error('an error as a value')],
];

export const specialValue: fc.Arbitrary<unknown> = fc
  .integer({ min: 0, max: HOSTILE_VALUES.length - 1 })
  .map((index) => (HOSTILE_VALUES[index] as readonly [string, () => unknown])[1]());

/** Any hostile value. */
export const weird: fc.Arbitrary<unknown> = fc.oneof(
  { withCrossShrink: true },
  {
    weight: 2,
    arbitrary: fc.anything({
      maxDepth: 2,
      maxKeys: 4,
      withNullPrototype: true,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withObjectString: true,
      stringUnit: 'binary',
    }),
  },
  { weight: 2, arbitrary: anyString },
  { weight: 2, arbitrary: anyNumber },
  { weight: 5, arbitrary: specialValue },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: urlString },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, false) },
);

const ABSENT = Symbol('absent');

/** Keys that have hurt option parsers elsewhere: prototype pollution, JSON hooks, shadowed builtins. */
export const dangerousKey: fc.Arbitrary<string> = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toJSON',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
);

export const TOKEN_FIELDS = [
  'accessToken',
  'refreshToken',
  'tokenType',
  'scope',
  'expiresAt',
  'obtainedAt',
] as const;

const token = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom('at-0123456789', 'rt-0123456789', 'x'),
  fc.string({ minLength: 1, maxLength: 30 }),
);
export const validTokenSet = fc.record(
  {
    accessToken: token,
    refreshToken: token,
    tokenType: fc.constantFrom('Bearer', 'bearer'),
    scope: fc.constantFrom('offline-access', 'PRODUCTION'),
    expiresAt: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
    obtainedAt: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  },
  { requiredKeys: ['accessToken', 'refreshToken', 'tokenType', 'expiresAt', 'obtainedAt'] },
);

/** A token set: valid, valid with one field broken, valid with an extra hostile field (a function, a bigint, toJSON…), or garbage. */
export const fuzzTokenSet: fc.Arbitrary<unknown> = fc.oneof(
  { withCrossShrink: true },
  { weight: 3, arbitrary: validTokenSet },
  {
    weight: 3,
    arbitrary: fc
      .tuple(validTokenSet, fc.constantFrom(...TOKEN_FIELDS), weird)
      .map(([tokens, field, value]) => ({ ...tokens, [field]: value })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(validTokenSet, fc.oneof(dangerousKey, fc.constantFrom('extra', 'password')), weird)
      .map(([tokens, key, value]) => {
        const copy: Record<string, unknown> = { ...tokens };
        Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
        return copy;
      }),
  },
  { weight: 2, arbitrary: weird },
);

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type Shape = 'plain' | 'nullPrototype' | 'frozen' | 'throwingGetter' | 'inherited' | 'proxy';

/**
 * An options object for a constructor. Each known key is absent or takes a value from `plausible` (mostly valid, so
 * that validation gets past the first checks); then up to two keys are given a hostile value, extra keys (typos,
 * `__proto__`, …) may be added, and the object may have a null prototype, be frozen, inherit its options, be a
 * throwing proxy or have one getter that throws. Now and then the whole options argument is a hostile value.
 */
export function fuzzOptions(
  plausible: Readonly<Record<string, fc.Arbitrary<unknown>>>,
  extraKeys: readonly string[] = [],
): fc.Arbitrary<unknown> {
  const keys = Object.keys(plausible);
  const fields = fc.record(
    Object.fromEntries(
      keys.map((key) => [
        key,
        fc.oneof(
          { withCrossShrink: true },
          { weight: 7, arbitrary: plausible[key] as fc.Arbitrary<unknown> },
          { weight: 2, arbitrary: fc.constant(ABSENT) },
        ),
      ]),
    ),
  );
  const corrupted = fc.array(fc.tuple(fc.constantFrom(...keys), weird), { maxLength: 2 });
  const extraKey = fc.oneof(
    dangerousKey,
    fc.string({ maxLength: 8 }),
    fc.constantFrom(...extraKeys, 'extra'),
  );
  const built = fc
    .record({
      fields,
      corrupted,
      extras: fc.array(fc.tuple(extraKey, weird), { maxLength: 1 }),
      withExtras: fc.boolean(),
      shape: fc.constantFrom<Shape>(
        'plain',
        'plain',
        'plain',
        'plain',
        'plain',
        'plain',
        'plain',
        'plain',
        'nullPrototype',
        'frozen',
        'throwingGetter',
        'inherited',
        'proxy',
      ),
      getterIndex: fc.nat(),
    })
    .map(({ fields: values, corrupted: hostile, extras, withExtras, shape, getterIndex }) => {
      const own: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(values)) if (value !== ABSENT) defineOwn(own, key, value);
      for (const [key, value] of hostile) defineOwn(own, key, value);
      if (withExtras) for (const [key, value] of extras) defineOwn(own, key, value);
      const description = fc.stringify(own);
      switch (shape) {
        case 'plain':
          return own;
        case 'nullPrototype':
          return labelled(Object.setPrototypeOf(own, null) as object, `nullPrototype(${description})`);
        case 'frozen':
          return Object.freeze(own);
        case 'inherited':
          return labelled(Object.create(own) as object, `inheriting(${description})`);
        case 'proxy':
          return throwingProxy(`proxy(${description})`);
        case 'throwingGetter': {
          const present = Object.keys(own);
          const key =
            present.length === 0 ? (keys[0] ?? 'x') : (present[getterIndex % present.length] as string);
          Object.defineProperty(own, key, {
            enumerable: true,
            configurable: true,
            get(): never {
              throw new PlantedError(`getter of ${key}`);
            },
          });
          return labelled(own, `withThrowingGetter(${description}, ${JSON.stringify(key)})`);
        }
      }
    });
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 20, arbitrary: built },
    { weight: 1, arbitrary: weird },
  );
}

/**
 * Every options object that differs from one of the `valid` ones in exactly one place: one key set to each value of
 * {@link HOSTILE_VALUES}, or turned into a throwing getter, or an extra dangerous key added. Deterministic and
 * exhaustive, it finds what random generation of many fields at once reaches too rarely: one bad value among
 * good ones.
 */
export function* singleFaultVariants(
  valid: ReadonlyArray<Readonly<Record<string, unknown>>>,
  keys: readonly string[],
): Generator<{ where: string; value: string; options: Record<string, unknown> }> {
  for (const base of valid) {
    for (const key of keys) {
      for (const [name, make] of HOSTILE_VALUES) {
        const options: Record<string, unknown> = { ...base };
        defineOwn(options, key, make());
        yield { where: key, value: name, options };
      }
      const getter: Record<string, unknown> = { ...base };
      Object.defineProperty(getter, key, {
        enumerable: true,
        configurable: true,
        get(): never {
          throw new PlantedError(`getter of ${key}`);
        },
      });
      yield { where: key, value: 'a throwing getter', options: getter };
    }
    for (const key of ['__proto__', 'constructor', 'toJSON', 'then']) {
      for (const [name, make] of HOSTILE_VALUES) {
        const options: Record<string, unknown> = { ...base };
        defineOwn(options, key, make());
        yield { where: `own ${key}`, value: name, options };
      }
    }
    yield {
      where: 'the options object',
      value: 'with a null prototype',
      options: Object.setPrototypeOf({ ...base }, null) as Record<string, unknown>,
    };
    yield { where: 'the options object', value: 'frozen', options: Object.freeze({ ...base }) };
  }
}

/**
 * Runs `attempt` on every {@link singleFaultVariants} variant and returns one line per variant it failed on, so a
 * failing sweep lists every culprit at once (not only the first one, as a property does).
 */
export async function sweepSingleFaults(
  valid: ReadonlyArray<Readonly<Record<string, unknown>>>,
  keys: readonly string[],
  attempt: (options: Record<string, unknown>) => unknown,
): Promise<{ tried: number; failures: string[] }> {
  const failed: SweepFailure[] = [];
  let tried = 0;
  for (const { where, value, options } of singleFaultVariants(valid, keys)) {
    tried++;
    try {
      await attempt(options);
    } catch (error) {
      failed.push({ where, value, problem: problemOf(error) });
    }
  }
  return { tried, failures: groupFailures(failed) };
}

/** One failed variant of a sweep: what was changed, to which hostile value, and what went wrong. */
export interface SweepFailure {
  readonly where: string;
  readonly value: string;
  readonly problem: string;
}

/** The first line of a failure, without the value that caused it (which the grouping lists by name). */
export function problemOf(error: unknown): string {
  const text = error instanceof Error ? error.message : describeThrown(error);
  // structuredClone quotes the value it could not clone: drop it, so that one cause makes one line.
  const clone = /^(.*?)DataCloneError[^]*?could not be cloned\.(.*)$/s.exec(text);
  const line = clone
    ? `${clone[1]}DataCloneError${(clone[2] ?? '').split('\n')[0]}`
    : (text.split('\n')[0] ?? '');
  // Node's argument errors quote the value too ("Received type number (0)").
  return line.replace(/\. Received .*? instead of/, '. Received … instead of').slice(0, 240);
}

/** One line per place and problem, naming every hostile value that caused it: a readable failure message. */
export function groupFailures(failures: readonly SweepFailure[]): string[] {
  const groups = new Map<string, string[]>();
  for (const { where, value, problem } of failures) {
    const key = `${where}\u0000${problem}`;
    const values = groups.get(key) ?? [];
    if (!values.includes(value)) values.push(value);
    groups.set(key, values);
  }
  return [...groups].map(([key, values]) => {
    const [where, problem] = key.split('\u0000');
    return `${where} = ${values.join(' | ')} → ${problem}`;
  });
}

/**
 * Replaces a placeholder value (a string the generators use for objects that must be built fresh per run, such
 * as a store or a recorder) by the real thing. Leaves frozen, inherited and hostile option objects alone.
 */
export function substitute(options: unknown, key: string, placeholder: unknown, value: unknown): void {
  if (options === null || typeof options !== 'object') return;
  try {
    const descriptor = Object.getOwnPropertyDescriptor(options, key);
    if (descriptor !== undefined && descriptor.writable === true && descriptor.value === placeholder) {
      Object.defineProperty(options, key, { ...descriptor, value });
    }
  } catch {
    // A proxy that throws: it stays as it is.
  }
}

/** A one-line description of anything that was thrown, safe for hostile values. */
export function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error)
      return `${error.constructor.name} (${error.name}): ${error.message.slice(0, 300)}`;
    const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
    // An error of another realm (Node's DOMException in Jest's VM context) fails `instanceof Error`.
    if (typeof name === 'string' && typeof message === 'string') {
      return `${name} (not an Error of this realm): ${message.slice(0, 300)}`;
    }
    return `non-Error ${typeof error}: ${String(error).slice(0, 300)}`;
  } catch {
    return `unprintable ${typeof error}`;
  }
}

/** Everything a log line could show of an error or object: message, stack, JSON and util.inspect. */
export function everythingShownOf(value: unknown): string {
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '');
  try {
    parts.push(JSON.stringify(value) ?? '');
  } catch (error) {
    parts.push(`(JSON.stringify threw ${describeThrown(error)})`);
  }
  parts.push(inspect(value, { depth: 4, showHidden: false }));
  return parts.join('\n');
}

/** Fails when any canary shows in the message, stack, JSON or inspection of `value`. */
export function expectNoCanary(value: unknown, where: string): void {
  const shown = everythingShownOf(value);
  for (const canary of CANARIES) {
    if (shown.includes(canary)) {
      throw new Error(`${where} shows the secret canary ${JSON.stringify(canary)}:\n${shown.slice(0, 2000)}`);
    }
  }
}

/** What an `ActOnConfigurationError` looks like (checked structurally, so each package can pass its own import). */
export interface ConfigurationErrorLike extends Error {
  readonly code: string;
  readonly option: string;
}

/**
 * The only acceptable failure of a constructor or method fed bad input: an `ActOnConfigurationError` naming the
 * option with a non-empty message and no canary, or the caller's own planted exception passed through unchanged.
 */
export function expectConfigurationError(
  error: unknown,
  ConfigurationError: abstract new (...args: never[]) => ConfigurationErrorLike,
  where: string,
): void {
  if (error instanceof PlantedError) return;
  if (!(error instanceof ConfigurationError)) {
    throw new Error(`${where} threw ${describeThrown(error)} instead of an ActOnConfigurationError`);
  }
  if (error.code !== 'configuration') throw new Error(`${where}: code is ${String(error.code)}`);
  if (typeof error.option !== 'string' || error.option === '') {
    throw new Error(`${where}: the error names no option`);
  }
  if (typeof error.message !== 'string' || error.message.trim() === '') {
    throw new Error(`${where}: the error has no message`);
  }
  expectNoCanary(error, where);
}

/** Builtins whose own properties a polluting write reaches (`perUser["__proto__" | "constructor" | "toString"].x++`). */
const WATCHED_BUILTINS: ReadonlyArray<readonly [string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Object', Object],
  ['Function.prototype', Function.prototype],
  ['Array.prototype', Array.prototype],
  ['String.prototype', String.prototype],
  ...Object.getOwnPropertyNames(Object.prototype)
    .filter(
      (key) =>
        key !== '__proto__' && typeof (Object.prototype as Record<string, unknown>)[key] === 'function',
    )
    .map(
      (key) =>
        [`Object.prototype.${key}`, (Object.prototype as Record<string, object>)[key] as object] as const,
    ),
];
const BUILTIN_KEYS: ReadonlyMap<object, ReadonlySet<string | symbol>> = new Map(
  WATCHED_BUILTINS.map(([, target]) => [target, new Set(Reflect.ownKeys(target))]),
);

/**
 * Fails when a fuzz run added properties to `Object.prototype` or another shared builtin (prototype pollution),
 * after removing them, so that one polluting run does not fail every later test of the process too.
 */
export function expectNoPollution(): void {
  const found: string[] = [];
  for (const [name, target] of WATCHED_BUILTINS) {
    const known = BUILTIN_KEYS.get(target) as ReadonlySet<string | symbol>;
    for (const key of Reflect.ownKeys(target)) {
      if (known.has(key)) continue;
      found.push(`${name}.${String(key)}`);
      Reflect.deleteProperty(target, key);
    }
  }
  if (found.length > 0) throw new Error(`prototype pollution: ${found.join(', ')} appeared`);
}

/** Rejects when `promise` does not settle within `ms`: "never hangs". */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Collects unhandled rejections while a test file runs; `take()` returns and clears them. */
export function watchUnhandledRejections(): { start(): void; stop(): void; take(): unknown[] } {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  return {
    start: () => process.on('unhandledRejection', listener),
    stop: () => process.off('unhandledRejection', listener),
    take: () => seen.splice(0),
  };
}
