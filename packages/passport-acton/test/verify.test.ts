import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { isTokenSet, type TokenSet } from '@acton/oauth-client';
import type { Request } from 'express';
import {
  ActOnStrategy,
  type ActOnProfile,
  type ActOnTokenParams,
  type ActOnVerifyCallback,
  type ActOnVerifyFunctionWithParams,
  type ActOnVerifyFunctionWithRequestAndParams,
} from 'passport-acton';
import { appFactory, emulatorFactory, emulatorOptions, fullLogin } from './helpers';

const startEmulator = emulatorFactory();
const startApp = appFactory();

interface Seen {
  args: number;
  accessToken?: string;
  refreshToken?: string;
  params?: ActOnTokenParams;
  profile?: ActOnProfile;
  req?: Request;
}

describe('verify callbacks of every passport-oauth2 arity', () => {
  it('(accessToken, refreshToken, profile, done): tokens at profile.tokens', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: Seen[] = [];
    app.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, app), function (accessToken, refreshToken, profile, done) {
        seen.push({ args: arguments.length, accessToken, refreshToken, profile });
        done(null, { id: profile.id });
      }),
    );
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(app.lastOutcome().user).toEqual({ id: '10001' });
    const [call] = seen;
    expect(call?.args).toBe(4);
    expect(call?.profile?.provider).toBe('acton');
    const tokens = call?.profile?.tokens as TokenSet;
    expect(isTokenSet(tokens)).toBe(true);
    expect([tokens.accessToken, tokens.refreshToken]).toEqual([call?.accessToken, call?.refreshToken]);
    expect(tokens.expiresAt - tokens.obtainedAt).toBe(3600_000);
  });

  it('(accessToken, refreshToken, params, profile, done): params is the token answer, with params.tokens', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: Seen[] = [];
    // TypeScript cannot pick the parameter types of an unannotated five-parameter callback from the overloads
    // (it fixes them on the first, four-parameter one): name the type, as the README shows.
    const withParams: ActOnVerifyFunctionWithParams = function (
      accessToken,
      refreshToken,
      params,
      profile,
      done,
    ) {
      seen.push({ args: arguments.length, accessToken, refreshToken, params, profile });
      done(null, { id: profile.id });
    };
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app), withParams));
    expect((await fullLogin(app)).response.status).toBe(200);
    const [call] = seen;
    expect(call?.args).toBe(5);
    expect({ ...call?.params }).toEqual({
      access_token: call?.accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'offline-access',
    });
    expect(call?.params?.tokens).toBe(call?.profile?.tokens);
    expect(call?.params?.tokens.refreshToken).toBe(call?.refreshToken);
  });

  it('(req, accessToken, refreshToken, profile, done) with passReqToCallback', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: Seen[] = [];
    app.passport.use(
      new ActOnStrategy({ ...emulatorOptions(emulator, app), passReqToCallback: true }, function (
        req,
        accessToken,
        refreshToken,
        profile,
        done,
      ) {
        seen.push({ args: arguments.length, req, accessToken, refreshToken, profile });
        done(null, { id: profile.id, path: req.path });
      }),
    );
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(seen[0]?.args).toBe(5);
    expect(app.lastOutcome().user).toEqual({ id: '10001', path: '/auth/acton/callback' });
    expect(isTokenSet(seen[0]?.profile?.tokens)).toBe(true);
  });

  it('(req, accessToken, refreshToken, params, profile, done) with passReqToCallback', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: Seen[] = [];
    const withRequestAndParams: ActOnVerifyFunctionWithRequestAndParams = function (
      req,
      accessToken,
      refreshToken,
      params,
      profile,
      done,
    ) {
      seen.push({ args: arguments.length, req, accessToken, refreshToken, params, profile });
      done(null, { id: profile.id, expiresIn: params.expires_in });
    };
    app.passport.use(
      new ActOnStrategy({ ...emulatorOptions(emulator, app), passReqToCallback: true }, withRequestAndParams),
    );
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(seen[0]?.args).toBe(6);
    expect(seen[0]?.req?.query.code).toEqual(expect.any(String));
    expect(app.lastOutcome().user).toEqual({ id: '10001', expiresIn: 3600 });
  });

  it('passReqToCallback without a verify still yields { profile, tokens }', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(new ActOnStrategy({ ...emulatorOptions(emulator, app), passReqToCallback: true }));
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(Object.keys(app.lastOutcome().user as object).sort()).toEqual(['profile', 'tokens']);
  });

  it('a variadic verify (hidden arity, like a wrapper) gets the four-argument form', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: unknown[][] = [];
    const variadic = (...args: unknown[]): void => {
      seen.push(args);
      (args[args.length - 1] as ActOnVerifyCallback)(null, { ok: true });
    };
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app), variadic));
    expect((await fullLogin(app)).response.status).toBe(200);
    const args = seen[0] ?? [];
    expect(args).toHaveLength(4);
    expect((args[2] as ActOnProfile).provider).toBe('acton');
    expect(isTokenSet((args[2] as ActOnProfile).tokens)).toBe(true);
  });

  it('skipUserProfile: no account request, profile undefined, tokens still in params.tokens', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const seen: Seen[] = [];
    const skipping: ActOnVerifyFunctionWithParams = (_accessToken, _refreshToken, params, profile, done) => {
      seen.push({ args: 5, params, profile });
      done(null, { tokens: params.tokens });
    };
    app.passport.use(
      new ActOnStrategy({ ...emulatorOptions(emulator, app), skipUserProfile: true }, skipping),
    );
    expect((await fullLogin(app)).response.status).toBe(200);
    expect(seen[0]?.profile).toBeUndefined();
    expect(isTokenSet(seen[0]?.params?.tokens)).toBe(true);
    expect(emulator.stats().accountRequests).toBe(0);
  });

  it('skipUserProfile as an async function decides per login', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    const decisions: string[] = [];
    app.passport.use(
      new ActOnStrategy(
        {
          ...emulatorOptions(emulator, app),
          skipUserProfile: (accessToken: string, done: (error: Error | null, skip?: boolean) => void) => {
            decisions.push(accessToken);
            done(null, decisions.length === 1);
          },
        },
        (_accessToken, _refreshToken, profile, done) => done(null, { hasProfile: profile !== undefined }),
      ),
    );
    await fullLogin(app);
    expect(app.lastOutcome().user).toEqual({ hasProfile: false });
    await fullLogin(app);
    expect(app.lastOutcome().user).toEqual({ hasProfile: true });
    expect(emulator.stats().accountRequests).toBe(1);
  });

  it('done(null, false, info) fails the login with that info', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, app), (_at, _rt, _profile, done) =>
        done(null, false, { message: 'Not an admin' }),
      ),
    );
    const { response } = await fullLogin(app);
    expect(response.status).toBe(401);
    expect(app.lastOutcome()).toMatchObject({ err: null, user: false, info: { message: 'Not an admin' } });
  });

  it('an error passed to done, or thrown, becomes the error of the login', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    app.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, app), () => {
        throw new Error('database down');
      }),
    );
    expect((await fullLogin(app)).response.status).toBe(500);
    expect((app.lastOutcome().err as Error).message).toBe('database down');

    const other = await startApp();
    other.passport.use(
      new ActOnStrategy(emulatorOptions(emulator, other), (_at, _rt, _profile, done) =>
        done(new Error('nope')),
      ),
    );
    expect((await fullLogin(other)).response.status).toBe(500);
    expect((other.lastOutcome().err as Error).message).toBe('nope');
  });

  it('keeps tokens out of the enumerable profile and params (sessions and logs never copy them)', async () => {
    const emulator = await startEmulator();
    const app = await startApp();
    let captured: { params?: ActOnTokenParams; profile?: ActOnProfile } = {};
    const capture: ActOnVerifyFunctionWithParams = (_at, _rt, params, profile, done) => {
      captured = { params, profile };
      done(null, profile);
    };
    app.passport.use(new ActOnStrategy(emulatorOptions(emulator, app), capture));
    await fullLogin(app);
    const { params, profile } = captured;
    const refreshToken = profile?.tokens.refreshToken as string;
    expect(refreshToken).toEqual(expect.any(String));
    expect(JSON.stringify(profile)).not.toContain(refreshToken);
    expect(Object.keys(profile ?? {})).not.toContain('tokens');
    expect({ ...profile }).not.toHaveProperty('tokens');
    expect(JSON.stringify(params)).not.toContain('tokens');
    expect(profile?.username).toBe(EMULATOR_DEFAULTS.username);
  });
});
