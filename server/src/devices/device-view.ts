import { createHash } from 'node:crypto';
import type { Device, DevicePlatform, Pairing } from '@enclave/shared';
import type { DeviceRow, PairingRow } from '../store/types';
import type { DevicePresenceInfo, DevicePresenceSource } from './device-presence';

/**
 * The first 16 bytes of the SHA-256 of the raw 32-byte public key, lowercase hex in groups of
 * four: short enough to read out, long enough (128 bits) that no other key shares it.
 */
export function keyFingerprint(publicKey: string): string {
  const raw = Buffer.from(publicKey, 'base64url');
  const hex = createHash('sha256').update(raw).digest().subarray(0, 16).toString('hex');
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}

/** What a device is as stored: the part of its view that an audit event may keep. */
export type DeviceFacts = Omit<Device, 'online' | 'lastSyncedSeq' | 'revokeClosedMs'>;

/**
 * A device as stored, without what only this process knows (its connections): the before and
 * after of device audit events, which must not change with whoever happened to be online.
 */
export function deviceFacts(row: DeviceRow): DeviceFacts {
  return {
    id: row.id,
    name: row.name,
    platform: row.platform as DevicePlatform,
    appVersion: row.appVersion,
    ownerId: row.ownerId,
    pairedBy: row.pairedBy,
    pairedAt: row.pairedAt,
    lastSeenAt: row.lastSeenAt,
    lastIp: row.lastIp,
    status: row.revokedAt === null ? 'active' : 'revoked',
    revokedAt: row.revokedAt,
    wipe: row.wipe,
    keyFingerprint: keyFingerprint(row.publicKey),
    wipeConfirmedAt: row.wipeConfirmedAt,
  };
}

/** A device as the API shows it: what is stored, and what this process knows of its connections. */
export function deviceView(row: DeviceRow, presence: DevicePresenceInfo): Device {
  return {
    ...deviceFacts(row),
    online: presence.online,
    lastSyncedSeq: presence.lastSyncedSeq,
    revokeClosedMs: presence.revokeClosedMs,
  };
}

/** The one way routes, services and the live channel turn a device row into a `Device`. */
export function presentDevice(presence: DevicePresenceSource, workspaceId: string, row: DeviceRow): Device {
  return deviceView(row, presence.of(workspaceId, row.id));
}

export function pairingStatus(row: PairingRow, now: string): Pairing['status'] {
  if (row.usedAt !== null) return 'used';
  if (row.cancelledAt !== null) return 'cancelled';
  return row.expiresAt <= now ? 'expired' : 'pending';
}

export function pairingView(row: PairingRow, now: string): Pairing {
  return {
    id: row.id,
    forUserId: row.forUserId,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    status: pairingStatus(row, now),
    deviceId: row.deviceId,
  };
}
