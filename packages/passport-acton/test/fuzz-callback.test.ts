import { Agent, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import { AuthorizationError, InternalOAuthError, TokenError } from 'passport-oauth2';
import { startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { ActOnStrategy, STATE_MESSAGES } from 'passport-acton';
import {
  CANARY_SECRET,
  describeThrown,
  everythingShownOf,
  expectNoPollution,
  watchUnhandledRejections,
  within,
} from '../../oauth-client/test/fuzz-arbitraries';

/** What passport's custom callback reported for one request to a callback route. */
interface Outcome {
  readonly err: unknown;
  readonly user: unknown;
  readonly info: unknown;
  readonly status: unknown;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Placeholder in a generated query for the `state` of a real, pending authorization request. */
const STATE = '{{STATE}}';

/** Node refuses to send a request target with spaces or non-ASCII: escape just those, keep every other oddity. */
function asRequestTarget(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

const paramName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('code', 'state', 'error', 'error_description', 'error_uri') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'code[]',
      'state[0]',
      'error[x]',
      '__proto__',
      'constructor',
      'Code',
      'STATE',
      '',
      'code%00',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const paramValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }).map((v) => encodeURIComponent(v)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'access_denied',
      'invalid_request',
      'server_error',
      'temporarily_unavailable',
      'invalid_grant',
      '%',
      '%zz',
      '%E0%A4%A',
      '%00',
      '%ff%fe',
      '%C3%28',
      '%uD800',
      '+',
      '%2B',
      '=',
      '==',
      ';',
      'a%20b',
      '',
      STATE,
      `${STATE}x`,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(2000), 'b'.repeat(12_000), 'c'.repeat(20_000)) },
);

const randomQuery = fc
  .array(fc.tuple(paramName, paramValue, fc.boolean()), { maxLength: 8 })
  .map((pairs) =>
    pairs.map(([name, value, withEquals]) => (withEquals ? `${name}=${value}` : name)).join('&'),
  );

/** A valid, pending `state` with a made-up code: the exchange itself must fail at Act-On. */
const validStateRandomCode = fc
  .tuple(
    fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('x', 'not-a-code', '0'.repeat(64))),
    fc.array(fc.tuple(paramName, paramValue), { maxLength: 2 }),
  )
  .map(([code, extra]) =>
    [
      `state=${STATE}`,
      `code=${encodeURIComponent(code)}`,
      ...extra.map(([name, value]) => `${name}=${value}`),
    ].join('&'),
  );

/** Act-On's "the user said no", with whatever else came along. */
const accessDenied = fc
  .array(fc.tuple(paramName, paramValue), { maxLength: 3 })
  .map((extra) => ['error=access_denied', ...extra.map(([name, value]) => `${name}=${value}`)].join('&'));

const cookieGarbage = fc.oneof(
  fc.constantFrom(
    'acton_oauth_state=',
    'acton_oauth_state=a.b',
    'acton_oauth_state=....',
    'acton_oauth_state="x.y"',
    'acton_oauth_state=eyJuIjoiYSIsIngiOjF9.AAAA',
    'connect.sid=s%3Agarbage.sig',
    '=; ;;',
  ),
  fc.string({ maxLength: 60, unit: fc.constantFrom(...'abc=;. "%\\'.split('')) }),
);

const scenario = fc.record({
  app: fc.constantFrom<'cookie' | 'session'>('cookie', 'session'),
  login: fc.boolean(),
  query: fc.oneof(
    { weight: 6, arbitrary: randomQuery },
    { weight: 2, arbitrary: validStateRandomCode },
    { weight: 1, arbitrary: accessDenied },
  ),
  cookie: fc.option(cookieGarbage, { freq: 4 }),
});

const PASSPORT_ERRORS = [AuthorizationError, TokenError, InternalOAuthError] as const;
const STATE_FAILURES: readonly string[] = Object.values(STATE_MESSAGES);

describe('fuzz: the strategy callback query against a real emulator', () => {
  let emulator: ActOnEmulator;
  let server: Server;
  let url: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const outcomes: Outcome[] = [];
  const expressErrors: unknown[] = [];
  const rejections = watchUnhandledRejections();

  beforeAll(async () => {
    rejections.start();
    emulator = await startActOnEmulator({ clientSecret: CANARY_SECRET });
    const app = express();
    const authenticator = new passport.Passport();
    app.use(
      '/s',
      session({ secret: 'fuzz-session-secret-0123456789', resave: false, saveUninitialized: false }),
    );
    app.use(authenticator.initialize());
    const callback =
      (name: string) =>
      (req: Request, res: Response, next: NextFunction): void => {
        authenticator.authenticate(
          name,
          { session: false },
          (err: unknown, user: unknown, info: unknown, status: unknown) => {
            outcomes.push({ err, user, info, status });
            if (err) return res.status(500).json({ error: err instanceof Error ? err.message : 'error' });
            if (user) return res.status(200).json({ signedIn: true });
            return res.status(typeof status === 'number' ? status : 401).json({ info });
          },
        )(req, res, next);
      };
    app.get('/auth/acton', authenticator.authenticate('acton', { session: false }));
    app.get('/auth/acton/callback', callback('acton'));
    app.get('/s/auth/acton', authenticator.authenticate('acton-session', { session: false }));
    app.get('/s/auth/acton/callback', callback('acton-session'));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      expressErrors.push(err);
      res.status(599).end();
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const common = {
      clientID: emulator.options.clientId,
      clientSecret: CANARY_SECRET,
      baseURL: emulator.url,
    };
    authenticator.use('acton', new ActOnStrategy({ ...common, callbackURL: `${url}/auth/acton/callback` }));
    authenticator.use(
      'acton-session',
      new ActOnStrategy({
        ...common,
        callbackURL: `${url}/s/auth/acton/callback`,
        sessionKey: 'oauth2:fuzz',
      }),
    );
  });

  afterEach(() => {
    expectNoPollution();
    expect(rejections.take()).toEqual([]);
  });

  afterAll(async () => {
    agent.destroy();
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await emulator?.close();
    rejections.stop();
  });

  function get(path: string, cookie?: string): Promise<Reply> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: Number(port),
        method: 'GET',
        path,
        agent,
        headers: cookie ? { cookie } : {},
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** `name=value` pairs of the cookies a response set, as a browser would send them back. */
  function cookiesOf(reply: Reply): string[] {
    const raw = reply.headers['set-cookie'];
    const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
    return list.filter((c) => !/;\s*Max-Age=0/i.test(c)).map((c) => c.split(';')[0] as string);
  }

  it('answers every callback query without a crash or hang, never signs anyone in, and fails only with typed errors', async () => {
    const kinds = new Map<string, number>();
    const count = (kind: string): void => {
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ app, login, query, cookie }) => {
        const prefix = app === 'session' ? '/s' : '';
        const cookies: string[] = [];
        let state = 'no-pending-state';
        if (login || query.includes(STATE)) {
          const started = await within(get(`${prefix}/auth/acton`), 5000, 'the login route');
          expect(started.status).toBe(302);
          const location = new URL(String(started.headers.location));
          state = location.searchParams.get('state') ?? 'missing';
          cookies.push(...cookiesOf(started));
        }
        if (cookie !== null) cookies.push(cookie);
        const target = asRequestTarget(`${prefix}/auth/acton/callback?${query.split(STATE).join(state)}`);
        const before = outcomes.length;
        const reply = await within(get(target, cookies.join('; ')), 10_000, 'the callback route');
        const seen = outcomes.slice(before);

        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(599);
        expect(reply.body).not.toContain(CANARY_SECRET);
        expect(expressErrors).toEqual([]);

        if (reply.status === 431) return count('431 (header too large)');
        if (seen.length === 0) {
          // No code and no error: passport-oauth2 starts a new authorization request.
          expect(reply.status).toBe(302);
          expect(String(reply.headers.location)).toMatch(new RegExp(`^${emulator.url}/authorize\\?`));
          return count('redirect');
        }
        expect(seen).toHaveLength(1);
        const { err, user, info, status } = seen[0] as Outcome;
        expect(user).toBeFalsy();
        if (err) {
          if (!PASSPORT_ERRORS.some((type) => err instanceof type)) {
            throw new Error(`passport reported ${describeThrown(err)}, not a passport-oauth2 error`);
          }
          const shown = everythingShownOf(err);
          if (shown.includes(CANARY_SECRET)) throw new Error(`the error shows the client secret:\n${shown}`);
          return count((err as Error).constructor.name);
        }
        const message = (info as { message?: unknown } | undefined)?.message;
        if (typeof message === 'string' && STATE_FAILURES.includes(message)) {
          expect(status).toBe(403);
          return count('state failure');
        }
        // error=access_denied: a failure carrying Act-On's error_description, whatever shape it came in.
        expect(new URLSearchParams(query).getAll('error')).toContain('access_denied');
        return count('access_denied');
      }),
      { numRuns: 150 },
    );
    // Nobody was ever signed in, and the generators reached each branch.
    expect(emulator.stats().tokensIssued).toBe(0);
    const expected = ['redirect', 'state failure', 'AuthorizationError', 'ActOnTokenError', 'access_denied'];
    const missing = expected.filter((kind) => !kinds.has(kind));
    if (missing.length > 0) {
      throw new Error(
        `never reached: ${missing.join(', ')} (seen: ${JSON.stringify(Object.fromEntries(kinds))})`,
      );
    }
  });
});
