'use strict';
// Hot path of ActOnTokenManager.getAccessToken() next to the plain limit, and at-expiry coalescing.
// Run through `npm run bench` (which builds first) or `node bench/token-manager.bench.js`.
const { requireDist, measureNsPerCall, median, printTable } = require('./lib');

const { ActOnTokenManager, MemoryTokenStore } = requireDist('oauth-client');
const { startActOnEmulator, EMULATOR_DEFAULTS } = requireDist('emulator');

const CALLS = Number(process.env.BENCH_CALLS || 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const HOUR_MS = 3_600_000;

async function main() {
  const emulator = await startActOnEmulator({ authLimitPerHour: 1000 });
  const options = {
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl: emulator.url,
    now: () => emulator.clock.now(),
    credentials: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
  };
  const manager = new ActOnTokenManager({ ...options, store: new MemoryTokenStore() });
  const token = await manager.getAccessToken();

  // The plain limit: a Map lookup plus a clock read behind one await.
  const plain = new Map([['default', { token, expiresAt: Date.now() + HOUR_MS }]]);
  async function plainGet(account = 'default') {
    const entry = plain.get(account);
    if (entry !== undefined && Date.now() < entry.expiresAt) return entry.token;
    throw new Error('expired');
  }
  const ours = () => manager.getAccessToken();

  const plainRuns = [];
  const ourRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    plainRuns.push(await measureNsPerCall(plainGet, CALLS));
    ourRuns.push(await measureNsPerCall(ours, CALLS));
  }
  const plainNs = median(plainRuns);
  const ourNs = median(ourRuns);

  // Coalescing: 10,000 callers at expiry.
  const before = emulator.stats().grants.refresh_token;
  emulator.clock.advance(HOUR_MS);
  const started = process.hrtime.bigint();
  const results = await Promise.allSettled(Array.from({ length: 10_000 }, () => manager.getAccessToken()));
  const coalesceMs = Number(process.hrtime.bigint() - started) / 1e6;
  const refreshes = emulator.stats().grants.refresh_token - before;
  const failures = results.filter((result) => result.status === 'rejected').length;

  await manager.close();
  await emulator.close();

  printTable('ActOnTokenManager hot path (valid token, memory store)', [
    ['measure', 'value'],
    [
      'plain limit: Map + Date.now() behind one await (ns/call, median of ' + ROUNDS + ')',
      plainNs.toFixed(1),
    ],
    ['getAccessToken() (ns/call, median of ' + ROUNDS + ')', ourNs.toFixed(1)],
    ['ratio ours / plain (target <= 1.3)', (ourNs / plainNs).toFixed(2)],
    ['10,000 callers at expiry: refresh requests', String(refreshes)],
    ['10,000 callers at expiry: failed calls', String(failures)],
    ['10,000 callers at expiry: wall time (ms)', coalesceMs.toFixed(1)],
  ]);
  return { plainNs, ourNs, ratio: ourNs / plainNs, refreshes, failures, coalesceMs };
}

module.exports = main;
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
