import { z } from 'zod';
import { AuditExportFilter, AuditExportFormat } from './audit';
import { Email } from './auth';
import {
  DevicePlatform,
  PAIRING_DEFAULT_TTL_SECONDS,
  PAIRING_MAX_TTL_SECONDS,
  PublicKey,
  Signature,
} from './devices';
import { IsoDateTime, Key, RecordId, Uuid } from './ids';
import { nameText } from './names';
import { RecordData } from './records';
import { CustomRole, MemberRoles } from './roles';
import { EntityTypeDef } from './workspace-schema';

/**
 * Operations are the only way workspace state changes. The REST API, sync and (later) the AI
 * planner all produce them; the command engine validates, authorises, applies and audits them.
 */
export const Operation = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('record.create'),
    entityType: Key,
    id: RecordId.optional(),
    data: RecordData,
  }),
  z.strictObject({
    type: z.literal('record.update'),
    id: RecordId,
    data: RecordData,
    expectedRev: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('record.delete'),
    id: RecordId,
    expectedRev: z.number().int().positive().optional(),
  }),
  z.strictObject({ type: z.literal('record.restore'), id: RecordId }),
  /** Puts a record back as it was before the given audit event (undo). */
  z.strictObject({ type: z.literal('record.revert'), eventId: Uuid }),
  z.strictObject({ type: z.literal('schema.putEntityType'), entityType: EntityTypeDef }),
  z.strictObject({ type: z.literal('schema.removeEntityType'), key: Key }),
  z.strictObject({ type: z.literal('role.put'), role: CustomRole }),
  z.strictObject({ type: z.literal('role.remove'), key: Key }),
  z.strictObject({ type: z.literal('member.invite'), email: Email, roles: MemberRoles }),
  z.strictObject({ type: z.literal('member.cancelInvitation'), invitationId: Uuid }),
  z.strictObject({ type: z.literal('member.accept'), invitationId: Uuid }),
  z.strictObject({ type: z.literal('member.setRoles'), userId: Uuid, roles: MemberRoles }),
  z.strictObject({ type: z.literal('member.remove'), userId: Uuid }),
  z.strictObject({ type: z.literal('workspace.rename'), name: nameText(100) }),
  /** Deletes the workspace: every device is revoked with a wipe, and the workspace is gone for everyone. */
  z.strictObject({ type: z.literal('workspace.delete') }),
  z.strictObject({
    type: z.literal('device.createPairing'),
    forUserId: Uuid.optional(),
    ttlSeconds: z.number().int().min(60).max(PAIRING_MAX_TTL_SECONDS).default(PAIRING_DEFAULT_TTL_SECONDS),
  }),
  z.strictObject({ type: z.literal('device.cancelPairing'), pairingId: Uuid }),
  /** Redeems a pairing: only the server makes this operation, after checking the pairing code. */
  z.strictObject({
    type: z.literal('device.pair'),
    pairingId: Uuid,
    deviceId: Uuid,
    publicKey: PublicKey,
    name: nameText(80),
    platform: DevicePlatform,
    appVersion: nameText(40),
  }),
  z.strictObject({
    type: z.literal('device.rename'),
    deviceId: Uuid,
    name: nameText(80),
  }),
  z.strictObject({ type: z.literal('device.revoke'), deviceId: Uuid, wipe: z.boolean().default(false) }),
  /**
   * Records a revoked device's wipe receipt: only the server makes this operation, after checking
   * the receipt's signature against the device's key (`signedBy`).
   */
  z.strictObject({
    type: z.literal('device.confirmWipe'),
    deviceId: Uuid,
    wipedAt: IsoDateTime,
    signedBy: PublicKey,
    signature: Signature,
  }),
  /** Notes that the audit log was exported: it changes nothing, and leaves an event saying who took what. */
  z.strictObject({ type: z.literal('audit.export'), format: AuditExportFormat, filter: AuditExportFilter }),
]);
export type Operation = z.infer<typeof Operation>;
export type OperationType = Operation['type'];
export type OperationOf<T extends OperationType> = Extract<Operation, { type: T }>;
