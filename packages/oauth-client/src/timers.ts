/** The longest delay `setTimeout` honours; above it Node fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A delay `setTimeout` honours: a very long lease, wait or refresh delay would otherwise turn into none at all.
 * Such delays are cut to about 24.8 days, as good as forever for a lock or a timer that is re-armed anyway.
 */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
