import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import {
  ActOnConfigurationError,
  ActOnStoreError,
  ActOnTokenManager,
  FileTokenStore,
  MemoryTokenStore,
  type ManagerErrorEvent,
  type RefreshEvent,
  type TokenSet,
} from '../src';
import { HOUR_MS, makeTempDir, managerFor, startEmulator } from './helpers/emulator-fixture';

/** A memory store whose next `set` calls fail, as a full disk or a lost Redis connection would. */
class FlakyStore extends MemoryTokenStore {
  failNextWrites = 0;
  override async set(account: string, tokens: TokenSet, expectedVersion: number) {
    if (this.failNextWrites > 0) {
      this.failNextWrites--;
      throw new ActOnStoreError('simulated write failure');
    }
    return super.set(account, tokens, expectedVersion);
  }
}

describe('ActOnTokenManager durability', () => {
  let emulator: ActOnEmulator;
  const managers: ActOnTokenManager[] = [];
  const track = (manager: ActOnTokenManager) => {
    managers.push(manager);
    return manager;
  };

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });

  it('keeps a rotated pair the store refused, and saves it before anyone uses it', async () => {
    const store = new FlakyStore();
    const manager = track(managerFor(emulator, { store }));
    const errors: ManagerErrorEvent[] = [];
    manager.on('error', (event) => errors.push(event));
    const first = await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);

    store.failNextWrites = 1;
    await expect(manager.getAccessToken()).rejects.toBeInstanceOf(ActOnStoreError);
    expect(errors.map((event) => event.error.code)).toEqual(['store']);
    // The store still holds the old pair: the rotated one lives only in memory, not yet served.
    expect((await store.get('default'))?.tokens.accessToken).toBe(first);

    const second = await manager.getAccessToken();
    expect(second).not.toBe(first);
    expect((await store.get('default'))?.tokens.accessToken).toBe(second);
    const stats = emulator.stats();
    expect(stats.grants.refresh_token).toBe(1);
    expect(stats.grants.password).toBe(1);
    expect(stats.reuseAttempts + stats.supersededAttempts).toBe(0);
  });

  it('refreshes in the background before expiry without any caller', async () => {
    const shortLived = await startEmulator({ tokenTtlSec: 2 });
    try {
      // Real time on both sides: the timer must fire by itself, half-way through the 2-second lifetime.
      const manager = track(managerFor(shortLived, { now: Date.now, backgroundRefresh: true }));
      const first = await manager.getAccessToken();
      const refreshed = new Promise<RefreshEvent>((resolve) => manager.once('refresh', resolve));
      const event = await refreshed;
      expect(event.account).toBe('default');
      expect(shortLived.stats().grants.refresh_token).toBe(1);
      expect((await manager.getTokenSet())?.accessToken).not.toBe(first);
    } finally {
      await shortLived.close();
    }
  });

  it('hears about rotations elsewhere after login() alone, without waiting for a 401', async () => {
    const temp = await makeTempDir();
    try {
      const path = `${temp.dir}/tokens.json`;
      const ours = track(managerFor(emulator, { store: new FileTokenStore({ path }) }));
      const theirs = track(managerFor(emulator, { store: new FileTokenStore({ path }) }));
      await ours.login({ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password });
      const rotated = await theirs.refresh();
      const deadline = Date.now() + 10_000;
      while ((await ours.getAccessToken()) !== rotated.accessToken && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await ours.getAccessToken()).toBe(rotated.accessToken);
      const response = await ours.fetch('/api/1/account');
      expect(response.status).toBe(200);
      await response.body?.cancel();
      expect(emulator.stats().unauthorizedApiRequests).toBe(0);
      expect(emulator.stats().grants.refresh_token).toBe(1);
    } finally {
      await temp.cleanup();
    }
  });

  it('a refresh dropped twice without an answer is not sent a third time: one password grant instead, no failure', async () => {
    const manager = track(managerFor(emulator));
    await manager.getAccessToken();
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'drop', grantType: 'refresh_token', times: 2 });
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    const stats = emulator.stats();
    expect(stats.faults.drop).toBe(2);
    // Both drops happened before the grant logic: no refresh reached Act-On, and none was sent a third time.
    expect(stats.grants.refresh_token).toBe(0);
    expect(stats.grants.password).toBe(2);
    expect(stats.reuseAttempts + stats.supersededAttempts).toBe(0);
  });

  it('without credentials, a refresh dropped twice fails the call and is tried again by the next one', async () => {
    const seed = track(managerFor(emulator));
    await seed.getAccessToken();
    const manager = track(managerFor(emulator, { credentials: undefined }));
    await manager.saveTokens('default', (await seed.getTokenSet())!);
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'drop', grantType: 'refresh_token', times: 2 });
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'network', requestSent: true });
    // A code-grant account has no password to fall back on: another try beats asking a human to sign in.
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(emulator.stats().grants.refresh_token).toBe(1);
    expect(emulator.stats().reuseAttempts).toBe(0);
  });

  it('retries a login that Act-On answered with a 5xx, but not one whose outcome is unknown', async () => {
    const manager = track(managerFor(emulator));
    emulator.injectFault({ kind: 'error', status: 503, grantType: 'password' });
    await expect(manager.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(emulator.stats().faults.error).toBe(1);
    expect(emulator.stats().grants.password).toBe(1);

    const other = track(managerFor(emulator, { store: new MemoryTokenStore() }));
    emulator.injectFault({ kind: 'drop', grantType: 'password' });
    await expect(other.getAccessToken()).rejects.toMatchObject({ code: 'network' });
    expect(emulator.stats().faults.drop).toBe(1);
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('forget() drops the pair everywhere but keeps the login budget', async () => {
    const store = new MemoryTokenStore();
    const manager = track(managerFor(emulator, { store, authBudget: { limit: 1, windowMs: HOUR_MS } }));
    await manager.getAccessToken();
    await manager.forget('default');
    expect(await store.get('default')).toBeUndefined();
    expect(await manager.getTokenSet()).toBeUndefined();
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'auth_budget_exhausted' });
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('refresh() rotates even a valid pair; concurrent refresh() calls share one rotation', async () => {
    const store = new MemoryTokenStore();
    const manager = track(managerFor(emulator, { store }));
    const other = track(managerFor(emulator, { store }));
    const first = await manager.getAccessToken();
    const rotated = await manager.refresh();
    expect(rotated.accessToken).not.toBe(first);
    // `other` rotates; our refresh() started after it, so it rotates again rather than adopting a stale view.
    await other.refresh();
    const again = await manager.refresh();
    expect(emulator.stats().grants.refresh_token).toBe(3);
    expect(again.accessToken).toBe((await store.get('default'))?.tokens.accessToken);
    const together = await Promise.all(Array.from({ length: 5 }, () => manager.refresh()));
    expect(new Set(together.map((tokens) => tokens.accessToken)).size).toBe(1);
    expect(emulator.stats().grants.refresh_token).toBe(4);
    expect(emulator.stats().reuseAttempts + emulator.stats().supersededAttempts).toBe(0);
  });

  it('rejects bad arguments with typed errors that name them, and refuses calls once closed', async () => {
    expect(() => managerFor(emulator, { refreshSkewMs: -1 })).toThrow(ActOnConfigurationError);
    expect(() => managerFor(emulator, { authBudget: { limit: 0, windowMs: HOUR_MS } })).toThrow(
      expect.objectContaining({ option: 'authBudget.limit' }),
    );
    expect(() => managerFor(emulator, { store: {} as never })).toThrow(
      expect.objectContaining({ option: 'store' }),
    );
    const manager = track(managerFor(emulator));
    await expect(manager.getAccessToken('')).rejects.toMatchObject({ option: 'account' });
    await expect(manager.login({ username: EMULATOR_DEFAULTS.username, password: '' })).rejects.toMatchObject(
      {
        option: 'credentials',
      },
    );
    await manager.close();
    await expect(manager.getAccessToken()).rejects.toMatchObject({ option: 'manager' });
    expect(emulator.stats().tokenRequests).toBe(0);
  });
});
