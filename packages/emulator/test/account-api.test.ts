import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { emulatorFactory, getAccount, passwordGrant, read } from './helpers';

const start = emulatorFactory();
const UNAUTHORIZED = { httpCode: '401', httpMessage: 'Unauthorized', moreInformation: '' };

describe('GET /api/1/account', () => {
  it('returns the account of the token’s user in Act-On’s shape', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    const res = await getAccount(emulator, login.body.access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      account_id: expect.any(Number),
      cname: 'demo.actonsoftware.com',
      user_name: 'Demo',
      user_email: EMULATOR_DEFAULTS.username,
      account_name: "Demo's Account",
      user_type: 'Marketing',
      isAdmin: true,
      login: EMULATOR_DEFAULTS.username,
      time_zone: 'US/Pacific',
    });
    expect(emulator.stats().accountRequests).toBe(1);
  });

  it('gives every user a distinct account and honours overrides', async () => {
    const emulator = await start({
      users: [
        { username: 'john.doe@example.com', password: 'a' },
        {
          username: 'jane@example.com',
          password: 'b',
          account: { account_id: 12345, time_zone: 'Europe/Paris' },
        },
        { username: '4711_manager@agency.example', password: 'c' },
      ],
    });
    const accounts = [];
    for (const [username, password] of [
      ['john.doe@example.com', 'a'],
      ['jane@example.com', 'b'],
      ['4711_manager@agency.example', 'c'],
    ] as const) {
      const login = await passwordGrant(emulator, username, password);
      accounts.push((await getAccount(emulator, login.body.access_token)).body as Record<string, unknown>);
    }
    expect(accounts[0]).toMatchObject({ user_name: 'John Doe', login: 'john.doe@example.com' });
    expect(accounts[1]).toMatchObject({
      account_id: 12345,
      time_zone: 'Europe/Paris',
      login: 'jane@example.com',
    });
    expect(accounts[2]).toMatchObject({
      login: '4711_manager@agency.example',
      user_email: 'manager@agency.example',
    });
    expect(new Set(accounts.map((a) => a.account_id)).size).toBe(3);
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'not-a-token'],
  ])('answers 401 in Act-On’s REST shape for %s', async (_what, token) => {
    const emulator = await start();
    const res = await getAccount(emulator, token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(emulator.stats()).toMatchObject({ accountRequests: 1, unauthorizedApiRequests: 1 });
  });

  it('does not take the access token in another scheme', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    const res = await fetch(`${emulator.url}/api/1/account`, {
      headers: { Authorization: `Basic ${login.body.access_token}` },
    });
    expect(res.status).toBe(401);
    await res.text();
  });

  it('accepts the scheme in any case', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    const res = await fetch(`${emulator.url}/api/1/account`, {
      headers: { Authorization: `bearer ${login.body.access_token}` },
    });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('answers 403 PUBLIC_API_FEATURE_NOT_ENABLED for a user without API access', async () => {
    const emulator = await start({
      users: [{ username: 'noapi@example.com', password: 'pw', apiEnabled: false }],
    });
    const login = await passwordGrant(emulator, 'noapi@example.com', 'pw');
    expect(login.status).toBe(200);
    const res = await getAccount(emulator, login.body.access_token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      httpCode: '403',
      httpMessage: 'Forbidden',
      moreInformation: 'PUBLIC_API_FEATURE_NOT_ENABLED',
    });
  });

  it('answers 429 past the per-second API limit, until the second has passed', async () => {
    const emulator = await start({ apiRateLimitPerSecond: 2 });
    const { access_token: token } = (await passwordGrant(emulator)).body;
    expect((await getAccount(emulator, token)).status).toBe(200);
    expect((await getAccount(emulator, token)).status).toBe(200);
    const limited = await getAccount(emulator, token);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      httpCode: '429',
      httpMessage: 'Too Many Requests',
      moreInformation: expect.stringContaining('2 calls per second'),
    });
    emulator.clock.advance(1000);
    expect((await getAccount(emulator, token)).status).toBe(200);
    expect(emulator.stats()).toMatchObject({ rateLimitedApiRequests: 1, accountRequests: 4 });
  });

  it('has no API rate limit by default', async () => {
    const emulator = await start();
    const { access_token: token } = (await passwordGrant(emulator)).body;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await getAccount(emulator, token)).status),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('answers other methods with 405', async () => {
    const emulator = await start();
    const { access_token: token } = (await passwordGrant(emulator)).body;
    const res = await fetch(`${emulator.url}/api/1/account`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ httpCode: '405' });
  });
});

describe('unknown paths', () => {
  it('answers unknown API paths with a 404 in the REST shape', async () => {
    const emulator = await start();
    const { access_token: token } = (await passwordGrant(emulator)).body;
    const res = await read(
      await fetch(`${emulator.url}/api/1/contacts`, { headers: { Authorization: `Bearer ${token}` } }),
    );
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ httpCode: '404', httpMessage: 'Not Found' });
  });

  it.each(['/nope', '/api/2/account', '/token/', '/authorize/x'])(
    'answers %s with a 404 JSON error',
    async (path) => {
      const emulator = await start();
      const res = await read(await fetch(`${emulator.url}${path}`));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ error: 'not_found' });
    },
  );

  it('describes itself at /', async () => {
    const emulator = await start();
    const res = await read(await fetch(`${emulator.url}/`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Act-On emulator' });
  });
});
