import { z } from 'zod';
import { Email } from './auth';
import { Key, RecordId, Uuid } from './ids';
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
  z.strictObject({ type: z.literal('workspace.rename'), name: z.string().trim().min(1).max(100) }),
]);
export type Operation = z.infer<typeof Operation>;
export type OperationType = Operation['type'];
export type OperationOf<T extends OperationType> = Extract<Operation, { type: T }>;
