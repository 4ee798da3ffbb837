import { inspect } from 'node:util';
import { createServer } from 'node:net';
import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import {
  ActOnConfigurationError,
  ActOnInvalidTokenResponseError,
  ActOnNetworkError,
  ActOnOAuthClient,
  ActOnTimeoutError,
  ActOnTokenEndpointError,
} from '../src';
import { startEmulator } from './helpers/emulator-fixture';
import { startScriptedServer, type ScriptedServer } from './helpers/scripted-server';

const credentials = { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password };

function clientFor(
  baseUrl: string,
  overrides: Partial<ConstructorParameters<typeof ActOnOAuthClient>[0]> = {},
) {
  return new ActOnOAuthClient({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl,
    timeoutMs: 2_000,
    ...overrides,
  });
}

/** Signs in on the emulator's /authorize form and returns the code from the redirect. */
async function authorizationCode(emulator: ActOnEmulator, redirectUri: string): Promise<string> {
  const response = await fetch(`${emulator.url}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: EMULATOR_DEFAULTS.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'PRODUCTION',
      state: 'xyz',
      username: credentials.username,
      password: credentials.password,
      action: 'authorize',
    }).toString(),
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(location.searchParams.get('state')).toBe('xyz');
  return location.searchParams.get('code') ?? '';
}

describe('ActOnOAuthClient against the emulator', () => {
  let emulator: ActOnEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ tokenTtlSec: 3600 });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  it('password grant returns a validated TokenSet with expiry from expires_in', async () => {
    const before = Date.now();
    const tokens = await clientFor(emulator.url).passwordGrant(credentials);
    expect(tokens.accessToken).toEqual(expect.any(String));
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.accessToken).not.toBe(tokens.refreshToken);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.obtainedAt).toBeGreaterThanOrEqual(before);
    expect(tokens.expiresAt - tokens.obtainedAt).toBe(3600 * 1000);
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('sends client credentials in the form body of POST /token', async () => {
    const server = await startScriptedServer();
    try {
      server.respond((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ access_token: 'a1', refresh_token: 'r1', token_type: 'Bearer', expires_in: 60 }),
        );
      });
      await clientFor(server.url).refreshGrant('refresh-abc');
      const [request] = server.requests;
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/token');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.headers.authorization).toBeUndefined();
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'refresh-abc',
        client_id: EMULATOR_DEFAULTS.clientId,
        client_secret: EMULATOR_DEFAULTS.clientSecret,
      });
    } finally {
      await server.close();
    }
  });

  it('refresh grant rotates the pair; the old refresh token is then refused with invalid_grant', async () => {
    const client = clientFor(emulator.url);
    const first = await client.passwordGrant(credentials);
    const second = await client.refreshGrant(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const reuse = await client.refreshGrant(first.refreshToken).catch((error: unknown) => error);
    expect(reuse).toBeInstanceOf(ActOnTokenEndpointError);
    expect((reuse as ActOnTokenEndpointError).isInvalidGrant).toBe(true);
    expect((reuse as ActOnTokenEndpointError).status).toBe(400);
    expect(emulator.stats().reuseAttempts).toBe(1);
  });

  it('code grant exchanges a code from the authorize page, sending redirect_uri', async () => {
    const redirectUri = 'http://127.0.0.1:3999/callback';
    const client = clientFor(emulator.url);
    const code = await authorizationCode(emulator, redirectUri);
    const tokens = await client.codeGrant({ code, redirectUri });
    expect(tokens.accessToken).toEqual(expect.any(String));
    const again = await client.codeGrant({ code, redirectUri }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ActOnTokenEndpointError);
    expect((again as ActOnTokenEndpointError).error).toBe('invalid_grant');
  });

  it('a wrong client secret becomes ActOnTokenEndpointError 401 access_denied without the secret in it', async () => {
    const error = await clientFor(emulator.url, { clientSecret: 'wrong-secret-value' })
      .passwordGrant(credentials)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnTokenEndpointError);
    expect(error).toMatchObject({ status: 401, error: 'access_denied', grantType: 'password' });
    expect(JSON.stringify(error)).not.toContain('wrong-secret-value');
    expect(String(error)).not.toContain(credentials.password);
  });

  it('a 5xx becomes a server_error ActOnTokenEndpointError with its status', async () => {
    emulator.injectFault({ kind: 'error', status: 503 });
    const error = await clientFor(emulator.url)
      .passwordGrant(credentials)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnTokenEndpointError);
    expect(error).toMatchObject({ status: 503, error: 'server_error' });
  });

  it('a dropped connection becomes ActOnNetworkError whose outcome is unknown', async () => {
    emulator.injectFault({ kind: 'drop' });
    const error = await clientFor(emulator.url)
      .passwordGrant(credentials)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnNetworkError);
    expect((error as ActOnNetworkError).requestSent).toBe(true);
  });

  it('a slow answer past timeoutMs becomes ActOnTimeoutError', async () => {
    emulator.injectFault({ kind: 'latency', latencyMs: 600 });
    const error = await clientFor(emulator.url, { timeoutMs: 100 })
      .passwordGrant(credentials)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', requestSent: true, timeoutMs: 100 });
  });

  it('a refused connection is a network error that provably never reached Act-On', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await clientFor(`http://127.0.0.1:${port}`)
      .passwordGrant(credentials)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnNetworkError);
    expect((error as ActOnNetworkError).requestSent).toBe(false);
  });

  it('builds the authorization URL of ACTON.md', () => {
    const url = new URL(
      clientFor(emulator.url).authorizationUrl({ redirectUri: 'http://127.0.0.1/cb', state: 's1' }),
    );
    expect(url.origin + url.pathname).toBe(`${emulator.url}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      scope: 'PRODUCTION',
      response_type: 'code',
      client_id: EMULATOR_DEFAULTS.clientId,
      redirect_uri: 'http://127.0.0.1/cb',
      state: 's1',
    });
  });
});

describe('ActOnOAuthClient refuses unusable token responses over the wire', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server.close());

  const cases: Array<[string, number, string, string]> = [
    ['a non-JSON body', 200, '<html>gateway</html>', 'not a JSON object'],
    ['a body without access_token', 200, '{"refresh_token":"r","expires_in":3600}', 'access_token'],
    ['a body without refresh_token', 200, '{"access_token":"a","expires_in":3600}', 'refresh_token'],
    [
      'a non-numeric expires_in',
      200,
      '{"access_token":"a","refresh_token":"r","expires_in":"soon"}',
      'expires_in',
    ],
    ['an absurd expires_in', 200, '{"access_token":"a","refresh_token":"r","expires_in":1e12}', 'expires_in'],
    ['a negative expires_in', 200, '{"access_token":"a","refresh_token":"r","expires_in":-5}', 'expires_in'],
  ];
  it.each(cases)('%s → ActOnInvalidTokenResponseError', async (_name, status, body, reason) => {
    server.respond((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    const error = await clientFor(server.url)
      .refreshGrant('some-refresh-token')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActOnInvalidTokenResponseError);
    expect((error as ActOnInvalidTokenResponseError).reason).toContain(reason);
  });

  it('an OAuth error keeps error and error_description, scrubbed of the refresh token that was sent', async () => {
    server.respond((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: 'invalid_grant', error_description: 'token the-refresh-canary is used' }),
      );
    });
    const error = (await clientFor(server.url)
      .refreshGrant('the-refresh-canary')
      .catch((caught: unknown) => caught)) as ActOnTokenEndpointError;
    expect(error).toBeInstanceOf(ActOnTokenEndpointError);
    expect(error.error).toBe('invalid_grant');
    expect(error.errorDescription).toBe('token [redacted] is used');
    expect(error.message).not.toContain('the-refresh-canary');
  });
});

describe('ActOnOAuthClient options', () => {
  const base = { clientId: 'id', clientSecret: 'secret' };
  it('defaults to the US gateway and knows the EU one', () => {
    expect(new ActOnOAuthClient(base).tokenUrl).toBe('https://api.actonsoftware.com/token');
    expect(new ActOnOAuthClient({ ...base, region: 'eu' }).tokenUrl).toBe(
      'https://api-eu.actonsoftware.com/token',
    );
    expect(new ActOnOAuthClient({ ...base, region: 'eu', baseUrl: 'https://example.test/' }).tokenUrl).toBe(
      'https://example.test/token',
    );
  });

  it.each([
    [{ clientSecret: 'x' }, 'clientId'],
    [{ clientId: 'x' }, 'clientSecret'],
    [{ ...base, region: 'asia' }, 'region'],
    [{ ...base, baseUrl: 'http://api.example.com' }, 'baseUrl'],
    [{ ...base, baseUrl: 'not a url' }, 'baseUrl'],
    [{ ...base, baseUrl: 'https://user:pw@example.com' }, 'baseUrl'],
    [{ ...base, timeoutMs: 0 }, 'timeoutMs'],
    [{ ...base, timeoutMs: Number.NaN }, 'timeoutMs'],
  ])('rejects %j naming %s', (options, option) => {
    const build = () =>
      new ActOnOAuthClient(options as unknown as ConstructorParameters<typeof ActOnOAuthClient>[0]);
    expect(build).toThrow(ActOnConfigurationError);
    try {
      build();
    } catch (error) {
      expect((error as ActOnConfigurationError).option).toBe(option);
      expect((error as Error).message).not.toContain('pw@');
    }
  });

  it('allows plain http only on loopback hosts', () => {
    for (const host of ['127.0.0.1:4010', 'localhost:4010', '[::1]:4010']) {
      expect(new ActOnOAuthClient({ ...base, baseUrl: `http://${host}` }).baseUrl).toBe(`http://${host}`);
    }
  });

  it('never shows the client secret when printed', () => {
    const client = new ActOnOAuthClient({ ...base, clientSecret: 'client-secret-canary' });
    expect(JSON.stringify(client)).not.toContain('client-secret-canary');
    expect(inspect(client, { depth: 5 })).not.toContain('client-secret-canary');
  });
});
