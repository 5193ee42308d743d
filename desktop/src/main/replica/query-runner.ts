import {
  getQueryMatcher,
  getSortComparator,
  type DeterministicSortComparator,
  type PreparedQuery,
  type QueryMatcher,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageCountResult,
} from 'rxdb';
import { docOfRow, type CollectionTable } from './collection-table';
import { columnOfIndex, keyRangeOf, type IndexColumn } from './index-columns';
import type { ReplicaDb } from './replica-file';
import { DOC_COLUMNS, type StoredRow } from './row-layout';
import type { StatementCache } from './statement-cache';

/**
 * How a query runs, from the query plan RxDB hands the storage:
 * - `range-limit`: the index range answers the selector and gives the order, so SQL does it all,
 *   LIMIT and OFFSET included;
 * - `ordered-range-scan`: the range comes in the wanted order but the selector needs the matcher;
 *   rows are read in order and reading stops at skip + limit matches;
 * - `range-filter-sort`: the range is read whole, filtered, sorted, then cut.
 *
 * Every one is a range of an index column. A plan naming an index the table does not have (only
 * a hint outside the schema can, which RxDB's dev-mode refuses) is refused, as RxDB's memory
 * storage does, rather than answered by a full scan.
 */
export type QueryStrategy = 'range-limit' | 'ordered-range-scan' | 'range-filter-sort';

interface PlannedSql {
  readonly strategy: QueryStrategy | 'range-count';
  readonly sql: string;
  readonly params: unknown[];
}

interface CompiledQuery<RxDocType> {
  readonly select: PlannedSql;
  /** Undefined when the index range does not answer the selector: then there is no SQL count. */
  readonly count: PlannedSql | undefined;
  /** Undefined when the SQL answers the selector (range-limit). */
  readonly matches: QueryMatcher<RxDocumentData<RxDocType>> | undefined;
  /** Undefined when rows come in the wanted order. */
  readonly compare: DeterministicSortComparator<RxDocType> | undefined;
}

/** What `explain` reports: the SQL a query or count runs and SQLite's plan for it. */
export interface QueryExplanation {
  readonly strategy: QueryStrategy | 'range-count';
  readonly sql: string;
  /** The `detail` lines of `EXPLAIN QUERY PLAN`, e.g. `SEARCH rx_… USING INDEX …`. */
  readonly plan: string[];
}

/** SQLite's LIMIT for "no limit". */
const NO_LIMIT = -1;

function skipOf<RxDocType>(prepared: PreparedQuery<RxDocType>): number {
  return prepared.query.skip > 0 ? prepared.query.skip : 0;
}

/** No limit means all; an explicit `limit: 0` returns nothing, as in RxDB's memory storage. */
function limitOf<RxDocType>(prepared: PreparedQuery<RxDocType>): number {
  return typeof prepared.query.limit === 'number' ? prepared.query.limit : Infinity;
}

/** Runs RxDB prepared queries over one collection table as index range scans. */
export class QueryRunner<RxDocType> {
  constructor(
    private readonly db: ReplicaDb,
    private readonly table: CollectionTable<RxDocType>,
    private readonly schema: RxJsonSchema<RxDocumentData<RxDocType>>,
    private readonly statements: StatementCache,
  ) {}

  private readonly cache = new WeakMap<PreparedQuery<RxDocType>, CompiledQuery<RxDocType>>();

  query(prepared: PreparedQuery<RxDocType>): RxDocumentData<RxDocType>[] {
    const { select, matches, compare } = this.compiled(prepared);
    const statement = this.statements.rows<StoredRow>(select.sql);
    const read = (row: StoredRow) => docOfRow(this.table, row);
    const skip = skipOf(prepared);
    const limit = limitOf(prepared);

    if (matches === undefined) {
      // range-limit: the SQL answers the query whole.
      return statement.all(...select.params).map(read);
    }

    if (compare === undefined) {
      // ordered-range-scan: rows come in the wanted order; stop at skip + limit matches.
      const wanted = skip + limit;
      const found: RxDocumentData<RxDocType>[] = [];
      if (wanted <= 0) return found;
      // Leaving the loop early finalises the cursor, so the rest of the range is never read.
      for (const row of statement.iterate(...select.params)) {
        const doc = read(row);
        if (!matches(doc)) continue;
        found.push(doc);
        if (found.length >= wanted) break;
      }
      return found.slice(skip);
    }

    // range-filter-sort.
    const docs = statement
      .all(...select.params)
      .map(read)
      .filter((doc) => matches(doc));
    docs.sort(compare);
    return docs.slice(skip, skip + limit);
  }

  /**
   * A SQL COUNT over the index range (`fast`) when the range alone answers the selector;
   * otherwise the matching documents are read and counted (`slow`, which RxDB refuses unless the
   * database allows slow counts — as with its Dexie storage).
   */
  count(prepared: PreparedQuery<RxDocType>): RxStorageCountResult {
    const planned = this.compiled(prepared).count;
    if (planned === undefined) return { count: this.query(prepared).length, mode: 'slow' };
    const total = this.statements.values<number>(planned.sql).get(...planned.params) ?? 0;
    // The contract is "as many as query() would return", so skip and limit apply (RxDB itself
    // never sends them with a count).
    const count = Math.min(Math.max(total - skipOf(prepared), 0), limitOf(prepared));
    return { count, mode: 'fast' };
  }

  /** For tests and diagnostics: the SQL `query()` or `count()` would run, and SQLite's plan for it. */
  explain(prepared: PreparedQuery<RxDocType>, operation: 'query' | 'count'): QueryExplanation {
    const compiled = this.compiled(prepared);
    const planned = (operation === 'count' ? compiled.count : undefined) ?? compiled.select;
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${planned.sql}`).all(...planned.params) as {
      detail: string;
    }[];
    return {
      strategy: planned.strategy,
      sql: planned.sql,
      plan: rows.map((row) => row.detail),
    };
  }

  /**
   * SQL, bounds, matcher and comparator of a prepared query, worked out once: RxDB prepares a
   * query once per RxQuery and sends the same object every time it runs (and never changes it),
   * so a live query re-run on each change does not rebuild its bound strings or Mingo matcher.
   */
  private compiled(prepared: PreparedQuery<RxDocType>): CompiledQuery<RxDocType> {
    let compiled = this.cache.get(prepared);
    if (compiled === undefined) {
      const select = this.planQuery(prepared);
      const filters = select.strategy !== 'range-limit';
      const sorts = select.strategy === 'range-filter-sort';
      compiled = {
        select,
        count: this.planCount(prepared),
        matches: filters ? getQueryMatcher(this.schema, prepared.query) : undefined,
        compare: sorts ? getSortComparator(this.schema, prepared.query) : undefined,
      };
      this.cache.set(prepared, compiled);
    }
    return compiled;
  }

  private planQuery(prepared: PreparedQuery<RxDocType>): PlannedSql {
    const plan = prepared.queryPlan;
    const column = this.columnOf(plan.index);
    const range = this.rangeOf(prepared, column);
    const from = `SELECT ${DOC_COLUMNS} FROM ${this.table.name} WHERE ${range.where}`;
    if (!plan.sortSatisfiedByIndex) {
      return { strategy: 'range-filter-sort', sql: from, params: range.params };
    }
    if (!plan.selectorSatisfiedByIndex) {
      return {
        strategy: 'ordered-range-scan',
        sql: `${from} ORDER BY ${column.column}`,
        params: range.params,
      };
    }
    const limit = limitOf(prepared);
    return {
      strategy: 'range-limit',
      sql: `${from} ORDER BY ${column.column} LIMIT ? OFFSET ?`,
      params: [...range.params, Number.isFinite(limit) ? limit : NO_LIMIT, skipOf(prepared)],
    };
  }

  private planCount(prepared: PreparedQuery<RxDocType>): PlannedSql | undefined {
    if (!prepared.queryPlan.selectorSatisfiedByIndex) return undefined;
    const range = this.rangeOf(prepared, this.columnOf(prepared.queryPlan.index));
    return {
      strategy: 'range-count',
      sql: `SELECT count(*) FROM ${this.table.name} WHERE ${range.where}`,
      params: range.params,
    };
  }

  private columnOf(index: readonly string[]): IndexColumn<RxDocType> {
    const column = columnOfIndex(this.table.columns, index);
    if (column === undefined) {
      throw new Error(
        `The query's index ${JSON.stringify(index)} is not an index of the collection's schema`,
      );
    }
    return column;
  }

  private rangeOf(
    prepared: PreparedQuery<RxDocType>,
    column: IndexColumn<RxDocType>,
  ): { where: string; params: unknown[] } {
    const range = keyRangeOf(this.schema, prepared.queryPlan);
    const name = column.column;
    return {
      where: `${name} ${range.inclusiveLower ? '>=' : '>'} ? AND ${name} ${range.inclusiveUpper ? '<=' : '<'} ?`,
      params: [range.lower, range.upper],
    };
  }
}
