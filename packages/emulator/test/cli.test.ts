import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startActOnEmulator } from '@acton/emulator';
import { parseCliArgs } from '../src/cli-args';
import { CLIENT, FORM, form } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'packages/emulator/dist/cli.js');

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function start(args: string[]): Promise<Running> {
  const proc = run(args);
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`CLI did not start: ${proc.stdout()} ${proc.stderr()}`)),
      10_000,
    );
    const check = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(proc.stdout());
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    proc.child.stdout?.on('data', check);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`CLI exited with ${code}: ${proc.stderr()}`));
    });
  });
  return { ...proc, url };
}

beforeAll(() => {
  // The CLI runs from dist/; build it (incrementally, fast when up to date) so the test never runs stale code.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/emulator'], {
    cwd: ROOT,
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npx tsc -b packages/emulator" first`);
}, 60_000);

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('acton-emulator CLI', () => {
  it('prints its real URL and the credentials, serves Act-On and stops cleanly on SIGTERM', async () => {
    const cli = await start(['--port', '0']);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.url).not.toMatch(/:0$/);
    expect(cli.stdout()).toContain('emulator-client-id');
    expect(cli.stdout()).toContain('emulator-client-secret');
    expect(cli.stdout()).toContain('demo@example.com / demo-password');

    const res = await fetch(`${cli.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body: form({
        grant_type: 'password',
        username: 'demo@example.com',
        password: 'demo-password',
        ...CLIENT,
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('stops with exit code 0 on SIGINT', async () => {
    const cli = await start(['--port', '0']);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('stopping');
  });

  it('applies --client-id, --client-secret, --user, --token-ttl and --auth-limit', async () => {
    const cli = await start([
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--client-id',
      'cid',
      '--client-secret',
      'csecret',
      '--user',
      'ann@example.com:pw:with:colons',
      '--user',
      'bob@example.com:bobpw',
      '--token-ttl',
      '120',
      '--auth-limit',
      '1',
    ]);
    expect(cli.stdout()).toContain('ann@example.com / pw:with:colons');
    expect(cli.stdout()).toContain('bob@example.com / bobpw');
    const grant = (username: string, password: string): Promise<Response> =>
      fetch(`${cli.url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': FORM },
        body: form({
          grant_type: 'password',
          username,
          password,
          client_id: 'cid',
          client_secret: 'csecret',
        }),
      });
    const ann = await grant('ann@example.com', 'pw:with:colons');
    expect(ann.status).toBe(200);
    expect(((await ann.json()) as { expires_in: number }).expires_in).toBe(120);
    const annAgain = await grant('ann@example.com', 'pw:with:colons');
    expect(annAgain.status).toBe(429);
    await annAgain.text();
    const bob = await grant('bob@example.com', 'bobpw');
    expect(bob.status).toBe(200);
    await bob.text();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('prints usage for --help and exits 0', async () => {
    const proc = run(['--help']);
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toMatch(/Usage: acton-emulator/);
    expect(proc.stdout()).toContain('--user <name:password>');
  });

  it.each([
    [['--port', 'abc'], /--port/],
    [['--port', '70000'], /--port/],
    [['--user', 'no-colon'], /--user/],
    [['--user', 'a@b.c:'], /--user/],
    [['--token-ttl', '0'], /--token-ttl/],
    [['--auth-limit', '-1'], /auth-limit/],
    [['--bogus'], /bogus/],
    [['positional'], /positional/i],
    [['--client-id', ''], /--client-id/],
  ])('rejects %j with a message on stderr and exit code 2', async (args, message) => {
    const proc = run(args);
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toMatch(message);
    expect(proc.stdout()).toBe('');
  });

  it('exits 1 with a message when the port is taken', async () => {
    const emulator = await startActOnEmulator();
    try {
      const port = new URL(emulator.url).port;
      const proc = run(['--port', port]);
      expect(await proc.exited).toBe(1);
      expect(proc.stderr()).toMatch(/EADDRINUSE/);
    } finally {
      await emulator.close();
    }
  });
});

describe('parseCliArgs', () => {
  it('defaults to port 4010 on 127.0.0.1 with the demo credentials', () => {
    expect(parseCliArgs([])).toEqual({
      kind: 'run',
      port: 4010,
      host: '127.0.0.1',
      verbose: false,
      options: {},
    });
  });

  it('collects repeated --user and --redirect-uri', () => {
    const command = parseCliArgs([
      '--user',
      'a@x.io:1',
      '--user',
      'b@x.io:2',
      '--redirect-uri',
      'https://app.example/cb',
      '--verbose',
    ]);
    expect(command).toMatchObject({
      kind: 'run',
      verbose: true,
      options: {
        users: [
          { username: 'a@x.io', password: '1' },
          { username: 'b@x.io', password: '2' },
        ],
        redirectUris: ['https://app.example/cb'],
      },
    });
  });

  it('rejects a user given twice and a redirect URI that is not absolute', () => {
    expect(() => parseCliArgs(['--user', 'a@x.io:1', '--user', 'a@x.io:2'])).toThrow(/given twice/);
    expect(() => parseCliArgs(['--redirect-uri', '/relative'])).toThrow(/--redirect-uri/);
  });
});
