import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

const options = { baseMs: 500, maxMs: 30_000 };

describe('backoffDelay', () => {
  it('stays below base·2^attempt, and at most the maximum', () => {
    const almostOne = () => 0.999_999;
    expect(backoffDelay(0, options, almostOne)).toBeLessThan(500);
    expect(backoffDelay(3, options, almostOne)).toBeLessThan(4000);
    expect(backoffDelay(3, options, almostOne)).toBeGreaterThan(3990);
    expect(backoffDelay(10, options, almostOne)).toBeLessThan(30_000);
    expect(backoffDelay(10_000, options, almostOne)).toBeLessThan(30_000);
  });

  it('jitters over the whole range, down to zero', () => {
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    expect(backoffDelay(5, options, () => 0.5)).toBe(8000);
  });

  it('never leaves [0, max) whatever the attempt', () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(options.maxMs);
    }
  });
});
