import path from 'node:path';
import { EMULATOR_DEFAULTS, type ActOnEmulator } from '@acton/emulator';
import {
  REDIS_URL,
  assertDistBuilt,
  forkFixture,
  killAll,
  settleWithin,
  type IpcChild,
} from './redis-helpers';

/*
 * Child processes, each with its own ActOnTokenManager on a RedisTokenStore shared through one key prefix
 * (fixtures/manager-child.js, which bench/redis-store.bench.js drives too).
 */

const DIST_INDEX = path.resolve(__dirname, '../../dist/index.js');
const FIXTURE = 'manager-child.js';

/** Every reply of manager-child.js: `error` when the command failed. */
export interface ChildReply {
  readonly type: string;
  readonly error?: { name?: string; code?: string; message?: string; retryAfterMs?: number };
  readonly [field: string]: unknown;
}

/** Counts the child's manager reported through its events. */
export interface ChildEvents {
  readonly refresh: number;
  readonly login: number;
  /** `source` of every `tokens` event, in order. */
  readonly tokens: string[];
}

/** Reply to `go`: `callers` concurrent getAccessToken() calls. */
export interface GoReply extends ChildReply {
  readonly ok: number;
  readonly failed: number;
  readonly errors: string[];
  /** Distinct access tokens served. */
  readonly tokens: string[];
  /** Each caller's wait in ms, from its call to its token. */
  readonly waits: number[];
  readonly events: ChildEvents;
}

export interface LoginReply extends ChildReply {
  readonly results: Array<{ ok: boolean; error?: ChildReply['error'] }>;
}

let lastId = 0;

/** Sends one command and resolves with its reply; a reply carrying `error` rejects, with the child's words. */
export async function request<T extends ChildReply = ChildReply>(
  child: IpcChild,
  type: string,
  fields: Record<string, unknown> = {},
  timeoutMs = 45_000,
): Promise<T> {
  const id = ++lastId;
  const reply = child.next(`${type}#${id}`, timeoutMs);
  child.send({ type, id, ...fields });
  const message = (await reply) as unknown as T;
  if (message.error !== undefined) {
    throw new Error(`manager-child ${type} failed: ${JSON.stringify(message.error)}\n${child.stderr()}`);
  }
  return message;
}

/** Starts `count` children on `prefix`, talking to `emulator`, and waits until each has connected to Redis. */
export async function startManagers(
  emulator: ActOnEmulator,
  prefix: string,
  count: number,
  env: Record<string, string> = {},
): Promise<IpcChild[]> {
  assertDistBuilt(DIST_INDEX);
  const children = Array.from({ length: count }, () =>
    forkFixture(FIXTURE, {
      ACTON_TEST_REDIS_URL: REDIS_URL,
      ACTON_TEST_PREFIX: prefix,
      ACTON_BASE_URL: emulator.url,
      ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
      ACTON_USERNAME: EMULATOR_DEFAULTS.username,
      ACTON_PASSWORD: EMULATOR_DEFAULTS.password,
      ...env,
    }),
  );
  try {
    await Promise.all(children.map((child) => child.next('ready')));
    await Promise.all(children.map((child) => request(child, 'warm')));
  } catch (error) {
    await killAll(children);
    throw error;
  }
  return children;
}

/** Asks every live child to close its manager and store and end; kills whatever is still running after that. */
export async function stopManagers(children: IpcChild[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (!child.process.connected) return;
      await request(child, 'exit', {}, 10_000).catch(() => undefined);
      await settleWithin(child.exited, 10_000);
    }),
  );
  await killAll(children);
}
