import { z } from 'zod';
import { Actor, ActorKind } from './actors';
import { IsoDateTime, Key, Uuid } from './ids';

export const AuditTargetKind = z.enum([
  'record',
  'schema',
  'role',
  'member',
  'invitation',
  'workspace',
  'device',
  'pairing',
]);
export type AuditTargetKind = z.infer<typeof AuditTargetKind>;

export const AuditTarget = z.object({
  kind: AuditTargetKind,
  /** The entity type, for record events (and schema events about one type). */
  entityType: z.string().nullable(),
  id: z.string().nullable(),
});
export type AuditTarget = z.infer<typeof AuditTarget>;

export const AuditEvent = z.object({
  id: Uuid,
  /** The workspace sequence number this event took; gap-free and strictly increasing. */
  seq: z.number().int().positive(),
  time: IsoDateTime,
  actor: Actor,
  action: z.string(),
  target: AuditTarget,
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  /** Hex SHA-256 of the previous event's hash and this event's canonical form. */
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditQuery = z.strictObject({
  actorId: z.string().max(100).optional(),
  actorKind: ActorKind.optional(),
  action: z.string().max(100).optional(),
  entityType: Key.optional(),
  recordId: z.string().max(64).optional(),
  from: IsoDateTime.optional(),
  to: IsoDateTime.optional(),
  /** Events with seq below this one (newest first paging). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.output<typeof AuditQuery>;

export const AuditPage = z.object({
  items: z.array(AuditEvent),
  nextBefore: z.number().int().nullable(),
});
export type AuditPage = z.infer<typeof AuditPage>;

/** The audit events a paired device may show: its owner's view, newest first. */
export const DeviceActivityQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type DeviceActivityQuery = z.output<typeof DeviceActivityQuery>;

/** Which events an export holds: a query without paging. */
export const AuditExportFilter = AuditQuery.omit({ before: true, limit: true });
export type AuditExportFilter = z.output<typeof AuditExportFilter>;
export const AuditExportFormat = z.enum(['jsonl', 'csv']);
export type AuditExportFormat = z.infer<typeof AuditExportFormat>;

export const AuditExportQuery = AuditExportFilter.extend({
  format: AuditExportFormat.default('jsonl'),
});
export type AuditExportQuery = z.output<typeof AuditExportQuery>;

export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  headSeq: z.number().int(),
  firstBroken: z
    .object({
      seq: z.number().int(),
      reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap', 'head_mismatch']),
    })
    .nullable(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
