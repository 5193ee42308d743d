import { Uuid } from '@enclave/shared';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid7';

describe('uuidv7', () => {
  it('is a valid version 7 UUID that our contracts accept', () => {
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Uuid.safeParse(id).success).toBe(true);
  });

  it('sorts by creation time and carries the millisecond timestamp', () => {
    const early = uuidv7(1_700_000_000_000);
    const late = uuidv7(1_700_000_000_001);
    expect(early < late).toBe(true);
    expect(parseInt(late.replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_001);
  });

  it('is unique within one millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });
});
