import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { ActOnConfigurationError } from '@acton/oauth-client';
import { ActOnCookieStateStore, ActOnStrategy, STATE_MESSAGES, type ActOnUser } from 'passport-acton';
import type { Request } from 'express';
import {
  appFactory,
  authorizeAtActOn,
  emulatorFactory,
  emulatorOptions,
  fullLogin,
  hitCallback,
  setCookies,
  startLogin,
} from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();

/** Replaces one character of a cookie's value, keeping it well-formed base64url. */
function flipCharacter(cookie: string, index: number): string {
  const [name, value] = cookie.split('=') as [string, string];
  const at = index < 0 ? value.length + index : index;
  const replacement = value[at] === 'A' ? 'B' : 'A';
  return `${name}=${value.slice(0, at)}${replacement}${value.slice(at + 1)}`;
}

describe('cookie state store (no session)', () => {
  it('signs in, and clears the state cookie on the callback', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response } = await fullLogin(app);
    expect(response.status).toBe(200);
    const cleared = setCookies(response.headers);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatch(
      /^acton_oauth_state=; Path=\/auth\/acton\/callback; Max-Age=0; HttpOnly; SameSite=Lax/,
    );
  });

  it('refuses a replayed callback (same cookie, same state) before exchanging anything', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response, callbackUrl, cookie } = await fullLogin(app);
    expect(response.status).toBe(200);

    const replay = await hitCallback(app, callbackUrl, cookie);
    expect(replay.status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: STATE_MESSAGES.replayed });
    expect(emulator.stats().grants.authorization_code).toBe(1);
  });

  it.each([
    ['in its signature', -3],
    ['in its payload', 5],
  ])('refuses a cookie tampered with %s', async (_where, index) => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl, cookie } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    const response = await hitCallback(app, callbackUrl, flipCharacter(cookie, index));
    expect(response.status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Invalid authorization request state.' });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });

  it("refuses a cookie minted by another app's secret", async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const other = await startApp();
    other.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, other, { clientSecret: 'a-different-client-secret' })),
    );
    const foreign = await startLogin(other);
    const { authorizeUrl } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    // The attacker's cookie carries the attacker's state; both are swapped in.
    callbackUrl.searchParams.set('state', foreign.authorizeUrl.searchParams.get('state') ?? '');
    expect((await hitCallback(app, callbackUrl, foreign.cookie)).status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Invalid authorization request state.' });
  });

  it('refuses an expired state', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    let now = Date.now();
    const store = new ActOnCookieStateStore({ secret: 'a-test-secret-of-enough-length', now: () => now });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { store })));
    const { authorizeUrl, cookie, setCookies: cookies } = await startLogin(app);
    expect(cookies[0]).toMatch(/Max-Age=600;/);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    now += 10 * 60_000 + 1;
    expect((await hitCallback(app, callbackUrl, cookie)).status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: STATE_MESSAGES.expired });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });

  it('accepts a state just inside a custom ttl', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    let now = Date.now();
    const store = new ActOnCookieStateStore({
      secret: 'a-test-secret-of-enough-length',
      ttlMs: 60_000,
      now: () => now,
    });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { store })));
    const { authorizeUrl, cookie, setCookies: cookies } = await startLogin(app);
    expect(cookies[0]).toMatch(/Max-Age=60;/);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    now += 59_000;
    expect((await hitCallback(app, callbackUrl, cookie)).status).toBe(200);
  });

  it('returns application state passed to authenticate() as info.state', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ loginOptions: { state: { returnTo: '/dashboard?tab=1' } } });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { response } = await fullLogin(app);
    expect(response.status).toBe(200);
    expect(app.lastOutcome().info).toEqual({ state: { returnTo: '/dashboard?tab=1' } });
  });

  it('keeps two pending logins apart: only the state of the cookie present counts', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const first = await startLogin(app);
    const second = await startLogin(app);
    const firstCallback = await authorizeAtActOn(first.authorizeUrl);
    // The browser holds the second cookie (it overwrote the first): the first callback fails, cleanly.
    expect((await hitCallback(app, firstCallback, second.cookie)).status).toBe(403);
    // Both cookies sent (different paths or an old tab): the matching one wins.
    const secondCallback = await authorizeAtActOn(second.authorizeUrl);
    const both = `${first.cookie}; ${second.cookie}`;
    expect((await hitCallback(app, secondCallback, both)).status).toBe(200);
  });

  it('marks the cookie Secure when the callback URL is https', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(
      new ActOnStrategy(
        emulatorOptions(emulator, app, { callbackURL: 'https://app.example.com/oauth/acton/cb' }),
      ),
    );
    const { setCookies: cookies } = await startLogin(app);
    expect(cookies[0]).toMatch(/; Path=\/oauth\/acton\/cb; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('honours cookieName, cookiePath and secure', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const store = new ActOnCookieStateStore({
      secret: Buffer.alloc(32, 7),
      cookieName: 'my_state',
      cookiePath: '/auth',
      secure: true,
    });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { store })));
    const { setCookies: cookies, cookie, authorizeUrl } = await startLogin(app);
    expect(cookies[0]).toMatch(/^my_state=[^;]+; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    expect((await hitCallback(app, callbackUrl, cookie)).status).toBe(200);
  });

  it.each([
    [{ secret: 'short' }, 'secret'],
    [{ secret: undefined as unknown as string }, 'secret'],
    [{ secret: 'long-enough-secret-123', ttlMs: 0 }, 'ttlMs'],
    [{ secret: 'long-enough-secret-123', ttlMs: 2 * 60 * 60_000 }, 'ttlMs'],
    [{ secret: 'long-enough-secret-123', cookieName: 'bad name;' }, 'cookieName'],
    [{ secret: 'long-enough-secret-123', cookiePath: 'relative' }, 'cookiePath'],
    [{ secret: 'long-enough-secret-123', secure: 'yes' as unknown as boolean }, 'secure'],
  ])('rejects bad options %p naming %s', (options, option) => {
    let caught: unknown;
    try {
      new ActOnCookieStateStore(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ActOnConfigurationError);
    expect((caught as ActOnConfigurationError).option).toBe(option);
  });
});

describe('session state store (express-session)', () => {
  it('keeps the state in the session, sets no state cookie, and signs in', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ session: true });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl, setCookies: cookies, cookie } = await startLogin(app);
    expect(authorizeUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(cookies.some((c) => c.startsWith('acton_oauth_state='))).toBe(false);
    expect(cookies.some((c) => c.startsWith('connect.sid='))).toBe(true);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    const response = await hitCallback(app, callbackUrl, cookie);
    expect(response.status).toBe(200);
    expect((app.lastOutcome().user as ActOnUser).profile.username).toBe(EMULATOR_DEFAULTS.username);
  });

  it('refuses a mismatched state and a replay', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ session: true });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app)));
    const { authorizeUrl, cookie } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'not-the-state');
    expect((await hitCallback(app, forged, cookie)).status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Invalid authorization request state.' });
    // The handle is single use: the genuine callback after a failed one is refused too.
    expect((await hitCallback(app, callbackUrl, cookie)).status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: 'Unable to verify authorization request state.' });
    expect(emulator.stats().grants.authorization_code).toBe(0);
  });

  it('refuses an expired session state', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ session: true });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { stateTtlMs: 1000 })));
    const { authorizeUrl, cookie } = await startLogin(app);
    const callbackUrl = await authorizeAtActOn(authorizeUrl);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await hitCallback(app, callbackUrl, cookie)).status).toBe(403);
    expect(app.lastOutcome().info).toEqual({ message: STATE_MESSAGES.expired });
  });

  it('uses the cookie store even with a session when asked to', async () => {
    const emulator = await startEmulator();
    const app = await startApp({ session: true });
    const store = new ActOnCookieStateStore({ secret: 'a-test-secret-of-enough-length' });
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app, { store })));
    const { setCookies: cookies } = await startLogin(app);
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['acton_oauth_state']);
  });
});

describe('a state store needs the response object', () => {
  it('reports an ActOnConfigurationError instead of issuing a state it cannot check later', async () => {
    const store = new ActOnCookieStateStore({ secret: 'a-test-secret-of-enough-length' });
    const meta = { authorizationURL: 'x', tokenURL: 'y', clientID: 'z', callbackURL: 'http://127.0.0.1/cb' };
    const bareRequest = { headers: {} } as unknown as Request;
    const stored = await new Promise<unknown[]>((resolve) =>
      store.store(bareRequest, undefined, meta, (...args) => resolve(args)),
    );
    expect(stored[0]).toBeInstanceOf(ActOnConfigurationError);
    expect((stored[0] as Error).message).toMatch(/req\.res/);
    const verified = await new Promise<unknown[]>((resolve) =>
      store.verify(bareRequest, 'state', meta, (...args) => resolve(args)),
    );
    expect(verified[0]).toBeInstanceOf(ActOnConfigurationError);
    expect(verified[1]).toBe(false);
  });
});
