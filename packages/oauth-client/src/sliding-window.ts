import { ActOnStoreError } from './errors';
import type { AuthAttemptReservation } from './token-store';
import { describeValue } from './describe-value';

/** What {@link reserveInWindow} decided, and the ledger to keep afterwards. */
export interface WindowReservation {
  readonly reservation: AuthAttemptReservation;
  /**
   * Attempts still inside the window, oldest first, with the new one appended when it was allowed.
   * Older entries are dropped: they can never count again, and keeping them would grow the ledger forever.
   */
  readonly ledger: number[];
}

/**
 * Checks the arguments of `TokenStore.reserveAuthAttempt`. A wrong limit or window is a programming error,
 * and silently treating it as "no budget" would either lock an account out or let it burn Act-On's hourly cap.
 */
export function assertBudgetArguments(limit: number, windowMs: number, now: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new ActOnStoreError(
      `Auth budget limit must be a non-negative integer, got ${describeValue(limit)}`,
    );
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new ActOnStoreError(
      `Auth budget windowMs must be a positive number, got ${describeValue(windowMs)}`,
    );
  }
  if (!Number.isFinite(now)) {
    throw new ActOnStoreError(
      `Auth budget "now" must be a finite epoch-ms number, got ${describeValue(now)}`,
    );
  }
}

/**
 * The attempts of `ledger` that still count at `now`, oldest first: those after `now - windowMs`.
 * Timestamps ahead of `now` (another process with a clock slightly ahead) count too: dropping them
 * would hand out attempts Act-On may still hold against the account.
 */
export function countedAttempts(ledger: readonly number[], windowMs: number, now: number): number[] {
  const start = now - windowMs;
  return ledger.filter((t) => t > start).sort((a, b) => a - b);
}

/**
 * Sliding-window reservation: allowed when fewer than `limit` attempts count at `now`; a refused attempt
 * is not recorded, so hammering a spent budget does not push the reopening further out.
 *
 * `retryAfterMs` is the time until enough attempts leave the window for one more to fit. With a ledger
 * that is exactly full this is "oldest counted attempt + windowMs - now"; if the ledger holds more than
 * `limit` (the limit was lowered), it waits for the surplus to leave too, so retrying then really succeeds.
 */
export function reserveInWindow(
  ledger: readonly number[],
  limit: number,
  windowMs: number,
  now: number,
): WindowReservation {
  assertBudgetArguments(limit, windowMs, now);
  const counted = countedAttempts(ledger, windowMs, now);
  if (counted.length < limit) {
    counted.push(now);
    counted.sort((a, b) => a - b);
    return { reservation: { allowed: true, used: counted.length }, ledger: counted };
  }
  // With limit 0 no slot ever opens; a full window is the most honest wait to report.
  const freeing = limit === 0 ? undefined : counted[counted.length - limit];
  const retryAfterMs = freeing === undefined ? windowMs : freeing + windowMs - now;
  return {
    reservation: { allowed: false, used: counted.length, retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) },
    ledger: counted,
  };
}
