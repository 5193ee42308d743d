import type Database from 'better-sqlite3-multiple-ciphers';
import type { ReplicaDb } from './replica-file';

type Statement<Result> = Database.Statement<unknown[], Result>;

/** How a statement returns its rows. */
type RowMode = 'objects' | 'values' | 'arrays';

/**
 * Prepared statements of one storage instance, by SQL text. Preparing is a parse and plan on
 * every call otherwise; the set of texts an instance builds is small (a few per index column).
 */
export class StatementCache {
  private readonly statements: Record<RowMode, Map<string, Statement<unknown>>> = {
    objects: new Map(),
    values: new Map(),
    arrays: new Map(),
  };

  constructor(private readonly db: ReplicaDb) {}

  /** A statement returning row objects (or nothing). */
  get(sql: string): Statement<unknown> {
    return this.cached('objects', sql);
  }

  /**
   * A statement selecting one column, returned as bare values. `Value` is the caller's word for
   * the column's type; the tables are STRICT, so SQLite holds it to the declared type.
   */
  values<Value>(sql: string): Statement<Value> {
    return this.cached('values', sql) as Statement<Value>;
  }

  /** A statement returning each row as an array of its columns, typed by the caller as `Row`. */
  rows<Row>(sql: string): Statement<Row> {
    return this.cached('arrays', sql) as Statement<Row>;
  }

  clear(): void {
    for (const byText of Object.values(this.statements)) byText.clear();
  }

  private cached(mode: RowMode, sql: string): Statement<unknown> {
    const byText = this.statements[mode];
    let statement = byText.get(sql);
    if (statement === undefined) {
      const prepared = this.db.prepare(sql);
      statement = mode === 'values' ? prepared.pluck() : mode === 'arrays' ? prepared.raw() : prepared;
      byText.set(sql, statement);
    }
    return statement;
  }
}
