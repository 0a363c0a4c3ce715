// What a node:sqlite error means for the operator. node:sqlite throws errors that carry
// SQLite's (extended) result code in `errcode`; the ones that come from the machine rather
// than from our SQL get a plain reason in front of SQLite's terse message, so a log line
// or a 503 says "disk full" rather than "database or disk is full" from somewhere.

// Primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the
// low byte.
const SQLITE_BUSY = 5
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_NOTADB = 26
const SQLITE_READONLY_DBMOVED = SQLITE_READONLY | (4 << 8)

/** What went wrong, in the operator's words; one of a few kinds. */
export type Kind = "disk full" | "read-only" | "corrupt" | "I/O error" | "cannot open" | "busy"

const kinds: ReadonlyArray<readonly [number, Kind, string]> = [
  [SQLITE_FULL, "disk full", "disk full"],
  [SQLITE_READONLY, "read-only", "read-only file or folder"],
  [SQLITE_CORRUPT, "corrupt", "corrupt database file"],
  [SQLITE_NOTADB, "corrupt", "corrupt database file"],
  [SQLITE_IOERR, "I/O error", "I/O error"],
  [SQLITE_CANTOPEN, "cannot open", "cannot open the file (no permission, or a read-only folder)"],
  [SQLITE_BUSY, "busy", "locked by another connection"],
]

/** The result code of a node:sqlite error, if it is one. */
export const errcodeOf = (error: unknown): number | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const errcode = (error as { readonly errcode?: unknown }).errcode
  return typeof errcode === "number" ? errcode : undefined
}

/** A node:sqlite failure with its reason in front of the message; the original is `cause`. */
export class SqliteError extends Error {
  override readonly name = "SqliteError"
  readonly kind: Kind
  readonly reason: string
  /** SQLite's extended result code, e.g. 13 (SQLITE_FULL) or 266 (SQLITE_IOERR_READ). */
  readonly errcode: number
  readonly filename: string
  constructor(kind: Kind, reason: string, errcode: number, filename: string, cause: Error) {
    super(`${reason} (${filename}): ${cause.message}`, { cause })
    this.kind = kind
    this.reason = reason
    this.errcode = errcode
    this.filename = filename
  }
}

/** The kind and reason of an errcode, if it comes from the machine rather than our SQL. */
export const reasonOf = (
  errcode: number,
): { readonly kind: Kind; readonly reason: string } | undefined => {
  if (errcode === SQLITE_READONLY_DBMOVED)
    return { kind: "read-only", reason: "the database file was moved or deleted" }
  const found = kinds.find(([code]) => code === (errcode & 0xff))
  return found === undefined ? undefined : { kind: found[1], reason: found[2] }
}

/**
 * `error` with the reason SQLite's code gives, as a `SqliteError` on `filename`; any other
 * error (a bug in our SQL, a constraint) unchanged.
 */
export const describe = (error: unknown, filename: string): unknown => {
  if (error instanceof SqliteError || !(error instanceof Error)) return error
  const errcode = errcodeOf(error)
  const known = errcode === undefined ? undefined : reasonOf(errcode)
  return known === undefined || errcode === undefined
    ? error
    : new SqliteError(known.kind, known.reason, errcode, filename, error)
}

/** The kind of a (described) failure, if it is one of ours. */
export const kindOf = (error: unknown): Kind | undefined => {
  if (error instanceof SqliteError) return error.kind
  const errcode = errcodeOf(error)
  return errcode === undefined ? undefined : reasonOf(errcode)?.kind
}
