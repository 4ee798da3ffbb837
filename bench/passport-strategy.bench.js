'use strict';
// Full Act-On login round trips per second through passport-acton's strategy, next to a hand-configured plain
// passport-oauth2 strategy, against the same emulator in the same run (interleaved rounds, medians).
// One round trip: login route (authorization redirect) → POST the emulator's login form → callback
// (state check, code exchange at /token, GET /api/1/account, verify).
// Run through `npm run bench` (which builds first) or `node bench/passport-strategy.bench.js` after a build.
const { URLSearchParams } = require('node:url');
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const OAuth2Strategy = require('passport-oauth2');
const { requireDist, median, printTable } = require('./lib');

// Node's own fetch plays the browser; the repo's lint globals do not list it.
const { fetch } = globalThis;

const { ActOnStrategy } = requireDist('passport-acton');
const { startActOnEmulator, EMULATOR_DEFAULTS } = requireDist('emulator');

// Many short rounds: each pair of measurements sits close in time, so load from other processes hits both alike.
const LOGINS = Number(process.env.BENCH_LOGINS || 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 24);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 1);
const WARMUP = Number(process.env.BENCH_WARMUP || 300);

/**
 * Both strategies do the same job in each scenario. Plain passport-oauth2 can only keep CSRF state in a session,
 * so the like-for-like comparison with state runs both on express-session; the second scenario shows what
 * passport-acton's session-free default (a signed state cookie) costs next to plain without any state.
 */
const SCENARIOS = [
  { name: 'CSRF state on both (express-session)', session: true, ours: {}, plain: { state: true } },
  { name: 'state off on both (no session)', session: false, ours: { state: false }, plain: {} },
  { name: 'defaults, no session: ours signed-cookie state, plain none', session: false, ours: {}, plain: {} },
];

/**
 * One user per concurrent browser: a new pair for a user kills that user's older tokens (Act-On's rule), so two
 * parallel logins of one user would fail each other's profile read.
 */
const USERS = Array.from({ length: CONCURRENCY }, (_, i) => ({
  username: `bench-user-${i}@example.com`,
  password: `bench-password-${i}`,
  account: { account_id: 20000 + i },
}));

/** What a user would write without passport-acton: passport-oauth2 configured by hand for Act-On. */
function plainStrategy(emulatorUrl, callbackURL, extra) {
  const strategy = new OAuth2Strategy(
    {
      authorizationURL: `${emulatorUrl}/authorize`,
      tokenURL: `${emulatorUrl}/token`,
      clientID: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      callbackURL,
      scope: 'PRODUCTION',
      ...extra,
    },
    (accessToken, refreshToken, profile, done) => done(null, { profile, accessToken, refreshToken }),
  );
  strategy.name = 'plain';
  strategy._oauth2.useAuthorizationHeaderforGET(true);
  strategy.userProfile = function userProfile(accessToken, done) {
    this._oauth2.get(`${emulatorUrl}/api/1/account`, accessToken, (err, body) => {
      if (err) return done(new OAuth2Strategy.InternalOAuthError('Failed to fetch user profile', err));
      let json;
      try {
        json = JSON.parse(body);
      } catch (error) {
        return done(error);
      }
      return done(null, {
        provider: 'acton',
        id: String(json.account_id),
        displayName: json.user_name,
        _raw: body,
        _json: json,
      });
    });
  };
  return strategy;
}

async function startApp(emulatorUrl, scenario) {
  const app = express();
  const authenticator = new passport.Passport();
  if (scenario.session) {
    app.use(session({ secret: 'bench-session-secret-0123456789', resave: false, saveUninitialized: false }));
  }
  app.use(authenticator.initialize());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  authenticator.use(
    new ActOnStrategy({
      clientID: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      baseURL: emulatorUrl,
      callbackURL: `${url}/ours/callback`,
      ...scenario.ours,
    }),
  );
  authenticator.use(plainStrategy(emulatorUrl, `${url}/plain/callback`, scenario.plain));

  for (const [prefix, name] of [
    ['ours', 'acton'],
    ['plain', 'plain'],
  ]) {
    app.get(`/${prefix}/login`, authenticator.authenticate(name, { session: false }));
    app.get(`/${prefix}/callback`, authenticator.authenticate(name, { session: false }), (req, res) => {
      res.json({ id: req.user.profile.id });
    });
  }
  return { server, url };
}

/** One browser's login: app login route → emulator form POST → app callback, carrying its cookies. */
async function login(appUrl, emulatorUrl, prefix, user) {
  const start = await fetch(`${appUrl}/${prefix}/login`, { redirect: 'manual' });
  await start.arrayBuffer();
  const authorizeUrl = new URL(start.headers.get('location'));
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const form = new URLSearchParams({
    ...Object.fromEntries(authorizeUrl.searchParams),
    username: user.username,
    password: user.password,
    action: 'authorize',
  });
  const posted = await fetch(`${emulatorUrl}/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  await posted.arrayBuffer();
  const callback = await fetch(posted.headers.get('location'), { headers: cookie ? { cookie } : {} });
  const body = await callback.json();
  if (callback.status !== 200 || body.id !== String(user.account.account_id)) {
    throw new Error(`${prefix} login failed: HTTP ${callback.status} ${JSON.stringify(body)}`);
  }
}

/**
 * Runs `count` logins with `CONCURRENCY` browsers in parallel; returns logins per second (wall clock) and CPU
 * microseconds per login. Browser, app and emulator share this process, so CPU per login is what a login costs
 * end to end, and it is less disturbed than the wall clock by other processes on a busy machine.
 */
async function measure(appUrl, emulatorUrl, prefix, count) {
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    USERS.map(async (user) => {
      while (next < count) {
        next++;
        await login(appUrl, emulatorUrl, prefix, user);
      }
    }),
  );
  const perSecond = count / (Number(process.hrtime.bigint() - started) / 1e9);
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond, cpuUsPerLogin: (cpu.user + cpu.system) / count };
}

async function runScenario(emulator, scenario) {
  const app = await startApp(emulator.url, scenario);
  const result = { ours: [], plain: [], oursCpu: [], plainCpu: [], ratios: [], cpuRatios: [] };
  try {
    await measure(app.url, emulator.url, 'ours', WARMUP);
    await measure(app.url, emulator.url, 'plain', WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first so drift (GC, other load on the machine) hits both alike.
      const order = round % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
      for (const prefix of order) {
        // Each measurement starts on an empty emulator: its code and budget ledgers grow with every login.
        emulator.reset();
        const { perSecond, cpuUsPerLogin } = await measure(app.url, emulator.url, prefix, LOGINS);
        result[prefix].push(perSecond);
        result[`${prefix}Cpu`].push(cpuUsPerLogin);
      }
      const last = (list) => list[list.length - 1];
      result.ratios.push(last(result.ours) / last(result.plain));
      // Capacity: logins one CPU second buys with ours, over the same with plain.
      result.cpuRatios.push(last(result.plainCpu) / last(result.oursCpu));
    }
  } finally {
    await new Promise((resolve) => {
      app.server.close(resolve);
      app.server.closeAllConnections();
    });
  }
  return {
    name: scenario.name,
    oursPerSecond: median(result.ours),
    plainPerSecond: median(result.plain),
    // The headline: the median of per-round ratios (each pair measured back to back), robust to drifting load.
    ratio: median(result.ratios),
    ratioOfMedians: median(result.ours) / median(result.plain),
    oursCpuUs: median(result.oursCpu),
    plainCpuUs: median(result.plainCpu),
    cpuRatio: median(result.cpuRatios),
  };
}

async function main() {
  const emulator = await startActOnEmulator({ authLimitPerHour: 1_000_000, users: USERS });
  const results = [];
  try {
    for (const scenario of SCENARIOS) results.push(await runScenario(emulator, scenario));
  } finally {
    await emulator.close();
  }
  printTable(
    `Act-On login round trips: passport-acton vs plain passport-oauth2 (${LOGINS} logins x ${ROUNDS} interleaved rounds per strategy, concurrency ${CONCURRENCY})`,
    [
      [
        'scenario',
        'ours logins/s',
        'plain logins/s',
        'ratio (median of pairs, target >= 0.95)',
        'ratio of medians',
        'CPU us/login ours',
        'CPU us/login plain',
        'CPU capacity ratio',
      ],
      ...results.map((r) => [
        r.name,
        r.oursPerSecond.toFixed(1),
        r.plainPerSecond.toFixed(1),
        r.ratio.toFixed(3),
        r.ratioOfMedians.toFixed(3),
        r.oursCpuUs.toFixed(0),
        r.plainCpuUs.toFixed(0),
        r.cpuRatio.toFixed(3),
      ]),
    ],
  );
  return results;
}

module.exports = main;
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
