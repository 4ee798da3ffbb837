import { randomToken } from './random-token';

/** What an authorization code was issued for. */
export interface CodeBinding {
  clientId: string;
  redirectUri: string;
  username: string;
}

/** Result of looking a code up before spending it. */
export type CodeLookup =
  { ok: true; binding: Readonly<CodeBinding> } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

interface CodeRecord extends CodeBinding {
  expiresAt: number;
  used: boolean;
}

/** Authorization codes: random, single use, short-lived, bound to the client and redirect URI they were issued for. */
export class CodeRegistry {
  private readonly codes = new Map<string, CodeRecord>();

  constructor(private readonly ttlMs: number) {}

  /** Issues a code for `binding`, valid from `now` for the configured lifetime. */
  issue(binding: CodeBinding, now: number): string {
    this.pruneExpired(now);
    const code = randomToken();
    this.codes.set(code, { ...binding, expiresAt: now + this.ttlMs, used: false });
    return code;
  }

  /**
   * Finds a code without spending it: the token endpoint must know whose budget to charge before it decides
   * whether the attempt happens at all.
   */
  lookup(code: string, now: number): CodeLookup {
    const record = this.codes.get(code);
    if (record === undefined) return { ok: false, reason: 'unknown' };
    if (record.used) return { ok: false, reason: 'used' };
    if (now >= record.expiresAt) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      binding: { clientId: record.clientId, redirectUri: record.redirectUri, username: record.username },
    };
  }

  /** Marks a code used; any later presentation fails, whatever the outcome of this one. */
  spend(code: string): void {
    const record = this.codes.get(code);
    if (record !== undefined) record.used = true;
  }

  /** Forgets every code. */
  reset(): void {
    this.codes.clear();
  }

  private pruneExpired(now: number): void {
    // Used codes are kept until expiry so a replay reads as "used", not "unknown". A Map iterates in issue order,
    // which is expiry order, so the scan stops at the first live code instead of visiting all of them.
    for (const [code, record] of this.codes) {
      if (now < record.expiresAt) return;
      this.codes.delete(code);
    }
  }
}
