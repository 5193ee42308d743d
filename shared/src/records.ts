import { z } from 'zod';
import { IsoDateTime, Key, RecordId } from './ids';

export const RecordData = z.record(z.string(), z.unknown());

export const WorkspaceRecord = z.object({
  id: RecordId,
  type: Key,
  data: RecordData,
  /** Per-record revision, 1 on creation, +1 on every change. */
  rev: z.number().int().positive(),
  /** The workspace sequence number of the record's last change (the sync checkpoint). */
  seq: z.number().int().positive(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  deletedAt: IsoDateTime.nullable(),
});
export type WorkspaceRecord = z.infer<typeof WorkspaceRecord>;

export const CreateRecordBody = z.strictObject({
  type: Key,
  id: RecordId.optional(),
  data: RecordData,
});
export type CreateRecordBody = z.infer<typeof CreateRecordBody>;

export const PatchRecordBody = z.strictObject({
  data: RecordData,
  /** Optimistic concurrency: refuse with 409 if the record has moved past this revision. */
  rev: z.number().int().positive().optional(),
});
export type PatchRecordBody = z.infer<typeof PatchRecordBody>;

export const FilterOp = z.enum(['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains']);
export type FilterOp = z.infer<typeof FilterOp>;

/** A filter in a query string: `field:op:value`, e.g. `status:eq:open`. */
export const RecordFilter = z
  .string()
  .max(300)
  .transform((raw, ctx) => {
    const match = /^([a-z][a-z0-9_]{0,39}):(eq|ne|lt|lte|gt|gte|contains):(.*)$/s.exec(raw);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: 'filter must look like field:op:value' });
      return z.NEVER;
    }
    return { field: match[1] as string, op: match[2] as FilterOp, value: match[3] as string };
  });
export type RecordFilter = z.output<typeof RecordFilter>;

export const ListRecordsQuery = z.strictObject({
  type: Key,
  filter: z.union([RecordFilter, z.array(RecordFilter).max(10)]).optional(),
  q: z.string().max(200).optional(),
  sort: z.union([Key, z.enum(['createdAt', 'updatedAt'])]).default('updatedAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1000).optional(),
  includeDeleted: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type ListRecordsQuery = z.output<typeof ListRecordsQuery>;

export const RecordPage = z.object({
  items: z.array(WorkspaceRecord),
  nextCursor: z.string().nullable(),
});
export type RecordPage = z.infer<typeof RecordPage>;
