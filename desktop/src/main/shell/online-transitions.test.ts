import { describe, expect, it } from 'vitest';
import { OnlineTransitions } from './online-transitions';

describe('OnlineTransitions', () => {
  it('reports each return from offline, once', () => {
    const online = new OnlineTransitions();
    const seen = [true, true, false, false, true, true, false, true].map((value) => online.cameBack(value));
    expect(seen).toEqual([false, false, false, false, true, false, false, true]);
  });

  it('does not report the first observation, whatever it is', () => {
    expect(new OnlineTransitions().cameBack(true)).toBe(false);
    expect(new OnlineTransitions().cameBack(false)).toBe(false);
  });
});
