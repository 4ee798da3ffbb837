/**
 * Remembers state nonces that were presented once, until they would have expired anyway, so a replayed state
 * cookie fails even where the browser did not drop it. Memory is bounded by logins per TTL; one process only,
 * which is enough because Act-On itself refuses a second use of the authorization code.
 */
export class UsedNonces {
  // Insertion order is expiry order when every entry has the same TTL, so pruning stops at the first live entry.
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /** Records `nonce`; false when it was recorded before and has not expired. */
  markUsed(nonce: string, expiresAt: number, now: number): boolean {
    this.prune(now);
    const known = this.entries.get(nonce);
    if (known !== undefined && known > now) return false;
    if (this.entries.size >= this.maxEntries) {
      // Evict the oldest rather than grow without bound; the code's own single use still holds.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(nonce, expiresAt);
    return true;
  }

  /** Number of nonces held; for tests and monitoring. */
  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [nonce, expiresAt] of this.entries) {
      if (expiresAt > now) break;
      this.entries.delete(nonce);
    }
  }
}
