import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import {
  ActOnConfigurationError,
  ActOnError,
  ActOnNetworkError,
  ActOnReauthorizationRequiredError,
  ActOnTokenEndpointError,
  ActOnTokenManager,
  FileTokenStore,
  isTokenSet,
  MemoryTokenStore,
  type TokenStore,
} from '../src';
import {
  anyString,
  CANARY_PASSWORD,
  CANARY_SECRET,
  dangerousKey,
  describeThrown,
  expectConfigurationError,
  expectNoCanary,
  expectNoPollution,
  fuzzTokenSet,
  TOKEN_FIELDS,
  watchUnhandledRejections,
  weird,
  within,
} from './fuzz-arbitraries';

const VALID_TOKENS = {
  accessToken: 'at-1',
  refreshToken: 'rt-1',
  tokenType: 'Bearer',
  expiresAt: 1_700_000_003_600,
  obtainedAt: 1_700_000_000_000,
};
const USER = { username: 'fuzz-user@example.com', password: CANARY_PASSWORD };
const DEFAULT_ACCOUNT = 'fuzz-default';

/** Account keys: valid ones of every shape, the boundaries, and garbage; never the default account, undefined or null. */
const account: fc.Arbitrary<unknown> = fc
  .oneof(
    { withCrossShrink: true },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'acct',
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'toString',
        ' ',
        '\u0000',
        '\ud800',
        'é',
        'a'.repeat(256),
        'a'.repeat(257),
        '',
      ),
    },
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }) },
    { weight: 1, arbitrary: anyString },
    { weight: 2, arbitrary: weird },
  )
  // undefined and null both mean "the default account" (`account ?? defaultAccount`).
  .filter((key) => key !== undefined && key !== null && key !== DEFAULT_ACCOUNT);

/** The credentials as login() should judge them: usable, invalid, or hostile (reading them throws). */
function readCredentials(value: unknown): { username: string; password: string } | 'invalid' | 'hostile' {
  try {
    const c = value as { username?: unknown; password?: unknown } | null;
    if (
      c !== null &&
      typeof c === 'object' &&
      typeof c.username === 'string' &&
      c.username !== '' &&
      typeof c.password === 'string' &&
      c.password !== ''
    ) {
      return { username: c.username, password: c.password };
    }
    return 'invalid';
  } catch {
    return 'hostile';
  }
}

function isValidAccount(key: unknown): key is string {
  return typeof key === 'string' && key !== '' && key.length <= 256;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

async function settle(promise: () => Promise<unknown>, what: string): Promise<Settled> {
  try {
    return { ok: true, value: await within(Promise.resolve().then(promise), 10_000, what) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A typed failure of the manager: an ActOnError with a message and no secret in it. */
function expectTypedRejection(outcome: Settled, what: string): ActOnError {
  if (outcome.ok) throw new Error(`${what} resolved; a rejection was expected`);
  if (!(outcome.error instanceof ActOnError)) {
    throw new Error(`${what} rejected with ${describeThrown(outcome.error)}, not an ActOnError`);
  }
  expect(outcome.error.message.trim()).not.toBe('');
  expectNoCanary(outcome.error, what);
  return outcome.error;
}

describe('fuzz: ActOnTokenManager API inputs against a real emulator', () => {
  let emulator: ActOnEmulator;
  let manager: ActOnTokenManager;
  let store: MemoryTokenStore;
  let dir: string;
  /** Every request any manager of this file sent, as the URL it went to. */
  const sentTo: string[] = [];
  const rejections = watchUnhandledRejections();

  const countingFetch = (input: string | URL, init?: RequestInit): Promise<Response> => {
    sentTo.push(input instanceof URL ? input.href : String(input));
    return fetch(input, init);
  };

  /** Requests seen so far, by the managers and by the emulator. */
  function traffic(): { sent: number; tokenRequests: number; accountRequests: number } {
    const stats = emulator.stats();
    return {
      sent: sentTo.length,
      tokenRequests: stats.tokenRequests,
      accountRequests: stats.accountRequests,
    };
  }

  function managerWith(tokenStore: TokenStore, withCredentials: boolean): ActOnTokenManager {
    return new ActOnTokenManager({
      clientId: emulator.options.clientId,
      clientSecret: CANARY_SECRET,
      baseUrl: emulator.url,
      now: () => emulator.clock.now(),
      store: tokenStore,
      ...(withCredentials ? { credentials: USER } : {}),
      defaultAccount: DEFAULT_ACCOUNT,
      fetch: countingFetch,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      timeoutMs: 3000,
      authBudget: { limit: 1000, windowMs: 3_600_000 },
    });
  }

  beforeAll(async () => {
    rejections.start();
    emulator = await startActOnEmulator({
      clientSecret: CANARY_SECRET,
      users: [USER],
      authLimitPerHour: Infinity,
    });
    store = new MemoryTokenStore();
    manager = managerWith(store, true);
    // One login up front: from here on the default account's token is cached and valid.
    await manager.getAccessToken();
    dir = await mkdtemp(join(tmpdir(), 'acton-fuzz-manager-'));
  });

  afterEach(() => {
    expectNoPollution();
    expect(rejections.take()).toEqual([]);
  });

  afterAll(async () => {
    rejections.stop();
    await manager?.close();
    await store?.close();
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('account keys: a bad key is an ActOnConfigurationError("account"), a good one a typed outcome; nothing is sent either way', async () => {
    const operations = ['getAccessToken', 'getTokenSet', 'refresh', 'forget', 'fetch'] as const;
    await fc.assert(
      fc.asyncProperty(account, fc.constantFrom(...operations), async (key, operation) => {
        const before = traffic();
        const run = (): Promise<unknown> => {
          const k = key as string;
          switch (operation) {
            case 'getAccessToken':
              return manager.getAccessToken(k);
            case 'getTokenSet':
              return manager.getTokenSet(k);
            case 'refresh':
              return manager.refresh(k);
            case 'forget':
              return manager.forget(k);
            case 'fetch':
              return manager.fetch('/api/1/account', {}, { account: k });
          }
        };
        const outcome = await settle(run, `manager.${operation}()`);
        if (!isValidAccount(key)) {
          if (outcome.ok) throw new Error(`manager.${operation}() accepted an invalid account key`);
          expectConfigurationError(outcome.error, ActOnConfigurationError, `manager.${operation}()`);
          expect((outcome.error as ActOnConfigurationError).option).toBe('account');
        } else if (operation === 'getTokenSet' || operation === 'forget') {
          if (!outcome.ok) throw new Error(`manager.${operation}() failed: ${describeThrown(outcome.error)}`);
          expect(outcome.value).toBeUndefined();
        } else {
          // No pair and no credentials for this account: a human must sign in.
          expect(expectTypedRejection(outcome, `manager.${operation}()`)).toBeInstanceOf(
            ActOnReauthorizationRequiredError,
          );
        }
        expect(traffic()).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  /** One fresh store and manager per run, so that a failing run cannot leave state behind for the next. */
  async function saveTokensProperty(
    makeStore: () => TokenStore,
    numRuns: number,
    examples: Array<[unknown, unknown]>,
  ): Promise<void> {
    await fc.assert(
      fc.asyncProperty(account, fuzzTokenSet, async (key, tokens) => {
        const tokenStore = makeStore();
        const target = managerWith(tokenStore, false);
        try {
          await saveTokensRun(target, key, tokens);
        } finally {
          await target.close();
          await tokenStore.close();
        }
      }),
      { numRuns, examples },
    );
  }

  /** Checks one saveTokens() call; collects every problem of the run, so that one report names them all. */
  async function saveTokensRun(target: ActOnTokenManager, key: unknown, tokens: unknown): Promise<void> {
    const problems: string[] = [];
    const check = async (step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (error) {
        problems.push(error instanceof Error ? error.message : describeThrown(error));
      }
    };
    const before = traffic();
    const outcome = await settle(
      () => target.saveTokens(key as string, tokens as never),
      'manager.saveTokens()',
    );
    await check(() => expect(traffic()).toEqual(before));
    if (!isValidAccount(key)) {
      if (outcome.ok) throw new Error('saveTokens() accepted an invalid account key');
      expectConfigurationError(outcome.error, ActOnConfigurationError, 'manager.saveTokens()');
      expect((outcome.error as ActOnConfigurationError).option).toBe('account');
      return;
    }
    let verdict: boolean | 'hostile';
    try {
      verdict = isTokenSet(tokens);
    } catch {
      // Reading the object throws (a planted getter or proxy): saveTokens() may let that exception through.
      verdict = 'hostile';
    }
    if (verdict !== true) {
      await check(() => {
        if (outcome.ok) throw new Error('saveTokens() accepted something that is not a TokenSet');
        expectConfigurationError(outcome.error, ActOnConfigurationError, 'manager.saveTokens()');
        if (outcome.error instanceof ActOnConfigurationError) expect(outcome.error.option).toBe('tokens');
      });
    } else if (outcome.ok) {
      // What was saved reads back as it was given.
      await check(async () => {
        const read = await settle(() => target.getTokenSet(key), 'manager.getTokenSet() after saveTokens()');
        if (!read.ok) throw new Error(`the saved pair cannot be read back: ${describeThrown(read.error)}`);
        const saved = read.value as Record<string, unknown> | undefined;
        const given = tokens as unknown as Record<string, unknown>;
        for (const field of TOKEN_FIELDS) expect(saved?.[field]).toEqual(given[field]);
      });
      await check(() => target.forget(key));
    } else {
      await check(() => expectTypedRejection(outcome, 'manager.saveTokens() of a valid TokenSet'));
    }
    // Whatever happened, the account is left usable: nothing half-saved that poisons later calls.
    await check(async () => {
      const after = await settle(
        () => target.getAccessToken(key),
        'manager.getAccessToken() after saveTokens()',
      );
      expect(expectTypedRejection(after, 'manager.getAccessToken() after saveTokens()')).toBeInstanceOf(
        ActOnReauthorizationRequiredError,
      );
    });
    // And every other account still works (a broken token file would fail them all).
    await check(async () => {
      const other = await settle(() => target.getTokenSet('an-unrelated-account'), 'manager.getTokenSet()');
      if (!other.ok) throw new Error(`another account broke: ${describeThrown(other.error)}`);
    });
    await check(() => expect(traffic()).toEqual(before));
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }

  it('saveTokens(account, anything) with a MemoryTokenStore: ActOnConfigurationError for bad input, never a half-saved pair', async () => {
    // Known counterexample: a function next to the tokens makes structuredClone throw a DataCloneError.
    await saveTokensProperty(() => new MemoryTokenStore(), 150, [
      ['acct', { ...VALID_TOKENS, extra: () => undefined }],
    ]);
  });

  it('saveTokens(account, anything) with a FileTokenStore: the same, and the token file stays readable', async () => {
    let run = 0;
    // Known counterexamples: a bigint next to the tokens (TypeError), a toJSON that rewrites the token file.
    await saveTokensProperty(() => new FileTokenStore({ path: join(dir, `tokens-${run++}.json`) }), 60, [
      ['acct', { ...VALID_TOKENS, extra: 10n }],
      ['acct', { ...VALID_TOKENS, toJSON: () => ({ accessToken: 'x' }) }],
    ]);
  });

  it('login(credentials, account): bad input is an ActOnConfigurationError with nothing sent; wrong credentials a typed refusal without the password', async () => {
    const password = fc.oneof(
      fc.constantFrom(CANARY_PASSWORD, ` ${CANARY_PASSWORD} `, `${CANARY_PASSWORD}&x=1`),
      fc.string({ minLength: 1, maxLength: 20 }),
    );
    const credentials = fc.oneof(
      { withCrossShrink: true },
      {
        weight: 4,
        arbitrary: fc.record({
          username: fc.oneof(
            fc.constant(USER.username),
            // Names of Object.prototype members: a server keeping per-user data in a plain object trips on them.
            dangerousKey,
            fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
          ),
          password,
        }),
      },
      { weight: 2, arbitrary: fc.record({ username: weird, password: fc.oneof(password, weird) }) },
      { weight: 1, arbitrary: weird },
    );
    await fc.assert(
      fc.asyncProperty(credentials, account, async (creds, key) => {
        const before = traffic();
        const outcome = await settle(() => manager.login(creds as never, key as string), 'manager.login()');
        // The emulator keeps per-user counters: an odd username must not reach Object.prototype through them.
        expectNoPollution();
        const c = readCredentials(creds);
        if (!isValidAccount(key) || c === 'invalid' || c === 'hostile') {
          if (outcome.ok) throw new Error('login() accepted invalid input');
          expectConfigurationError(outcome.error, ActOnConfigurationError, 'manager.login()');
          // A hostile object may instead let its own exception through; a refusal names the culprit.
          if (outcome.error instanceof ActOnConfigurationError) {
            expect(outcome.error.option).toBe(isValidAccount(key) ? 'credentials' : 'account');
          }
          expect(traffic()).toEqual(before);
          return;
        }
        if (c.username === USER.username && c.password === USER.password) {
          // The real credentials: a legitimate login, which also revoked the default account's pair.
          if (!outcome.ok) throw new Error(`a valid login failed: ${describeThrown(outcome.error)}`);
          expect(isTokenSet(outcome.value)).toBe(true);
          await manager.forget(key);
          await manager.login(USER);
          return;
        }
        const error = expectTypedRejection(outcome, 'manager.login() with wrong credentials');
        expect(error).toBeInstanceOf(ActOnTokenEndpointError);
        // Exactly one password grant went out, and nothing else.
        const after = traffic();
        expect(after.sent - before.sent).toBe(1);
        expect(after.tokenRequests - before.tokenRequests).toBe(1);
      }),
      {
        numRuns: 100,
        // Known counterexample: the emulator counts attempts in a plain object keyed by username.
        examples: [[{ username: '__proto__', password: 'x' }, 'acct']],
      },
    );
  });

  it('fetch(pathOrUrl): only ever sends to the Act-On origin; anything else is an ActOnConfigurationError("url") with nothing sent', async () => {
    const origin = new URL(emulator.url).origin;
    const host = new URL(emulator.url).host;
    const sameOrigin = fc.oneof(
      fc.webPath().map((path) => `${origin}${path.startsWith('/') ? path : `/${path}`}`),
      fc.constantFrom(
        `${origin}/api/1/account`,
        `${origin.toUpperCase()}/api/1/account`,
        `${origin}/api/1/account?x=1#frag`,
        `${origin}/..%2f..%2ftoken`,
        `http://user:pw@${host}/api/1/account`,
      ),
    );
    const otherOrigin = fc.oneof(
      fc.webUrl(),
      fc.constantFrom(
        `http://${host}@evil.example/`,
        `http://evil.example#@${host}/`,
        `http://evil.example\\@${host}/`,
        `${origin}.evil.example/`,
        `https://${host}/api/1/account`,
        `ws://${host}/`,
        'http:evil.example',
        'http:/evil.example',
        '\\\\evil.example/x',
        '/\\evil.example/x',
        '//evil.example/x',
        'javascript:alert(1)',
        'file:///etc/passwd',
        `http://[::1]:${new URL(emulator.url).port}/`,
        `http://localhost:${new URL(emulator.url).port}/`,
      ),
    );
    const paths = fc.oneof(
      fc.constantFrom(
        '/api/1/account',
        'api/1/account',
        '',
        '/',
        '?a=1',
        '#x',
        '..',
        '/%00',
        '/%zz',
        ' /api/1/account',
      ),
      fc.webPath(),
      fc.string({ maxLength: 30, unit: 'binary' }),
    );
    const pathOrUrl = fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: paths },
      { weight: 2, arbitrary: sameOrigin },
      { weight: 3, arbitrary: otherOrigin },
      {
        weight: 1,
        arbitrary: fc.oneof(sameOrigin, otherOrigin).map((url) => (URL.canParse(url) ? new URL(url) : url)),
      },
      { weight: 2, arbitrary: weird },
    );
    const init = fc.oneof(
      fc.constant({}),
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'),
        body: fc.constantFrom(undefined, 'x'),
      }),
    );
    let sentSome = 0;
    // A valid token for the default account, whatever earlier tests did to it.
    await manager.login(USER);
    await fc.assert(
      fc.asyncProperty(pathOrUrl, init, async (target, requestInit) => {
        const before = traffic();
        const beforeLog = sentTo.length;
        // A GET with a body is refused by fetch() itself; leave the body out there.
        const init =
          'method' in requestInit && requestInit.method === 'GET' ? { method: 'GET' } : requestInit;
        const outcome = await settle(
          () => manager.fetch(target as string, init as RequestInit),
          'manager.fetch()',
        );
        const sent = sentTo.slice(beforeLog);
        // The token is cached and valid: no token request, whatever the path.
        expect(traffic().tokenRequests).toBe(before.tokenRequests);
        for (const url of sent) expect(new URL(url).origin).toBe(origin);
        if (outcome.ok) {
          const response = outcome.value as Response;
          await response.arrayBuffer();
          expect(sent).toHaveLength(1);
          sentSome++;
          return;
        }
        const error = outcome.error;
        if (error instanceof ActOnConfigurationError) {
          expectConfigurationError(error, ActOnConfigurationError, 'manager.fetch()');
          expect(error.option).toBe('url');
          expect(sent).toHaveLength(0);
          return;
        }
        // fetch() itself may refuse a same-origin URL (credentials in it): typed, and the request never left.
        expect(expectTypedRejection(outcome, 'manager.fetch()')).toBeInstanceOf(ActOnNetworkError);
        expect(traffic().accountRequests).toBe(before.accountRequests);
      }),
      { numRuns: 150 },
    );
    expect(sentSome).toBeGreaterThan(0);
  });
});
