/**
 * The store's SQL driver in a SQLite-backed Durable Object, over `ctx.storage.sql`. Build
 * it, and the store on it, once per object (in its constructor), not per request.
 *
 * What differs from SQLite elsewhere, and how the driver bridges it:
 * - `BEGIN`/`SAVEPOINT` are refused: `transaction` is `storage.transactionSync`.
 * - Bindings are `number | string | ArrayBuffer(View) | null`: a `bigint` is bound as a
 *   number when it is a safe integer, and refused otherwise (it would lose digits).
 *   Numbers bind as REAL; a column of INTEGER affinity (every integer column of the store)
 *   keeps whole ones as integers.
 * - BLOB columns read back as `ArrayBuffer`: rows carry them as `Uint8Array`.
 * - `cursor.rowsWritten` counts index writes too: `changes` comes from `changes()`.
 * - A script that ends with a comment or an empty statement is refused: `exec` trims it.
 *
 * Limits of Durable Object SQL (Cloudflare's, not the driver's): at most 100 bound
 * parameters per statement (checked here, with a clearer message), statements of at most
 * 100 KB, strings, BLOBs and rows of at most 2 MB (enforced in production, not by local
 * workerd), and INTEGER values outside ±(2^53 - 1) read back as rounded numbers. For the
 * store, 2 MB bounds one batch's JSON in `event_log` and the distinct profiles of one event
 * on one day (4 bytes each: about 500,000).
 *
 * @since 0.1.0
 */
import type { SqlDriver, SqlRow, SqlValue } from "./SqlDriver.ts"

/** The most parameters a Durable Object binds to one statement. */
export const maxBoundParameters = 100

type Binding = number | string | Uint8Array | null

const toBinding = (value: SqlValue): Binding => {
  if (typeof value !== "bigint") return value
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(
      `cannot bind ${value}: Durable Object SQL binds integers as numbers, exact only within ±(2^53 - 1)`,
    )
  }
  return Number(value)
}

const bindingsOf = (sql: string, params: ReadonlyArray<SqlValue>): Array<Binding> => {
  if (params.length > maxBoundParameters) {
    throw new RangeError(
      `a statement binds ${params.length} parameters, more than the ${maxBoundParameters} a Durable Object allows: ${sql.slice(0, 80)}`,
    )
  }
  return params.map(toBinding)
}

const toRow = (row: Record<string, SqlStorageValue>): SqlRow => {
  let blobs = false
  for (const column in row) if (row[column] instanceof ArrayBuffer) blobs = true
  if (!blobs) return row as SqlRow
  const converted: Record<string, SqlValue> = {}
  for (const column in row) {
    const value = row[column]!
    converted[column] = value instanceof ArrayBuffer ? new Uint8Array(value) : value
  }
  return converted
}

// The script up to the end of its last statement: without the trailing comments, blanks and
// semicolons that Durable Object SQL refuses ("SQL code did not contain a statement").
const untilLastStatement = (script: string): string => {
  let end = 0
  let i = 0
  while (i < script.length) {
    const char = script[i]!
    if (char === "-" && script[i + 1] === "-") {
      const newline = script.indexOf("\n", i + 2)
      i = newline === -1 ? script.length : newline + 1
    } else if (char === "/" && script[i + 1] === "*") {
      const close = script.indexOf("*/", i + 2)
      i = close === -1 ? script.length : close + 2
    } else if (char === "'" || char === '"' || char === "`" || char === "[") {
      // A quoted string or name; a doubled quote inside reads as two adjacent quotes.
      const close = script.indexOf(char === "[" ? "]" : char, i + 1)
      i = close === -1 ? script.length : close + 1
      end = i
    } else {
      if (char !== ";" && !/\s/.test(char)) end = i + 1
      i++
    }
  }
  return script.slice(0, end)
}

/**
 * The SQL driver over a SQLite-backed Durable Object's storage.
 *
 * @example
 * // In the Durable Object's constructor:
 * this.store = Effect.runSync(SqliteEventStore.make(DurableObjectSqlite.make(ctx.storage)))
 */
export const make = (storage: DurableObjectStorage): SqlDriver => {
  const sql = storage.sql
  return {
    exec: (script) => {
      const statements = untilLastStatement(script)
      if (statements !== "") sql.exec(statements).toArray()
    },
    all: (query, params = []) =>
      sql
        .exec(query, ...bindingsOf(query, params))
        .toArray()
        .map(toRow),
    run: (query, params = []) => {
      sql.exec(query, ...bindingsOf(query, params)).toArray()
      return { changes: Number(sql.exec("SELECT changes() AS changes").one().changes) }
    },
    transaction: (body) => storage.transactionSync(body),
  }
}
