import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import { FileTokenStore } from '../src';
import { HOUR_MS, makeTempDir, managerFor, startEmulator } from './helpers/emulator-fixture';

type ChildMessage =
  { type: 'ready' } | { type: 'done'; ok: number; failed: number; errors: string[]; distinctTokens: number };

function nextMessage(child: ChildProcess, type: ChildMessage['type']): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited with ${code} before "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

describe('processes sharing a FileTokenStore', () => {
  let emulator: ActOnEmulator;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    emulator = await startEmulator();
    temp = await makeTempDir();
  });
  afterAll(async () => {
    await emulator.close();
    await temp.cleanup();
  });

  it('four child processes at expiry: one refresh, zero reuse, every caller served', async () => {
    const storePath = join(temp.dir, 'shared-tokens.json');
    const seed = managerFor(emulator, { store: new FileTokenStore({ path: storePath }) });
    await seed.getAccessToken();
    await seed.close();
    const env = {
      ...process.env,
      ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
      ACTON_BASE_URL: emulator.url,
      ACTON_USERNAME: EMULATOR_DEFAULTS.username,
      ACTON_PASSWORD: EMULATOR_DEFAULTS.password,
      STORE_PATH: storePath,
    };
    const children = Array.from({ length: 4 }, () =>
      fork(join(__dirname, 'fixtures/manager-child.js'), [], {
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    try {
      await Promise.all(children.map((child) => nextMessage(child, 'ready')));
      emulator.clock.advance(HOUR_MS);
      const offset = emulator.clock.now() - Date.now();
      const done = children.map((child) => nextMessage(child, 'done'));
      for (const child of children) child.send({ type: 'go', offset, callers: 250 });
      const results = (await Promise.all(done)) as Array<Extract<ChildMessage, { type: 'done' }>>;
      expect(results.map((result) => result.failed)).toEqual([0, 0, 0, 0]);
      expect(results.map((result) => result.ok)).toEqual([250, 250, 250, 250]);
      expect(results.map((result) => result.distinctTokens)).toEqual([1, 1, 1, 1]);
      const stats = emulator.stats();
      expect(stats.grants.refresh_token).toBe(1);
      expect(stats.reuseAttempts).toBe(0);
      expect(stats.supersededAttempts).toBe(0);
      expect(stats.grants.password).toBe(1);
    } finally {
      for (const child of children) child.kill();
    }
  });

  it('the background refresh timer never keeps a process alive', async () => {
    const child = fork(join(__dirname, 'fixtures/background-refresh-child.js'), [], {
      env: {
        ...process.env,
        ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
        ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
        ACTON_BASE_URL: emulator.url,
        ACTON_USERNAME: EMULATOR_DEFAULTS.username,
        ACTON_PASSWORD: EMULATOR_DEFAULTS.password,
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(exitCode).toBe(0);
    expect(output).toMatch(/^got \d+ chars/);
  });
});
