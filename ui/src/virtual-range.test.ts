import { describe, expect, it } from 'vitest';
import { visibleRange } from './virtual-range';

describe('visibleRange', () => {
  it('covers the rows in view plus the overscan on each side', () => {
    // 36px rows, a 360px viewport scrolled to row 100.
    expect(visibleRange(10_000, 36, 3600, 360, 8)).toEqual({ start: 92, end: 118 });
  });

  it('clamps at both ends of the list', () => {
    expect(visibleRange(10_000, 36, 0, 360, 8)).toEqual({ start: 0, end: 18 });
    expect(visibleRange(20, 36, 500, 360, 8)).toEqual({ start: 5, end: 20 });
    expect(visibleRange(0, 36, 0, 360)).toEqual({ start: 0, end: 0 });
  });

  it('renders a bounded number of rows however long the list', () => {
    const { start, end } = visibleRange(1_000_000, 36, 18_000_000, 720, 8);
    expect(end - start).toBeLessThanOrEqual(720 / 36 + 2 * 8 + 1);
  });
});
