import { nextPulledRev, PULLED_MARK, type PulledMark } from './pulled-mark';
import type { ReplicaDb } from './replica-file';
import { ROW_AT } from './row-layout';

/**
 * One page of a fill as its rows (`rowValuesOfSent`'s bound values), built by the fill for
 * documents new to the replica: revision `PULLED_REV`, marked as pulled at that revision. The
 * page writer corrects the rows of documents the replica already holds (a resumed fill).
 */
export interface FillPage {
  readonly rows: unknown[][];
  /** The replication's `down` checkpoint row after this page, for the meta table. */
  readonly checkpointRow: readonly unknown[];
}

/** The statements a page writer runs, built from the fill's tables (safe names only). */
export interface FillPageSql {
  readonly upsertFork: string;
  readonly readForkRevs: string;
  readonly upsertMeta: string;
}

/**
 * The writer of a fill's pages on one connection: each page and its checkpoint in one
 * transaction, answering how many documents it kept. It runs where that connection is, which is
 * the fill's worker thread (fill-worker.ts), so that the app's thread builds the next page's rows
 * meanwhile.
 */
export function fillPageWriterOn(db: ReplicaDb, sql: FillPageSql): (page: FillPage) => number {
  const upsertFork = db.prepare(sql.upsertFork);
  const readForkRevs = db.prepare(sql.readForkRevs).raw();
  const upsertMeta = db.prepare(sql.upsertMeta);
  return db.transaction((page: FillPage): number => {
    // A fresh fill has none; a resumed one may meet documents again that changed meanwhile.
    const previousRevs = new Map<string, string>();
    const ids = JSON.stringify(page.rows.map((row) => row[ROW_AT.id]));
    for (const [id, rev] of readForkRevs.all(ids) as [string, string][]) previousRevs.set(id, rev);
    let written = 0;
    for (const row of page.rows) {
      const previousRev = previousRevs.get(row[ROW_AT.id] as string);
      if (previousRev === undefined) {
        // A deletion of a document this replica never had leaves nothing to keep.
        if (row[ROW_AT.deleted] === 1) continue;
        upsertFork.run(...row);
      } else {
        upsertFork.run(...rowAfter(row, nextPulledRev(previousRev)));
      }
      written++;
    }
    upsertMeta.run(...page.checkpointRow);
    return written;
  });
}

/** The row at revision `rev` instead of the one it was built with, its pulled mark moved along. */
function rowAfter(row: readonly unknown[], rev: string): unknown[] {
  const fields = JSON.parse(row[ROW_AT.doc] as string) as { _meta: Record<string, PulledMark> };
  const mark = fields._meta[PULLED_MARK] as PulledMark;
  fields._meta[PULLED_MARK] = { ...mark, rev };
  const next = [...row];
  next[ROW_AT.rev] = rev;
  next[ROW_AT.doc] = JSON.stringify(fields);
  return next;
}
