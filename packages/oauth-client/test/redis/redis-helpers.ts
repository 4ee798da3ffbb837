import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket, connect } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisTokenStore, redactUrl, type RedisTokenStoreOptions } from '../../src/redis-token-store';

/** The machine's Redis (never stopped, flushed or reconfigured by these tests: every test uses its own prefix). */
export const REDIS_URL = process.env.ACTON_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * An admin connection for setup and cleanup. Fails the suite with a clear message when Redis is not
 * reachable: the Redis tests never skip.
 */
export async function connectAdmin(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `The RedisTokenStore tests need a Redis server at ${redactUrl(REDIS_URL)} (set ACTON_REDIS_URL to use another): ` +
        `${error instanceof Error ? error.message : String(error)}. They fail rather than skip.`,
      { cause: error },
    );
  }
  return redis;
}

/** A key prefix no other test (or run) uses. */
export function uniquePrefix(label: string): string {
  return `acton-test:${label}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Keys under `prefix`, sorted, without the prefix. */
export async function listKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys = await redis.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
  return keys.map((key) => key.slice(prefix.length)).sort();
}

/** Tracks stores made by a test so that afterEach closes them all, whatever failed. */
export class StorePool {
  readonly #stores: RedisTokenStore[] = [];

  constructor(readonly prefix: string) {}

  create(overrides: Partial<RedisTokenStoreOptions> = {}): RedisTokenStore {
    const options: RedisTokenStoreOptions =
      overrides.client === undefined
        ? { url: REDIS_URL, prefix: this.prefix, ...overrides }
        : { prefix: this.prefix, ...overrides };
    const store = new RedisTokenStore(options);
    this.#stores.push(store);
    return store;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#stores.splice(0).map((store) => store.close()));
  }
}

/** How many connections listen on `channel` (PUBSUB NUMSUB). */
export async function subscriberCount(admin: Redis, channel: string): Promise<number> {
  const reply = (await admin.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

/** Polls PUBSUB NUMSUB (test setup only, never a measurement) until `count` connections listen on `channel`. */
export async function waitForSubscribers(admin: Redis, channel: string, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await subscriberCount(admin, channel)) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Fewer than ${count} subscriber(s) on ${channel} after 5 s`);
}

/** Resolves on the next call of the returned callback; for "wait until this happened" without timers. */
export function signal<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** Waits for `promise` at most `ms` (then resolves anyway); never leaves a timer behind. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** Polls `check` every 5 ms until it holds (test setup, never a measurement); fails naming `what` after `limitMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  limitMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Gave up after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

// ---- child processes --------------------------------------------------------------------------

const DIST_INDEX = path.resolve(__dirname, '../../dist/redis-token-store.js');

/** Children load the compiled package: fail with the fix rather than with a confusing child crash. */
export function assertDistBuilt(...files: string[]): void {
  for (const file of [DIST_INDEX, ...files]) {
    if (!existsSync(file)) {
      throw new Error(
        `${file} is missing: the cross-process Redis tests run children on the compiled packages. ` +
          'Run `npx tsc -b packages/emulator packages/oauth-client` (or `npm test`, which builds first).',
      );
    }
  }
}

/** A child fixture talking over IPC. */
export interface IpcChild {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every message received so far. */
  readonly messages: Array<Record<string, unknown>>;
  /** The first message (already received or future) whose `type` is `type`. */
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(message: Record<string, unknown>): void;
  stderr(): string;
}

export function forkFixture(script: string, env: Record<string, string>): IpcChild {
  const child = fork(path.join(__dirname, 'fixtures', script), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];
  child.on('message', (message: Record<string, unknown>) => {
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.type === message.type) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  return {
    process: child,
    exited,
    messages,
    stderr: () => err,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    next: (type, timeoutMs = 20_000) => {
      const found = messages.find((m) => m.type === type);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${script} sent no "${type}" message within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        const done = (message: Record<string, unknown>): void => {
          clearTimeout(timer);
          resolve(message);
        };
        waiters.push({ type, resolve: done });
        void exited.then(({ code, signal: sig }) => {
          if (!waiters.some((w) => w.resolve === done)) return;
          clearTimeout(timer);
          reject(new Error(`${script} exited (${code ?? sig}) before sending "${type}"; stderr: ${err}`));
        });
      });
    },
  };
}

/** Kills children still running (a failed test must not leave them behind). */
export async function killAll(children: IpcChild[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }),
  );
}

// ---- a TCP proxy that can cut Redis off -------------------------------------------------------

/** Forwards a local port to Redis; `stop()` closes the port and cuts every connection, `start()` reopens it. */
export interface RedisProxy {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisProxy(): Promise<RedisProxy> {
  const target = new URL(REDIS_URL);
  const targetHost = target.hostname || '127.0.0.1';
  const targetPort = Number(target.port || 6379);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const created = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        sockets.add(client);
        sockets.add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        port = (created.address() as AddressInfo).port;
        server = created;
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  const withAuth = new URL(REDIS_URL);
  withAuth.hostname = '127.0.0.1';
  withAuth.port = String(port);
  return {
    url: withAuth.href,
    stop,
    start: listen,
    close: stop,
  };
}
