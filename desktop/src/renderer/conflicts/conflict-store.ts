import type { RejectedRow } from '@enclave/shared';
import type { ConflictDocType, WorkspaceDatabase } from '../workspace/database';
import { RejectionLog, type DetectedConflict, type RejectionReason } from './conflict-detection';

/** How long after a conflict a late refusal reason still belongs to it. */
const RECENT_MS = 15_000;

/**
 * Keeps replaced local versions in the local-only `conflicts` collection and puts them back on
 * request. The conflict handler runs inside replication before the database object is handed
 * out, so the database is attached once it exists; a conflict before that cannot happen (nothing
 * is pushed before the collections exist).
 */
export class ConflictStore {
  private db: WorkspaceDatabase | null = null;
  private readonly rejections: RejectionLog;

  constructor(
    rejections = new RejectionLog(),
    private readonly now: () => number = Date.now,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.rejections = rejections;
  }

  attach(db: WorkspaceDatabase): void {
    this.db = db;
  }

  /** For the conflict handler: never throws (a failure here must not stop replication). */
  record(conflict: DetectedConflict): void {
    this.save(conflict).catch(this.onError);
  }

  async save(conflict: DetectedConflict): Promise<void> {
    const db = this.db;
    if (!db) return;
    const reason = this.rejections.take(conflict.recordId);
    const doc: ConflictDocType = {
      id: conflict.recordId,
      type: conflict.local.type,
      localData: conflict.local.data,
      localDeleted: conflict.local.deleted,
      serverData: conflict.server.data,
      serverDeleted: conflict.server.deleted,
      at: this.now(),
      ...reasonFields(reason),
    };
    await db.conflicts.upsert(doc);
  }

  /**
   * A row the server refused. The reason waits in the log for the row's conflict, which RxDB
   * hands over after the push answer; if that conflict is already saved (the reason came late, by
   * event), it gets the reason now. A conflict saved earlier than that is an older one, and keeps
   * its own story.
   */
  async noteRejection(row: RejectedRow): Promise<void> {
    this.rejections.note(row);
    const existing = await this.db?.conflicts.findOne(row.id).exec();
    if (existing && existing.reasonCode === undefined && this.now() - existing.at < RECENT_MS) {
      await existing.incrementalPatch(reasonFields(row.error));
    }
  }

  /**
   * Writes the saved local version as a new edit on top of the record as it is now, so it syncs
   * like any other change (and the server judges it again), then forgets the conflict.
   */
  async restore(id: string): Promise<void> {
    const db = this.requireDb();
    const conflict = await db.conflicts.findOne(id).exec();
    if (!conflict) return;
    // Plain data: a document's nested values are proxies, which cannot cross to main's storage.
    const saved = conflict.toJSON();
    const current = await db.records.findOne(id).exec();
    if (saved.localDeleted) {
      if (current) await current.incrementalRemove();
    } else if (current) {
      await current.incrementalPatch({ data: saved.localData });
    } else {
      // Deleted on the server: the restore brings the record back with the local content.
      await db.records.upsert({ id, type: saved.type, data: saved.localData });
    }
    await conflict.incrementalRemove();
  }

  async dismiss(id: string): Promise<void> {
    const conflict = await this.requireDb().conflicts.findOne(id).exec();
    await conflict?.incrementalRemove();
  }

  private requireDb(): WorkspaceDatabase {
    if (!this.db) throw new Error('The workspace is not open');
    return this.db;
  }
}

function reasonFields(reason: RejectionReason | null): Pick<ConflictDocType, 'reasonCode' | 'reasonMessage'> {
  return reason ? { reasonCode: reason.code, reasonMessage: reason.message } : {};
}
