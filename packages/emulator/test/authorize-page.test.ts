import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import {
  codeGrant,
  emulatorFactory,
  FORM,
  getAccount,
  obtainCode,
  postToken,
  read,
  REDIRECT_URI,
  submitLogin,
} from './helpers';

const start = emulatorFactory();

function authorizeUrl(emulator: ActOnEmulator, params: Record<string, string>): string {
  const query = new URLSearchParams({
    scope: 'PRODUCTION',
    response_type: 'code',
    client_id: EMULATOR_DEFAULTS.clientId,
    redirect_uri: REDIRECT_URI,
    ...params,
  });
  return `${emulator.url}/authorize?${query.toString()}`;
}

function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&');
}

/** The named inputs of the page's form, as a browser would submit them (without the buttons). */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input ([^>]*)>/g)) {
    const attrs = match[1] ?? '';
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name !== undefined) fields[name] = decodeHtml(value);
  }
  return fields;
}

const LOGIN = {
  client_id: EMULATOR_DEFAULTS.clientId,
  redirect_uri: REDIRECT_URI,
  scope: 'PRODUCTION',
  username: EMULATOR_DEFAULTS.username,
  password: EMULATOR_DEFAULTS.password,
};

describe('GET /authorize', () => {
  it('serves a real login page with the form a browser test can drive', async () => {
    const emulator = await start();
    const res = await read(await fetch(authorizeUrl(emulator, { state: 'xyz' })));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = res.text;
    expect(html).toMatch(/<title>[^<]*Act-On \(emulator\)[^<]*<\/title>/);
    expect(html).toMatch(/<h1>[^<]*Act-On \(emulator\)[^<]*<\/h1>/);
    expect(html).toContain('<form method="post" action="/authorize">');
    expect(html).toMatch(/<input type="text" id="username" name="username"/);
    expect(html).toMatch(/<input type="password" id="password" name="password"/);
    expect(html).toMatch(
      /<button type="submit" id="authorize" name="action" value="authorize">Authorize<\/button>/,
    );
    expect(html).toMatch(/<button type="submit" id="deny" name="action" value="deny">Deny<\/button>/);
    expect(formFields(html)).toMatchObject({
      client_id: EMULATOR_DEFAULTS.clientId,
      redirect_uri: REDIRECT_URI,
      state: 'xyz',
      scope: 'PRODUCTION',
    });
    expect(emulator.stats().authorizeRequests).toBe(1);
  });

  it('HTML-escapes everything it echoes', async () => {
    const emulator = await start();
    const evil = '"><script>alert(1)</script>';
    const res = await read(await fetch(authorizeUrl(emulator, { state: evil, scope: `<b>${evil}` })));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>');
    expect(res.text).not.toContain('"><');
    expect(formFields(res.text)).toMatchObject({ state: evil, scope: `<b>${evil}` });
  });

  it.each([
    ['an unknown client_id', { client_id: 'stranger' }, /Unknown client_id/],
    ['a missing client_id', { client_id: '' }, /Missing client_id/],
    ['a response_type other than code', { response_type: 'token' }, /response_type must be code/],
    ['a non-loopback redirect_uri', { redirect_uri: 'https://evil.example/cb' }, /not registered/],
    ['a non-http redirect_uri', { redirect_uri: 'javascript:alert(1)' }, /not registered/],
    ['a missing redirect_uri', { redirect_uri: '' }, /Missing redirect_uri/],
  ])('answers %s with a 400 error page, never a redirect', async (_what, params, message) => {
    const emulator = await start();
    const res = await fetch(authorizeUrl(emulator, params), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(message);
  });

  it('accepts any loopback callback by default', async () => {
    const emulator = await start();
    for (const uri of [
      'http://localhost:8080/cb',
      'https://127.9.9.9/x',
      'http://[::1]:3000/auth/acton/callback',
    ]) {
      const res = await fetch(authorizeUrl(emulator, { redirect_uri: uri }));
      expect(res.status).toBe(200);
      await res.text();
    }
  });

  it('accepts only exact matches of registered redirect URIs', async () => {
    const emulator = await start({ redirectUris: ['https://app.example.com/callback'] });
    const registered = await fetch(
      authorizeUrl(emulator, { redirect_uri: 'https://app.example.com/callback' }),
    );
    const trailingSlash = await fetch(
      authorizeUrl(emulator, { redirect_uri: 'https://app.example.com/callback/' }),
    );
    const loopback = await fetch(authorizeUrl(emulator, { redirect_uri: REDIRECT_URI }));
    expect([registered.status, trailingSlash.status, loopback.status]).toEqual([200, 400, 400]);
    await Promise.all([registered.text(), trailingSlash.text(), loopback.text()]);
  });

  it('answers 400 when the code grant is disabled', async () => {
    const emulator = await start({ codeGrantEnabled: false });
    const res = await fetch(authorizeUrl(emulator, {}));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not enabled/);
  });

  it.each([
    ['a duplicated parameter', 'client_id=a&client_id=b'],
    ['a malformed percent-escape', 'client_id=%zz'],
    ['invalid UTF-8', 'client_id=%ff'],
  ])('answers %s in the query with a 400 page', async (_what, query) => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/authorize?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    await res.text();
  });

  it('answers other methods with 405', async () => {
    const emulator = await start();
    const res = await fetch(authorizeUrl(emulator, {}), { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    await res.text();
  });
});

describe('POST /authorize', () => {
  it('submitting the page’s own form redirects with a code and the state', async () => {
    const emulator = await start();
    const page = await (await fetch(authorizeUrl(emulator, { state: 'a b&c' }))).text();
    const fields = {
      ...formFields(page),
      username: EMULATOR_DEFAULTS.username,
      password: EMULATOR_DEFAULTS.password,
      action: 'authorize',
    };
    const res = await submitLogin(emulator, fields);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe('a b&c');
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const tokens = await codeGrant(emulator, code, REDIRECT_URI);
    expect(tokens.status).toBe(200);
    expect((await getAccount(emulator, tokens.body.access_token)).status).toBe(200);
    expect(emulator.stats().perUser[EMULATOR_DEFAULTS.username]).toMatchObject({
      codeGrants: 1,
      tokensIssued: 1,
    });
  });

  it('keeps the callback’s own query and leaves out an absent state', async () => {
    const emulator = await start();
    const redirectUri = 'http://localhost:3000/cb?tenant=a%20b&x=1';
    const res = await submitLogin(emulator, { ...LOGIN, redirect_uri: redirectUri, action: 'authorize' });
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${redirectUri}&code=`)).toBe(true);
    expect(new URL(location).searchParams.has('state')).toBe(false);
  });

  it('treats pressing Enter (no action field) as Authorize', async () => {
    const emulator = await start();
    const res = await submitLogin(emulator, LOGIN);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location') ?? '').searchParams.has('code')).toBe(true);
  });

  it('re-renders the page with an error and the username kept, never the password', async () => {
    const emulator = await start();
    const res = await submitLogin(emulator, {
      ...LOGIN,
      password: 'secret-typo-123',
      state: 's1',
      action: 'authorize',
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Invalid username or password');
    expect(formFields(html)).toMatchObject({
      username: EMULATOR_DEFAULTS.username,
      password: '',
      state: 's1',
    });
    expect(html).not.toContain('secret-typo-123');
    expect(emulator.stats().tokensIssued).toBe(0);
  });

  it('Deny redirects with error=access_denied and the state', async () => {
    const emulator = await start();
    const res = await submitLogin(emulator, { ...LOGIN, state: 'st', action: 'deny' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toMatch(/denied/);
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('never redirects to an unregistered redirect_uri, even on Deny', async () => {
    const emulator = await start();
    const res = await submitLogin(emulator, {
      ...LOGIN,
      redirect_uri: 'https://evil.example/cb',
      action: 'deny',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    await res.text();
  });

  it('rejects a body that is not form-encoded', async () => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(LOGIN),
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    await res.text();
  });

  it('rejects an unknown action', async () => {
    const emulator = await start();
    const res = await submitLogin(emulator, { ...LOGIN, action: 'maybe' });
    expect(res.status).toBe(400);
    await res.text();
  });
});

describe('authorization codes at the token endpoint', () => {
  it('are single use', async () => {
    const emulator = await start();
    const code = await obtainCode(emulator);
    expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(200);
    const again = await codeGrant(emulator, code, REDIRECT_URI);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant' });
    expect(emulator.stats().invalidGrants).toBe(1);
  });

  it('are bound to the redirect_uri, and a mismatch burns the code', async () => {
    const emulator = await start();
    const code = await obtainCode(emulator);
    const mismatch = await codeGrant(emulator, code, 'http://127.0.0.1:3000/other');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ error: 'invalid_grant' });
    expect((await codeGrant(emulator, code, REDIRECT_URI)).status).toBe(400);
  });

  it('refuses unknown codes', async () => {
    const emulator = await start();
    const res = await codeGrant(emulator, 'made-up', REDIRECT_URI);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('require redirect_uri', async () => {
    const emulator = await start();
    const code = await obtainCode(emulator);
    const res = await postToken(emulator, {
      grant_type: 'authorization_code',
      code,
      client_id: EMULATOR_DEFAULTS.clientId,
      client_secret: EMULATOR_DEFAULTS.clientSecret,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('redirect_uri'),
    });
  });

  it('are refused when the code grant is disabled', async () => {
    const emulator = await start({ codeGrantEnabled: false });
    const res = await codeGrant(emulator, 'any', REDIRECT_URI);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unauthorized_client' });
  });

  it('carry the user who signed in', async () => {
    const second = { username: 'second@example.com', password: 'pw-2' };
    const emulator = await start({
      users: [{ username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password }, second],
    });
    const code = await obtainCode(emulator, second);
    const tokens = await codeGrant(emulator, code, REDIRECT_URI);
    const account = await getAccount(emulator, tokens.body.access_token);
    expect(account.body).toMatchObject({ login: second.username });
  });

  it('works with a form body sent by a plain HTML form post', async () => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body: 'client_id=emulator-client-id&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&username=demo%40example.com&password=demo-password&action=authorize',
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
  });
});
