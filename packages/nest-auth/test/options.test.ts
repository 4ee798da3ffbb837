import { ACTON_BASE_URLS, MemoryTokenStore } from '@acton/oauth-client';
import { ACTON_ENV_VARIABLES, readActOnEnv } from '@acton/nest-auth';
import { resolveActOnAuthOptions } from '../src/resolve-options';

const REQUIRED = { clientId: 'id', clientSecret: 'secret', env: false } as const;

describe('readActOnEnv', () => {
  it('reads every documented variable; blank ones count as unset', () => {
    const env = Object.fromEntries(
      Object.values(ACTON_ENV_VARIABLES).map((name) => [name, `value-of-${name}`]),
    );
    const values = readActOnEnv({
      ...env,
      ACTON_REGION: ' EU ',
      ACTON_TOKEN_STORE: 'Redis',
      ACTON_PASSWORD: '  ',
    });
    expect(values).toEqual({
      clientId: 'value-of-ACTON_CLIENT_ID',
      clientSecret: 'value-of-ACTON_CLIENT_SECRET',
      username: 'value-of-ACTON_USERNAME',
      region: 'eu',
      baseUrl: 'value-of-ACTON_BASE_URL',
      store: 'redis',
      tokenFile: 'value-of-ACTON_TOKEN_FILE',
      redisUrl: 'value-of-ACTON_REDIS_URL',
      encryptionKey: 'value-of-ACTON_ENCRYPTION_KEY',
    });
  });

  it('keeps secrets exactly as found (no trimming)', () => {
    expect(readActOnEnv({ ACTON_PASSWORD: ' pass word ', ACTON_CLIENT_SECRET: 'x ' })).toEqual({
      password: ' pass word ',
      clientSecret: 'x ',
    });
  });
});

describe('resolveActOnAuthOptions', () => {
  it('defaults: US region, file store in the per-user data directory, account "default", no warm-up', () => {
    const resolved = resolveActOnAuthOptions({ ...REQUIRED, env: { XDG_DATA_HOME: '/data' } });
    expect(resolved.baseUrl).toBe(ACTON_BASE_URLS.us);
    expect(resolved.manager).toMatchObject({
      clientId: 'id',
      clientSecret: 'secret',
      region: 'us',
      defaultAccount: 'default',
    });
    expect(resolved.manager.credentials).toBeUndefined();
    expect(resolved.store).toEqual({
      kind: 'file',
      path: expect.stringMatching(/^\/data\/acton-auth\/tokens-[0-9a-f]{12}\.json$/),
    });
    expect(resolved.accounts).toEqual(['default']);
    expect(resolved.warmUp).toBe(false);
  });

  it('the environment fills in what the options leave out; options win', () => {
    const resolved = resolveActOnAuthOptions({
      clientId: 'from-options',
      env: {
        ACTON_CLIENT_ID: 'from-env',
        ACTON_CLIENT_SECRET: 'env-secret',
        ACTON_REGION: 'eu',
        ACTON_USERNAME: 'user@example.com',
        ACTON_PASSWORD: 'pw',
        ACTON_TOKEN_STORE: 'memory',
      },
    });
    expect(resolved.manager).toMatchObject({
      clientId: 'from-options',
      clientSecret: 'env-secret',
      region: 'eu',
      defaultAccount: 'user@example.com',
      credentials: { username: 'user@example.com', password: 'pw' },
    });
    expect(resolved.baseUrl).toBe(ACTON_BASE_URLS.eu);
    expect(resolved.store).toEqual({ kind: 'memory' });
    expect(resolved.sources).toMatchObject({ clientId: 'options', clientSecret: 'env', region: 'env' });
  });

  it('env: false ignores process.env entirely', () => {
    const saved = process.env.ACTON_CLIENT_ID;
    process.env.ACTON_CLIENT_ID = 'from-process-env';
    try {
      expect(() => resolveActOnAuthOptions({ env: false, clientSecret: 's' })).toThrow(
        /clientId is required/,
      );
      expect(
        resolveActOnAuthOptions({ env: true, clientSecret: 's', store: 'memory' }).manager.clientId,
      ).toBe('from-process-env');
    } finally {
      if (saved === undefined) delete process.env.ACTON_CLIENT_ID;
      else process.env.ACTON_CLIENT_ID = saved;
    }
  });

  it('baseUrl overrides the region and is normalised', () => {
    const resolved = resolveActOnAuthOptions({
      ...REQUIRED,
      region: 'eu',
      baseUrl: 'http://127.0.0.1:4010/',
      store: 'memory',
    });
    expect(resolved.baseUrl).toBe('http://127.0.0.1:4010');
    expect(resolved.manager).toMatchObject({ baseUrl: 'http://127.0.0.1:4010' });
    expect(resolved.manager).not.toHaveProperty('region');
  });

  it('a credentials function serves the other accounts; username/password stay the default account', async () => {
    const other = jest.fn((account: string) => ({ username: account, password: 'other' }));
    const resolved = resolveActOnAuthOptions({
      ...REQUIRED,
      username: 'me',
      password: 'mine',
      credentials: other,
      store: 'memory',
    });
    const credentials = resolved.manager.credentials as (account: string) => unknown;
    expect(await credentials('me')).toEqual({ username: 'me', password: 'mine' });
    expect(await credentials('you')).toEqual({ username: 'you', password: 'other' });
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('defaultAccount: explicit, else the username, else the credentials object, else "default"', () => {
    const base = { ...REQUIRED, store: 'memory' as const };
    expect(
      resolveActOnAuthOptions({ ...base, username: 'u', password: 'p', defaultAccount: 'acme' })
        .defaultAccount,
    ).toBe('acme');
    expect(resolveActOnAuthOptions({ ...base, username: 'u', password: 'p' }).defaultAccount).toBe('u');
    expect(
      resolveActOnAuthOptions({ ...base, credentials: { username: 'c', password: 'p' } }).defaultAccount,
    ).toBe('c');
    expect(resolveActOnAuthOptions({ ...base, credentials: () => undefined }).defaultAccount).toBe('default');
  });

  it('accounts are de-duplicated and default to the default account', () => {
    const base = { ...REQUIRED, store: 'memory' as const, username: 'u', password: 'p' };
    expect(resolveActOnAuthOptions(base).accounts).toEqual(['u']);
    expect(resolveActOnAuthOptions({ ...base, accounts: ['a', 'b', 'a'] }).accounts).toEqual(['a', 'b']);
  });

  it('store specs: redis with prefix and key, a TokenStore instance as is, tuning options passed through', () => {
    const redis = resolveActOnAuthOptions({
      ...REQUIRED,
      store: 'redis',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'p:',
      encryptionKey: 'k',
    });
    expect(redis.store).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1:6379',
      prefix: 'p:',
      encryptionKey: 'k',
    });
    const store = new MemoryTokenStore();
    const now = () => 42;
    const given = resolveActOnAuthOptions({
      ...REQUIRED,
      store,
      refreshSkewMs: 1000,
      backgroundRefresh: true,
      now,
    });
    expect(given.store).toEqual({ kind: 'instance', store });
    expect(given.manager).toMatchObject({ refreshSkewMs: 1000, backgroundRefresh: true, now });
    expect(given.now()).toBe(42);
  });

  it('isGlobal handed back by a forRootAsync factory is tolerated', () => {
    expect(() =>
      resolveActOnAuthOptions({ ...REQUIRED, store: 'memory', isGlobal: true } as never),
    ).not.toThrow();
  });
});
