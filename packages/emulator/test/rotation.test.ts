import { EMULATOR_DEFAULTS } from '@acton/emulator';
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
const SECOND_USER = { username: 'second@example.com', password: 'second-password' };
const TWO_USERS = [
  { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
  SECOND_USER,
];

describe('refresh tokens are single use', () => {
  it('refuses a refresh token the second time with invalid_grant and counts the reuse', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    const first = await refreshGrant(emulator, login.body.refresh_token);
    const again = await refreshGrant(emulator, login.body.refresh_token);
    expect(first.status).toBe(200);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant' });
    expect(emulator.stats()).toMatchObject({ reuseAttempts: 1, supersededAttempts: 0, invalidGrants: 1 });
  });

  it('keeps counting a reuse as reuse after later rotations', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    const second = await refreshGrant(emulator, login.body.refresh_token);
    await refreshGrant(emulator, second.body.refresh_token);
    const stale = await refreshGrant(emulator, login.body.refresh_token);
    expect(stale.status).toBe(400);
    expect(emulator.stats()).toMatchObject({ reuseAttempts: 1, supersededAttempts: 0 });
  });

  it('refuses an unknown refresh token with invalid_grant', async () => {
    const emulator = await start();
    const res = await refreshGrant(emulator, 'never-issued');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant' });
    expect(emulator.stats()).toMatchObject({ invalidGrants: 1, reuseAttempts: 0, supersededAttempts: 0 });
  });
});

describe('a new pair for the same client and username kills the older ones', () => {
  it('kills the older refresh token on a password grant', async () => {
    const emulator = await start();
    const older = await passwordGrant(emulator);
    await passwordGrant(emulator);
    const res = await refreshGrant(emulator, older.body.refresh_token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant' });
    expect(emulator.stats()).toMatchObject({ supersededAttempts: 1, reuseAttempts: 0 });
  });

  it('kills the older refresh token on a code grant', async () => {
    const emulator = await start();
    const older = await passwordGrant(emulator);
    const viaCode = await codeGrant(emulator, await obtainCode(emulator), REDIRECT_URI);
    expect(viaCode.status).toBe(200);
    expect((await refreshGrant(emulator, older.body.refresh_token)).status).toBe(400);
    expect(emulator.stats().supersededAttempts).toBe(1);
  });

  it('kills a refresh token another process holds when this one refreshes', async () => {
    const emulator = await start();
    // Two copies of a pair cannot exist, but two pairs can: process A logged in, then process B did.
    const processA = await passwordGrant(emulator);
    const processB = await passwordGrant(emulator);
    const bRefreshed = await refreshGrant(emulator, processB.body.refresh_token);
    expect(bRefreshed.status).toBe(200);
    expect((await refreshGrant(emulator, processA.body.refresh_token)).status).toBe(400);
    expect((await refreshGrant(emulator, processB.body.refresh_token)).status).toBe(400);
    expect(emulator.stats()).toMatchObject({ supersededAttempts: 1, reuseAttempts: 1 });
    expect((await refreshGrant(emulator, bRefreshed.body.refresh_token)).status).toBe(200);
  });

  it('kills older pairs when a test issues tokens with issueTokens()', async () => {
    const emulator = await start();
    const older = await passwordGrant(emulator);
    const issued = emulator.issueTokens(EMULATOR_DEFAULTS.username);
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'offline-access' });
    expect((await refreshGrant(emulator, older.body.refresh_token)).status).toBe(400);
    expect((await getAccount(emulator, issued.access_token)).status).toBe(200);
    expect(emulator.stats()).toMatchObject({
      tokensIssued: 2,
      grants: { password: 1 },
      supersededAttempts: 1,
    });
  });

  it('refuses issueTokens() for an unknown user', async () => {
    const emulator = await start();
    expect(() => emulator.issueTokens('nobody@example.com')).toThrow(/not a configured user/);
  });

  it('leaves the pairs of other usernames alone', async () => {
    const emulator = await start({ users: TWO_USERS });
    const demo = await passwordGrant(emulator);
    await passwordGrant(emulator, SECOND_USER.username, SECOND_USER.password);
    expect((await getAccount(emulator, demo.body.access_token)).status).toBe(200);
    expect((await refreshGrant(emulator, demo.body.refresh_token)).status).toBe(200);
  });
});

describe('older access tokens', () => {
  it('stop working by default once a new pair is issued, by any grant', async () => {
    const emulator = await start();
    const login = await passwordGrant(emulator);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(200);
    const rotated = await refreshGrant(emulator, login.body.refresh_token);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(401);
    expect((await getAccount(emulator, rotated.body.access_token)).status).toBe(200);
    await passwordGrant(emulator);
    expect((await getAccount(emulator, rotated.body.access_token)).status).toBe(401);
  });

  it('keep working until they expire with revokeAccessTokensOnReissue: false', async () => {
    const emulator = await start({ revokeAccessTokensOnReissue: false, tokenTtlSec: 600 });
    const login = await passwordGrant(emulator);
    await refreshGrant(emulator, login.body.refresh_token);
    await passwordGrant(emulator);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(200);
    emulator.clock.advance(600_000);
    expect((await getAccount(emulator, login.body.access_token)).status).toBe(401);
  });

  it('keeps refresh tokens strict even when access tokens survive', async () => {
    const emulator = await start({ revokeAccessTokensOnReissue: false });
    const older = await passwordGrant(emulator);
    await passwordGrant(emulator);
    expect((await refreshGrant(emulator, older.body.refresh_token)).status).toBe(400);
    expect(emulator.stats().supersededAttempts).toBe(1);
  });
});
