import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ActOnConfigurationError } from '@acton/oauth-client';
import { ActOnAuthModule, type ActOnAuthModuleOptions } from '@acton/nest-auth';

/** Secrets that must never appear in an error message. */
const SECRET = 'canary-client-secret-5f1e';
const PASSWORD = 'canary-password-9b7c';
const BAD_KEY = 'canary-encryption-key-0d2a';
const REDIS_PASSWORD = 'canary-redis-password-77aa';
const CANARIES = [SECRET, PASSWORD, BAD_KEY, REDIS_PASSWORD];

/** Valid options; each case breaks one thing. The environment is switched off unless a case supplies one. */
const VALID: ActOnAuthModuleOptions = {
  clientId: 'my-client',
  clientSecret: SECRET,
  username: 'someone@example.com',
  password: PASSWORD,
  baseUrl: 'http://127.0.0.1:9',
  store: 'memory',
  env: false,
};

async function bootstrapError(options: ActOnAuthModuleOptions): Promise<ActOnConfigurationError> {
  let caught: unknown;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [ActOnAuthModule.forRoot(options)],
    }).compile();
    await moduleRef.close();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ActOnConfigurationError);
  return caught as ActOnConfigurationError;
}

function expectNoSecret(error: Error): void {
  const everything = `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}`;
  for (const canary of CANARIES) expect(everything).not.toContain(canary);
}

describe('bad options stop the bootstrap with one message naming the option', () => {
  const cases: Array<[string, ActOnAuthModuleOptions, string, RegExp]> = [
    [
      'missing clientId',
      { ...VALID, clientId: undefined },
      'clientId',
      /clientId is required.*ACTON_CLIENT_ID/,
    ],
    [
      'missing clientSecret',
      { ...VALID, clientSecret: undefined },
      'clientSecret',
      /clientSecret is required.*ACTON_CLIENT_SECRET/,
    ],
    [
      'blank clientSecret',
      { ...VALID, clientSecret: '   ' },
      'clientSecret',
      /clientSecret must be a non-empty string/,
    ],
    [
      'region from the environment',
      { ...VALID, baseUrl: undefined, env: { ACTON_REGION: 'mars' } },
      'region',
      /region must be 'us' or 'eu'.*read from ACTON_REGION/,
    ],
    [
      'plain http to a remote host',
      { ...VALID, baseUrl: 'http://api.example.com' },
      'baseUrl',
      /baseUrl must use https:/,
    ],
    [
      'an unknown store from the environment',
      { ...VALID, store: undefined, env: { ACTON_TOKEN_STORE: 'reddis' } },
      'store',
      /store must be one of 'memory', 'file', 'redis'.*ACTON_TOKEN_STORE/,
    ],
    [
      'redis without a URL',
      { ...VALID, store: 'redis' },
      'redisUrl',
      /redisUrl is required.*ACTON_REDIS_URL/,
    ],
    [
      'a redis URL of the wrong scheme',
      { ...VALID, store: 'redis', redisUrl: `http://:${REDIS_PASSWORD}@127.0.0.1:6379` },
      'redisUrl',
      /redis:\/\/ or rediss:\/\//,
    ],
    [
      'a malformed encryption key',
      { ...VALID, store: 'file', tokenFile: '/nonexistent/t.json', encryptionKey: BAD_KEY },
      'encryptionKey',
      /encryptionKey must be 32 random bytes/,
    ],
    [
      'a malformed encryption key from the environment',
      {
        ...VALID,
        store: 'redis',
        redisUrl: 'redis://127.0.0.1:6379',
        env: { ACTON_ENCRYPTION_KEY: BAD_KEY },
      },
      'encryptionKey',
      /read from ACTON_ENCRYPTION_KEY/,
    ],
    [
      'a username without its password',
      { ...VALID, password: undefined },
      'password',
      /password is required when username is set/,
    ],
    [
      'a password without its username',
      { ...VALID, username: undefined },
      'username',
      /username is required when password is set/,
    ],
    [
      'a misspelt option',
      { ...VALID, clientSecert: SECRET } as ActOnAuthModuleOptions,
      'clientSecert',
      /unknown option "clientSecert"/,
    ],
    [
      'credentials twice',
      { ...VALID, credentials: { username: 'a', password: PASSWORD } },
      'credentials',
      /cannot be combined/,
    ],
    ['an empty accounts list', { ...VALID, accounts: [] }, 'accounts', /accounts must be a non-empty array/],
    [
      'a non-boolean warmUp',
      { ...VALID, warmUp: 'yes' as unknown as boolean },
      'warmUp',
      /warmUp must be a boolean/,
    ],
    [
      'a manager option: timeoutMs',
      { ...VALID, timeoutMs: -5 },
      'timeoutMs',
      /timeoutMs must be a number of milliseconds/,
    ],
    [
      'a manager option: authBudget.limit',
      { ...VALID, authBudget: { limit: 0, windowMs: 1000 } },
      'authBudget.limit',
      /authBudget.limit must be an integer/,
    ],
    [
      'a manager option: refreshSkewMs',
      { ...VALID, refreshSkewMs: Number.NaN },
      'refreshSkewMs',
      /refreshSkewMs/,
    ],
  ];

  it.each(cases)('%s', async (_name, options, option, message) => {
    const error = await bootstrapError(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(/^ActOnAuthModule: /);
    expect(error.message).toMatch(message);
    expectNoSecret(error);
  });

  it('options from the environment alone: the first missing one is named', async () => {
    const error = await bootstrapError({ env: { ACTON_CLIENT_ID: 'x', ACTON_PASSWORD: PASSWORD } });
    expect(error.option).toBe('clientSecret');
    expectNoSecret(error);
  });

  it('forRootAsync: the factory result is validated the same way', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        ActOnAuthModule.forRootAsync({
          useFactory: async () => ({ ...VALID, region: 'mars' as 'us', baseUrl: undefined }),
        }),
      ],
    }).compile();
    await expect(compiling).rejects.toMatchObject({ option: 'region', code: 'configuration' });
  });

  it('NestFactory.create rejects with the same error (abortOnError: false)', async () => {
    @Module({ imports: [ActOnAuthModule.forRoot({ ...VALID, clientId: '' })] })
    class AppModule {}
    await expect(NestFactory.create(AppModule, { logger: false, abortOnError: false })).rejects.toMatchObject(
      {
        option: 'clientId',
        message: expect.stringContaining('clientId must be a non-empty string'),
      },
    );
  });

  it('valid options compile', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ActOnAuthModule.forRoot(VALID)] }).compile();
    await moduleRef.close();
  });
});
