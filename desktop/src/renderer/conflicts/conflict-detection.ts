import {
  defaultConflictHandler,
  type RxConflictHandler,
  type RxConflictHandlerInput,
  type WithDeleted,
} from 'rxdb';
import type { ErrorBody, RejectedRow } from '@enclave/shared';
import type { SyncRxDocType } from '../../common/sync/replication-handlers';

/** What a person's change is made of: the server's own fields (rev, times) are not content. */
export interface RecordContent {
  type: string;
  data: Record<string, unknown>;
  deleted: boolean;
}

/** A local change the server did not take, kept so that its author can restore it. */
export interface DetectedConflict {
  recordId: string;
  local: RecordContent;
  server: RecordContent & { rev: number | null };
}

export type RejectionReason = ErrorBody['error'];

/** Key order does not make two values different: the server writes data in schema order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

export function contentOf(doc: WithDeleted<SyncRxDocType>): RecordContent {
  return { type: doc.type, data: doc.data, deleted: doc._deleted };
}

export function sameContent(a: RecordContent, b: RecordContent): boolean {
  return a.type === b.type && a.deleted === b.deleted && canonicalJson(a.data) === canonicalJson(b.data);
}

/**
 * The conflict in a push the server answered with its own state, or null when the local state
 * already says the same thing (say, two people made the same edit): nothing of the person's is lost.
 */
export function detectConflict(input: RxConflictHandlerInput<SyncRxDocType>): DetectedConflict | null {
  const local = contentOf(input.newDocumentState);
  const server = contentOf(input.realMasterState);
  if (sameContent(local, server)) return null;
  return {
    recordId: input.newDocumentState.id,
    local,
    server: { ...server, rev: input.realMasterState.rev ?? null },
  };
}

/**
 * The records collection's conflict handler: the server's version wins, exactly as RxDB's default
 * handler decides (same equality test, master state returned), but a local version that differs
 * in content is handed to `onConflict` first, so it is kept rather than silently dropped.
 */
export function keepingConflictHandler(
  onConflict: (conflict: DetectedConflict) => void,
): RxConflictHandler<SyncRxDocType> {
  return {
    isEqual: defaultConflictHandler.isEqual,
    resolve(input) {
      const conflict = detectConflict(input);
      if (conflict) onConflict(conflict);
      return Promise.resolve(input.realMasterState);
    },
  };
}

/**
 * Reasons the server gave for refusing rows, until the conflict of the same row comes through
 * RxDB (the push answer and the `sync:rejected` event may arrive in either order). Entries expire:
 * a reason must not attach itself to an unrelated conflict much later.
 */
export class RejectionLog {
  private readonly reasons = new Map<string, { reason: RejectionReason; at: number }>();

  constructor(
    private readonly ttlMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(row: RejectedRow): void {
    this.reasons.set(row.id, { reason: row.error, at: this.now() });
  }

  /** The reason for a record's refusal, once: it is removed as it is taken. */
  take(recordId: string): RejectionReason | null {
    const entry = this.reasons.get(recordId);
    this.reasons.delete(recordId);
    if (!entry || this.now() - entry.at > this.ttlMs) return null;
    return entry.reason;
  }
}
