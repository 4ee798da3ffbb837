/**
 * The emulator's notion of "now". Every expiry and every rate window is measured with it, so tests can jump
 * an hour ahead instead of sleeping.
 */
export interface EmulatorClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Jumps to an absolute time (epoch ms). Optional for injected clocks. */
  set?(epochMs: number): void;
}

function assertFiniteNonNegative(ms: number): void {
  // Time running backwards would let a spent budget or an expired token come back to life.
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`clock.advance(ms) needs a finite, non-negative number of milliseconds, got ${ms}`);
  }
}

/**
 * The default clock: wall time plus an offset that {@link EmulatorClock.advance} moves, so real durations
 * (latency, slow clients) still count while tests can skip ahead.
 */
export function createSystemClock(): EmulatorClock {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    advance(ms: number): void {
      assertFiniteNonNegative(ms);
      offsetMs += ms;
    },
    set(epochMs: number): void {
      if (!Number.isFinite(epochMs))
        throw new RangeError(`clock.set(epochMs) needs a finite number, got ${epochMs}`);
      offsetMs = epochMs - Date.now();
    },
  };
}

/**
 * A clock that stands still until told to move: for tests that need exact expiry boundaries.
 *
 * @param startMs - initial time in epoch ms (default: the current wall time)
 */
export function createManualClock(startMs: number = Date.now()): EmulatorClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number): void {
      assertFiniteNonNegative(ms);
      current += ms;
    },
    set(epochMs: number): void {
      if (!Number.isFinite(epochMs))
        throw new RangeError(`clock.set(epochMs) needs a finite number, got ${epochMs}`);
      current = epochMs;
    },
  };
}
