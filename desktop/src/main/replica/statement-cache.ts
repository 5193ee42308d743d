import type Database from 'better-sqlite3-multiple-ciphers';
import type { ReplicaDb } from './replica-file';

type Statement<Result> = Database.Statement<unknown[], Result>;

/**
 * Prepared statements of one storage instance, by SQL text. Preparing is a parse and plan on
 * every call otherwise; the set of texts an instance builds is small (a few per index column).
 */
export class StatementCache {
  private readonly objects = new Map<string, Statement<unknown>>();
  private readonly plucked = new Map<string, Statement<unknown>>();
  private readonly raw = new Map<string, Statement<unknown>>();

  constructor(private readonly db: ReplicaDb) {}

  /** A statement returning row objects (or nothing). */
  get(sql: string): Statement<unknown> {
    let statement = this.objects.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.objects.set(sql, statement);
    }
    return statement;
  }

  /**
   * A statement selecting one column, returned as bare values. `Value` is the caller's word for
   * the column's type; the tables are STRICT, so SQLite holds it to the declared type.
   */
  values<Value>(sql: string): Statement<Value> {
    let statement = this.plucked.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql).pluck();
      this.plucked.set(sql, statement);
    }
    return statement as Statement<Value>;
  }

  /** A statement returning each row as an array of its columns, typed by the caller as `Row`. */
  rows<Row>(sql: string): Statement<Row> {
    let statement = this.raw.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql).raw();
      this.raw.set(sql, statement);
    }
    return statement as Statement<Row>;
  }

  clear(): void {
    this.objects.clear();
    this.plucked.clear();
    this.raw.clear();
  }
}
