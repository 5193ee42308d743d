import type { Device, DevicePlatform, Pairing } from '@enclave/shared';
import type { DeviceRow, PairingRow } from '../store/types';

export function deviceView(row: DeviceRow): Device {
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
    wipeConfirmedAt: row.wipeConfirmedAt,
  };
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
