import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
  type ActOnEmulatorOptions,
} from '@acton/emulator';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import type { ActOnStrategyOptions } from 'passport-acton';
import request from 'supertest';

/** Starts emulators on free loopback ports and closes them after each test. */
export function emulatorFactory(): (options?: ActOnEmulatorOptions) => Promise<ActOnEmulator> {
  const started: ActOnEmulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  return async (options) => {
    const emulator = await startActOnEmulator(options);
    started.push(emulator);
    return emulator;
  };
}

/** What passport's custom callback saw on the callback route, kept as real objects for `instanceof` checks. */
export interface Outcome {
  readonly err: unknown;
  readonly user: unknown;
  readonly info: unknown;
  readonly status: unknown;
}

/** An Express app with passport routes for one strategy, listening on a free loopback port. */
export interface TestApp {
  readonly app: Express;
  readonly server: Server;
  readonly url: string;
  /** `${url}/auth/acton/callback`. */
  readonly callbackURL: string;
  readonly passport: passport.Authenticator;
  /** One entry per request that reached the callback route. */
  readonly outcomes: Outcome[];
  /** The last outcome; throws when there is none. */
  lastOutcome(): Outcome;
}

export interface TestAppOptions {
  /** Mount express-session before passport. */
  readonly session?: boolean;
  /** Options of `authenticate()` on the login route. */
  readonly loginOptions?: Record<string, unknown>;
  /** Strategy name to authenticate with. Default `'acton'`. */
  readonly strategyName?: string;
}

/** Starts apps and closes them (and their keep-alive connections) after each test. */
export function appFactory(): (options?: TestAppOptions) => Promise<TestApp> {
  const started: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      started.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  });
  return async (options = {}) => {
    const app = express();
    const authenticator = new passport.Passport();
    const name = options.strategyName ?? 'acton';
    const outcomes: Outcome[] = [];
    if (options.session) {
      app.use(session({ secret: 'test-session-secret-0123456789', resave: false, saveUninitialized: false }));
    }
    app.use(authenticator.initialize());
    app.get('/auth/acton', authenticator.authenticate(name, { session: false, ...options.loginOptions }));
    app.get('/auth/acton/callback', (req: Request, res: Response, next: NextFunction) => {
      authenticator.authenticate(
        name,
        { session: false },
        (err: unknown, user: unknown, info: unknown, status: unknown) => {
          outcomes.push({ err, user, info, status });
          if (err) return res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
          if (!user) return res.status(typeof status === 'number' ? status : 401).json({ info });
          return res.json({ ok: true, info });
        },
      )(req, res, next);
    });
    const server = app.listen(0, '127.0.0.1');
    started.push(server);
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      app,
      server,
      url,
      callbackURL: `${url}/auth/acton/callback`,
      passport: authenticator,
      outcomes,
      lastOutcome(): Outcome {
        const last = outcomes[outcomes.length - 1];
        if (last === undefined) throw new Error('no request reached the callback route');
        return last;
      },
    };
  };
}

/** Options pointing a strategy at an emulator and an app. */
export function emulatorOptions(
  emulator: ActOnEmulator,
  app: TestApp,
  extra: Partial<ActOnStrategyOptions> = {},
): ActOnStrategyOptions {
  return {
    clientID: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseURL: emulator.url,
    callbackURL: app.callbackURL,
    ...extra,
  };
}

/** `name=value` of every cookie a response set (a deletion included, with its empty value). */
export function setCookies(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
}

/** The `Cookie` header a browser would send back for the live cookies among `setCookieHeaders`. */
export function cookieHeader(setCookieHeaders: readonly string[]): string {
  return setCookieHeaders
    .filter((cookie) => !/;\s*Max-Age=0/i.test(cookie))
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Step 1: the app's login route; returns Act-On's authorization URL and the cookies set. */
export async function startLogin(
  app: TestApp,
  path = '/auth/acton',
  cookie?: string,
): Promise<{ authorizeUrl: URL; setCookies: string[]; cookie: string }> {
  const call = request(app.server).get(path);
  if (cookie) call.set('Cookie', cookie);
  const res = await call;
  if (res.status !== 302 || typeof res.headers.location !== 'string') {
    throw new Error(`login route answered ${res.status} instead of a redirect: ${res.text}`);
  }
  const cookies = setCookies(res.headers);
  return { authorizeUrl: new URL(res.headers.location), setCookies: cookies, cookie: cookieHeader(cookies) };
}

function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&');
}

/** The named inputs of the emulator's login form, as a browser would submit them. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input ([^>]*)>/g)) {
    const attrs = match[1] ?? '';
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name !== undefined) fields[name] = decodeHtml(value);
  }
  return fields;
}

/**
 * Step 2, at Act-On: loads the login page, fills in the form and submits it as a browser would; returns the
 * callback URL the emulator redirects to.
 */
export async function authorizeAtActOn(
  authorizeUrl: URL,
  options: { username?: string; password?: string; action?: 'authorize' | 'deny' } = {},
): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`login page answered ${page.status}: ${html}`);
  const form = new URLSearchParams({
    ...formFields(html),
    username: options.username ?? EMULATOR_DEFAULTS.username,
    password: options.password ?? EMULATOR_DEFAULTS.password,
    action: options.action ?? 'authorize',
  });
  const posted = await fetch(new URL('/authorize', authorizeUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = posted.headers.get('location');
  await posted.text();
  if (posted.status !== 302 || location === null) {
    throw new Error(`login form answered ${posted.status} instead of a redirect to the callback`);
  }
  return new URL(location);
}

/** Step 3: the browser follows Act-On's redirect to the app's callback, with its cookies. */
export function hitCallback(app: TestApp, callbackUrl: URL, cookie?: string): request.Test {
  const call = request(app.server).get(`${callbackUrl.pathname}${callbackUrl.search}`);
  if (cookie) call.set('Cookie', cookie);
  return call;
}

/** The whole round trip: login route → Act-On's form → callback. */
export async function fullLogin(
  app: TestApp,
  options: { username?: string; password?: string; action?: 'authorize' | 'deny'; path?: string } = {},
): Promise<{ response: request.Response; callbackUrl: URL; cookie: string; authorizeUrl: URL }> {
  const started = await startLogin(app, options.path);
  const callbackUrl = await authorizeAtActOn(started.authorizeUrl, options);
  const response = await hitCallback(app, callbackUrl, started.cookie);
  return { response, callbackUrl, cookie: started.cookie, authorizeUrl: started.authorizeUrl };
}

/** Runs `fn` with `ACTON_*` variables set as given (and every other `ACTON_*` unset), then restores them. */
export function withActOnEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  const names = new Set([
    ...Object.keys(process.env).filter((k) => k.startsWith('ACTON_')),
    ...Object.keys(vars),
  ]);
  for (const name of names) saved[name] = process.env[name];
  try {
    for (const name of names) delete process.env[name];
    for (const [name, value] of Object.entries(vars)) if (value !== undefined) process.env[name] = value;
    return fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
