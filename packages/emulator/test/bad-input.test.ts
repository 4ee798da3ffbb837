import { connect } from 'node:net';
import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import { CLIENT, emulatorFactory, form, FORM, passwordGrant, postToken } from './helpers';

const start = emulatorFactory();
const LIMIT = 64 * 1024;
const VALID = form({
  grant_type: 'password',
  username: EMULATOR_DEFAULTS.username,
  password: EMULATOR_DEFAULTS.password,
  ...CLIENT,
});

/** Sends raw bytes and collects everything until the server closes the connection. */
function rawExchange(emulator: ActOnEmulator, payload: Buffer | string): Promise<string> {
  const { port } = new URL(emulator.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.end(payload);
  });
}

async function expectStillServing(emulator: ActOnEmulator): Promise<void> {
  expect((await passwordGrant(emulator)).status).toBe(200);
}

describe('oversized bodies', () => {
  it('accepts a body of exactly 64 KiB', async () => {
    const padding = `&pad=${'x'.repeat(LIMIT - VALID.length - 5)}`;
    const body = VALID + padding;
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    const emulator = await start();
    expect((await postToken(emulator, body)).status).toBe(200);
  });

  it('answers 413 to a declared Content-Length over 64 KiB and closes the connection', async () => {
    const emulator = await start();
    const body = VALID + `&pad=${'x'.repeat(LIMIT)}`;
    const res = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect(emulator.stats().tokensIssued).toBe(0);
    await expectStillServing(emulator);
  });

  it('stops reading a chunked body as soon as it crosses 64 KiB', async () => {
    const emulator = await start();
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless unless the server stops it; 4 MiB is the safety net of the test itself.
        if (sent > 4 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const init = { method: 'POST', headers: { 'Content-Type': FORM }, body, duplex: 'half' } as RequestInit;
    const res = await fetch(`${emulator.url}/token`, init);
    expect(res.status).toBe(413);
    await res.arrayBuffer();
    await expectStillServing(emulator);
  });

  it('answers 413 on the login form too', async () => {
    const emulator = await start();
    const res = await fetch(`${emulator.url}/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body: `username=${'u'.repeat(LIMIT)}`,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    await res.text();
  });
});

describe('malformed form bodies', () => {
  it.each([
    ['a truncated UTF-8 escape', 'username=%E0%A4%A'],
    ['a non-hex escape', 'username=%zz'],
    ['a lone percent sign', 'username=100%'],
    ['an escape of invalid UTF-8', 'username=%C3%28'],
    ['an overlong UTF-8 escape', 'username=%C0%AF'],
    ['an escaped name', 'user%ZZname=x'],
  ])('answers %s with 400 invalid_request', async (_what, bad) => {
    const emulator = await start();
    const res = await postToken<{ error: string; error_description: string }>(emulator, `${VALID}&${bad}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/Malformed/);
    await expectStillServing(emulator);
  });

  it('answers raw invalid UTF-8 bytes with 400 invalid_request', async () => {
    const emulator = await start();
    const body = Buffer.concat([Buffer.from(`${VALID}&x=`), Buffer.from([0xff, 0xfe, 0x80])]);
    const res = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it.each(['username', 'grant_type', 'client_secret'])(
    'answers a duplicated %s with 400 naming it',
    async (name) => {
      const emulator = await start();
      const res = await postToken<{ error: string; error_description: string }>(
        emulator,
        `${VALID}&${name}=again`,
      );
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: `Duplicated parameter: ${name}`,
      });
      expect(emulator.stats().budgetRejections + emulator.stats().tokensIssued).toBe(0);
    },
  );

  it('accepts + as space and empty segments, as browsers send them', async () => {
    const emulator = await start({ users: [{ username: 'with space@example.com', password: 'p w' }] });
    const body = `grant_type=password&&username=with+space%40example.com&password=p+w&client_id=${CLIENT.client_id}&client_secret=${CLIENT.client_secret}&`;
    expect((await postToken(emulator, body)).status).toBe(200);
  });
});

describe('malformed HTTP', () => {
  it.each([
    ['garbage', 'this is not http\r\n\r\n'],
    ['a bad header line', 'POST /token HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'],
    ['a bad Content-Length', 'POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['an unsupported transfer coding', 'POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zip\r\n\r\n'],
  ])('answers %s with 400 and closes the connection', async (_what, payload) => {
    const emulator = await start();
    const reply = await rawExchange(emulator, payload);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    await expectStillServing(emulator);
  });

  it('survives a client that disappears mid-body', async () => {
    const emulator = await start();
    const { port } = new URL(emulator.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n',
        );
        socket.write('Content-Length: 1000\r\n\r\ngrant_type=pass');
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('close', () => resolve());
    });
    await expectStillServing(emulator);
    expect(emulator.stats().grants.password).toBe(1);
  });

  it('routes an absolute-form request target', async () => {
    const emulator = await start();
    const reply = await rawExchange(
      emulator,
      `POST ${emulator.url}/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${FORM}\r\nContent-Length: ${VALID.length}\r\n\r\n${VALID}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).toContain('"token_type":"Bearer"');
  });
});
