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
import { nameText, refuseUnsafeCharacters } from './names';
import { RecordData } from './records';
import { CustomRole, MemberRoles } from './roles';
import { EntityTypeDef } from './workspace-schema';
import { ConstitutionRule, ConstitutionRules, type AiOperationType } from './ai/constitution';
import { AiSettings } from './ai/settings';

export const RecordCreateOperation = z.strictObject({
  type: z.literal('record.create'),
  entityType: Key,
  id: RecordId.optional(),
  data: RecordData,
});
export const RecordUpdateOperation = z.strictObject({
  type: z.literal('record.update'),
  id: RecordId,
  data: RecordData,
  expectedRev: z.number().int().positive().optional(),
});
export const RecordDeleteOperation = z.strictObject({
  type: z.literal('record.delete'),
  id: RecordId,
  expectedRev: z.number().int().positive().optional(),
});
export const RecordRestoreOperation = z.strictObject({ type: z.literal('record.restore'), id: RecordId });
/** Puts a record back as it was before the given audit event (undo). */
export const RecordRevertOperation = z.strictObject({ type: z.literal('record.revert'), eventId: Uuid });
/**
 * Sends an email from the workspace (e.g. a reply to a ticket): it is queued in the workspace's
 * outbox and delivered by the server's mailer. Outbound: anything the AI proposes of this kind
 * waits for a person.
 */
export const OutboxSendOperation = z.strictObject({
  type: z.literal('outbox.send'),
  to: Email,
  subject: z.string().trim().min(1).max(200).superRefine(refuseUnsafeCharacters),
  body: z.string().trim().min(1).max(20_000),
  /** The record the message is about (a ticket, a client). */
  recordId: RecordId.optional(),
});

/**
 * Operations are the only way workspace state changes. The REST API, sync and (later) the AI
 * planner all produce them; the command engine validates, authorises, applies and audits them.
 */
export const Operation = z.discriminatedUnion('type', [
  RecordCreateOperation,
  RecordUpdateOperation,
  RecordDeleteOperation,
  RecordRestoreOperation,
  RecordRevertOperation,
  OutboxSendOperation,
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
  z.strictObject({ type: z.literal('ai.putSettings'), settings: AiSettings }),
  z.strictObject({
    type: z.literal('ai.putConstitution'),
    rules: ConstitutionRules,
    expectedVersion: z.number().int().positive(),
  }),
  /**
   * Runs a pending proposal's operation as the approving person (or an edit of it: the same kind of
   * operation on the same target), and marks the proposal approved, in one transaction.
   */
  z.strictObject({
    type: z.literal('ai.approveProposal'),
    proposalId: Uuid,
    operation: z.lazy(() => AiOperation).optional(),
  }),
  z.strictObject({
    type: z.literal('ai.rejectProposal'),
    proposalId: Uuid,
    reason: z.string().trim().min(1).max(500).superRefine(refuseUnsafeCharacters),
    /** A rule to add to the constitution so the same class of exception does not come back. */
    addRule: ConstitutionRule.optional(),
  }),
]);
export type Operation = z.infer<typeof Operation>;
export type OperationType = Operation['type'];
export type OperationOf<T extends OperationType> = Extract<Operation, { type: T }>;

/**
 * What the AI may propose: record changes and outbound messages, never members, roles, devices,
 * schema or the workspace. The model's tools are generated from these schemas.
 */
export const AiOperation = z.discriminatedUnion('type', [
  RecordCreateOperation,
  RecordUpdateOperation,
  RecordDeleteOperation,
  RecordRestoreOperation,
  RecordRevertOperation,
  OutboxSendOperation,
]);
export type AiOperation = z.infer<typeof AiOperation>;

/** The constitution's list of operation types and this union name the same operations. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const AI_OPERATION_TYPES_AGREE: Same<AiOperation['type'], AiOperationType> = true;
