import { randomToken } from './random-token';

/** A freshly issued access/refresh pair. */
export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
}

/** Why a refresh token was refused; each reason has its own counter in the stats. */
export type RefreshRejection = 'unknown' | 'reused' | 'superseded' | 'expired' | 'wrong-client';

/** Result of {@link TokenRegistry.redeemRefreshToken}. */
export type RefreshRedemption =
  { ok: true; username: string } | { ok: false; reason: RefreshRejection; username?: string };

/** Result of {@link TokenRegistry.checkAccessToken}. */
export type AccessCheck = { ok: true; username: string } | { ok: false };

interface AccessRecord {
  readonly clientId: string;
  readonly username: string;
  readonly expiresAt: number;
  revoked: boolean;
}

interface RefreshRecord {
  readonly clientId: string;
  readonly username: string;
  readonly expiresAt: number;
  state: 'active' | 'used' | 'superseded';
}

/** Lifetimes and the one Act-On unknown that changes what "issue" kills. */
export interface TokenRegistryPolicy {
  accessTtlMs: number;
  refreshTtlMs: number;
  revokeAccessTokensOnReissue: boolean;
}

/**
 * Holds every token the emulator ever issued and enforces Act-On's token rules: refresh tokens are single
 * use, and any new pair for a client+username kills the older refresh tokens (and, by policy, access tokens).
 * Spent records are kept, not deleted, so a late presentation can be told apart as reuse or supersession.
 */
export class TokenRegistry {
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, RefreshRecord>();
  /** Live tokens per client+username, so a reissue does not have to scan every record. */
  private readonly liveAccess = new Map<string, Set<string>>();
  private readonly liveRefresh = new Map<string, Set<string>>();

  constructor(private readonly policy: TokenRegistryPolicy) {}

  /** Issues a pair for `username` and kills the older pairs of the same client+username. */
  issue(clientId: string, username: string, now: number): IssuedPair {
    const key = `${clientId}\n${username}`;
    for (const token of this.liveRefresh.get(key) ?? []) {
      const record = this.refresh.get(token);
      if (record?.state === 'active') record.state = 'superseded';
    }
    this.liveRefresh.delete(key);
    const access = this.liveAccess.get(key) ?? new Set<string>();
    for (const token of access) {
      const record = this.access.get(token);
      if (record === undefined || record.expiresAt <= now) {
        access.delete(token);
      } else if (this.policy.revokeAccessTokensOnReissue) {
        record.revoked = true;
        access.delete(token);
      }
    }
    const pair: IssuedPair = { accessToken: randomToken(), refreshToken: randomToken() };
    this.access.set(pair.accessToken, {
      clientId,
      username,
      expiresAt: now + this.policy.accessTtlMs,
      revoked: false,
    });
    this.refresh.set(pair.refreshToken, {
      clientId,
      username,
      expiresAt: now + this.policy.refreshTtlMs,
      state: 'active',
    });
    access.add(pair.accessToken);
    this.liveAccess.set(key, access);
    this.liveRefresh.set(key, new Set([pair.refreshToken]));
    return pair;
  }

  /**
   * Spends a refresh token. Success marks it used; the caller then issues the next pair.
   * Reuse wins over supersession and expiry so the stats name the most telling mistake.
   */
  redeemRefreshToken(token: string, clientId: string, now: number): RefreshRedemption {
    const record = this.refresh.get(token);
    if (record === undefined) return { ok: false, reason: 'unknown' };
    const { username } = record;
    if (record.clientId !== clientId) return { ok: false, reason: 'wrong-client' };
    if (record.state === 'used') return { ok: false, reason: 'reused', username };
    if (record.state === 'superseded') return { ok: false, reason: 'superseded', username };
    if (now >= record.expiresAt) return { ok: false, reason: 'expired', username };
    record.state = 'used';
    return { ok: true, username };
  }

  /** Whether `token` is a live access token at `now`. */
  checkAccessToken(token: string, now: number): AccessCheck {
    const record = this.access.get(token);
    if (record === undefined || record.revoked || now >= record.expiresAt) return { ok: false };
    return { ok: true, username: record.username };
  }

  /** Forgets every token. */
  reset(): void {
    this.access.clear();
    this.refresh.clear();
    this.liveAccess.clear();
    this.liveRefresh.clear();
  }
}
