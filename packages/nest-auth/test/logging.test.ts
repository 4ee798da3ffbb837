import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { ActOnEmulator } from '@acton/emulator';
import type { TokenSet } from '@acton/oauth-client';
import {
  ActOnAuthModule,
  ActOnTokenService,
  createActOnLogger,
  type ActOnAuthModuleOptions,
} from '@acton/nest-auth';
import {
  AccountController,
  CaptureLogger,
  emulatorFactory,
  emulatorOptions,
  HOUR_MS,
  randomKey,
  tempDirs,
} from './helpers/fixtures';

const CLIENT_SECRET = 'canary-client-secret-3141';
const PASSWORD = 'canary-password-2718';
const OTHER_PASSWORD = 'canary-other-password-1618';

describe('logging through Nest', () => {
  const startEmulator = emulatorFactory();
  const tempDir = tempDirs();
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(
    emulator: ActOnEmulator,
    logger: CaptureLogger,
    options: ActOnAuthModuleOptions,
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [ActOnAuthModule.forRoot(emulatorOptions(emulator, options))],
      controllers: [AccountController],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    apps.push(app);
    await app.init();
    return app;
  }

  it('no log line carries a secret, through logins, rotations, 401s, failures and reauthorization', async () => {
    const emulator = await startEmulator({
      clientSecret: CLIENT_SECRET,
      users: [
        { username: 'main@example.com', password: PASSWORD },
        { username: 'other@example.com', password: OTHER_PASSWORD },
      ],
    });
    const logger = new CaptureLogger();
    const encryptionKey = randomKey();
    const seen: TokenSet[] = [];
    const app = await start(emulator, logger, {
      store: 'file',
      tokenFile: `${await tempDir()}/tokens.json`,
      encryptionKey,
      warmUp: true,
      credentials: (account) =>
        account === 'other@example.com' ? { username: account, password: OTHER_PASSWORD } : undefined,
      accounts: ['main@example.com', 'other@example.com', 'nobody'],
    });
    const service = app.get(ActOnTokenService);
    const remember = async (account?: string) => {
      const tokens = await service.getTokenSet(account);
      if (tokens !== undefined) seen.push(tokens);
    };
    await remember();
    await remember('other@example.com');

    // Rotations across expiries.
    for (let hour = 0; hour < 3; hour++) {
      emulator.clock.advance(HOUR_MS);
      await request(app.getHttpServer()).get('/acton/account').expect(200);
      await remember();
    }
    // Someone else logs in with the same username: our pair dies, the next call sees 401 then invalid_grant.
    const stolen = emulator.issueTokens('main@example.com');
    await request(app.getHttpServer()).get('/acton/account').expect(200);
    await remember();
    // A transient failure on refresh, retried.
    emulator.clock.advance(HOUR_MS);
    emulator.injectFault({ kind: 'error', grantType: 'refresh_token', status: 503 });
    await request(app.getHttpServer()).get('/acton/account').expect(200);
    await remember();
    // A wrong password on an explicit login.
    await expect(
      service.login({ username: 'main@example.com', password: 'wrong-canary-password' }, 'x'),
    ).rejects.toThrow();

    const text = logger.text();
    // The flows above did log (otherwise "no secret in the logs" would prove nothing).
    expect(text).toMatch(/ActOnTokenService/);
    expect(text).toMatch(/token store: file .* \(encrypted\)/);
    expect(text).toMatch(/Logging in to Act-On with a password grant/);
    expect(text).toMatch(/rotated/);
    expect(text).toMatch(/Transient failure/);
    expect(text).toMatch(/Warm-up of Act-On account "nobody" failed: .*reauthorization_required/);
    expect(text).toMatch(/needs to be authorized again/);

    const secrets = [
      CLIENT_SECRET,
      PASSWORD,
      OTHER_PASSWORD,
      'wrong-canary-password',
      encryptionKey,
      stolen.access_token,
      stolen.refresh_token,
      ...seen.flatMap((tokens) => [tokens.accessToken, tokens.refreshToken]),
    ];
    expect(seen.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('a failed warm-up is a warning, and the app still boots', async () => {
    const emulator = await startEmulator();
    const logger = new CaptureLogger();
    const app = await start(emulator, logger, { password: 'wrong-password', warmUp: true });
    expect(emulator.stats().grants.password).toBe(1);
    const warnings = logger.lines.filter((line) => line.level === 'warn').map((line) => line.text);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Warm-up of Act-On account "demo@example.com" failed: .*access_denied/),
      ]),
    );
    expect(logger.text()).not.toContain('wrong-password');
    expect(app.get(ActOnTokenService)).toBeDefined();
  });

  it('the logger adapter maps levels and redacts secret-named fields', () => {
    const logger = new CaptureLogger();
    const adapter = createActOnLogger(logger);
    adapter.info?.('hello', {
      account: 'a',
      accessToken: 'AT-canary',
      nested: { client_secret: 'S-canary', ok: 1 },
    });
    adapter.debug?.('dbg');
    adapter.warn?.('careful', { refresh_token: 'RT-canary', error: new Error('boom') });
    adapter.error?.('bad');
    expect(logger.lines.map((line) => line.level)).toEqual(['log', 'debug', 'warn', 'error']);
    expect(logger.lines[0].text).toBe(
      'hello {"account":"a","accessToken":"[redacted]","nested":{"client_secret":"[redacted]","ok":1}}',
    );
    expect(logger.text()).not.toMatch(/canary/);
    expect(logger.lines[2].text).toContain('"error":{"name":"Error","message":"boom"}');
  });
});
