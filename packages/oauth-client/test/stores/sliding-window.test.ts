import fc from 'fast-check';
import { ActOnStoreError } from '../../src/errors';
import { countedAttempts, reserveInWindow } from '../../src/sliding-window';

describe('reserveInWindow', () => {
  it('counts attempts strictly after now - windowMs (an attempt exactly windowMs old has left)', () => {
    expect(countedAttempts([0, 500, 999, 1000], 1000, 1000)).toEqual([500, 999, 1000]);
    expect(reserveInWindow([0], 1, 1000, 1000).reservation).toEqual({ allowed: true, used: 1 });
    expect(reserveInWindow([1], 1, 1000, 1000).reservation).toEqual({
      allowed: false,
      used: 1,
      retryAfterMs: 1,
    });
  });

  it('counts attempts stamped ahead of now (another process with a fast clock)', () => {
    expect(reserveInWindow([2_000], 1, 1_000, 1_500).reservation).toEqual({
      allowed: false,
      used: 1,
      retryAfterMs: 1_500,
    });
  });

  it('waits for the surplus too when the ledger holds more than the limit', () => {
    // The limit was lowered from 4 to 2: one slot opens only when three of the four have left.
    expect(reserveInWindow([100, 200, 300, 400], 2, 1_000, 500).reservation).toEqual({
      allowed: false,
      used: 4,
      retryAfterMs: 300 + 1_000 - 500,
    });
  });

  it('never allows anything with limit 0', () => {
    expect(reserveInWindow([], 0, 1_000, 5).reservation).toEqual({
      allowed: false,
      used: 0,
      retryAfterMs: 1_000,
    });
  });

  it('rounds retryAfterMs up to whole milliseconds', () => {
    expect(reserveInWindow([0.25], 1, 1_000, 0.5).reservation).toMatchObject({ retryAfterMs: 1_000 });
  });

  it('rejects nonsense arguments', () => {
    expect(() => reserveInWindow([], 1.5, 1_000, 0)).toThrow(ActOnStoreError);
    expect(() => reserveInWindow([], 1, Number.POSITIVE_INFINITY, 0)).toThrow(ActOnStoreError);
    expect(() => reserveInWindow([], 1, -1, 0)).toThrow(ActOnStoreError);
  });

  it('never allows more than `limit` in any window, and a retry after retryAfterMs succeeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 60 }),
        (limit, windowMs, steps) => {
          let ledger: number[] = [];
          let now = 1_000_000;
          const allowed: number[] = [];
          for (const step of steps) {
            now += step;
            const result = reserveInWindow(ledger, limit, windowMs, now);
            ledger = result.ledger;
            const { reservation } = result;
            if (reservation.allowed) {
              allowed.push(now);
            } else {
              expect(reservation.retryAfterMs).toBeGreaterThanOrEqual(1);
              expect(reservation.retryAfterMs).toBeLessThanOrEqual(windowMs);
              // Nobody else reserves meanwhile: at the announced moment the attempt must fit.
              expect(
                reserveInWindow(ledger, limit, windowMs, now + reservation.retryAfterMs).reservation.allowed,
              ).toBe(true);
              // ...and not a millisecond earlier, or the wait was longer than needed.
              if (reservation.retryAfterMs > 1) {
                expect(
                  reserveInWindow(ledger, limit, windowMs, now + reservation.retryAfterMs - 1).reservation
                    .allowed,
                ).toBe(false);
              }
            }
            expect(reservation.used).toBe(allowed.filter((t) => t > now - windowMs).length);
            // The ledger only keeps what can still count.
            expect(ledger.every((t) => t > now - windowMs)).toBe(true);
          }
          for (const t of allowed) {
            expect(allowed.filter((u) => u > t - windowMs && u <= t).length).toBeLessThanOrEqual(limit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
