import { describe, expect, it } from 'vitest';
import { Device, Pairing } from '@enclave/shared';
import type { DeviceRow, PairingRow } from '../store/types';
import { deviceView, pairingStatus, pairingView } from './device-view';

const CREATED = '2030-03-01T09:00:00.000Z';
const EXPIRES = '2030-03-01T09:15:00.000Z';
const BEFORE_EXPIRY = '2030-03-01T09:14:59.999Z';
const AFTER_EXPIRY = '2030-03-01T09:15:00.001Z';

function pairing(overrides: Partial<PairingRow> = {}): PairingRow {
  return {
    id: '0191f0a0-0000-7000-8000-000000000001',
    tokenHash: 'a'.repeat(64),
    forUserId: '0191f0a0-0000-7000-8000-000000000002',
    createdBy: '0191f0a0-0000-7000-8000-000000000003',
    createdAt: CREATED,
    expiresAt: EXPIRES,
    usedAt: null,
    deviceId: null,
    cancelledAt: null,
    ...overrides,
  };
}

function device(overrides: Partial<DeviceRow> = {}): DeviceRow {
  return {
    id: '0191f0a0-0000-7000-8000-000000000010',
    ownerId: '0191f0a0-0000-7000-8000-000000000002',
    name: 'Work laptop',
    platform: 'macos',
    appVersion: '1.2.3',
    publicKey: 'K'.repeat(43),
    pairedBy: '0191f0a0-0000-7000-8000-000000000003',
    pairedAt: CREATED,
    lastSeenAt: null,
    lastIp: null,
    revokedAt: null,
    revokedBy: null,
    wipe: false,
    wipeConfirmedAt: null,
    ...overrides,
  };
}

describe('pairingStatus', () => {
  it('is pending until the expiry instant, and expired from it on', () => {
    expect(pairingStatus(pairing(), CREATED)).toBe('pending');
    expect(pairingStatus(pairing(), BEFORE_EXPIRY)).toBe('pending');
    expect(pairingStatus(pairing(), EXPIRES)).toBe('expired');
    expect(pairingStatus(pairing(), AFTER_EXPIRY)).toBe('expired');
    expect(pairingStatus(pairing(), '2031-01-01T00:00:00.000Z')).toBe('expired');
  });

  it('says used once used, whatever the clock says later', () => {
    const used = pairing({ usedAt: BEFORE_EXPIRY, deviceId: '0191f0a0-0000-7000-8000-000000000010' });
    expect(pairingStatus(used, BEFORE_EXPIRY)).toBe('used');
    expect(pairingStatus(used, AFTER_EXPIRY)).toBe('used');
  });

  it('says cancelled once cancelled, also after the expiry', () => {
    const cancelled = pairing({ cancelledAt: CREATED });
    expect(pairingStatus(cancelled, CREATED)).toBe('cancelled');
    expect(pairingStatus(cancelled, AFTER_EXPIRY)).toBe('cancelled');
  });

  it('puts used before cancelled (the store never makes both, but a row that had both was used)', () => {
    expect(pairingStatus(pairing({ usedAt: CREATED, cancelledAt: CREATED }), CREATED)).toBe('used');
  });
});

describe('pairingView', () => {
  it('shows the pairing with its status now, and never its hash', () => {
    const row = pairing();
    const view = pairingView(row, BEFORE_EXPIRY);
    expect(Pairing.strict().parse(view)).toEqual({
      id: row.id,
      forUserId: row.forUserId,
      createdBy: row.createdBy,
      createdAt: CREATED,
      expiresAt: EXPIRES,
      status: 'pending',
      deviceId: null,
    });
    expect(JSON.stringify(view)).not.toContain(row.tokenHash);
    expect(pairingView(row, AFTER_EXPIRY).status).toBe('expired');
  });
});

describe('deviceView', () => {
  it('shows an active device, and never its public key or who revoked it', () => {
    const row = device({ lastSeenAt: BEFORE_EXPIRY, lastIp: '203.0.113.7' });
    const view = deviceView(row);
    expect(Device.strict().parse(view)).toEqual({
      id: row.id,
      name: 'Work laptop',
      platform: 'macos',
      appVersion: '1.2.3',
      ownerId: row.ownerId,
      pairedBy: row.pairedBy,
      pairedAt: CREATED,
      lastSeenAt: BEFORE_EXPIRY,
      lastIp: '203.0.113.7',
      status: 'active',
      revokedAt: null,
      wipe: false,
    });
    expect(JSON.stringify(view)).not.toContain(row.publicKey);
  });

  it('shows a revoked device as revoked, with its wipe', () => {
    const revokedBy = '0191f0a0-0000-7000-8000-0000000000ff';
    const view = deviceView(device({ revokedAt: AFTER_EXPIRY, revokedBy, wipe: true }));
    expect(view).toMatchObject({ status: 'revoked', revokedAt: AFTER_EXPIRY, wipe: true });
    expect(JSON.stringify(view)).not.toContain(revokedBy);
    expect(deviceView(device({ revokedAt: AFTER_EXPIRY, revokedBy })).wipe).toBe(false);
  });
});
