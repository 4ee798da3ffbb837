import { inspect } from 'node:util';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { type ActOnEmulator } from '@acton/emulator';
import {
  ActOnOAuthClient,
  ActOnTokenManager,
  FileTokenStore,
  MemoryTokenStore,
  type ActOnTokenManagerOptions,
} from '../src';
import { HOUR_MS, makeTempDir, startEmulator, type LogLine } from './helpers/emulator-fixture';
import { startScriptedServer, type ScriptedServer } from './helpers/scripted-server';

const CLIENT_SECRET = 'canary-client-secret-7f3a9c';
const PASSWORD = 'canary-password-51be0d';
const ENCRYPTION_KEY = 'c'.repeat(63) + 'a';
const USERNAME = 'canary-user@example.com';

/** Everything a user could end up printing: messages, JSON, inspect output of errors, log lines, event payloads. */
const printed: string[] = [];
const logs: LogLine[] = [];
const tokensSeen = new Set<string>();

function record(value: unknown): void {
  if (value instanceof Error) {
    printed.push(value.message, String(value), JSON.stringify(value), inspect(value, { depth: 6 }));
  } else {
    printed.push(JSON.stringify(value) ?? String(value), inspect(value, { depth: 6 }));
  }
}

async function capture(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    record(error);
    return error;
  }
  throw new Error('expected the action to fail');
}

function captureSync(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    record(error);
    return error;
  }
  throw new Error('expected the action to fail');
}

describe('no secret ever leaks into errors, logs or events', () => {
  let emulator: ActOnEmulator;
  let scripted: ScriptedServer;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  const managers: ActOnTokenManager[] = [];

  function manager(overrides: Partial<ActOnTokenManagerOptions> = {}): ActOnTokenManager {
    const created = new ActOnTokenManager({
      clientId: 'canary-client',
      clientSecret: CLIENT_SECRET,
      baseUrl: emulator.url,
      now: () => emulator.clock.now(),
      store: new MemoryTokenStore(),
      credentials: { username: USERNAME, password: PASSWORD },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      timeoutMs: 500,
      logger: {
        debug: (message, fields) => logs.push({ level: 'debug', message, fields }),
        info: (message, fields) => logs.push({ level: 'info', message, fields }),
        warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
        error: (message, fields) => logs.push({ level: 'error', message, fields }),
      },
      ...overrides,
    });
    for (const event of ['tokens', 'refresh', 'login', 'reauthorize', 'error'] as const) {
      created.on(event, (payload: unknown) => record(payload));
    }
    record(created);
    managers.push(created);
    return created;
  }

  beforeAll(async () => {
    emulator = await startEmulator({
      clientId: 'canary-client',
      clientSecret: CLIENT_SECRET,
      users: [{ username: USERNAME, password: PASSWORD }],
      authLimitPerHour: 100,
    });
    scripted = await startScriptedServer();
    temp = await makeTempDir();
  });
  afterAll(async () => {
    await Promise.all(managers.map((created) => created.close()));
    await emulator.close();
    await scripted.close();
    await temp.cleanup();
  });

  it('drives every error path of the core', async () => {
    // Happy path first, so real access and refresh tokens exist to look for.
    const healthy = manager();
    await healthy.getAccessToken();
    const first = (await healthy.getTokenSet())!;
    tokensSeen.add(first.accessToken).add(first.refreshToken);
    emulator.clock.advance(HOUR_MS);
    await healthy.getAccessToken();
    const second = (await healthy.getTokenSet())!;
    tokensSeen.add(second.accessToken).add(second.refreshToken);

    // Token endpoint refusals: wrong secret, wrong password, reused refresh token.
    await capture(() => manager({ clientSecret: `${CLIENT_SECRET}-wrong` }).getAccessToken());
    await capture(() =>
      manager({ credentials: { username: USERNAME, password: `${PASSWORD}-wrong` } }).getAccessToken(),
    );
    const client = new ActOnOAuthClient({
      clientId: 'canary-client',
      clientSecret: CLIENT_SECRET,
      baseUrl: emulator.url,
    });
    record(client);
    await capture(() => client.refreshGrant(first.refreshToken));
    await capture(() => client.codeGrant({ code: first.refreshToken, redirectUri: 'http://127.0.0.1/cb' }));

    // A dead pair without credentials → reauthorize; budget exhausted; transient failures; timeouts.
    const noCredentials = manager({ credentials: undefined });
    await noCredentials.saveTokens('default', first);
    emulator.clock.advance(HOUR_MS);
    await capture(() => noCredentials.getAccessToken());
    const budgeted = manager({ authBudget: { limit: 1, windowMs: HOUR_MS } });
    await budgeted.login({ username: USERNAME, password: PASSWORD });
    await capture(() => budgeted.login({ username: USERNAME, password: PASSWORD }));
    emulator.injectFault({ kind: 'error', status: 503, times: 2 });
    await capture(() => manager().getAccessToken());
    emulator.injectFault({ kind: 'drop', times: 2 });
    await capture(() => manager().refresh());
    emulator.injectFault({ kind: 'latency', latencyMs: 1_000 });
    await capture(() => manager({ timeoutMs: 50 }).getAccessToken());
    emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'refresh_token' });
    const rotated = manager({ credentials: undefined });
    await rotated.saveTokens('default', (await healthy.getTokenSet())!);
    await capture(() => rotated.refresh());

    // A hostile token endpoint that echoes every secret it was sent.
    scripted.respond((_req, res, body) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: `you sent ${body}` }));
    });
    const echo = new ActOnOAuthClient({
      clientId: 'canary-client',
      clientSecret: CLIENT_SECRET,
      baseUrl: scripted.url,
    });
    await capture(() => echo.passwordGrant({ username: USERNAME, password: PASSWORD }));
    await capture(() => echo.refreshGrant(second.refreshToken));
    scripted.respond((_req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`not json ${body}`);
    });
    await capture(() => echo.passwordGrant({ username: USERNAME, password: PASSWORD }));

    // Configuration errors that are handed secrets.
    captureSync(() => new ActOnOAuthClient({ clientId: '', clientSecret: CLIENT_SECRET }));
    captureSync(
      () =>
        new ActOnOAuthClient({
          clientId: 'x',
          clientSecret: CLIENT_SECRET,
          baseUrl: `http://${USERNAME.split('@')[0]}:${PASSWORD}@api.example.com`,
        }),
    );
    captureSync(() => new FileTokenStore({ path: join(temp.dir, 'bad-key.json'), encryptionKey: PASSWORD }));
    await capture(() => healthy.fetch(`https://elsewhere.example.com/?token=${second.accessToken}`));

    // A store encrypted with one key, read with another.
    const encryptedPath = join(temp.dir, 'encrypted.json');
    const encrypted = new FileTokenStore({ path: encryptedPath, encryptionKey: ENCRYPTION_KEY });
    await encrypted.set('default', second, 0);
    await encrypted.close();
    const wrongKey = new FileTokenStore({ path: encryptedPath, encryptionKey: 'd'.repeat(64) });
    await capture(() => wrongKey.get('default'));
    await wrongKey.close();
    await writeFile(join(temp.dir, 'corrupt.json'), `{"accounts": ${JSON.stringify(second)}`);
    await capture(() => new FileTokenStore({ path: join(temp.dir, 'corrupt.json') }).get('default'));

    for (const line of logs) printed.push(line.message, JSON.stringify(line.fields ?? {}));
    for (const current of await Promise.all(
      managers.map((created) => created.getTokenSet().catch(() => undefined)),
    )) {
      if (current !== undefined) tokensSeen.add(current.accessToken).add(current.refreshToken);
    }

    const canaries = [CLIENT_SECRET, PASSWORD, ENCRYPTION_KEY, ...tokensSeen];
    expect(printed.length).toBeGreaterThan(40);
    expect(logs.some((line) => line.level === 'warn')).toBe(true);
    const leaks = canaries.flatMap((canary) =>
      printed
        .filter((text) => text.includes(canary))
        .map((text) => `${canary.slice(0, 6)}… in ${text.slice(0, 200)}`),
    );
    expect(leaks).toEqual([]);
  });
});
