import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import { ActOnTokenService } from '@acton/nest-auth';
import request from 'supertest';
import { startExampleApp, type RunningExample } from '../src';
import { authorizeAtEmulator, type Agent } from './sign-in-helpers';

const DEMO = { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password };

describe('the example Nest app on its embedded emulator', () => {
  let running: RunningExample;
  let emulator: ActOnEmulator;
  let agent: Agent;

  beforeAll(async () => {
    running = await startExampleApp({ port: 0, emulatorPort: 0, env: {} });
    emulator = running.config.emulator as ActOnEmulator;
  });
  afterAll(() => running.close());
  beforeEach(() => {
    agent = request.agent(running.url);
  });

  it('starts on the embedded emulator with a warm service account', async () => {
    expect(running.config.baseUrl).toBe(emulator.url);
    const health = await request(running.url).get('/health').expect(200);
    expect(health.body.info.acton.status).toBe('up');
    const service = await request(running.url).get('/service/account').expect(200);
    expect(service.text).toContain('service@example.com');
  });

  it('signs in through the emulator, keeps tokens out of the page, and calls the API as the user', async () => {
    const callback = await authorizeAtEmulator(agent, DEMO);
    await agent.get(callback).expect(302).expect('location', '/me');
    const me = await agent.get('/me').expect(200);
    expect(me.text).toContain('Demo');
    expect(me.text).toContain('demo@example.com');
    expect(me.text).toMatch(/Access token expires<\/th><td>\d{4}-\d\d-\d\dT/);
    const tokens = await running.app.get(ActOnTokenService).getTokenSet('10001');
    expect(tokens).toBeDefined();
    expect(me.text).not.toContain(tokens!.accessToken);
    expect(me.text).not.toContain(tokens!.refreshToken);
    const account = await agent.get('/me/account').expect(200);
    expect(account.text).toContain('&#34;account_id&#34;: 10001');
    expect(account.text).toContain('demo@example.com');
  });

  it("rotates the signed-in user's pair across an expiry without a new sign-in", async () => {
    await agent.get(await authorizeAtEmulator(agent, DEMO)).expect(302);
    const before = emulator.stats();
    emulator.clock.advance(3_600_000);
    await agent.get('/me/account').expect(200);
    const after = emulator.stats();
    expect(after.grants.refresh_token - before.grants.refresh_token).toBe(1);
    expect(after.grants.authorization_code).toBe(before.grants.authorization_code);
    expect(after.reuseAttempts).toBe(0);
  });

  it('asks to sign in first on pages that need it', async () => {
    const me = await agent.get('/me').expect(401);
    expect(me.text).toContain('href="/auth/acton"');
    await agent.get('/me/account').expect(401);
  });

  it('signs out', async () => {
    await agent.get(await authorizeAtEmulator(agent, DEMO)).expect(302);
    await agent.get('/me').expect(200);
    await agent.get('/logout').expect(302).expect('location', '/');
    await agent.get('/me').expect(401);
  });

  it('says so when the user denies access', async () => {
    const callback = await authorizeAtEmulator(agent, { ...DEMO, action: 'deny' });
    const page = await agent.get(callback).expect(403);
    expect(page.text).toContain('data-reason="denied"');
  });

  it('says so when the state does not match', async () => {
    const callback = await authorizeAtEmulator(agent, DEMO);
    const tampered = callback.replace(/state=[^&]+/, 'state=forged-state-value');
    const page = await agent.get(tampered).expect(400);
    expect(page.text).toContain('data-reason="state"');
  });

  it('says so when the account has no API access', async () => {
    const callback = await authorizeAtEmulator(agent, {
      username: 'no-api@example.com',
      password: 'no-api-password',
    });
    const page = await agent.get(callback).expect(403);
    expect(page.text).toContain('data-reason="api_access"');
    expect(page.text).toContain('PUBLIC_API_FEATURE_NOT_ENABLED');
  });

  it("says so when Act-On's hourly login limit is reached", async () => {
    try {
      const budgetBefore = emulator.stats().budgetRejections;
      let last: request.Response | undefined;
      for (let attempt = 0; attempt < 6; attempt++) {
        last = await agent.get(await authorizeAtEmulator(agent, DEMO));
        if (last.status === 429) break;
      }
      expect(last?.status).toBe(429);
      expect(last?.text).toContain('data-reason="budget"');
      expect(emulator.stats().budgetRejections).toBe(budgetBefore + 1);
    } finally {
      emulator.reset();
    }
  });
});
