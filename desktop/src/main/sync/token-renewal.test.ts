import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { SyncError } from './errors';
import { renewalDueAt, revocationOf } from './token-renewal';

const T0 = Date.parse('2030-01-01T00:00:00Z');

async function tokenIssuedAt(ms: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(ms / 1000)
    .sign(new Uint8Array(32));
}

describe('renewalDueAt', () => {
  it('renews a 15-minute token once 75% of its life has passed', async () => {
    const due = renewalDueAt(await tokenIssuedAt(T0), new Date(T0 + 15 * 60_000).toISOString());
    expect(due).toBe(T0 + 11.25 * 60_000);
  });

  it('renews a 5-minute token 2 minutes before expiry, which comes first', async () => {
    const due = renewalDueAt(await tokenIssuedAt(T0), new Date(T0 + 5 * 60_000).toISOString());
    expect(due).toBe(T0 + 3 * 60_000);
  });

  it('never renews a short token in the first half of its life', async () => {
    const due = renewalDueAt(await tokenIssuedAt(T0), new Date(T0 + 60_000).toISOString());
    expect(due).toBe(T0 + 30_000);
  });

  it('falls back on 2 minutes before expiry for a token it cannot read', () => {
    expect(renewalDueAt('opaque', new Date(T0 + 15 * 60_000).toISOString())).toBe(T0 + 13 * 60_000);
  });

  it('lets renewBeforeMs override the rule', async () => {
    const due = renewalDueAt(await tokenIssuedAt(T0), new Date(T0 + 15 * 60_000).toISOString(), 60_000);
    expect(due).toBe(T0 + 14 * 60_000);
  });
});

describe('revocationOf', () => {
  it('reads the wipe flag of a device_revoked error', () => {
    expect(revocationOf(new SyncError('device_revoked', 'r', { details: { wipe: true } }))).toEqual({
      wipe: true,
    });
    expect(revocationOf(new SyncError('device_revoked', 'r'))).toEqual({ wipe: false });
    expect(revocationOf(new SyncError('unauthorized', 'r'))).toBeNull();
  });
});
