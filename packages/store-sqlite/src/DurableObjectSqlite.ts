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
 * - `cursor.rowsWritten` counts index writes too: `changes` comes from `changes()`, asked
 *   when `changes` is first read, not on every `run` (a statement each time, which would
 *   double the cost of a write: each `exec` is a call into the runtime, which costs more than
 *   the work of a small statement). It must be read before the driver runs another
 *   statement; reading it later throws rather than answer for the other statement.
 * - A script that ends with a comment or an empty statement is refused: `exec` trims it.
 *
 * Limits of Durable Object SQL (Cloudflare's, not the driver's): at most 100 bound
 * parameters per statement (checked here, with a clearer message), statements of at most
 * 100 KB, strings, BLOBs and rows of at most 2 MB (enforced in production, not by local
 * workerd: checked here for every bound string and BLOB, so tests fail where production
 * would), and INTEGER values outside ±(2^53 - 1) read back as rounded numbers. The store
 * keeps its values under 2 MB: `event_log` rows of about 500,000 characters (`eventLog.ts`),
 * day sets of distinct profiles in parts of 1,000,000 bytes (`profileSets.ts`), archived
 * answers of at most 1,000,000 bytes (`SqliteAnswerArchive`).
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
  const bindings = params.map(toBinding)
  refuseOversizedValues(sql, bindings)
  return bindings
}

/**
 * The largest string or BLOB a Durable Object stores, in bytes: Cloudflare documents "2 MB"
 * (https://developers.cloudflare.com/durable-objects/platform/limits/); 2,000,000 is the
 * smaller reading of it.
 */
export const maxValueBytes = 2_000_000

// The UTF-8 size of a string that might exceed `maxValueBytes` (3 bytes a UTF-16 unit at
// most, 4 a surrogate pair); `undefined` for one too short to.
const utf8Bytes = (text: string): number | undefined => {
  if (text.length * 3 <= maxValueBytes) return undefined
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3
    // A high surrogate followed by a low one: 4 bytes in all for the pair.
    if (unit >= 0xd800 && unit < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 1
      i++
    }
  }
  return bytes
}

// Production refuses a string or BLOB over 2 MB (SQLITE_TOOBIG) and local workerd stores
// it: refused here, always, so that local runs and tests fail where production would.
const refuseOversizedValues = (sql: string, bindings: ReadonlyArray<Binding>): void => {
  bindings.forEach((value, i) => {
    const bytes =
      value instanceof Uint8Array
        ? value.byteLength
        : typeof value === "string"
          ? utf8Bytes(value)
          : undefined
    if (bytes !== undefined && bytes > maxValueBytes) {
      throw new RangeError(
        `parameter ${i + 1} is ${typeof value === "string" ? "a string" : "a BLOB"} of ${bytes} bytes, more than the ${maxValueBytes} (2 MB) a Durable Object stores in one value: ${sql.slice(0, 80)}`,
      )
    }
  })
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
  // Statements run so far: a `changes` read after another statement would be its count.
  let statements = 0
  const changesOf = (query: string, ran: number): number => {
    if (statements !== ran) {
      throw new Error(
        `read \`changes\` right after its statement, before the next one: ${query.slice(0, 80)}`,
      )
    }
    return Number(sql.exec("SELECT changes() AS changes").one().changes)
  }
  return {
    exec: (script) => {
      statements++
      const text = untilLastStatement(script)
      if (text !== "") sql.exec(text).toArray()
    },
    all: (query, params = []) => {
      statements++
      // Rows built here from the cursor's arrays (`raw()`): the objects of `toArray()`,
      // which the runtime builds, cost more than the statement (measured in workerd: about
      // 2 ms less on a cold year of day sets).
      const cursor = sql.exec(query, ...bindingsOf(query, params))
      const names = cursor.columnNames
      const rows: Array<SqlRow> = []
      for (const values of cursor.raw()) {
        const row: Record<string, SqlValue> = {}
        for (let i = 0; i < names.length; i++) {
          const value = values[i]!
          row[names[i]!] = value instanceof ArrayBuffer ? new Uint8Array(value) : value
        }
        rows.push(row)
      }
      return rows
    },
    run: (query, params = []) => {
      const ran = ++statements
      sql.exec(query, ...bindingsOf(query, params)).toArray()
      let changes: number | undefined
      return {
        get changes() {
          changes ??= changesOf(query, ran)
          return changes
        },
      }
    },
    transaction: (body) => storage.transactionSync(body),
  }
}
