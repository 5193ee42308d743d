import { describe, expect, it } from 'vitest';
import { formatDateTime, relativeTime } from './time';

const now = Date.parse('2024-05-10T12:00:00Z');

describe('relativeTime', () => {
  it('says how long ago, coarser as time passes', () => {
    expect(relativeTime('2024-05-10T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2024-05-10T11:55:00Z', now)).toMatch(/5 min/);
    expect(relativeTime('2024-05-10T09:00:00Z', now)).toMatch(/3 hr/);
    expect(relativeTime('2024-05-09T10:00:00Z', now)).toBe('yesterday');
  });

  it('gives the date past a week, and nothing for a bad time', () => {
    expect(relativeTime('2024-04-01T12:00:00Z', now)).toMatch(/2024/);
    expect(relativeTime('not a time', now)).toBe('');
  });
});

describe('formatDateTime', () => {
  it('formats a time and passes through what it cannot read', () => {
    expect(formatDateTime('2024-05-10T12:00:00Z')).toMatch(/2024/);
    expect(formatDateTime('soon')).toBe('soon');
    expect(formatDateTime(null)).toBe('');
  });
});
