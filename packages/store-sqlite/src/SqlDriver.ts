/**
 * The small synchronous SQL interface the store is written against. SQLite engines that
 * run in process satisfy it: `node:sqlite` on Node (`NodeSqlite`) and a Durable Object's
 * `ctx.storage.sql` on Workers (`DurableObjectSqlite`). Synchronous on purpose: SQLite in
 * process answers in microseconds, and a transaction must not yield to other work.
 *
 * @since 0.1.0
 */

/** A value SQLite stores: integers and reals as `number` (or `bigint`), text, blobs, NULL. */
export type SqlValue = number | bigint | string | Uint8Array | null

/** A result row, by column name. */
export type SqlRow = { readonly [column: string]: SqlValue }

/** A synchronous SQLite connection. */
export interface SqlDriver {
  /** Runs one or more statements without parameters or results (schema changes). */
  readonly exec: (sql: string) => void
  /** Runs one statement and returns its rows, e.g. `all("SELECT … WHERE id = ?", [7])`. */
  readonly all: (sql: string, params?: ReadonlyArray<SqlValue>) => Array<SqlRow>
  /** Runs one statement for its effect; `changes` is the number of rows it wrote. */
  readonly run: (sql: string, params?: ReadonlyArray<SqlValue>) => { readonly changes: number }
  /** Runs `body` atomically: if it throws, none of its writes stay. Not reentrant. */
  readonly transaction: <A>(body: () => A) => A
}
