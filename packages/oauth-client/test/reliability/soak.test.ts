import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/*
 * The quick mode of `npm run soak` (bench/soak.js) inside the test command: the emulator's clock runs through
 * simulated days of 1-hour tokens while 50 callers use ActOnTokenManager.fetch('/api/1/account'), with seeded
 * faults on the token endpoint. bench/soak.js loads the built packages (dist), as users do; `npm test` builds
 * first. Every figure is defined in docs/RELIABILITY.md.
 */

interface SoakCheck {
  name: string;
  ok: boolean;
  detail: string;
}

interface SoakFigures {
  steps: number;
  calls: number;
  okCalls: number;
  failedCalls: number;
  failureEpisodes: number;
  unexplainedFailedCalls: number;
  failureCodes: Record<string, number>;
  recoveryLoginFaults: number;
  apiRetries: number;
  apiExhausted: number;
  rotateThenDrop: number;
  rotateThenDropOnRefresh: number;
  rotateThenDropOnPassword: number;
  reuseAttempts: number;
  reuseNotAfterRtd: number;
  supersededAttempts: number;
  expiredRefreshAttempts: number;
  passwordGrants: number;
  extraPasswordGrants: number;
  passwordRequestsOutsideWindow: number;
  budgetRejections: number;
  localBudgetErrors: number;
  successfulRefreshes: number;
  maxTokenInFlight: number;
  faults: { latency: number; error: number; drop: number; rotateThenDrop: number };
  checks: SoakCheck[];
  ok: boolean;
}

interface SoakModule {
  runSoak(options?: Record<string, unknown>): Promise<SoakFigures>;
  parseArgs(argv: string[]): { options: Record<string, unknown>; json: boolean; trace: boolean };
  DEFAULTS: { days: number; callers: number; seed: number };
}

const SOAK = resolve(__dirname, '../../../../bench/soak.js');
const DIST = resolve(__dirname, '../../dist/index.js');
const { runSoak, parseArgs, DEFAULTS } = createRequire(__filename)(SOAK) as SoakModule;

/** The assertions every soak run must pass, with or without API faults. */
function expectReliable(f: SoakFigures): void {
  // Every check the CLI applies (a failed one names itself and its numbers).
  expect(f.checks.filter((check) => !check.ok)).toEqual([]);
  expect(f.ok).toBe(true);
  // User-visible failures: none outside the recovery from a rotate-then-drop.
  expect(f.unexplainedFailedCalls).toBe(0);
  expect(f.failureEpisodes).toBeLessThanOrEqual(f.rotateThenDrop + f.recoveryLoginFaults);
  expect(f.failedCalls + f.okCalls).toBe(f.calls);
  // Each rotate-then-drop costs at most one password grant and at most one reuse attempt; nothing else does.
  expect(f.extraPasswordGrants).toBe(f.passwordGrants - 1);
  expect(f.extraPasswordGrants).toBeLessThanOrEqual(f.rotateThenDrop);
  expect(f.passwordRequestsOutsideWindow).toBe(0);
  expect(f.reuseAttempts).toBeLessThanOrEqual(f.rotateThenDropOnRefresh);
  expect(f.reuseNotAfterRtd).toBe(0);
  expect(f.supersededAttempts).toBe(0);
  expect(f.expiredRefreshAttempts).toBe(0);
  expect(f.budgetRejections).toBe(0);
  expect(f.localBudgetErrors).toBe(0);
  expect(f.failureCodes.auth_budget_exhausted).toBeUndefined();
  expect(f.failureCodes.reauthorization_required).toBeUndefined();
  // One token request at a time (single flight): what makes the emulator's counters attributable.
  expect(f.maxTokenInFlight).toBe(1);
}

describe('soak: simulated days of 1-hour tokens, 50 callers, faults injected (bench/soak.js)', () => {
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run "npm run build" first`);
  });

  it('quick mode (npm run soak): 0 failures outside a rotate-then-drop, 0 other reuse, 0 budget rejections', async () => {
    const f = await runSoak();
    expectReliable(f);
    expect(f.calls).toBe(f.steps * DEFAULTS.callers);
    // The run exercised what it claims: every kind of fault, and rotate-then-drop on both grants (the
    // scheduled ones: one per simulated day on a refresh, one on the first re-login).
    expect(f.faults.error).toBeGreaterThan(0);
    expect(f.faults.drop).toBeGreaterThan(0);
    expect(f.faults.latency).toBeGreaterThan(0);
    expect(f.rotateThenDropOnRefresh).toBeGreaterThanOrEqual(DEFAULTS.days);
    expect(f.rotateThenDropOnPassword).toBeGreaterThanOrEqual(1);
    // A rotate-then-drop on a refresh is invisible to callers: resend, invalid_grant, one password grant.
    expect(f.reuseAttempts).toBe(f.rotateThenDropOnRefresh);
    expect(f.successfulRefreshes).toBeGreaterThan(DEFAULTS.days * 20);
  }, 120_000);

  it('faults on /api/1/account instead: callers retry what the API answered, the manager adds nothing', async () => {
    // Random faults on the API only (the scheduled ones still hit /token), so the token side stays
    // deterministic: the API's own 5xx and drops must not turn into refreshes, reuse or logins.
    const f = await runSoak({ days: 1, faults: 'api', seed: 7 });
    expectReliable(f);
    expect(f.apiRetries).toBeGreaterThan(0);
    expect(f.apiExhausted).toBe(0);
    // Each API-level 5xx or drop cost exactly one caller retry (the other 2 are the scheduled /token faults).
    expect(f.apiRetries).toBe(f.faults.error + f.faults.drop - 2);
    // Only the scheduled rotate-then-drops (one on a refresh, one on the re-login it causes).
    expect(f.rotateThenDrop).toBe(2);
    expect(f.reuseAttempts).toBe(1);
    expect(f.passwordGrants).toBe(3);
  }, 120_000);

  it('parses the CLI: --days 30 --callers 20 --seed=5 --faults both --trace, and refuses bad flags', () => {
    expect(parseArgs(['--days', '30', '--callers', '20', '--seed=5', '--faults', 'both', '--trace'])).toEqual(
      {
        options: { days: 30, callers: 20, seed: 5, faults: 'both' },
        json: false,
        trace: true,
      },
    );
    expect(parseArgs(['--faults=api', '--json']).options).toEqual({ faults: 'api' });
    expect(() => parseArgs(['--faults', 'everywhere'])).toThrow(RangeError);
    expect(() => parseArgs(['--days'])).toThrow(RangeError);
    expect(() => parseArgs(['--days', 'many'])).toThrow(RangeError);
    expect(() => parseArgs(['--fast'])).toThrow(RangeError);
  });
});
