/**
 * Counts events per key inside a sliding time window. Used for the hourly auth budget and the per-second
 * API limit; time comes from the caller so the emulator clock drives it.
 */
export class SlidingWindow {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Records an event for `key` at `now` unless the window is full.
   *
   * @returns `undefined` when recorded, otherwise the ms until the oldest event leaves the window
   */
  tryRecord(key: string, now: number): number | undefined {
    const live = this.prune(key, now);
    if (live.length >= this.limit) {
      return Math.max(0, (live[0] ?? now) + this.windowMs - now);
    }
    live.push(now);
    this.events.set(key, live);
    return undefined;
  }

  /** Events of `key` still inside the window at `now`. */
  count(key: string, now: number): number {
    return this.prune(key, now).length;
  }

  /** Forgets every key. */
  clear(): void {
    this.events.clear();
  }

  private prune(key: string, now: number): number[] {
    const cutoff = now - this.windowMs;
    const live = this.events.get(key) ?? [];
    // Events are recorded in time order: only a prefix can have left the window.
    let expired = 0;
    while (expired < live.length && (live[expired] as number) <= cutoff) expired++;
    if (expired > 0) live.splice(0, expired);
    if (live.length === 0) this.events.delete(key);
    else this.events.set(key, live);
    return live;
  }
}
