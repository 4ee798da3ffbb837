import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  ActOnError,
  ActOnInvalidTokenResponseError,
  ActOnNetworkError,
  ActOnOAuthClient,
  ActOnTokenEndpointError,
  isTokenSet,
  type TokenSet,
} from '../src';
import {
  CANARY_PASSWORD,
  CANARY_REFRESH_TOKEN,
  CANARY_SECRET,
  describeThrown,
  everythingShownOf,
  expectNoPollution,
  watchUnhandledRejections,
  within,
} from './fuzz-arbitraries';
import { startScriptedServer, type ScriptedServer } from './helpers/scripted-server';

const NOW = 1_700_000_000_000;
const MAX_BODY = 1024 * 1024;
/** A password with characters that form encoding changes: an echo of the raw form body must not reveal it either. */
const SPECIAL_PASSWORD = `${CANARY_PASSWORD} /+&=%`;
type Grant = 'refresh_token' | 'password' | 'authorization_code';

/** Every form in which a secret the client sent with a grant could come back in an answer. */
function secretsSentWith(grant: Grant): readonly string[] {
  const passwordForms = [
    SPECIAL_PASSWORD,
    CANARY_PASSWORD,
    encodeURIComponent(SPECIAL_PASSWORD),
    new URLSearchParams({ p: SPECIAL_PASSWORD }).toString().slice(2),
  ];
  return [CANARY_SECRET, ...(grant === 'password' ? passwordForms : [CANARY_REFRESH_TOKEN])];
}

/** What the scripted token endpoint does with one request. */
type Script =
  | {
      kind: 'http';
      status: number;
      headers: Record<string, string>;
      body: Buffer;
      /** Content-Length: the real one, none (chunked), one too small or one too large (then the socket closes). */
      length: 'exact' | 'chunked' | 'short' | 'long';
    }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'cut'; status: number; body: Buffer }
  | { kind: 'hang' };

/** `{{ECHO}}` in a body is replaced by the request's own form body, `{{ECHO_PASSWORD}}` by its password. */
const ECHO = '{{ECHO}}';
const ECHO_PASSWORD = '{{ECHO_PASSWORD}}';

const plausibleToken = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom('at-0123456789abcdef', 'a', 'x.y.z'),
  fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'abcXYZ0189-._~+/='.split('')) }),
);
const tokenValue = fc.oneof(
  { withCrossShrink: true },
  { weight: 5, arbitrary: plausibleToken },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'a b',
      'tab\there',
      'nl\n',
      '\u00a0',
      'x'.repeat(8192),
      'x'.repeat(8193),
      CANARY_REFRESH_TOKEN,
      ECHO,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, 1, true, [], {}, ['a']) },
);
const expiresIn = fc.oneof(
  { withCrossShrink: true },
  { weight: 3, arbitrary: fc.constantFrom(3600, 86400, '3600', ' 3600 ', '86400') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0,
      -1,
      -3600,
      0.4,
      0.5,
      1,
      1.5,
      2_678_400,
      2_678_401,
      1e308,
      Number.MAX_SAFE_INTEGER,
      '0',
      '-1',
      '3600.5',
      '1e3',
      '0x10',
      'NaN',
      'Infinity',
      '',
      '   ',
      '3600s',
      null,
      true,
      [3600],
      {},
    ),
  },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 })) },
  // Number literals JSON.stringify cannot write: spliced into the text afterwards.
  { weight: 1, arbitrary: fc.constantFrom('RAW:1e309', 'RAW:-0', 'RAW:1E3', 'RAW:3600.000000000000001') },
);
const oauthText = fc.oneof(
  { withCrossShrink: true },
  fc.constantFrom(
    'invalid_grant',
    'access_denied',
    'server_error',
    'too_many_requests',
    '',
    ' ',
    '\u0000\u0001',
  ),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.constantFrom(
    ECHO,
    ECHO_PASSWORD,
    `refresh token ${CANARY_REFRESH_TOKEN} is dead`,
    `bad client_secret=${CANARY_SECRET}`,
    `${'x'.repeat(60)}${CANARY_SECRET}`,
    `${'x'.repeat(298)}${CANARY_SECRET}`,
    `\u0000${CANARY_SECRET}\u0000`,
  ),
  fc.constant('d'.repeat(5000)),
);

/** A JSON object shaped like a token answer, each field valid, odd, wrong or missing. */
const tokenLikeBody = fc
  .record(
    {
      access_token: tokenValue,
      refresh_token: tokenValue,
      token_type: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'mac', '', 'Bearer ', null, 1),
      expires_in: expiresIn,
      scope: fc.constantFrom('offline-access', 'PRODUCTION', '', 'a b', 7, null),
      error: oauthText,
      error_description: oauthText,
      error_uri: fc.constantFrom('https://example.com/e', 5),
      ['__proto__']: fc.constantFrom({ polluted: 'yes' }, 'x'),
      constructor: fc.constantFrom({ prototype: { polluted: 'yes' } }),
    },
    {
      requiredKeys: [],
    },
  )
  .map((fields) => {
    // A RAW: value is spliced in as a bare number literal, which JSON.stringify cannot produce.
    const marked = Object.fromEntries(
      Object.entries(fields).map(([key, value]) =>
        typeof value === 'string' && value.startsWith('RAW:')
          ? [key, `@@RAW@@${value.slice(4)}@@RAW@@`]
          : [key, value],
      ),
    );
    return JSON.stringify(marked).replace(/"@@RAW@@(.*?)@@RAW@@"/g, '$1');
  });

const validBody = JSON.stringify({
  access_token: 'at-valid',
  refresh_token: 'rt-valid',
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'offline-access',
});

const body = fc.oneof(
  { withCrossShrink: true },
  { weight: 6, arbitrary: tokenLikeBody },
  { weight: 3, arbitrary: fc.constant(validBody) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: validBody.length - 1 }).map((n) => validBody.slice(0, n)),
  },
  { weight: 1, arbitrary: fc.constantFrom(ECHO, `<html>${ECHO}</html>`, `error=${ECHO}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'null', '[]', '"str"', '1', '{}', '{"error":null}', '\ufeff' + validBody),
  },
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/html',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    '',
  ),
  fc.string({ maxLength: 30, unit: fc.constantFrom(...'abc/;=-+ "'.split('')) }),
);

const status = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(200, 200, 200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503) },
  { weight: 2, arbitrary: fc.integer({ min: 200, max: 599 }) },
);

const bodyBytes = fc.oneof(
  { withCrossShrink: true },
  { weight: 8, arbitrary: body.map((text) => Buffer.from(text, 'utf8')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      // Just over the client's limit, and just under it.
      Buffer.alloc(MAX_BODY + 1, 0x61),
      Buffer.from(
        `{"access_token":"at","refresh_token":"rt","expires_in":3600,"pad":"${'p'.repeat(MAX_BODY - 100)}"}`,
      ),
      Buffer.from(
        `{"access_token":"at","refresh_token":"rt","expires_in":3600,"pad":"${'p'.repeat(MAX_BODY)}"}`,
      ),
    ),
  },
);

/** A clean 200 carrying a success-shaped body (no `error`): exercises the checks of an answer meant to succeed. */
const successLike = fc
  .record(
    {
      // Mostly valid, one field at a time wrong: the answer is one check away from success.
      access_token: fc.oneof({ weight: 6, arbitrary: plausibleToken }, { weight: 1, arbitrary: tokenValue }),
      refresh_token: fc.oneof({ weight: 6, arbitrary: plausibleToken }, { weight: 1, arbitrary: tokenValue }),
      token_type: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('Bearer', 'bearer', 'BEARER') },
        { weight: 1, arbitrary: fc.constantFrom('mac', '', null, 'Bearer ') },
      ),
      expires_in: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(3600, 86400, '3600') },
        { weight: 2, arbitrary: expiresIn },
      ),
      scope: fc.constantFrom('offline-access', 'PRODUCTION', '', 7, null),
    },
    { requiredKeys: ['access_token', 'refresh_token'] },
  )
  .map((fields) => {
    const marked = Object.fromEntries(
      Object.entries(fields).map(([key, value]) =>
        typeof value === 'string' && value.startsWith('RAW:')
          ? [key, `@@RAW@@${value.slice(4)}@@RAW@@`]
          : [key, value],
      ),
    );
    const bytes = Buffer.from(JSON.stringify(marked).replace(/"@@RAW@@(.*?)@@RAW@@"/g, '$1'));
    return {
      kind: 'http' as const,
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: readable(bytes),
      length: 'exact' as const,
    };
  });

const script: fc.Arbitrary<Script> = fc.oneof(
  { withCrossShrink: true },
  { weight: 15, arbitrary: successLike },
  {
    weight: 40,
    arbitrary: fc
      .record({
        status,
        contentType,
        encoding: fc.constantFrom(undefined, undefined, undefined, 'gzip', 'gzip-real', 'br', 'identity'),
        body: bodyBytes,
        length: fc.constantFrom<'exact' | 'chunked' | 'short' | 'long'>(
          'exact',
          'exact',
          'exact',
          'chunked',
          'short',
          'long',
        ),
      })
      .map(({ status: code, contentType: type, encoding, body: bytes, length }) => {
        const headers: Record<string, string> = {};
        if (type !== '') headers['content-type'] = type;
        if (encoding === 'gzip-real') headers['content-encoding'] = 'gzip';
        else if (encoding !== undefined) headers['content-encoding'] = encoding;
        return {
          kind: 'http' as const,
          status: code,
          headers,
          body: readable(encoding === 'gzip-real' ? gzipSync(bytes) : bytes),
          length,
        };
      }),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          '',
          'HTTP/1.1 200 OK\r\n',
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n',
          'HTTP/1.0 999 X\r\n\r\n',
        ),
        fc.uint8Array({ maxLength: 100 }),
      )
      .map(([prefix, bytes]) => ({
        kind: 'raw' as const,
        bytes: Buffer.concat([Buffer.from(prefix), Buffer.from(bytes)]),
      })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ status, body: body.map((text) => Buffer.from(text)) })
      .map(({ status: code, body: bytes }) => ({
        kind: 'cut' as const,
        status: code,
        body: readable(bytes),
      })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

/** Shows a body as text (shortened) in counterexamples instead of a list of bytes. */
function readable(original: Buffer): Buffer {
  const bytes = Buffer.from(original);
  const text = bytes.toString('utf8');
  const shown = text.length > 200 ? `${text.slice(0, 200)}… (${bytes.length} bytes)` : text;
  Object.defineProperty(bytes, fc.toStringMethod, { value: () => `body(${JSON.stringify(shown)})` });
  return bytes;
}

describe('fuzz: token responses over real HTTP through ActOnOAuthClient', () => {
  let server: ScriptedServer;
  let client: ActOnOAuthClient;
  const rejections = watchUnhandledRejections();
  const hanging = new Set<import('node:http').ServerResponse>();

  beforeAll(async () => {
    rejections.start();
    server = await startScriptedServer();
    client = new ActOnOAuthClient({
      clientId: 'fuzz-client',
      clientSecret: CANARY_SECRET,
      baseUrl: server.url,
      timeoutMs: 400,
      now: () => NOW,
    });
  });

  afterEach(() => {
    expectNoPollution();
    expect(rejections.take()).toEqual([]);
  });

  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await server?.close();
    // Let sockets closed by the server finish tearing down before looking for unhandled rejections.
    await new Promise((resolve) => setTimeout(resolve, 50));
    rejections.stop();
    expect(rejections.take()).toEqual([]);
  });

  function play(plan: Script): void {
    server.respond((req, res, requestBody) => {
      const password = new URLSearchParams(requestBody).get('password') ?? '';
      const fill = (bytes: Buffer): Buffer =>
        Buffer.from(bytes.toString('utf8').split(ECHO).join(requestBody).split(ECHO_PASSWORD).join(password));
      switch (plan.kind) {
        case 'hang':
          hanging.add(res);
          return;
        case 'raw':
          req.socket.end(plan.bytes);
          return;
        case 'cut': {
          const bytes = fill(plan.body);
          res.writeHead(plan.status, { 'content-length': String(bytes.length + 100) });
          res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
          setImmediate(() => res.destroy());
          return;
        }
        case 'http': {
          const bytes = plan.headers['content-encoding'] === undefined ? fill(plan.body) : plan.body;
          const headers: Record<string, string> = { ...plan.headers };
          if (plan.length === 'exact') headers['content-length'] = String(bytes.length);
          if (plan.length === 'short') headers['content-length'] = String(Math.max(0, bytes.length - 3));
          if (plan.length === 'long') headers['content-length'] = String(bytes.length + 3);
          // Taken now: once the response has ended, res.socket is detached.
          const socket = res.socket;
          try {
            res.writeHead(plan.status, headers);
            res.end(bytes);
          } catch {
            res.destroy();
          }
          if (plan.length === 'long' || plan.length === 'short') setImmediate(() => socket?.destroy());
        }
      }
    });
  }

  function send(grant: Grant): Promise<TokenSet> {
    switch (grant) {
      case 'refresh_token':
        return client.refreshGrant(CANARY_REFRESH_TOKEN);
      case 'password':
        return client.passwordGrant({ username: 'fuzz-user', password: SPECIAL_PASSWORD });
      case 'authorization_code':
        return client.codeGrant({ code: CANARY_REFRESH_TOKEN, redirectUri: 'http://127.0.0.1:1/cb' });
    }
  }

  it('resolves only to a valid TokenSet, or rejects with ActOnTokenEndpointError / ActOnInvalidTokenResponseError / ActOnNetworkError, never showing a secret', async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        script,
        fc.constantFrom<Grant>('refresh_token', 'password', 'authorization_code'),
        async (plan, grant) => {
          play(plan);
          const requestsBefore = server.requests.length;
          let tokens: TokenSet | undefined;
          let failure: unknown;
          try {
            tokens = await within(send(grant), 5000, `${grant} grant`);
          } catch (error) {
            failure = error;
          }
          const name =
            tokens !== undefined ? 'TokenSet' : failure instanceof Error ? failure.constructor.name : 'other';
          outcomes.set(name, (outcomes.get(name) ?? 0) + 1);

          // The request itself was well formed. (A request cut short when an earlier run's scripted answer closed
          // the kept-alive socket under it is recorded incomplete: only complete ones are looked at.)
          const request = server.requests[requestsBefore];
          if (
            request !== undefined &&
            Number(request.headers['content-length']) === Buffer.byteLength(request.body)
          ) {
            const form = new URLSearchParams(request.body);
            expect(request.method).toBe('POST');
            expect(request.url).toBe('/token');
            expect(form.get('grant_type')).toBe(grant);
            expect(form.get('client_secret')).toBe(CANARY_SECRET);
          }

          if (tokens !== undefined) {
            expect(plan.kind === 'http' && plan.status >= 200 && plan.status < 300).toBe(true);
            expect(isTokenSet(tokens)).toBe(true);
            expect(tokens.accessToken.trim()).not.toBe('');
            expect(tokens.refreshToken.trim()).not.toBe('');
            expect(tokens.accessToken).not.toMatch(/\s/);
            expect(tokens.refreshToken).not.toMatch(/\s/);
            expect(tokens.tokenType.toLowerCase()).toBe('bearer');
            expect(tokens.obtainedAt).toBe(NOW);
            expect(tokens.expiresAt).toBeGreaterThan(tokens.obtainedAt);
            expect(tokens.expiresAt - tokens.obtainedAt).toBeLessThanOrEqual(31 * 24 * 3_600_000);
            return;
          }
          if (
            !(failure instanceof ActOnTokenEndpointError) &&
            !(failure instanceof ActOnInvalidTokenResponseError) &&
            !(failure instanceof ActOnNetworkError)
          ) {
            throw new Error(`the ${grant} grant rejected with ${describeThrown(failure)}`);
          }
          const error = failure as ActOnError;
          expect(error.message.trim()).not.toBe('');
          const shown = everythingShownOf(error);
          for (const secret of secretsSentWith(grant)) {
            if (shown.includes(secret)) {
              throw new Error(
                `the error shows the secret ${JSON.stringify(secret)}:\n${shown.slice(0, 1500)}`,
              );
            }
          }
          if (error instanceof ActOnTokenEndpointError) {
            expect(error.grantType).toBe(grant);
            expect(error.error.trim()).not.toBe('');
            expect(error.error.length).toBeLessThanOrEqual(64);
            if (plan.kind === 'http' && (plan.status < 200 || plan.status >= 300))
              expect(error.status).toBe(plan.status);
          }
          if (error instanceof ActOnInvalidTokenResponseError && plan.kind === 'http') {
            expect(error.status).toBe(plan.status);
          }
        },
      ),
      {
        numRuns: 100,
        // Known counterexamples: an `error` of control characters only is scrubbed to an empty code; an answer
        // echoing the form body shows a password with special characters in its form-encoded spelling.
        examples: [
          [
            {
              kind: 'http',
              status: 400,
              headers: {},
              body: Buffer.from(`{"error":"invalid_grant","error_description":"${ECHO}"}`),
              length: 'exact',
            },
            'password',
          ],
          [
            {
              kind: 'http',
              status: 200,
              headers: { 'content-type': 'application/json' },
              body: Buffer.from('{"error":"\\u0000\\u0001"}'),
              length: 'exact',
            },
            'refresh_token',
          ],
        ],
      },
    );
    // The generators must reach every kind of outcome, or the property proves little.
    const expected = [
      'TokenSet',
      'ActOnTokenEndpointError',
      'ActOnInvalidTokenResponseError',
      'ActOnNetworkError',
    ];
    const missing = expected.filter((kind) => !outcomes.has(kind));
    if (missing.length > 0) {
      throw new Error(
        `never reached: ${missing.join(', ')} (seen: ${JSON.stringify(Object.fromEntries(outcomes))})`,
      );
    }
  });
});
