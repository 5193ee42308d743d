import { z } from 'zod';
import { IsoDateTime, Uuid } from './ids';
import { nameText } from './names';
import { WorkspaceSchema } from './workspace-schema';

/**
 * Pairing codes: 20 symbols of Crockford's base32 (5 bits each, so 100 bits of entropy), shown in
 * groups of four. Input is forgiving the way Crockford intended: case, spaces and dashes do not
 * matter, and O/I/L read as 0/1/1.
 */
export const PAIRING_CODE_SYMBOLS = 20;
export const PAIRING_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function normalisePairingCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

export const PairingCode = z
  .string()
  .max(64)
  .transform((raw) => normalisePairingCode(raw))
  .pipe(
    z
      .string()
      .length(PAIRING_CODE_SYMBOLS, 'must be 20 characters')
      .regex(/^[0-9A-HJKMNP-TV-Z]+$/, 'must use only letters and digits of the code'),
  );

/** Pairing lifetime: 15 minutes unless asked otherwise, at most 30 days. */
export const PAIRING_DEFAULT_TTL_SECONDS = 15 * 60;
export const PAIRING_MAX_TTL_SECONDS = 30 * 24 * 3600;

export const CreatePairingBody = z.strictObject({
  /** Whose device it will be; the caller by default. Pairing for someone else takes `devices.manage`. */
  forUserId: Uuid.optional(),
  ttlSeconds: z.number().int().min(60).max(PAIRING_MAX_TTL_SECONDS).default(PAIRING_DEFAULT_TTL_SECONDS),
});
export type CreatePairingBody = z.input<typeof CreatePairingBody>;

export const Pairing = z.object({
  id: Uuid,
  forUserId: Uuid,
  createdBy: Uuid,
  createdAt: IsoDateTime,
  expiresAt: IsoDateTime,
  status: z.enum(['pending', 'used', 'cancelled', 'expired']),
  deviceId: Uuid.nullable(),
});
export type Pairing = z.infer<typeof Pairing>;

export const PairingList = z.object({ items: z.array(Pairing) });

/** Returned once, when the pairing is made: the code is stored only as a hash. */
export const PairingCreated = z.object({
  pairing: Pairing,
  /** e.g. `7XKQ-M2PA-...`, for typing into the app. */
  code: z.string(),
  /** `enclave://pair?server=…&code=…`, for opening the app directly. */
  link: z.string(),
});
export type PairingCreated = z.infer<typeof PairingCreated>;

/** An Ed25519 public key: 32 bytes, base64url without padding. */
export const PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key');
/** An Ed25519 signature: 64 bytes, base64url without padding. */
export const Signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature');

export const DevicePlatform = z.enum(['windows', 'macos', 'linux', 'other']);
export type DevicePlatform = z.infer<typeof DevicePlatform>;

export const RedeemPairingBody = z.strictObject({
  code: PairingCode,
  publicKey: PublicKey,
  /** The device's signature over `pairingProofMessage(code)`: it holds the private key it registers. */
  proof: Signature,
  name: nameText(80),
  platform: DevicePlatform,
  appVersion: nameText(40),
});
export type RedeemPairingBody = z.input<typeof RedeemPairingBody>;

/** What a device signs. Each purpose has its own prefix, so one signature cannot stand in for another. */
export const pairingProofMessage = (normalisedCode: string): string => `enclave-pair-v1\n${normalisedCode}`;
export const renewalProofMessage = (deviceId: string, challenge: string): string =>
  `enclave-renew-v1\n${deviceId}\n${challenge}`;
export const wipeReceiptMessage = (workspaceId: string, deviceId: string, wipedAt: string): string =>
  `enclave-wipe-v1\n${workspaceId}\n${deviceId}\n${wipedAt}`;

/**
 * What a revoked app sends once it has deleted its replica and keychain entries: signed with the
 * device key it held, so the server (and the audit log) can tell the app itself said so.
 */
export const WipeReceiptBody = z.strictObject({
  workspaceId: Uuid,
  deviceId: Uuid,
  wipedAt: IsoDateTime,
  /** The device's signature over `wipeReceiptMessage(workspaceId, deviceId, wipedAt)`. */
  signature: Signature,
});
export type WipeReceiptBody = z.infer<typeof WipeReceiptBody>;

export const AccessToken = z.object({
  accessToken: z.string(),
  expiresAt: IsoDateTime,
});
export type AccessToken = z.infer<typeof AccessToken>;

export const DeviceStatus = z.enum(['active', 'revoked']);

export const Device = z.object({
  id: Uuid,
  name: z.string(),
  platform: DevicePlatform,
  appVersion: z.string(),
  ownerId: Uuid,
  pairedBy: Uuid,
  pairedAt: IsoDateTime,
  lastSeenAt: IsoDateTime.nullable(),
  lastIp: z.string().nullable(),
  status: DeviceStatus,
  revokedAt: IsoDateTime.nullable(),
  wipe: z.boolean(),
  /**
   * The first 16 bytes of the SHA-256 of the device's raw public key, as hex in groups of four
   * (`3f2a 9c01 …`): what an admin compares with the app's settings screen.
   */
  keyFingerprint: z.string(),
  /** It has an open sync connection to this server right now. */
  online: z.boolean(),
  /** The highest workspace sequence number the device has been sent, while this server has known it. */
  lastSyncedSeq: z.number().int().nonnegative().nullable(),
  /** After a revocation: how long its last sync connection stayed open, in milliseconds (null: it was offline). */
  revokeClosedMs: z.number().int().nonnegative().nullable(),
  /** When the app confirmed, with a receipt signed by its device key, that it wiped its local data. */
  wipeConfirmedAt: IsoDateTime.nullable(),
});
export type Device = z.infer<typeof Device>;

export const DeviceList = z.object({ items: z.array(Device) });

export const DevicePaired = AccessToken.extend({
  device: Device,
  workspace: z.object({ id: Uuid, name: z.string() }),
});
export type DevicePaired = z.infer<typeof DevicePaired>;

export const ChallengeBody = z.strictObject({ workspaceId: Uuid, deviceId: Uuid });
export const Challenge = z.object({ challenge: z.string(), expiresAt: IsoDateTime });
export type Challenge = z.infer<typeof Challenge>;

export const RenewTokenBody = z.strictObject({
  workspaceId: Uuid,
  deviceId: Uuid,
  challenge: z.string().min(1).max(200),
  signature: Signature,
});
export type RenewTokenBody = z.infer<typeof RenewTokenBody>;

export const RenameDeviceBody = z.strictObject({ name: nameText(80) });
export const RevokeDeviceBody = z.strictObject({
  /** Ask the app to delete its local replica and keychain entries when it learns of the revocation. */
  wipe: z.boolean().default(false),
});

/** What a paired device learns about itself and its workspace. */
export const DeviceSelf = z.object({
  device: Device,
  workspace: z.object({ id: Uuid, name: z.string() }),
  schema: WorkspaceSchema,
});
export type DeviceSelf = z.infer<typeof DeviceSelf>;

/** The details of a `device_revoked` error, in HTTP answers, sync close frames and renewal refusals. */
export const DeviceRevokedDetails = z.object({ wipe: z.boolean() });
export type DeviceRevokedDetails = z.infer<typeof DeviceRevokedDetails>;

export const DeleteWorkspaceBody = z.strictObject({
  /** The workspace's name, typed again: deletion cannot be undone. */
  confirmName: nameText(100, { trim: false }),
});
