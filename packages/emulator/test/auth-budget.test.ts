import { EMULATOR_DEFAULTS, createManualClock } from '@acton/emulator';
import {
  codeGrant,
  emulatorFactory,
  HOUR_MS,
  obtainCode,
  passwordGrant,
  refreshGrant,
  REDIRECT_URI,
  submitLogin,
} from './helpers';

const start = emulatorFactory();
const OTHER = { username: 'other@example.com', password: 'other-password' };
const TWO_USERS = [{ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password }, OTHER];

async function spend(
  emulator: Parameters<typeof passwordGrant>[0],
  times: number,
  password?: string,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    statuses.push((await passwordGrant(emulator, EMULATOR_DEFAULTS.username, password)).status);
  }
  return statuses;
}

describe('the hourly auth budget of password and code grants', () => {
  it('allows 5 password grants per hour and answers the 6th with 429', async () => {
    const emulator = await start();
    expect(await spend(emulator, 5)).toEqual([200, 200, 200, 200, 200]);
    const sixth = await passwordGrant(emulator);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toMatchObject({ error: 'too_many_requests' });
    expect(emulator.stats()).toMatchObject({ budgetRejections: 1, tokensIssued: 5 });
  });

  it('counts failed attempts too', async () => {
    const emulator = await start();
    expect(await spend(emulator, 5, 'wrong-password')).toEqual([401, 401, 401, 401, 401]);
    expect((await passwordGrant(emulator)).status).toBe(429);
  });

  it('does not check a rejected attempt: a wrong password past the limit is 429, not 401', async () => {
    const emulator = await start({ authLimitPerHour: 1 });
    await passwordGrant(emulator);
    expect((await passwordGrant(emulator, EMULATOR_DEFAULTS.username, 'wrong')).status).toBe(429);
  });

  it('slides: one attempt leaves the window an hour after it was made', async () => {
    const clock = createManualClock(Date.UTC(2030, 0, 1));
    const emulator = await start({ clock });
    for (let i = 0; i < 5; i++) {
      expect((await passwordGrant(emulator)).status).toBe(200);
      clock.advance(10 * 60 * 1000);
    }
    // Now 50 minutes after the first attempt.
    expect((await passwordGrant(emulator)).status).toBe(429);
    clock.advance(10 * 60 * 1000 - 1);
    expect((await passwordGrant(emulator)).status).toBe(429);
    clock.advance(1);
    expect((await passwordGrant(emulator)).status).toBe(200);
    expect((await passwordGrant(emulator)).status).toBe(429);
  });

  it('does not count rejected attempts in the window', async () => {
    const clock = createManualClock(Date.UTC(2030, 0, 1));
    const emulator = await start({ clock, authLimitPerHour: 2 });
    await passwordGrant(emulator);
    clock.advance(30 * 60 * 1000);
    await passwordGrant(emulator);
    for (let i = 0; i < 10; i++) expect((await passwordGrant(emulator)).status).toBe(429);
    clock.advance(30 * 60 * 1000);
    // Had the rejections counted, the window would still be full.
    expect((await passwordGrant(emulator)).status).toBe(200);
    expect(emulator.stats().budgetRejections).toBe(10);
  });

  it('keeps a budget per username', async () => {
    const emulator = await start({ users: TWO_USERS });
    await spend(emulator, 5);
    expect((await passwordGrant(emulator)).status).toBe(429);
    expect((await passwordGrant(emulator, OTHER.username, OTHER.password)).status).toBe(200);
  });

  it('charges code grants to the same budget as password grants', async () => {
    const emulator = await start({ authLimitPerHour: 3 });
    for (let i = 0; i < 3; i++) {
      const code = await obtainCode(emulator);
      expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(200);
    }
    expect((await passwordGrant(emulator)).status).toBe(429);
    const fourthCode = await obtainCode(emulator);
    expect((await codeGrant(emulator, fourthCode, REDIRECT_URI)).status).toBe(429);
    expect(emulator.stats().budgetRejections).toBe(2);
  });

  it('does not spend a code whose grant the budget rejected', async () => {
    const emulator = await start({ authLimitPerHour: 1, codeTtlSec: 2 * 3600 });
    await passwordGrant(emulator);
    const code = await obtainCode(emulator);
    expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(429);
    emulator.clock.advance(HOUR_MS);
    expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(200);
  });

  it('never limits refresh grants', async () => {
    const emulator = await start({ authLimitPerHour: 1 });
    let tokens = (await passwordGrant(emulator)).body;
    for (let i = 0; i < 20; i++) {
      const res = await refreshGrant(emulator, tokens.refresh_token);
      expect(res.status).toBe(200);
      tokens = res.body;
    }
    expect((await passwordGrant(emulator)).status).toBe(429);
  });

  it('does not charge failed logins on the /authorize page', async () => {
    const emulator = await start({ authLimitPerHour: 2 });
    for (let i = 0; i < 5; i++) {
      const page = await submitLogin(emulator, {
        client_id: EMULATOR_DEFAULTS.clientId,
        redirect_uri: REDIRECT_URI,
        username: EMULATOR_DEFAULTS.username,
        password: 'wrong',
        action: 'authorize',
      });
      expect(page.status).toBe(200);
      await page.text();
    }
    expect(await spend(emulator, 2)).toEqual([200, 200]);
  });

  it('answers with the configured status, body and headers', async () => {
    const emulator = await start({
      authLimitPerHour: 0,
      authLimitResponse: {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Too many logins' },
        headers: { 'Retry-After': '3600' },
      },
    });
    const res = await passwordGrant(emulator);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Too many logins' });
    expect(res.headers.get('retry-after')).toBe('3600');
    expect(emulator.stats().budgetRejections).toBe(1);
  });

  it('sends a string body as text', async () => {
    const emulator = await start({
      authLimitPerHour: 0,
      authLimitResponse: { status: 503, body: 'Slow down' },
    });
    const res = await passwordGrant(emulator);
    expect(res.status).toBe(503);
    expect(res.text).toBe('Slow down');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('forgets the budget on reset()', async () => {
    const emulator = await start({ authLimitPerHour: 1 });
    await passwordGrant(emulator);
    expect((await passwordGrant(emulator)).status).toBe(429);
    emulator.reset();
    expect((await passwordGrant(emulator)).status).toBe(200);
  });
});
