import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import { CLIENT, emulatorFactory, form, getAccount, passwordGrant, refreshGrant } from './helpers';

const start = emulatorFactory();

/** Sends a request and reports its status, or 'dropped' when the connection died without a response. */
async function outcome(url: string, init?: RequestInit): Promise<number | 'dropped'> {
  try {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'dropped';
  }
}

function passwordRequest(emulator: ActOnEmulator): [string, RequestInit] {
  return [
    `${emulator.url}/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'password',
        username: EMULATOR_DEFAULTS.username,
        password: EMULATOR_DEFAULTS.password,
        ...CLIENT,
      }),
    },
  ];
}

function refreshRequest(emulator: ActOnEmulator, refreshToken: string): [string, RequestInit] {
  return [
    `${emulator.url}/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'refresh_token', refresh_token: refreshToken, ...CLIENT }),
    },
  ];
}

async function sequence(seed: number, count: number): Promise<Array<number | 'dropped'>> {
  const emulator = await start({
    authLimitPerHour: Infinity,
    faults: { seed, errorRate: 0.3, dropRate: 0.3 },
  });
  const results: Array<number | 'dropped'> = [];
  for (let i = 0; i < count; i++) results.push(await outcome(...passwordRequest(emulator)));
  return results;
}

describe('random faults', () => {
  it('are deterministic by seed', async () => {
    const a = await sequence(42, 30);
    const b = await sequence(42, 30);
    const c = await sequence(7, 30);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set([200, 503, 'dropped']));
  });

  it('answer 503 server_error without side effects', async () => {
    const emulator = await start({ authLimitPerHour: 2 });
    const login = await passwordGrant(emulator);
    emulator.setFaults({ errorRate: 1 });
    for (let i = 0; i < 5; i++) {
      const res = await passwordGrant(emulator);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'server_error' });
    }
    const refreshed = await refreshGrant(emulator, login.body.refresh_token);
    expect(refreshed.status).toBe(503);
    emulator.setFaults(undefined);
    // Neither the budget nor the refresh token was touched by the faulted requests.
    expect((await refreshGrant(emulator, login.body.refresh_token)).status).toBe(200);
    expect((await passwordGrant(emulator)).status).toBe(200);
    expect(emulator.stats()).toMatchObject({
      grants: { password: 2, refresh_token: 1 },
      tokensIssued: 3,
      faults: { error: 6, drop: 0 },
    });
  });

  it('drop connections without a response and without side effects', async () => {
    const emulator = await start({ faults: { dropRate: 1 } });
    const pair = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    expect(await outcome(...refreshRequest(emulator, pair.refresh_token))).toBe('dropped');
    expect(
      await outcome(`${emulator.url}/api/1/account`, {
        headers: { Authorization: `Bearer ${pair.access_token}` },
      }),
    ).toBe('dropped');
    emulator.setFaults(undefined);
    expect((await refreshGrant(emulator, pair.refresh_token)).status).toBe(200);
    expect(emulator.stats()).toMatchObject({
      faults: { drop: 2 },
      reuseAttempts: 0,
      grants: { refresh_token: 1 },
    });
  });

  it('rotate-then-drop issues the pair, kills the old one, then drops the connection', async () => {
    const emulator = await start({ faults: { rotateThenDropRate: 1 } });
    const pair = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    expect(await outcome(...refreshRequest(emulator, pair.refresh_token))).toBe('dropped');
    emulator.setFaults(undefined);
    // The client never saw the new pair, and its old refresh token is spent: the trap of a lost response.
    expect((await refreshGrant(emulator, pair.refresh_token)).status).toBe(400);
    expect((await getAccount(emulator, pair.access_token)).status).toBe(401);
    expect(emulator.stats()).toMatchObject({
      tokensIssued: 2,
      reuseAttempts: 1,
      faults: { rotateThenDrop: 1 },
    });
  });

  it('only hit the configured paths', async () => {
    const emulator = await start({ faults: { errorRate: 1, paths: ['/api/1/account'] } });
    const login = await passwordGrant(emulator);
    expect(login.status).toBe(200);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(503);
  });

  it('add latency drawn from the configured range', async () => {
    const emulator = await start({ faults: { latencyMs: [80, 120] } });
    const started = Date.now();
    expect((await passwordGrant(emulator)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(emulator.stats().faults.latency).toBe(1);
  });

  it('reject invalid settings', async () => {
    const emulator = await start();
    expect(() => emulator.setFaults({ errorRate: 2 })).toThrow(RangeError);
    expect(() => emulator.setFaults({ latencyMs: [50, 10] })).toThrow(RangeError);
    expect(() => emulator.setFaults({ dropRate: -0.1 })).toThrow(RangeError);
  });
});

describe('one-shot faults', () => {
  it('answer the next matching request with an error, then stop', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'error', status: 502, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await passwordGrant(emulator)).status);
    expect(statuses).toEqual([502, 502, 200]);
    expect(emulator.stats()).toMatchObject({ faults: { error: 2 }, grants: { password: 1 } });
  });

  it('match the grant type', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'drop', grantType: 'refresh_token' });
    const login = await passwordGrant(emulator);
    expect(login.status).toBe(200);
    expect(await outcome(...refreshRequest(emulator, login.body.refresh_token))).toBe('dropped');
    expect((await refreshGrant(emulator, login.body.refresh_token)).status).toBe(200);
  });

  it('match the path', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'error', path: '/api/1/account' });
    const login = await passwordGrant(emulator);
    const faulted = await getAccount(emulator, login.body.access_token);
    expect(faulted.status).toBe(503);
    expect(faulted.body).toMatchObject({ error: 'server_error' });
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(200);
  });

  it('rotate-then-drop waits for a grant that succeeds', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'refresh_token' });
    const login = await passwordGrant(emulator);
    expect((await refreshGrant(emulator, 'unknown')).status).toBe(400);
    expect(await outcome(...refreshRequest(emulator, login.body.refresh_token))).toBe('dropped');
    expect(emulator.stats()).toMatchObject({ tokensIssued: 2, faults: { rotateThenDrop: 1 } });
    expect((await refreshGrant(emulator, login.body.refresh_token)).status).toBe(400);
    expect(emulator.stats().reuseAttempts).toBe(1);
  });

  it('delay one request', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'latency', latencyMs: 150 });
    const t0 = Date.now();
    await passwordGrant(emulator);
    const slow = Date.now() - t0;
    const t1 = Date.now();
    await passwordGrant(emulator);
    const fast = Date.now() - t1;
    expect(slow).toBeGreaterThanOrEqual(140);
    expect(fast).toBeLessThan(140);
    expect(emulator.stats().faults.latency).toBe(1);
  });

  it('are forgotten on reset()', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'error', times: 5 });
    emulator.reset();
    expect((await passwordGrant(emulator)).status).toBe(200);
  });

  it('refuse nonsense', async () => {
    const emulator = await start();
    expect(() => emulator.injectFault({ kind: 'latency' })).toThrow(/latencyMs/);
    expect(() => emulator.injectFault({ kind: 'error', times: 0 })).toThrow(RangeError);
    expect(() => emulator.injectFault({ kind: 'error', status: 1000 })).toThrow(RangeError);
  });

  it('do not keep close() waiting on a pending delay', async () => {
    const emulator = await start();
    emulator.injectFault({ kind: 'latency', latencyMs: 20_000 });
    const pending = outcome(...passwordRequest(emulator));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t0 = Date.now();
    await emulator.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBe('dropped');
    expect(emulator.stats().tokensIssued).toBe(0);
  });
});
