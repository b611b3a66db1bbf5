import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const opts = { initialMs: 100, maxMs: 5_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt until the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffDelay(attempt, opts, () => 0.999_999) + 1);
    expect(ceilings).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it('waits a random time between 0 and the ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelay(attempt, opts, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(opts.maxMs, opts.initialMs * 2 ** attempt));
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('spreads the clients of one attempt over the whole window', () => {
    const delays = Array.from({ length: 1_000 }, () => backoffDelay(3, opts));
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(700);
  });
});
