import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { EMULATOR_DEFAULTS, startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { passwordGrant } from './helpers';

// A user the generators never produce, so the final check cannot be hit by a budget the fuzzing spent.
const CHECK_USER = { username: 'fuzz-check@example.com', password: 'fuzz-check-password' };

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A number stands for a filler body of that size, so a failure report stays readable. */
  body: Buffer | number | undefined;
  chunked: boolean;
}

const pathChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789/-._~%?&=+#!$'()*,;:@[]".split(''));
const headerValue = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~'.split('')),
  maxLength: 40,
});

const knownName = fc.constantFrom(
  'grant_type',
  'username',
  'password',
  'client_id',
  'client_secret',
  'code',
  'redirect_uri',
  'refresh_token',
  'state',
  'scope',
  'response_type',
  'action',
);
const knownValue = fc.constantFrom(
  'password',
  'refresh_token',
  'authorization_code',
  'client_credentials',
  EMULATOR_DEFAULTS.username,
  EMULATOR_DEFAULTS.password,
  EMULATOR_DEFAULTS.clientId,
  EMULATOR_DEFAULTS.clientSecret,
  'http://127.0.0.1:3000/cb',
  'https://evil.example/',
  'code',
  'authorize',
  'deny',
  '',
);
const rawValue = fc.oneof(
  knownValue.map((v) => encodeURIComponent(v)),
  fc.string({ maxLength: 30 }).map((v) => encodeURIComponent(v)),
  fc.constantFrom('%', '%E0%A4%A', '%zz', '%C3%28', '%ff', '+', '%00', '%2'),
  fc.string({ maxLength: 30 }),
);
const formBody = fc
  .tuple(
    fc.array(fc.tuple(fc.oneof(knownName, fc.string({ maxLength: 8 })), rawValue), { maxLength: 8 }),
    fc.constantFrom('&', '&&'),
  )
  .map(([pairs, separator]) => pairs.map(([k, v]) => `${k}=${v}`).join(separator));

/** Node refuses to send a request target with spaces or non-ASCII; escape just those, keep every other oddity. */
function asRequestTarget(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

const body = fc.oneof(
  { weight: 4, arbitrary: formBody.map((s) => Buffer.from(s, 'utf8')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.json().map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024 - 4, max: 80 * 1024 }) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

const path = fc.oneof(
  { weight: 5, arbitrary: fc.constant('/token') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('/authorize', '/api/1/account', '/', '/api/1/contacts', '/api/1', '/token/'),
  },
  { weight: 2, arbitrary: formBody.map((q) => asRequestTarget(`/authorize?${q}`)) },
  { weight: 1, arbitrary: fc.string({ unit: pathChar, maxLength: 40 }).map((p) => `/${p}`) },
);

const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=UTF-8',
        'application/x-www-form-urlencoded; charset=latin1',
        'APPLICATION/X-WWW-FORM-URLENCODED;charset="utf-8"',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=----x',
        ';;;',
      ),
      headerValue,
    ),
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br', ''),
    authorization: fc.oneof(
      headerValue.map((v) => `Bearer ${v}`),
      headerValue.map((v) => `Basic ${Buffer.from(v).toString('base64')}`),
      headerValue,
    ),
    accept: fc.constantFrom('*/*', 'text/html', 'application/json'),
  },
  { requiredKeys: [] },
);

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom(
    'GET',
    'POST',
    'POST',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'HEAD',
    'OPTIONS',
    'PROPFIND',
    'FOO',
  ),
  path,
  headers,
  body,
  chunked: fc.boolean(),
});

/** Token requests close to valid, so the grant logic itself gets fuzzed and not only the parsers in front. */
const nearlyValidTokenRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    base: fc.constantFrom<Record<string, string>>(
      { grant_type: 'password', username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
      { grant_type: 'refresh_token', refresh_token: 'not-a-real-token' },
      { grant_type: 'authorization_code', code: 'not-a-real-code', redirect_uri: 'http://127.0.0.1:3000/cb' },
    ),
    drop: fc.subarray([
      'client_id',
      'client_secret',
      'grant_type',
      'username',
      'password',
      'code',
      'refresh_token',
    ]),
    extra: fc.array(fc.tuple(knownName, rawValue), { maxLength: 2 }),
    chunked: fc.boolean(),
  })
  .map(({ base, drop, extra, chunked }) => {
    const fields: Record<string, string> = {
      ...base,
      client_id: EMULATOR_DEFAULTS.clientId,
      client_secret: EMULATOR_DEFAULTS.clientSecret,
    };
    for (const name of drop) delete fields[name];
    const encoded = [new URLSearchParams(fields).toString(), ...extra.map(([k, v]) => `${k}=${v}`)].join('&');
    return {
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(encoded, 'utf8'),
      chunked,
    };
  });

function send(emulator: ActOnEmulator, agent: Agent, req: FuzzRequest): Promise<number | 'no-response'> {
  const { port } = new URL(emulator.url);
  return new Promise((resolve) => {
    const headersOut: Record<string, string> = { ...req.headers };
    const payload = typeof req.body === 'number' ? Buffer.alloc(req.body, 'a') : req.body;
    if (payload !== undefined && !req.chunked) headersOut['content-length'] = String(payload.length);
    const r = httpRequest({
      host: '127.0.0.1',
      port: Number(port),
      method: req.method,
      path: req.path,
      headers: headersOut,
      agent,
    });
    r.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    // A 413 closes the connection while the client may still be writing: no response is a legal outcome.
    r.on('error', () => resolve('no-response'));
    r.end(payload);
  });
}

function rawSend(emulator: ActOnEmulator, payload: Buffer): Promise<void> {
  const { port } = new URL(emulator.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', () => undefined);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.end(payload);
  });
}

describe('fuzzing over real HTTP', () => {
  let emulator: ActOnEmulator;
  const logLines: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    emulator = await startActOnEmulator({
      users: [{ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password }, CHECK_USER],
      logger: (line) => logLines.push(line),
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    agent.destroy();
    await emulator.close();
  });

  it('answers random requests with a 2xx-4xx or a deliberate close, never a 5xx', async () => {
    const statuses = new Map<number | 'no-response', number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fuzzRequest, nearlyValidTokenRequest), async (req) => {
        const status = await send(emulator, agent, req);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 'no-response') {
          // Only an oversized body may lose its response.
          return typeof req.body === 'number' && req.body > 64 * 1024;
        }
        return status >= 200 && status < 500;
      }),
      { numRuns: 400, seed: 20240601 },
    );
    // The generators must reach the interesting answers, or the property proves little.
    for (const expected of [200, 400, 401, 404, 405, 413])
      expect(statuses.get(expected) ?? 0).toBeGreaterThan(0);
  });

  it('survives random bytes on the raw socket', async () => {
    const prefix = fc.constantFrom(
      '',
      'POST /token HTTP/1.1\r\n',
      'GET /authorize?',
      'POST /token HTTP/1.1\r\nHost: x\r\n',
    );
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), async (start, bytes) => {
        await rawSend(emulator, Buffer.concat([Buffer.from(start, 'latin1'), Buffer.from(bytes)]));
        return true;
      }),
      { numRuns: 150, seed: 7 },
    );
    expect(emulator.server.listening).toBe(true);
  });

  it('still serves a normal password grant afterwards, with no internal error and no unhandled rejection', async () => {
    const res = await passwordGrant(emulator, CHECK_USER.username, CHECK_USER.password);
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(logLines.filter((line) => line.startsWith('internal error'))).toEqual([]);
    expect(unhandled).toEqual([]);
    const stats = emulator.stats();
    expect(stats.tokenRequests).toBeGreaterThan(100);
    expect(
      stats.grants.password + stats.grants.refresh_token + stats.grants.authorization_code,
    ).toBeGreaterThan(10);
  });
});
