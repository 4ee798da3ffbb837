import request from 'supertest';
import { EMULATOR_DEFAULTS } from '@acton/emulator';
import {
  CLIENT,
  emulatorFactory,
  form,
  obtainCode,
  passwordGrant,
  postToken,
  refreshGrant,
  REDIRECT_URI,
} from './helpers';

const start = emulatorFactory();

const PASSWORD_FIELDS = {
  grant_type: 'password',
  username: EMULATOR_DEFAULTS.username,
  password: EMULATOR_DEFAULTS.password,
  ...CLIENT,
};

describe('POST /token: successful grants', () => {
  it('answers a password grant with Act-On’s token response shape', async () => {
    const emulator = await start();
    const res = await request(emulator.url)
      .post('/token')
      .type('form')
      .send(PASSWORD_FIELDS)
      .expect(200)
      .expect('Content-Type', /application\/json/)
      .expect('Cache-Control', 'no-store');
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'].sort(),
    );
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'offline-access' });
    expect(res.body.access_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(res.body.access_token).not.toBe(res.body.refresh_token);
  });

  it('accepts a charset parameter on the content type', async () => {
    const emulator = await start();
    await request(emulator.url)
      .post('/token')
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8')
      .send(form(PASSWORD_FIELDS))
      .expect(200);
  });

  it('answers a refresh grant with a new, different pair', async () => {
    const emulator = await start();
    const first = await passwordGrant(emulator);
    const second = await refreshGrant(emulator, first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('Bearer');
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('answers a code grant from the login page', async () => {
    const emulator = await start();
    const code = await obtainCode(emulator);
    const res = await request(emulator.url)
      .post('/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...CLIENT })
      .expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });

  it('sends the configured token lifetime and scope', async () => {
    const emulator = await start({ tokenTtlSec: 86400, scope: 'PRODUCTION' });
    const res = await passwordGrant(emulator);
    expect(res.body).toMatchObject({ expires_in: 86400, scope: 'PRODUCTION' });
  });
});

describe('POST /token: client authentication', () => {
  const UNAUTHORIZED = { error: 'access_denied', error_description: 'Unauthorized' };

  it.each([
    ['client id', { client_id: 'someone-else' }],
    ['client secret', { client_secret: 'wrong-secret' }],
  ])('answers 401 access_denied for a wrong %s', async (_what, override) => {
    const emulator = await start();
    const res = await postToken(emulator, { ...PASSWORD_FIELDS, ...override });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  it('does not accept client credentials in HTTP Basic auth alone', async () => {
    const emulator = await start();
    const basic = Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64');
    const res = await request(emulator.url)
      .post('/token')
      .set('Authorization', `Basic ${basic}`)
      .type('form')
      .send({
        grant_type: 'password',
        username: EMULATOR_DEFAULTS.username,
        password: EMULATOR_DEFAULTS.password,
      })
      .expect(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    expect(emulator.stats().tokensIssued).toBe(0);
  });

  it('answers 401 access_denied for a wrong username or password', async () => {
    const emulator = await start();
    const wrongPassword = await passwordGrant(emulator, EMULATOR_DEFAULTS.username, 'nope');
    const unknownUser = await passwordGrant(emulator, 'nobody@example.com', EMULATOR_DEFAULTS.password);
    expect([wrongPassword.status, unknownUser.status]).toEqual([401, 401]);
    expect(wrongPassword.body).toEqual(UNAUTHORIZED);
    expect(unknownUser.body).toEqual(UNAUTHORIZED);
    expect(emulator.stats().tokensIssued).toBe(0);
  });
});

describe('POST /token: malformed requests', () => {
  it.each([
    ['grant_type', 'password'],
    ['client_id', 'password'],
    ['client_secret', 'password'],
    ['username', 'password'],
    ['password', 'password'],
    ['code', 'authorization_code'],
    ['redirect_uri', 'authorization_code'],
    ['refresh_token', 'refresh_token'],
  ])('answers 400 invalid_request naming a missing %s (%s grant)', async (field, grantType) => {
    const emulator = await start();
    const fields: Record<string, string> = {
      grant_type: grantType,
      username: EMULATOR_DEFAULTS.username,
      password: EMULATOR_DEFAULTS.password,
      code: 'some-code',
      redirect_uri: REDIRECT_URI,
      refresh_token: 'some-refresh-token',
      ...CLIENT,
    };
    delete fields[field];
    const res = await postToken<{ error: string; error_description: string }>(emulator, fields);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(field);
  });

  it('answers 400 unsupported_grant_type for an unknown grant', async () => {
    const emulator = await start();
    const res = await postToken<{ error: string }>(emulator, { grant_type: 'client_credentials', ...CLIENT });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('rejects a JSON body with 400 invalid_request', async () => {
    const emulator = await start();
    const res = await request(emulator.url).post('/token').send(PASSWORD_FIELDS).expect(400);
    expect(res.get('Content-Type')).toMatch(/application\/json/);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/Content-Type/);
    expect(emulator.stats().tokensIssued).toBe(0);
  });

  it.each([
    ['a text/plain body', 'text/plain'],
    ['a multipart body', 'multipart/form-data; boundary=x'],
    ['a non-UTF-8 charset', 'application/x-www-form-urlencoded; charset=ISO-8859-1'],
  ])('rejects %s with 400 invalid_request', async (_what, contentType) => {
    const emulator = await start();
    const res = await postToken<{ error: string }>(emulator, form(PASSWORD_FIELDS), {
      'Content-Type': contentType,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('rejects a request without content type', async () => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      body: Buffer.from(form(PASSWORD_FIELDS)),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Content-Type must be application/x-www-form-urlencoded',
    });
  });

  it('rejects a compressed body it cannot read', async () => {
    const emulator = await start();
    const res = await postToken<{ error: string }>(emulator, form(PASSWORD_FIELDS), {
      'Content-Encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('answers %s /token with 405 and Allow: POST', async (method) => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/token`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await res.body?.cancel();
  });
});

describe('POST /token: stats', () => {
  it('counts requests and grant attempts per grant type, failed ones included', async () => {
    const emulator = await start();
    const ok = await passwordGrant(emulator);
    await passwordGrant(emulator, EMULATOR_DEFAULTS.username, 'wrong');
    await refreshGrant(emulator, ok.body.refresh_token);
    await refreshGrant(emulator, 'unknown-token');
    await postToken(emulator, {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: REDIRECT_URI,
      ...CLIENT,
    });
    await fetch(`${emulator.url}/token`).then((r) => r.body?.cancel());
    const stats = emulator.stats();
    expect(stats.tokenRequests).toBe(6);
    expect(stats.grants).toEqual({ password: 2, authorization_code: 1, refresh_token: 2 });
    expect(stats.tokensIssued).toBe(2);
    expect(stats.invalidGrants).toBe(2);
    expect(stats.perUser[EMULATOR_DEFAULTS.username]).toEqual({
      passwordGrants: 2,
      codeGrants: 0,
      refreshGrants: 1,
      tokensIssued: 2,
    });
  });

  it('returns a snapshot that later requests do not change', async () => {
    const emulator = await start();
    const before = emulator.stats();
    await passwordGrant(emulator);
    expect(before.tokensIssued).toBe(0);
    expect(emulator.stats().tokensIssued).toBe(1);
  });
});
