import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, LoggerService, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { ActOnConfigurationError, MemoryTokenStore } from '@acton/oauth-client';
import { ACTON_AUTH_MODULE_OPTIONS, ActOnAuthModule, ActOnTokenService } from '@acton/nest-auth';
import { createActOnAuthRuntime } from '../src/acton-auth-runtime';
import {
  anyString,
  CANARIES,
  CANARY_KEY,
  CANARY_PASSWORD,
  CANARY_SECRET,
  describeThrown,
  expectConfigurationError,
  expectNoPollution,
  fuzzOptions,
  substitute,
  sweepSingleFaults,
  urlString,
  urlWithSecret,
  weird,
  within,
} from '../../oauth-client/test/fuzz-arbitraries';

/** Keeps every line the module logs, to look for secrets in them. */
class CaptureLogger implements LoggerService {
  readonly lines: string[] = [];
  log(...parts: unknown[]): void {
    this.keep(parts);
  }
  error(...parts: unknown[]): void {
    this.keep(parts);
  }
  warn(...parts: unknown[]): void {
    this.keep(parts);
  }
  debug(...parts: unknown[]): void {
    this.keep(parts);
  }
  verbose(...parts: unknown[]): void {
    this.keep(parts);
  }
  fatal(...parts: unknown[]): void {
    this.keep(parts);
  }
  private keep(parts: unknown[]): void {
    this.lines.push(parts.map((part) => (typeof part === 'string' ? part : describeThrown(part))).join(' '));
  }
}

function expectNoCanaryIn(lines: readonly string[], where: string): void {
  for (const line of lines) {
    for (const canary of CANARIES) {
      if (line.includes(canary))
        throw new Error(`${where} logged the secret canary ${JSON.stringify(canary)}: ${line}`);
    }
  }
}

const ENV_KEYS = [
  'ACTON_CLIENT_ID',
  'ACTON_CLIENT_SECRET',
  'ACTON_USERNAME',
  'ACTON_PASSWORD',
  'ACTON_REGION',
  'ACTON_BASE_URL',
  'ACTON_TOKEN_STORE',
  'ACTON_TOKEN_FILE',
  'ACTON_REDIS_URL',
  'ACTON_ENCRYPTION_KEY',
  'XDG_DATA_HOME',
];

describe('fuzz: option validation of ActOnAuthModule', () => {
  let dir: string;
  let fields: Record<string, fc.Arbitrary<unknown>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'acton-fuzz-nest-'));
    const tokenFile = join(dir, 'tokens.json');
    /** An `env` object read instead of process.env: unset, blank, plausible or odd variables. */
    const environment = fc.oneof(
      { weight: 8, arbitrary: fc.constant(false) },
      {
        weight: 2,
        arbitrary: fc.record(
          {
            ACTON_CLIENT_ID: fc.constantFrom('', 'env-client'),
            ACTON_CLIENT_SECRET: fc.constantFrom('', CANARY_SECRET),
            ACTON_USERNAME: fc.constantFrom('', 'env-user@example.com'),
            ACTON_PASSWORD: fc.constantFrom('', CANARY_PASSWORD),
            ACTON_REGION: fc.oneof(fc.constantFrom('', 'EU', ' us '), anyString),
            ACTON_BASE_URL: fc.oneof(fc.constantFrom('', 'http://127.0.0.1:9'), urlString, urlWithSecret),
            ACTON_TOKEN_STORE: fc.oneof(fc.constantFrom('', 'Memory', 'file', 'REDIS'), anyString),
            ACTON_TOKEN_FILE: fc.constantFrom('', tokenFile),
            ACTON_REDIS_URL: fc.oneof(fc.constantFrom('redis://127.0.0.1:9'), urlWithSecret),
            ACTON_ENCRYPTION_KEY: fc.constantFrom('', CANARY_KEY, 'ab'.repeat(32)),
            XDG_DATA_HOME: fc.constantFrom(dir, 'relative'),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.oneof(fc.constant(true), weird) },
    );
    // Valid values only: with two dozen options, invalidity comes from the (up to two) hostile values fuzzOptions
    // puts in, or every run would fail on the first option and the module would never boot.
    fields = {
      clientId: fc.constantFrom('client-id', 'c'),
      clientSecret: fc.constantFrom(CANARY_SECRET, ` ${CANARY_SECRET}`),
      region: fc.constantFrom('us', 'eu'),
      baseUrl: fc.constantFrom('http://127.0.0.1:9', 'https://api.actonsoftware.com', 'http://[::1]:9/'),
      username: fc.constantFrom('user@example.com', 'u'),
      password: fc.constantFrom(CANARY_PASSWORD, ` ${CANARY_PASSWORD}`),
      credentials: fc.constant((account: string) => ({ username: account, password: CANARY_PASSWORD })),
      defaultAccount: fc.constantFrom('default', 'acct'),
      accounts: fc.constantFrom(['a'], ['a', 'b', 'a']),
      store: fc.constantFrom('memory', 'file', 'redis', 'store-instance'),
      tokenFile: fc.constant(tokenFile),
      redisUrl: fc.constantFrom('redis://127.0.0.1:9', `redis://:${CANARY_SECRET}@127.0.0.1:9`),
      redisPrefix: fc.constantFrom('acton:', ''),
      encryptionKey: fc.constantFrom('ab'.repeat(32), Buffer.alloc(32, 1)),
      warmUp: fc.boolean(),
      timeoutMs: fc.integer({ min: 1, max: 600_000 }),
      refreshSkewMs: fc.integer({ min: 0, max: 86_400_000 }),
      authBudget: fc.constant({ limit: 5, windowMs: 3_600_000 }),
      backgroundRefresh: fc.boolean(),
      retry: fc.constant({ maxAttempts: 3 }),
      lockWaitTimeoutMs: fc.integer({ min: 1, max: 600_000 }),
      fetch: fc.constant(() => Promise.reject(new Error('no requests while booting'))),
      now: fc.constant(() => 1_700_000_000_000),
      env: environment,
      isGlobal: fc.boolean(),
    };
  });

  afterEach(() => {
    expectNoPollution();
  });

  afterAll(async () => {
    // Booting never writes a token file: nothing may have been created in the directory the options point to.
    const left = await readdir(dir);
    await rm(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('Test.createTestingModule({ imports: [ActOnAuthModule.forRoot(options)] }).compile() boots (then closes) or fails with an ActOnConfigurationError', async () => {
    let booted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .constant(null)
          .chain(() => fuzzOptions(fields, ['clientID', 'client_secret', 'redis', 'tokenPath'])),
        async (options) => {
          const store = new MemoryTokenStore();
          substitute(options, 'store', 'store-instance', store);
          const logger = new CaptureLogger();
          let moduleRef;
          try {
            // forRoot() runs Nest's own option handling; compile() runs the module's provider factories.
            const dynamic = ActOnAuthModule.forRoot(options as never);
            moduleRef = await within(
              Test.createTestingModule({ imports: [dynamic] })
                .setLogger(logger)
                .compile(),
              3000,
              'compile()',
            );
          } catch (error) {
            await store.close();
            expectConfigurationError(error, ActOnConfigurationError, 'ActOnAuthModule bootstrap');
            expectNoCanaryIn(logger.lines, 'a failed bootstrap');
            return;
          }
          booted++;
          try {
            const service = moduleRef.get(ActOnTokenService);
            expect(typeof service.defaultAccount).toBe('string');
            expectNoCanaryIn(logger.lines, 'the bootstrap');
          } finally {
            await within(moduleRef.close(), 10_000, 'close()');
            await store.close();
          }
        },
      ),
      {
        numRuns: 40,
        // Known counterexamples: a non-string ACTON_TOKEN_FILE in `env`; an option named '' (the error names no
        // option); an own `then` option, which makes Nest await the options object forever.
        examples: [
          [{ clientId: 'c', clientSecret: CANARY_SECRET, store: 'file', env: { ACTON_TOKEN_FILE: 5 } }],
          [{ clientId: 'c', clientSecret: CANARY_SECRET, store: 'memory', env: false, '': 1 }],
          [
            {
              clientId: 'c',
              clientSecret: CANARY_SECRET,
              store: 'memory',
              env: false,
              then: () => undefined,
            },
          ],
        ],
      },
    );
    expect(booted).toBeGreaterThan(0);
  });

  /** What compile() does for one options object, without Nest's container: forRoot(), then the runtime factory. */
  async function attemptRuntime(options: unknown): Promise<void> {
    const store = new MemoryTokenStore();
    substitute(options, 'store', 'store-instance', store);
    const logger = new CaptureLogger();
    try {
      let dynamic: DynamicModule;
      try {
        dynamic = ActOnAuthModule.forRoot(options as never);
      } catch (error) {
        expectConfigurationError(error, ActOnConfigurationError, 'ActOnAuthModule.forRoot()');
        return;
      }
      const provider = (dynamic.providers ?? []).find(
        (p: Provider) => typeof p === 'object' && 'provide' in p && p.provide === ACTON_AUTH_MODULE_OPTIONS,
      ) as { useValue: unknown } | undefined;
      let runtime;
      try {
        runtime = await createActOnAuthRuntime(provider?.useValue as never, logger);
      } catch (error) {
        expectConfigurationError(error, ActOnConfigurationError, 'the ActOnAuthModule provider factory');
        expectNoCanaryIn(logger.lines, 'a failed bootstrap');
        return;
      }
      expectNoCanaryIn(logger.lines, 'the bootstrap');
      await runtime.close();
    } finally {
      await store.close();
    }
  }

  it('every option × every hostile value (forRoot() and the provider factory compile() runs)', async () => {
    const tokenFile = join(dir, 'tokens.json');
    const bases = [
      { clientId: 'client-id', clientSecret: CANARY_SECRET, env: false, store: 'memory' },
      {
        clientId: 'client-id',
        clientSecret: CANARY_SECRET,
        region: 'eu',
        username: 'user@example.com',
        password: CANARY_PASSWORD,
        credentials: () => undefined,
        defaultAccount: 'acct',
        accounts: ['acct', 'b'],
        store: 'file',
        tokenFile,
        encryptionKey: 'ab'.repeat(32),
        warmUp: false,
        timeoutMs: 1000,
        refreshSkewMs: 1000,
        authBudget: { limit: 5, windowMs: 3_600_000 },
        backgroundRefresh: false,
        retry: { maxAttempts: 2 },
        lockWaitTimeoutMs: 1000,
        now: () => 1,
        env: false,
        isGlobal: true,
      },
      {
        clientId: 'client-id',
        clientSecret: CANARY_SECRET,
        baseUrl: 'http://127.0.0.1:9',
        store: 'redis',
        redisUrl: `redis://:${CANARY_SECRET}@127.0.0.1:9`,
        redisPrefix: 'p:',
        fetch: () => Promise.reject(new Error('no requests')),
        env: false,
      },
    ];
    const { tried, failures } = await sweepSingleFaults(bases, Object.keys(fields), attemptRuntime);
    expect(tried).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  });

  it('env object: every variable × every hostile value', async () => {
    const base = { clientId: 'client-id', clientSecret: CANARY_SECRET, store: 'file' };
    const failures: string[] = [];
    const result = await sweepSingleFaults([{ ACTON_CLIENT_ID: 'c' }], ENV_KEYS, (env) =>
      attemptRuntime({ ...base, env }),
    );
    failures.push(...result.failures.map((line) => `env.${line}`));
    expect(failures).toEqual([]);
  });
});
