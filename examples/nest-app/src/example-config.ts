import { randomBytes } from 'node:crypto';
import {
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
  type EmulatorUser,
} from '@acton/emulator';

/** Where the example talks to Act-On and how it signs people in. Built once at start-up. */
export interface ExampleConfig {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Absolute, or a path resolved against the request's host (fine for loopback and the emulator). */
  readonly callbackUrl: string;
  /** The server-side account `/service/account` uses (password grant), if one is configured. */
  readonly serviceAccount: { readonly username: string; readonly password: string } | undefined;
  readonly sessionSecret: string;
  readonly tokenStore: 'memory' | 'file' | 'redis';
  /** Present when the example runs on its own embedded Act-On emulator. */
  readonly emulator: ActOnEmulator | undefined;
  /** Lines worth printing at start-up (never a real secret). */
  readonly notes: readonly string[];
}

/** The people of the embedded emulator: one to sign in with, one for the server side, one without API access. */
export const DEMO_USERS: readonly EmulatorUser[] = Object.freeze([
  { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
  { username: 'service@example.com', password: 'service-password' },
  { username: 'no-api@example.com', password: 'no-api-password', apiEnabled: false },
]);

const CALLBACK_PATH = '/auth/acton/callback';

/**
 * Reads the configuration from the environment. Without `ACTON_BASE_URL` or `ACTON_REGION` (no real Act-On
 * configured) it starts an Act-On emulator in this process and points everything at it, so the example runs on a
 * fresh machine without any account.
 */
export async function loadExampleConfig(
  env: Readonly<Record<string, string | undefined>>,
  emulatorPort = 4010,
): Promise<ExampleConfig> {
  const notes: string[] = [];
  const sessionSecret = env.SESSION_SECRET ?? randomBytes(32).toString('base64url');
  if (env.SESSION_SECRET === undefined) {
    notes.push('SESSION_SECRET is not set: using a random one, so sessions end when the app restarts.');
  }
  const callbackUrl = env.ACTON_CALLBACK_URL ?? CALLBACK_PATH;
  if (env.ACTON_BASE_URL === undefined && env.ACTON_REGION === undefined) {
    const emulator = await startActOnEmulator({ port: emulatorPort, users: [...DEMO_USERS] });
    notes.push(
      `No ACTON_BASE_URL or ACTON_REGION: running on an embedded Act-On emulator at ${emulator.url}`,
      `Sign in with ${EMULATOR_DEFAULTS.username} / ${EMULATOR_DEFAULTS.password}` +
        ` (no-api@example.com / no-api-password shows the "API access not enabled" page).`,
    );
    return {
      baseUrl: emulator.url,
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      callbackUrl,
      serviceAccount: { username: 'service@example.com', password: 'service-password' },
      sessionSecret,
      // The emulator forgets every token when it stops: a token file would only hold dead pairs.
      tokenStore: 'memory',
      emulator,
      notes,
    };
  }
  const clientId = required(env, 'ACTON_CLIENT_ID');
  const clientSecret = required(env, 'ACTON_CLIENT_SECRET');
  const baseUrl =
    env.ACTON_BASE_URL ??
    (env.ACTON_REGION === 'eu' ? 'https://api-eu.actonsoftware.com' : 'https://api.actonsoftware.com');
  const serviceAccount =
    env.ACTON_USERNAME !== undefined && env.ACTON_PASSWORD !== undefined
      ? { username: env.ACTON_USERNAME, password: env.ACTON_PASSWORD }
      : undefined;
  if (serviceAccount === undefined)
    notes.push('ACTON_USERNAME/ACTON_PASSWORD not set: /service/account is off.');
  const tokenStore = env.ACTON_TOKEN_STORE ?? 'file';
  if (tokenStore !== 'memory' && tokenStore !== 'file' && tokenStore !== 'redis') {
    throw new Error(`ACTON_TOKEN_STORE must be memory, file or redis, got ${JSON.stringify(tokenStore)}`);
  }
  return {
    baseUrl,
    clientId,
    clientSecret,
    callbackUrl,
    serviceAccount,
    sessionSecret,
    tokenStore,
    emulator: undefined,
    notes,
  };
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is required when ACTON_BASE_URL or ACTON_REGION points at a real Act-On`);
  }
  return value;
}
