import { SlidingWindow } from './sliding-window';

const HOUR_MS = 60 * 60 * 1000;

/** Outcome of asking the budget for one more authentication attempt. */
export type BudgetDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Act-On's "5 authentication attempts per hour" for password and code grants, per username, in a sliding hour.
 * Failed attempts count too (Act-On cannot know a password is wrong before spending the attempt); a rejected
 * attempt does not, since it never reached the credential check.
 */
export class AuthBudget {
  private readonly window: SlidingWindow;

  constructor(limitPerHour: number) {
    this.window = new SlidingWindow(limitPerHour, HOUR_MS);
  }

  /** Spends one attempt for `username` if the hour has room. */
  tryConsume(username: string, now: number): BudgetDecision {
    const retryAfterMs = this.window.tryRecord(username, now);
    return retryAfterMs === undefined ? { allowed: true } : { allowed: false, retryAfterMs };
  }

  /** Attempts of `username` in the hour before `now`. */
  used(username: string, now: number): number {
    return this.window.count(username, now);
  }

  /** Forgets every attempt. */
  reset(): void {
    this.window.clear();
  }
}
