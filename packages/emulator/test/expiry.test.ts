import { createManualClock, createSystemClock, type EmulatorClock } from '@acton/emulator';
import {
  codeGrant,
  emulatorFactory,
  getAccount,
  obtainCode,
  passwordGrant,
  refreshGrant,
  REDIRECT_URI,
} from './helpers';

const start = emulatorFactory();
const DAY_MS = 24 * 60 * 60 * 1000;

describe('access tokens expire after tokenTtlSec on the emulator clock', () => {
  it('works until the last millisecond and answers 401 from then on', async () => {
    const clock = createManualClock(Date.UTC(2030, 0, 1));
    const emulator = await start({ tokenTtlSec: 3600, clock });
    const login = await passwordGrant(emulator);
    clock.advance(3600_000 - 1);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(200);
    clock.advance(1);
    const expired = await getAccount(emulator, login.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ httpCode: '401', httpMessage: 'Unauthorized', moreInformation: '' });
  });

  it('moves with the default clock’s advance()', async () => {
    const emulator = await start({ tokenTtlSec: 60 });
    const login = await passwordGrant(emulator);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(200);
    emulator.clock.advance(61_000);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(401);
  });

  it('leaves the refresh token usable after the access token expired', async () => {
    const emulator = await start({ tokenTtlSec: 60 });
    const login = await passwordGrant(emulator);
    emulator.clock.advance(2 * 60 * 60 * 1000);
    expect((await refreshGrant(emulator, login.body.refresh_token)).status).toBe(200);
  });
});

describe('refresh tokens expire after refreshTokenTtlSec unused', () => {
  it('defaults to 30 days from issue and counts expired attempts', async () => {
    const emulator = await start();
    const early = await passwordGrant(emulator);
    emulator.clock.advance(30 * DAY_MS - 1000);
    expect((await refreshGrant(emulator, early.body.refresh_token)).status).toBe(200);

    const late = await passwordGrant(emulator);
    emulator.clock.advance(30 * DAY_MS);
    const res = await refreshGrant(emulator, late.body.refresh_token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant' });
    expect(emulator.stats()).toMatchObject({
      expiredRefreshAttempts: 1,
      reuseAttempts: 0,
      supersededAttempts: 0,
    });
  });

  it('honours a configured lifetime', async () => {
    const emulator = await start({ refreshTokenTtlSec: 120 });
    const login = await passwordGrant(emulator);
    emulator.clock.advance(120_000);
    expect((await refreshGrant(emulator, login.body.refresh_token)).status).toBe(400);
    expect(emulator.stats().expiredRefreshAttempts).toBe(1);
  });
});

describe('authorization codes expire after codeTtlSec', () => {
  it('refuses a code presented after its lifetime', async () => {
    const emulator = await start({ codeTtlSec: 30 });
    const code = await obtainCode(emulator);
    emulator.clock.advance(30_000);
    const res = await codeGrant(emulator, code, REDIRECT_URI);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('accepts a code within its lifetime', async () => {
    const emulator = await start({ codeTtlSec: 30 });
    const code = await obtainCode(emulator);
    emulator.clock.advance(29_000);
    expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(200);
  });
});

describe('clocks', () => {
  it('accepts any injected object with now() and advance()', async () => {
    let now = 1_000_000;
    const clock: EmulatorClock = {
      now: () => now,
      advance: (ms) => {
        now += ms;
      },
    };
    const emulator = await start({ clock, tokenTtlSec: 10 });
    expect(emulator.clock).toBe(clock);
    const login = await passwordGrant(emulator);
    now += 10_000;
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(401);
  });

  it('moves the system clock by advance() and set()', () => {
    const clock = createSystemClock();
    const before = Date.now();
    clock.advance(DAY_MS);
    expect(clock.now()).toBeGreaterThanOrEqual(before + DAY_MS);
    clock.set?.(Date.UTC(2040, 0, 1));
    expect(Math.abs(clock.now() - Date.UTC(2040, 0, 1))).toBeLessThan(1000);
  });

  it('refuses to run backwards', () => {
    expect(() => createSystemClock().advance(-1)).toThrow(RangeError);
    expect(() => createManualClock(0).advance(Number.NaN)).toThrow(RangeError);
  });

  it('keeps a manual clock still until told', () => {
    const clock = createManualClock(5000);
    expect(clock.now()).toBe(5000);
    clock.advance(250);
    expect(clock.now()).toBe(5250);
    clock.set?.(42);
    expect(clock.now()).toBe(42);
  });
});
