import { describe, expect, it } from 'vitest';
import { Device, Pairing } from '@enclave/shared';
import type { DeviceRow, PairingRow } from '../store/types';
import { DevicePresence } from './device-presence';
import {
  deviceFacts,
  deviceView,
  keyFingerprint,
  pairingStatus,
  pairingView,
  presentDevice,
} from './device-view';

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

const OFFLINE = { online: false, lastSyncedSeq: null, revokeClosedMs: null };
/** 32 zero bytes, base64url: SHA-256 of them is 66687aad f862bd77 6c8fc18b 8e9f8e20 0897… */
const ZERO_KEY = 'A'.repeat(43);

describe('keyFingerprint', () => {
  it('is the first 16 bytes of SHA-256 over the raw 32-byte key, lowercase hex in groups of four', () => {
    expect(keyFingerprint(ZERO_KEY)).toBe('6668 7aad f862 bd77 6c8f c18b 8e9f 8e20');
  });

  it('hashes the decoded key bytes, not the base64url text, and tells keys apart', () => {
    const one = keyFingerprint('K'.repeat(43));
    expect(one).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
    expect(one).not.toBe(keyFingerprint(ZERO_KEY));
    expect(keyFingerprint('K'.repeat(42) + 'A')).not.toBe(one);
  });
});

describe('deviceView', () => {
  it('shows an active device with its fingerprint and presence, and never its public key or who revoked it', () => {
    const row = device({ lastSeenAt: BEFORE_EXPIRY, lastIp: '203.0.113.7', publicKey: ZERO_KEY });
    const view = deviceView(row, { online: true, lastSyncedSeq: 41, revokeClosedMs: null });
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
      keyFingerprint: '6668 7aad f862 bd77 6c8f c18b 8e9f 8e20',
      online: true,
      lastSyncedSeq: 41,
      revokeClosedMs: null,
      wipeConfirmedAt: null,
    });
    expect(JSON.stringify(view)).not.toContain(row.publicKey);
  });

  it('shows a revoked device as revoked, with its wipe, its close time and its confirmed wipe', () => {
    const revokedBy = '0191f0a0-0000-7000-8000-0000000000ff';
    const row = device({ revokedAt: AFTER_EXPIRY, revokedBy, wipe: true, wipeConfirmedAt: AFTER_EXPIRY });
    const view = deviceView(row, { online: false, lastSyncedSeq: 7, revokeClosedMs: 12 });
    expect(view).toMatchObject({
      status: 'revoked',
      revokedAt: AFTER_EXPIRY,
      wipe: true,
      online: false,
      revokeClosedMs: 12,
      wipeConfirmedAt: AFTER_EXPIRY,
    });
    expect(JSON.stringify(view)).not.toContain(revokedBy);
    expect(deviceView(device({ revokedAt: AFTER_EXPIRY, revokedBy }), OFFLINE).wipe).toBe(false);
  });

  it('keeps what only this process knows out of the facts an audit event stores', () => {
    const facts = deviceFacts(device());
    for (const key of ['online', 'lastSyncedSeq', 'revokeClosedMs']) expect(facts).not.toHaveProperty(key);
    expect(
      Device.omit({ online: true, lastSyncedSeq: true, revokeClosedMs: true }).strict().parse(facts),
    ).toEqual(facts);
  });
});

describe('presentDevice', () => {
  const WS = '0191f0a0-0000-7000-8000-0000000000aa';

  it('reads the presence of the device in its own workspace only', () => {
    const presence = new DevicePresence();
    const row = device();
    expect(presentDevice(presence, WS, row)).toMatchObject(OFFLINE);
    presence.connected(WS, row.id);
    presence.progress(WS, row.id, 9);
    expect(presentDevice(presence, WS, row)).toMatchObject({ online: true, lastSyncedSeq: 9 });
    // The same device id under another workspace is another device.
    expect(presentDevice(presence, '0191f0a0-0000-7000-8000-0000000000bb', row)).toMatchObject(OFFLINE);
    presence.stop();
  });
});
