/** Retry policy for transient failures (network, timeout, 5xx) of refresh grants. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubled each time. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** Cap of one delay. Default 5,000 ms. */
  readonly maxDelayMs?: number;
}

/** Retry policy after defaults. */
export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
});

/**
 * "Full jitter" capped exponential backoff: a uniformly random delay up to the capped exponential step,
 * so processes that failed together do not retry together.
 */
export function backoffDelayMs(
  failedAttempts: number,
  retry: ResolvedRetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Upper bound of the time all retries of one grant can take, used to size lock leases. */
export function worstCaseRetryMs(retry: ResolvedRetryOptions, timeoutMs: number): number {
  let total = 0;
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    total += timeoutMs;
    if (attempt < retry.maxAttempts)
      total += Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  }
  return total;
}

/** Waits between retries; the timer is kept referenced so a script awaiting a retry is not cut short. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
