import { EMULATOR_DEFAULTS } from '@acton/emulator';
import request from 'supertest';
import { authorizeAtEmulator } from '../../nest-app/test/sign-in-helpers';
import { startExpressExample, type RunningExpressExample } from '../src/server';

describe('the minimal Express example', () => {
  const savedEnv = { ...process.env };
  let running: RunningExpressExample;

  beforeAll(async () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('ACTON_')) delete process.env[name];
    running = await startExpressExample(0, 0);
  });
  afterAll(async () => {
    await running.close();
    process.env = savedEnv;
  });

  it('signs in with passport.use(new ActOnStrategy()) and calls Act-On with the rotated pair', async () => {
    const agent = request.agent(running.url);
    const callback = await authorizeAtEmulator(agent, {
      username: EMULATOR_DEFAULTS.username,
      password: EMULATOR_DEFAULTS.password,
    });
    await agent.get(callback).expect(302).expect('location', '/');
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Signed in as Demo');

    running.emulator!.clock.advance(3_600_000);
    const account = await agent.get('/account').expect(200);
    expect(account.body).toMatchObject({ account_id: 10001, login: EMULATOR_DEFAULTS.username });
    const stats = running.emulator!.stats();
    expect(stats.grants).toMatchObject({ authorization_code: 1, refresh_token: 1, password: 0 });
    expect(stats.reuseAttempts).toBe(0);

    await agent.get('/logout').expect(302);
    await agent.get('/account').expect(302).expect('location', '/');
  });
});
