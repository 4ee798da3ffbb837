import { inspect } from 'node:util';
import { startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { ActOnTokenService } from '@acton/nest-auth';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { startExampleApp, type RunningExample } from '../src';
import { authorizeAtEmulator } from './sign-in-helpers';

/*
 * One pass over the error paths of every package, wired together as a user would (strategy, Nest module, token
 * manager, stores, emulator), with canary secrets: every page, header, log line (Nest's Logger) and console write is
 * scanned for them at the end.
 */
const CLIENT_SECRET = 'canary-client-secret-5d1e0b';
const SESSION_SECRET = 'canary-session-secret-8c2f4a';
const ALICE = { username: 'alice@example.com', password: 'canary-alice-password-77aa' };
const SERVICE = { username: 'svc@example.com', password: 'canary-service-password-31bc' };
const NO_API = { username: 'no-api@example.com', password: 'canary-no-api-password-9f0e' };
const HOUR_MS = 3_600_000;

/** Everything printed or served during the run. */
const seen: string[] = [];
const tokens = new Set<string>();

const capturingLogger: LoggerService = {
  log: (...parts: unknown[]) => seen.push(inspect(parts, { depth: 8 })),
  error: (...parts: unknown[]) => seen.push(inspect(parts, { depth: 8 })),
  warn: (...parts: unknown[]) => seen.push(inspect(parts, { depth: 8 })),
  debug: (...parts: unknown[]) => seen.push(inspect(parts, { depth: 8 })),
  verbose: (...parts: unknown[]) => seen.push(inspect(parts, { depth: 8 })),
};

function served(response: request.Response): request.Response {
  seen.push(response.text ?? '', JSON.stringify(response.headers));
  return response;
}

describe('no secret leaks anywhere in the wired-up stack', () => {
  let emulator: ActOnEmulator;
  const apps: RunningExample[] = [];
  const writes: string[] = [];
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);

  async function start(password = SERVICE.password): Promise<RunningExample> {
    const running = await startExampleApp({
      port: 0,
      logger: capturingLogger,
      env: {
        ACTON_BASE_URL: emulator.url,
        ACTON_CLIENT_ID: 'canary-client',
        ACTON_CLIENT_SECRET: CLIENT_SECRET,
        ACTON_USERNAME: SERVICE.username,
        ACTON_PASSWORD: password,
        ACTON_TOKEN_STORE: 'memory',
        SESSION_SECRET,
      },
    });
    apps.push(running);
    return running;
  }

  async function collectTokens(running: RunningExample, ...accounts: string[]): Promise<void> {
    const service = running.app.get(ActOnTokenService);
    for (const account of accounts) {
      const set = await service.getTokenSet(account).catch(() => undefined);
      if (set !== undefined) tokens.add(set.accessToken).add(set.refreshToken);
    }
  }

  beforeAll(async () => {
    emulator = await startActOnEmulator({
      clientId: 'canary-client',
      clientSecret: CLIENT_SECRET,
      users: [ALICE, SERVICE, { ...NO_API, apiEnabled: false }],
    });
    // Console output of every package lands here too (Nest's own console logger is replaced, but not everything
    // goes through it).
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return originalStdout(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return originalStderr(chunk, ...rest);
    }) as typeof process.stderr.write;
  });
  afterAll(async () => {
    process.stdout.write = originalStdout;
    process.stderr.write = originalStderr;
    for (const running of apps) await running.close();
    await emulator.close();
  });

  it('drives the failure paths and finds no canary in pages, headers, logs or console output', async () => {
    const running = await start();
    const url = running.url;
    const agent = request.agent(url);

    // A real sign-in, so real tokens exist to look for.
    served(await agent.get(await authorizeAtEmulator(agent, ALICE)));
    served(await agent.get('/me'));
    served(await agent.get('/me/account'));
    served(await request(url).get('/service/account'));
    await collectTokens(running, '10001', SERVICE.username);

    // Sign-in failures: denied, forged state, replayed callback, no API access, login budget spent.
    served(await request.agent(url).get('/auth/acton/callback?error=access_denied&error_description=no'));
    const forged = request.agent(url);
    served(
      await forged.get((await authorizeAtEmulator(forged, ALICE)).replace(/state=[^&]+/, 'state=forged')),
    );
    const replay = request.agent(url);
    const callback = await authorizeAtEmulator(replay, ALICE);
    served(await replay.get(callback));
    served(await replay.get(callback));
    const noApi = request.agent(url);
    served(await noApi.get(await authorizeAtEmulator(noApi, NO_API)));
    for (let attempt = 0; attempt < 6; attempt++) {
      const spender = request.agent(url);
      served(await spender.get(await authorizeAtEmulator(spender, ALICE)));
    }
    await collectTokens(running, '10001');

    // The service account through rotation trouble: 5xx, a pair killed elsewhere, a rotation lost on the wire.
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'error', status: 503, times: 4, grantType: 'refresh_token' }); // every retry
    served(await request(url).get('/service/account'));
    const killed = emulator.issueTokens(SERVICE.username);
    tokens.add(killed.access_token).add(killed.refresh_token);
    served(await request(url).get('/service/account'));
    await collectTokens(running, SERVICE.username);
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'refresh_token' });
    served(await request(url).get('/service/account'));
    served(await request(url).get('/health'));
    await collectTokens(running, SERVICE.username, '10001');

    // A service account with a wrong password: warm-up fails, then every call.
    const broken = await start(`${SERVICE.password}-wrong`);
    served(await request(broken.url).get('/service/account'));
    served(await request(broken.url).get('/health'));

    // A bad configuration stops the start with a message naming the variable.
    const badStart = await startExampleApp({
      port: 0,
      logger: capturingLogger,
      env: { ACTON_BASE_URL: emulator.url, ACTON_CLIENT_ID: 'canary-client', SESSION_SECRET },
    }).catch((error: unknown) => error);
    expect(badStart).toBeInstanceOf(Error);
    expect((badStart as Error).message).toContain('ACTON_CLIENT_SECRET');
    seen.push(inspect(badStart), JSON.stringify(badStart));

    seen.push(...writes);
    const canaries = [
      CLIENT_SECRET,
      SESSION_SECRET,
      ALICE.password,
      SERVICE.password,
      NO_API.password,
      ...tokens,
    ];
    expect(tokens.size).toBeGreaterThanOrEqual(6);
    expect(seen.length).toBeGreaterThan(30);
    // The run did go through the failure paths it claims to.
    const stats = emulator.stats();
    expect(stats.budgetRejections).toBeGreaterThanOrEqual(1);
    expect(stats.faults.rotateThenDrop).toBe(1);
    expect(seen.some((text) => text.includes('data-reason="api_access"'))).toBe(true);
    expect(seen.some((text) => text.includes('data-reason="budget"'))).toBe(true);
    const leaks = canaries.flatMap((canary) =>
      seen
        .filter((text) => text.includes(canary))
        .map((text) => `${canary.slice(0, 8)}… in ${text.slice(0, 160)}`),
    );
    expect(leaks).toEqual([]);
  });
});
