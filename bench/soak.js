'use strict';
// Soak: many simulated days of 1-hour Act-On tokens, 50 concurrent callers of ActOnTokenManager.fetch() against
// the emulator's /api/1/account, with seeded fault injection on the token endpoint (5xx, dropped connections,
// latency, "rotate then drop"). Time is the emulator's clock, advanced in random steps, so a simulated day
// takes 2-4 s of real time (about 7,000 calls).
//
//   npm run soak                        quick mode (3 simulated days, 50 callers, seed 1): seconds
//   npm run soak -- --days 30           long mode
//   npm run soak -- --faults both       random faults on /api/1/account too (callers retry API-level 5xx/drops)
//   npm run soak -- --faults api        random faults on /api/1/account only
//   node bench/soak.js --help
//
// Exits 1 when a check fails. `runSoak(options)` is the same run as a function (used by the jest suite).
// Every figure and check is defined in docs/RELIABILITY.md.
const { requireDist, printTable, percentile } = require('./lib');

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const DEFAULTS = Object.freeze({
  days: 3,
  callers: 50,
  seed: 1,
  /** Each clock step is drawn uniformly (seeded) from this range, so refreshes happen both inside the refresh
   * skew (token still valid) and after expiry (token already dead). */
  minStepMinutes: 1,
  maxStepMinutes: 20,
  errorRate: 0.05,
  dropRate: 0.02,
  rotateThenDropRate: 0.01,
  latencyMs: [0, 5],
  /**
   * Where the random faults go: 'token' (POST /token only, the main figure), 'api' (GET /api/1/account only)
   * or 'both'. With API faults the callers retry what the API itself answered with a 5xx or a drop: that is
   * the application's business, not the token manager's. The scheduled faults (below) always go to /token.
   */
  faults: 'token',
  /** Attempts a caller makes when the API itself (not the token manager) answers 5xx or drops the connection. */
  apiAttempts: 6,
  /**
   * On top of the random ones, deterministic faults so that every run, however short, exercises each kind:
   * per simulated day a rotate-then-drop on the first refresh, a 503 on a refresh 6 hours later and a dropped
   * connection on a refresh 18 hours later; and one rotate-then-drop on the first password grant after the
   * warm-up login (that is, on the re-login that day 1's rotate-then-drop causes).
   */
  scheduledFaults: true,
});

const FAULT_PATHS = Object.freeze({
  token: ['/token'],
  api: ['/api/1/account'],
  both: ['/token', '/api/1/account'],
});

function positiveInteger(name, value) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Runs the soak and returns its figures and checks. Nothing is asserted here: `figures.checks` lists every
 * check with `ok`, and `figures.ok` is their conjunction.
 *
 * @param {Partial<typeof DEFAULTS>} [options]
 */
async function runSoak(options = {}) {
  const o = { ...DEFAULTS, ...options };
  positiveInteger('days', o.days);
  positiveInteger('callers', o.callers);
  positiveInteger('apiAttempts', o.apiAttempts);
  if (!Number.isInteger(o.seed)) throw new RangeError('seed must be an integer');
  if (!Object.hasOwn(FAULT_PATHS, o.faults)) throw new RangeError('faults must be token, api or both');
  const apiFaults = o.faults !== 'token';
  if (!(o.minStepMinutes > 0 && o.maxStepMinutes >= o.minStepMinutes)) {
    throw new RangeError('step range must be positive, min <= max');
  }

  const { ActOnTokenManager, MemoryTokenStore } = requireDist('oauth-client');
  const { startActOnEmulator, EMULATOR_DEFAULTS, mulberry32 } = requireDist('emulator');

  const startedAt = process.hrtime.bigint();
  // Emulator defaults that matter here: 1-hour tokens, 5 logins per hour (so a budget rejection would show).
  const emulator = await startActOnEmulator();
  const stepRandom = mulberry32(o.seed ^ 0x5eed5eed);

  // --- what the manager sends to /token, one entry per request, in order --------------------------------
  // The manager sends at most one token request at a time (single flight under the account lock); that is
  // checked below, and it is what makes the emulator's counters attributable to one request each.
  const journal = [];
  /** refresh token → { sends, rotatedThenDropped, reuse, unknown }; kept in memory only, never printed. */
  const refreshTokens = new Map();
  let tokenInFlight = 0;
  let maxTokenInFlight = 0;
  let step = 0;
  /** Errors thrown by a request to the API itself (not the token endpoint), to tell them apart at the caller. */
  const apiLevelErrors = new WeakSet();

  async function observedFetch(input, init) {
    const url = new URL(String(input));
    if (url.pathname !== '/token') {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (error !== null && typeof error === 'object') apiLevelErrors.add(error);
        throw error;
      }
    }
    const params = new URLSearchParams(String(init && init.body));
    const entry = { step, grant: params.get('grant_type'), outcome: 'pending', rtd: false, reuse: 0 };
    let tokenRecord;
    if (entry.grant === 'refresh_token') {
      const token = params.get('refresh_token');
      tokenRecord = refreshTokens.get(token) || {
        sends: 0,
        rotatedThenDropped: false,
        reuse: 0,
        unknown: 0,
        sendsAfterLostTwice: 0,
      };
      refreshTokens.set(token, tokenRecord);
      entry.previousSends = tokenRecord.sends;
      entry.previouslyRotatedThenDropped = tokenRecord.rotatedThenDropped;
      tokenRecord.sends++;
      if (tokenRecord.unknown >= 2) tokenRecord.sendsAfterLostTwice++;
    }
    tokenInFlight++;
    maxTokenInFlight = Math.max(maxTokenInFlight, tokenInFlight);
    const before = emulator.stats();
    try {
      const response = await fetch(input, init);
      entry.outcome = response.status;
      return response;
    } catch (error) {
      entry.outcome = 'network';
      throw error;
    } finally {
      tokenInFlight--;
      const after = emulator.stats();
      entry.rtd = after.faults.rotateThenDrop > before.faults.rotateThenDrop;
      entry.reuse = after.reuseAttempts - before.reuseAttempts;
      if (tokenRecord !== undefined) {
        if (entry.rtd) tokenRecord.rotatedThenDropped = true;
        tokenRecord.reuse += entry.reuse;
        // The second send of one refresh token without an answer: the manager logs in rather than send it again.
        if (entry.outcome === 'network' && ++tokenRecord.unknown === 2) entry.lostTwice = true;
      }
      journal.push(entry);
    }
  }

  const managerEvents = { login: 0, refresh: 0, reauthorize: 0 };
  const manager = new ActOnTokenManager({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl: emulator.url,
    now: () => emulator.clock.now(),
    store: new MemoryTokenStore(),
    credentials: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
    // authBudget: the default, 5 logins per hour.
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 20 },
    timeoutMs: 2_000,
    fetch: observedFetch,
  });
  manager.on('login', () => managerEvents.login++);
  manager.on('refresh', () => managerEvents.refresh++);
  manager.on('reauthorize', () => managerEvents.reauthorize++);

  const calls = { total: 0, ok: 0, failed: 0, apiRetried: 0, apiExhausted: 0 };
  /**
   * Every failed call: its clock step, its rejection (callers that waited on the same failed grant share one
   * rejection object: one "episode") and how many token requests had completed when it failed.
   */
  const failures = [];
  const failedCallsByStep = new Map();
  const failureCodes = {};
  const stepWallMs = [];

  function recordFailure(reason) {
    calls.failed++;
    const code =
      reason instanceof Error
        ? (reason.code ?? reason.name)
        : `http_${reason && reason.status !== undefined ? reason.status : '?'}`;
    failureCodes[code] = (failureCodes[code] ?? 0) + 1;
    failedCallsByStep.set(step, (failedCallsByStep.get(step) ?? 0) + 1);
    failures.push({ step, episode: reason instanceof Error ? reason : {}, journalIndex: journal.length });
  }

  /** One caller's request, as an application would make it. With API faults on, it retries API-level failures. */
  async function callOnce() {
    calls.total++;
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await manager.fetch('/api/1/account');
      } catch (error) {
        const apiLevel = error !== null && typeof error === 'object' && apiLevelErrors.has(error.cause);
        if (apiFaults && apiLevel && attempt < o.apiAttempts) {
          calls.apiRetried++;
          continue;
        }
        if (apiLevel) calls.apiExhausted++;
        recordFailure(error);
        return;
      }
      const body = await response.arrayBuffer();
      if (response.ok && body.byteLength > 0) {
        calls.ok++;
        return;
      }
      if (apiFaults && response.status >= 500 && attempt < o.apiAttempts) {
        calls.apiRetried++;
        continue;
      }
      if (response.status >= 500) calls.apiExhausted++;
      recordFailure({ status: response.status });
      return;
    }
  }

  let figures;
  try {
    // Warm-up, before any fault: the one password grant a fresh install needs.
    await manager.getAccessToken();
    emulator.setFaults({
      seed: o.seed,
      errorRate: o.errorRate,
      dropRate: o.dropRate,
      rotateThenDropRate: o.rotateThenDropRate,
      latencyMs: o.latencyMs,
      paths: FAULT_PATHS[o.faults],
    });

    if (o.scheduledFaults) emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'password' });

    const simulatedMs = o.days * DAY_MS;
    let elapsed = 0;
    let day = 0;
    const scheduled = [];
    while (elapsed < simulatedMs) {
      step++;
      if (o.scheduledFaults && elapsed >= day * DAY_MS) {
        // Queued now, each hits the next matching refresh: a rotate-then-drop at the start of the day, one
        // 503 and one dropped connection (no side effect) later in the day.
        day++;
        emulator.injectFault({ kind: 'rotate-then-drop', grantType: 'refresh_token' });
        scheduled.push({
          at: elapsed + DAY_MS / 4,
          fault: { kind: 'error', status: 503, grantType: 'refresh_token' },
        });
        scheduled.push({
          at: elapsed + (3 * DAY_MS) / 4,
          fault: { kind: 'drop', grantType: 'refresh_token' },
        });
      }
      while (scheduled.length > 0 && scheduled[0].at <= elapsed)
        emulator.injectFault(scheduled.shift().fault);
      const minutes = o.minStepMinutes + stepRandom() * (o.maxStepMinutes - o.minStepMinutes);
      const stepMs = Math.min(Math.round(minutes * MINUTE_MS), simulatedMs - elapsed);
      emulator.clock.advance(stepMs);
      elapsed += stepMs;
      const stepStarted = process.hrtime.bigint();
      await Promise.all(Array.from({ length: o.callers }, callOnce));
      stepWallMs.push(Number(process.hrtime.bigint() - stepStarted) / 1e6);
    }
    figures = analyse();
  } finally {
    await manager.close();
    await emulator.close();
  }
  figures.wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  figures.stepWallMsP50 = percentile(stepWallMs, 50);
  figures.stepWallMsP99 = percentile(stepWallMs, 99);
  return figures;

  function analyse() {
    const stats = emulator.stats();
    // Walk the journal in order. A rotate-then-drop opens a "recovery window" that the next successful token
    // response closes: inside it, and only there, a resend of the lost refresh token, a password grant and a
    // failed call are the unavoidable price of that lost answer. A refresh token sent twice without any answer
    // opens one too: its outcome is unknown, and the manager logs in rather than risk a second reuse.
    let windowOpen = false;
    let windows = 0;
    /** openAfter[i]: whether a recovery window was open once the first i token requests had completed. */
    const openAfter = [false];
    let recoveryLoginFaults = 0;
    const trace = [];
    let firstPassword = true;
    const rtd = { refresh_token: 0, password: 0, other: 0 };
    let passwordRequestsOutsideWindow = 0;
    let reuseNotAfterRtd = 0;
    let refreshRequests = 0;
    let lostTwice = 0;
    for (const entry of journal) {
      if (entry.grant === 'refresh_token') refreshRequests++;
      if (entry.grant === 'password') {
        if (firstPassword) firstPassword = false;
        else if (!windowOpen) passwordRequestsOutsideWindow++;
        // A recovery login whose outcome is unknown (a drop) is not resent, since each attempt costs login
        // budget: it fails its waiting callers, and the next call logs in again. A 5xx answer is retried.
        if (windowOpen && !entry.rtd && (entry.outcome === 'network' || entry.outcome >= 500)) {
          recoveryLoginFaults++;
        }
      }
      if (entry.rtd || entry.outcome !== 200) {
        trace.push({
          ...entry,
          window: windowOpen || entry.rtd,
          failedCalls: failedCallsByStep.get(entry.step) ?? 0,
        });
      }
      // A refresh token the emulator calls "used" must be one whose answer the network swallowed.
      if (entry.reuse > 0 && !(entry.grant === 'refresh_token' && entry.previouslyRotatedThenDropped)) {
        reuseNotAfterRtd += entry.reuse;
      }
      if (entry.rtd || entry.lostTwice) {
        if (entry.rtd) rtd[entry.grant in rtd ? entry.grant : 'other']++;
        if (entry.lostTwice) lostTwice++;
        if (!windowOpen) windows++;
        windowOpen = true;
      } else if (entry.outcome === 200) {
        windowOpen = false;
      }
      openAfter.push(windowOpen);
    }
    const rtdTotal = stats.faults.rotateThenDrop;
    let maxReusePerRtdToken = 0;
    let maxSendsPerRefreshToken = 0;
    let sendsAfterLostTwice = 0;
    for (const record of refreshTokens.values()) {
      maxSendsPerRefreshToken = Math.max(maxSendsPerRefreshToken, record.sends);
      sendsAfterLostTwice += record.sendsAfterLostTwice;
      if (record.rotatedThenDropped) maxReusePerRtdToken = Math.max(maxReusePerRtdToken, record.reuse);
    }
    // A failed call is explained when a recovery window was open at the moment it failed: the grant that
    // failed it was the rotate-then-drop itself or a request of the recovery that followed.
    const episodes = new Set();
    const unexplained = new Set();
    let unexplainedFailedCalls = 0;
    for (const failure of failures) {
      episodes.add(failure.episode);
      if (!openAfter[failure.journalIndex]) {
        unexplainedFailedCalls++;
        unexplained.add(failure.episode);
      }
    }
    const failureEpisodes = episodes.size;
    const unexplainedEpisodes = unexplained.size;
    const budgetErrors = failureCodes.auth_budget_exhausted ?? 0;
    const passwordGrants = stats.grants.password;
    const extraPasswordGrants = passwordGrants - 1;
    const hours = o.days * 24;
    // Liveness: a pair is replaced at the first clock step past its refresh time (expiry - 5 min), so no pair
    // lives longer than 55 min + one step.
    const minRotations = Math.floor((o.days * DAY_MS) / ((55 + o.maxStepMinutes) * MINUTE_MS)) - 1;

    const check = (name, ok, detail) => ({ name, ok: Boolean(ok), detail });
    const checks = [
      check(
        'user-visible failures outside a rotate-then-drop recovery window',
        unexplainedFailedCalls === 0,
        `${unexplainedFailedCalls} failed calls in ${unexplainedEpisodes} episodes (must be 0)`,
      ),
      check(
        'failure episodes <= rotate-then-drop events + refreshes lost twice + faults on recovery logins',
        failureEpisodes <= rtdTotal + lostTwice + recoveryLoginFaults,
        `${failureEpisodes} <= ${rtdTotal} + ${lostTwice} + ${recoveryLoginFaults}`,
      ),
      check(
        'password grants after the first <= rotate-then-drop events + refreshes lost twice',
        extraPasswordGrants <= rtdTotal + lostTwice,
        `${extraPasswordGrants} <= ${rtdTotal} + ${lostTwice}`,
      ),
      check(
        'refresh tokens sent again after two sends without an answer',
        sendsAfterLostTwice === 0,
        `${sendsAfterLostTwice} (must be 0)`,
      ),
      check(
        'password requests outside a rotate-then-drop recovery window',
        passwordRequestsOutsideWindow === 0,
        `${passwordRequestsOutsideWindow} (must be 0)`,
      ),
      check(
        'refresh reuse attempts <= rotate-then-drop events on a refresh',
        stats.reuseAttempts <= rtd.refresh_token,
        `${stats.reuseAttempts} <= ${rtd.refresh_token}`,
      ),
      check(
        'reuse attempts not caused by a rotate-then-drop',
        reuseNotAfterRtd === 0,
        `${reuseNotAfterRtd} (must be 0)`,
      ),
      check(
        'reuse attempts per rotated-then-dropped refresh token',
        maxReusePerRtdToken <= 1,
        `max ${maxReusePerRtdToken} (must be <= 1)`,
      ),
      check(
        'superseded refresh attempts',
        stats.supersededAttempts === 0,
        `${stats.supersededAttempts} (must be 0)`,
      ),
      check(
        'expired refresh attempts',
        stats.expiredRefreshAttempts === 0,
        `${stats.expiredRefreshAttempts} (must be 0)`,
      ),
      check(
        'budget rejections (emulator 429 + local ActOnAuthBudgetError)',
        stats.budgetRejections === 0 && budgetErrors === 0,
        `${stats.budgetRejections} + ${budgetErrors} (must be 0)`,
      ),
      check('token requests in flight at once', maxTokenInFlight <= 1, `max ${maxTokenInFlight} (must be 1)`),
      check(
        'every call settled',
        calls.ok + calls.failed === calls.total,
        `${calls.ok} ok + ${calls.failed} failed = ${calls.total}`,
      ),
      check(
        'the faults were exercised',
        stats.faults.error > 0 && stats.faults.drop > 0 && stats.faults.latency > 0,
        `error ${stats.faults.error}, drop ${stats.faults.drop}, latency ${stats.faults.latency}`,
      ),
      check(
        'successful rotations (liveness: one per 55 min + one clock step at least)',
        managerEvents.refresh >= minRotations,
        `${managerEvents.refresh} >= ${minRotations}`,
      ),
    ];
    return {
      options: o,
      simulatedDays: o.days,
      expiries: hours,
      steps: step,
      calls: calls.total,
      okCalls: calls.ok,
      failedCalls: calls.failed,
      failureEpisodes,
      unexplainedFailedCalls,
      unexplainedEpisodes,
      recoveryWindows: windows,
      recoveryLoginFaults,
      trace,
      failureCodes,
      apiRetries: calls.apiRetried,
      apiExhausted: calls.apiExhausted,
      rotateThenDrop: rtdTotal,
      rotateThenDropOnRefresh: rtd.refresh_token,
      rotateThenDropOnPassword: rtd.password,
      reuseAttempts: stats.reuseAttempts,
      reuseNotAfterRtd,
      maxSendsPerRefreshToken,
      supersededAttempts: stats.supersededAttempts,
      expiredRefreshAttempts: stats.expiredRefreshAttempts,
      passwordGrants,
      extraPasswordGrants,
      passwordRequestsOutsideWindow,
      budgetRejections: stats.budgetRejections,
      localBudgetErrors: budgetErrors,
      refreshRequests,
      refreshGrants: stats.grants.refresh_token,
      successfulRefreshes: managerEvents.refresh,
      logins: managerEvents.login,
      reauthorize: managerEvents.reauthorize,
      tokenRequests: stats.tokenRequests,
      maxTokenInFlight,
      accountRequests: stats.accountRequests,
      unauthorizedApiRequests: stats.unauthorizedApiRequests,
      faults: stats.faults,
      checks,
      ok: checks.every((c) => c.ok),
    };
  }
}

function usage() {
  return [
    'usage: node bench/soak.js [--days N] [--callers N] [--seed N] [--faults token|api|both] [--trace] [--json]',
    `  --days N      simulated days of 1-hour tokens (default ${DEFAULTS.days}; 30 for the long run)`,
    `  --callers N   concurrent callers of manager.fetch('/api/1/account') per clock step (default ${DEFAULTS.callers})`,
    `  --seed N      seed of the faults and of the clock steps (default ${DEFAULTS.seed})`,
    '  --faults W    where the random faults go: token (default: POST /token), api (GET /api/1/account) or both;',
    '                with API faults the callers retry API-level 5xx and drops themselves (--api-faults = both)',
    '  --trace       list every token request that failed or was rotated-then-dropped',
    '  --json        print the figures as JSON after the table',
  ].join('\n');
}

/** Parses the CLI arguments (`--days 30` or `--days=30`). Throws a RangeError on anything unknown. */
function parseArgs(argv) {
  const options = {};
  let json = false;
  let trace = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const raw = inline ?? argv[++i];
      const n = Number(raw);
      if (raw === undefined || raw === '' || !Number.isInteger(n)) {
        throw new RangeError(`${flag} needs an integer`);
      }
      return n;
    };
    if (flag === '--days') options.days = value();
    else if (flag === '--callers') options.callers = value();
    else if (flag === '--seed') options.seed = value();
    else if (flag === '--faults') {
      const where = inline ?? argv[++i];
      if (!Object.hasOwn(FAULT_PATHS, where ?? '')) throw new RangeError('--faults needs token, api or both');
      options.faults = where;
    } else if (flag === '--api-faults') options.faults = 'both';
    else if (flag === '--json') json = true;
    else if (flag === '--trace') trace = true;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else throw new RangeError(`unknown argument ${arg}`);
  }
  return { options, json, trace };
}

function report(figures) {
  const f = figures;
  const o = f.options;
  printTable(
    `Soak: ${f.simulatedDays} simulated days (${f.expiries} token expiries), ${o.callers} callers, seed ${o.seed}, ` +
      `random faults on ${FAULT_PATHS[o.faults].join(' and ')} ` +
      `(5xx ${o.errorRate}, drop ${o.dropRate}, rotate-then-drop ${o.rotateThenDropRate}, latency ${o.latencyMs.join('-')} ms)`,
    [
      ['figure', 'value'],
      ['calls to manager.fetch(/api/1/account)', f.calls],
      ['user-visible failures (failed calls / episodes)', `${f.failedCalls} / ${f.failureEpisodes}`],
      ['  of which outside a rotate-then-drop recovery window', f.unexplainedFailedCalls],
      ['  by error code', JSON.stringify(f.failureCodes)],
      [
        'rotate-then-drop recovery windows / faults on their recovery logins',
        `${f.recoveryWindows} / ${f.recoveryLoginFaults}`,
      ],
      ...(o.faults !== 'token'
        ? [
            ['API-level 5xx/drops retried by the callers', f.apiRetries],
            ['calls whose API retries ran out', f.apiExhausted],
          ]
        : []),
      [
        'rotate-then-drop events (on refresh / on password grant)',
        `${f.rotateThenDrop} (${f.rotateThenDropOnRefresh} / ${f.rotateThenDropOnPassword})`,
      ],
      ['refresh reuse attempts (emulator)', f.reuseAttempts],
      ['  of which not caused by a rotate-then-drop', f.reuseNotAfterRtd],
      ['superseded / expired refresh attempts', `${f.supersededAttempts} / ${f.expiredRefreshAttempts}`],
      [
        'password grants (1 initial + after rotate-then-drop)',
        `${f.passwordGrants} (1 + ${f.extraPasswordGrants})`,
      ],
      ['budget rejections (emulator 429 / local)', `${f.budgetRejections} / ${f.localBudgetErrors}`],
      ['refresh requests / successful rotations', `${f.refreshRequests} / ${f.successfulRefreshes}`],
      ['token requests in flight at once (max)', f.maxTokenInFlight],
      ['API 401s (stale token in flight at a rotation)', f.unauthorizedApiRequests],
      [
        'faults injected (5xx / drop / latency / rotate-then-drop)',
        `${f.faults.error} / ${f.faults.drop} / ${f.faults.latency} / ${f.faults.rotateThenDrop}`,
      ],
      [
        'clock steps (wall ms per step p50 / p99)',
        `${f.steps} (${f.stepWallMsP50.toFixed(1)} / ${f.stepWallMsP99.toFixed(1)})`,
      ],
      ['wall time (s)', f.wallSeconds.toFixed(1)],
    ],
  );
  printTable('Checks', [
    ['check', 'result', 'detail'],
    ...f.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]),
  ]);
}

async function main(argv) {
  const { options, json, trace } = parseArgs(argv);
  if (options.help) {
    console.log(usage());
    return 0;
  }
  const figures = await runSoak(options);
  report(figures);
  if (trace && figures.trace.length > 0) {
    printTable('Token requests that failed or were rotated-then-dropped, in order', [
      [
        'clock step',
        'grant',
        'outcome',
        'rotate-then-drop',
        'reuse',
        'in a recovery window',
        'failed calls in step',
      ],
      ...figures.trace.map((t) => [t.step, t.grant, t.outcome, t.rtd, t.reuse, t.window, t.failedCalls]),
    ]);
  }
  if (json) console.log(JSON.stringify(figures, null, 2));
  if (!figures.ok) {
    console.error('\nsoak: FAILED (see the checks above)');
    return 1;
  }
  console.log('\nsoak: all checks passed');
  return 0;
}

module.exports = { runSoak, parseArgs, DEFAULTS };
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof RangeError ? `${error.message}\n${usage()}` : error);
      process.exitCode = 1;
    },
  );
}
