import { z } from 'zod';
import { Actor, ActorKind } from './actors';
import { PublicKey, Signature } from './devices';
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
  /** The workspace's AI settings and constitution. */
  'ai',
  'proposal',
  'outbox',
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
      /**
       * `checkpoint_mismatch` / `receipt_mismatch`: the chain holds together, but its event at `seq`
       * is not the one a signed checkpoint or receipt recorded (history was rewritten at or before
       * `seq`), or the chain ends before `seq` (it was cut short). `checkpoint_invalid`: a stored
       * checkpoint's signature does not verify.
       */
      reason: z.enum([
        'hash_mismatch',
        'prev_hash_mismatch',
        'sequence_gap',
        'head_mismatch',
        'checkpoint_mismatch',
        'checkpoint_invalid',
        'receipt_mismatch',
      ]),
    })
    .nullable(),
  /** What the chain was held against, besides itself. */
  anchors: z.object({
    /** How many signed checkpoints were checked. */
    checkpoints: z.number().int(),
    /** The newest checkpoint: events after it rest on the chain alone until the next one is taken. */
    lastCheckpointSeq: z.number().int().nullable(),
    /** The sequence number of the receipt checked, when one was given. */
    receiptSeq: z.number().int().nullable(),
  }),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256 hash');

/**
 * The server's signed statement that a workspace's audit chain had reached event `seq`, whose hash
 * was `hash`. Signed with a key derived from the master key, which no workspace file holds, and
 * kept in the control database: whoever rewrites a workspace's history with only its key cannot
 * make the rewritten chain match.
 */
export const AuditCheckpoint = z.strictObject({
  workspaceId: Uuid,
  seq: z.number().int().positive(),
  hash: Sha256Hex,
  at: IsoDateTime,
  /** The first 16 hex characters of the SHA-256 of the raw public key. */
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex characters'),
  /** Ed25519 over `enclave-audit-checkpoint/1`, a newline, and the canonical JSON of workspaceId, seq, hash, at. */
  signature: Signature,
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

export const AUDIT_RECEIPT_FORMAT = 'enclave-audit-receipt/1';

/**
 * A checkpoint to keep away from the server: with the public key it was signed with, so that it
 * can be checked anywhere. Verifying the chain against it catches a rewrite of history before
 * `seq`, even by someone who also re-signed the checkpoints in the control database.
 */
export const AuditReceipt = AuditCheckpoint.extend({
  format: z.literal(AUDIT_RECEIPT_FORMAT),
  publicKey: PublicKey,
});
export type AuditReceipt = z.infer<typeof AuditReceipt>;

export const VerifyAuditReceiptBody = z.strictObject({ receipt: AuditReceipt });
export type VerifyAuditReceiptBody = z.infer<typeof VerifyAuditReceiptBody>;
