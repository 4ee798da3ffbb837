/** Per-user counters of {@link EmulatorStats}. */
export interface EmulatorUserStats {
  passwordGrants: number;
  codeGrants: number;
  refreshGrants: number;
  tokensIssued: number;
}

/** Counters of what the emulator saw; `stats()` returns a copy. */
export interface EmulatorStats {
  /** Every HTTP request to `/token`, whatever its method or outcome. */
  tokenRequests: number;
  /** `POST /token` attempts per grant type, successful or not; fault-injected requests that never reached grant logic are left out. */
  grants: { password: number; authorization_code: number; refresh_token: number };
  tokensIssued: number;
  /** A refresh token presented again after it was used once. */
  reuseAttempts: number;
  /** A refresh token presented after a newer pair for the same client+username killed it. */
  supersededAttempts: number;
  expiredRefreshAttempts: number;
  /** Every `invalid_grant` answer. */
  invalidGrants: number;
  budgetRejections: number;
  /** `GET` and `POST` `/authorize`. */
  authorizeRequests: number;
  /** `GET /api/1/account`. */
  accountRequests: number;
  unauthorizedApiRequests: number;
  rateLimitedApiRequests: number;
  faults: { latency: number; error: number; drop: number; rotateThenDrop: number };
  /** Keyed by configured username. */
  perUser: Record<string, EmulatorUserStats>;
}

/** Zeroed counters with one `perUser` entry per configured user. */
export function createStats(usernames: readonly string[]): EmulatorStats {
  // No prototype: usernames come from the network, and "__proto__" must stay an ordinary (absent) key.
  const perUser: Record<string, EmulatorUserStats> = Object.create(null) as Record<string, EmulatorUserStats>;
  for (const name of usernames) {
    perUser[name] = { passwordGrants: 0, codeGrants: 0, refreshGrants: 0, tokensIssued: 0 };
  }
  return {
    tokenRequests: 0,
    grants: { password: 0, authorization_code: 0, refresh_token: 0 },
    tokensIssued: 0,
    reuseAttempts: 0,
    supersededAttempts: 0,
    expiredRefreshAttempts: 0,
    invalidGrants: 0,
    budgetRejections: 0,
    authorizeRequests: 0,
    accountRequests: 0,
    unauthorizedApiRequests: 0,
    rateLimitedApiRequests: 0,
    faults: { latency: 0, error: 0, drop: 0, rotateThenDrop: 0 },
    perUser,
  };
}

/** The counters of a configured user, or `undefined` for any other name (inherited keys included). */
export function userStats(stats: EmulatorStats, username: string): EmulatorUserStats | undefined {
  return Object.hasOwn(stats.perUser, username) ? stats.perUser[username] : undefined;
}
