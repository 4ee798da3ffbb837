'use strict';
// ActOnTokenManager on a RedisTokenStore: the hot path next to the memory store in the same run (the manager's
// memory cache keeps Redis off it), and the wait of callers at expiry when 8 processes x 250 callers share one
// pair through Redis. Needs a Redis server: ACTON_REDIS_URL, default redis://127.0.0.1:6379.
// Run through `npm run bench` (which builds first) or `node bench/redis-store.bench.js`.
const path = require('node:path');
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { Redis } = require('ioredis');
const { requireDist, measureNsPerCall, median, percentile, printTable } = require('./lib');

const { ActOnTokenManager, MemoryTokenStore, RedisTokenStore } = requireDist('oauth-client');
const { startActOnEmulator, EMULATOR_DEFAULTS } = requireDist('emulator');

const REDIS_URL = process.env.ACTON_REDIS_URL || 'redis://127.0.0.1:6379';
const CALLS = Number(process.env.BENCH_CALLS || 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const PROCESSES = Number(process.env.BENCH_PROCESSES || 8);
const CALLERS = Number(process.env.BENCH_CALLERS || 250);
const EXPIRIES = Number(process.env.BENCH_EXPIRIES || 3);
const HOUR_MS = 3_600_000;
// The child the Redis tests use too (a manager on a RedisTokenStore, driven over IPC).
const CHILD = path.resolve(__dirname, '../packages/oauth-client/test/redis/fixtures/manager-child.js');

function redactedUrl(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

async function connectAdmin() {
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    await admin.ping();
  } catch (error) {
    admin.disconnect();
    throw new Error(`bench/redis-store needs Redis at ${redactedUrl(REDIS_URL)}: ${error.message}`, {
      cause: error,
    });
  }
  return admin;
}

async function deleteKeys(admin, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

/** A child process with its own manager; `request` sends one command and resolves with its reply. */
function startChild(env) {
  const child = fork(CHILD, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map();
  let lastId = 0;
  child.on('message', (message) => {
    const resolve = waiting.get(message.type);
    if (resolve === undefined) return;
    waiting.delete(message.type);
    resolve(message);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    waiting.set('ready', resolve);
    exited.then((code) => reject(new Error(`manager child exited (${code}) before it was ready`)));
  });
  return {
    process: child,
    ready,
    exited,
    request(type, fields = {}) {
      const id = ++lastId;
      return new Promise((resolve, reject) => {
        waiting.set(`${type}#${id}`, (message) => {
          if (message.error) reject(new Error(`manager child ${type}: ${JSON.stringify(message.error)}`));
          else resolve(message);
        });
        child.send({ type, id, ...fields });
      });
    },
  };
}

/** Hot path: getAccessToken() with a valid token, memory store and Redis store interleaved round by round. */
async function hotPath(admin) {
  const emulator = await startActOnEmulator({ authLimitPerHour: 1000 });
  const prefix = `acton-bench:hot:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const redisStore = new RedisTokenStore({ url: REDIS_URL, prefix });
  const options = {
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl: emulator.url,
    now: () => emulator.clock.now(),
    credentials: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
  };
  const memory = new ActOnTokenManager({ ...options, store: new MemoryTokenStore() });
  const redis = new ActOnTokenManager({ ...options, store: redisStore });
  try {
    await memory.getAccessToken();
    await redis.getAccessToken();
    const memoryGet = () => memory.getAccessToken();
    const redisGet = () => redis.getAccessToken();
    const memoryRuns = [];
    const redisRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
      if (round % 2 === 0) {
        memoryRuns.push(await measureNsPerCall(memoryGet, CALLS));
        redisRuns.push(await measureNsPerCall(redisGet, CALLS));
      } else {
        redisRuns.push(await measureNsPerCall(redisGet, CALLS));
        memoryRuns.push(await measureNsPerCall(memoryGet, CALLS));
      }
    }
    // The hot path never touched Redis or Act-On: one login each, nothing more.
    const grants = emulator.stats().grants;
    return {
      memoryNs: median(memoryRuns),
      redisNs: median(redisRuns),
      grants: grants.password + grants.refresh_token + grants.authorization_code,
    };
  } finally {
    await memory.close();
    await redis.close();
    await redisStore.close();
    await emulator.close();
    await deleteKeys(admin, prefix);
  }
}

/** PROCESSES x CALLERS concurrent getAccessToken() calls at expiry, EXPIRIES times over. */
async function atExpiry(admin) {
  const emulator = await startActOnEmulator();
  const prefix = `acton-bench:expiry:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const children = [];
  try {
    // One pair for everyone, from one login here.
    const seedStore = new RedisTokenStore({ url: REDIS_URL, prefix });
    const seed = new ActOnTokenManager({
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      baseUrl: emulator.url,
      now: () => emulator.clock.now(),
      credentials: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
      store: seedStore,
    });
    await seed.getAccessToken();
    await seed.close();
    await seedStore.close();

    for (let i = 0; i < PROCESSES; i++) {
      children.push(
        startChild({
          ACTON_TEST_REDIS_URL: REDIS_URL,
          ACTON_TEST_PREFIX: prefix,
          ACTON_BASE_URL: emulator.url,
          ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
          ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
          ACTON_USERNAME: EMULATOR_DEFAULTS.username,
          ACTON_PASSWORD: EMULATOR_DEFAULTS.password,
        }),
      );
    }
    await Promise.all(children.map((child) => child.ready));
    // Every process holds the pair in memory, as running instances do until it nears expiry.
    await Promise.all(children.map((child) => child.request('token')));

    const waits = [];
    const runs = [];
    for (let run = 0; run < EXPIRIES; run++) {
      const before = emulator.stats();
      emulator.clock.advance(HOUR_MS);
      const offset = emulator.clock.now() - Date.now();
      const started = process.hrtime.bigint();
      const results = await Promise.all(
        children.map((child) => child.request('go', { offset, callers: CALLERS })),
      );
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const after = emulator.stats();
      for (const result of results) waits.push(...result.waits);
      runs.push({
        wallMs,
        failed: results.reduce((sum, result) => sum + result.failed, 0),
        distinctTokens: new Set(results.flatMap((result) => result.tokens)).size,
        refreshes: after.grants.refresh_token - before.grants.refresh_token,
        reuse:
          after.reuseAttempts - before.reuseAttempts + after.supersededAttempts - before.supersededAttempts,
        logins: after.grants.password - before.grants.password,
      });
    }
    return { waits, runs };
  } finally {
    await Promise.all(
      children.map(async (child) => {
        if (child.process.connected) await child.request('exit').catch(() => undefined);
        const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
        await child.exited;
        clearTimeout(timer);
      }),
    );
    await emulator.close();
    await deleteKeys(admin, prefix);
  }
}

async function main() {
  const admin = await connectAdmin();
  try {
    const hot = await hotPath(admin);
    const expiry = await atExpiry(admin);
    const total = (key) => expiry.runs.reduce((sum, run) => sum + run[key], 0);
    const p50 = percentile(expiry.waits, 50);
    const p99 = percentile(expiry.waits, 99);
    const max = Math.max(...expiry.waits);
    const ratio = hot.redisNs / hot.memoryNs;

    printTable(`ActOnTokenManager on RedisTokenStore (Redis at ${redactedUrl(REDIS_URL)})`, [
      ['measure', 'value'],
      [`hot path getAccessToken(), MemoryTokenStore (ns/call, median of ${ROUNDS})`, hot.memoryNs.toFixed(1)],
      [`hot path getAccessToken(), RedisTokenStore (ns/call, median of ${ROUNDS})`, hot.redisNs.toFixed(1)],
      ['ratio Redis / memory (target <= 1.25)', ratio.toFixed(2)],
      ['hot path: grants sent besides the two logins', String(hot.grants - 2)],
      [
        `at expiry, ${PROCESSES} processes x ${CALLERS} callers, ${EXPIRIES} expiries: wait p50 (ms)`,
        p50.toFixed(1),
      ],
      ['at expiry: wait p99 (ms)', p99.toFixed(1)],
      ['at expiry: wait max (ms)', max.toFixed(1)],
      ['at expiry: refresh requests (per expiry)', expiry.runs.map((run) => run.refreshes).join(' / ')],
      ['at expiry: reuse + superseded attempts', String(total('reuse'))],
      ['at expiry: password grants', String(total('logins'))],
      ['at expiry: failed calls', String(total('failed'))],
      [
        'at expiry: distinct tokens served (per expiry)',
        expiry.runs.map((run) => run.distinctTokens).join(' / '),
      ],
      ['at expiry: wall time per expiry (ms)', expiry.runs.map((run) => run.wallMs.toFixed(0)).join(' / ')],
    ]);
    return {
      memoryNs: hot.memoryNs,
      redisNs: hot.redisNs,
      ratio,
      waitP50Ms: p50,
      waitP99Ms: p99,
      waitMaxMs: max,
      refreshes: expiry.runs.map((run) => run.refreshes),
      reuseAttempts: total('reuse'),
      failures: total('failed'),
    };
  } finally {
    await admin.quit();
  }
}

module.exports = main;
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
