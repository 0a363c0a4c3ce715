// One writer per database file. Two processes writing one file would each keep caches,
// profile numbers and rebuild state the other does not see, so the second is refused.
//
// The lock is SQLite's own: an exclusive lock on the side file `<db>.lock`, taken by a
// connection in `locking_mode = EXCLUSIVE` (which never gives it back until it closes).
// It is an OS file lock, so it dies with the process: a `kill -9` leaves no stale lock,
// only files that the next holder reuses. SQLite also sees it between connections of one
// process (threads included), so a second store in the same process is refused as well.
// Who holds it is written, after taking it, to `<db>.holder` (readable while locked).
// Neither file is ever deleted while in use: deleting the lock file would let a second
// process lock a new file of the same name while the first still holds the old one. Only
// SQLite may open the lock file: POSIX locks belong to the process, and closing any other
// descriptor of the file (an fs.readFile of it) would drop the lock.
import { readFileSync, realpathSync, unlinkSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { basename, dirname, join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { describe, errcodeOf } from "./sqliteErrors.ts"

const SQLITE_BUSY = 5

/** Who holds a database file, as written to `<db>.holder`. */
export interface Holder {
  readonly pid: number
  readonly host: string
  /** When it took the file (ISO 8601). */
  readonly since: string
}

const holderFile = (path: string) => `${path}.holder`

const readHolder = (path: string): Holder | undefined => {
  try {
    const holder = JSON.parse(readFileSync(holderFile(path), "utf8")) as Partial<Holder>
    return typeof holder.pid === "number" &&
      typeof holder.host === "string" &&
      typeof holder.since === "string"
      ? { pid: holder.pid, host: holder.host, since: holder.since }
      : undefined
  } catch {
    return undefined
  }
}

const describeHolder = (path: string): string => {
  const holder = readHolder(path)
  // Missing: it has just taken the file and not yet written who it is.
  if (holder === undefined) return `another process (${holderFile(path)} does not say which)`
  const itself =
    holder.pid === process.pid && holder.host === hostname()
      ? " (this very process: a second store on the same file)"
      : ""
  return `pid ${holder.pid} on host ${holder.host}${itself}, holding it since ${holder.since}`
}

// One lock whatever the path that names the file (relative, through a symbolic link).
const canonical = (filename: string): string => {
  try {
    return realpathSync(filename)
  } catch {
    return join(realpathSync(dirname(filename)), basename(filename))
  }
}

/**
 * Takes the writer lock of a file whose folder exists, or throws a message that names its
 * holder and the fix.
 */
export const take = (filename: string): { readonly release: () => void } => {
  const path = canonical(filename)
  const lockFile = `${path}.lock`
  let db: DatabaseSync | undefined
  try {
    db = new DatabaseSync(lockFile, { timeout: 0 })
    // No journal: the lock file holds nothing; BEGIN EXCLUSIVE takes the lock, and the
    // exclusive locking mode keeps it after COMMIT until the connection closes.
    db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = OFF; BEGIN EXCLUSIVE; COMMIT")
  } catch (error) {
    db?.close()
    if (errcodeOf(error) === SQLITE_BUSY)
      throw new Error(
        `the database file ${filename} is in use by ${describeHolder(path)}: stop it, or point TRENDLINE_DB elsewhere`,
      )
    const described = describe(error, lockFile)
    throw new Error(
      `cannot take the database file ${filename} for this process: ${described instanceof Error ? described.message : String(described)}; make its folder writable, or point TRENDLINE_DB elsewhere`,
      { cause: error },
    )
  }
  const lock = db
  const holder = `${JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  } satisfies Holder)}\n`
  try {
    writeFileSync(holderFile(path), holder)
  } catch (error) {
    lock.close()
    throw new Error(
      `cannot write ${holderFile(path)}: ${error instanceof Error ? error.message : String(error)}; make the folder of ${filename} writable, or point TRENDLINE_DB elsewhere`,
      { cause: error },
    )
  }
  return {
    release: () => {
      // Before unlocking: once unlocked, the file is the next holder's to write.
      try {
        if (readFileSync(holderFile(path), "utf8") === holder) unlinkSync(holderFile(path))
      } catch {
        // Already gone: nothing to tidy.
      }
      lock.close()
    },
  }
}

/**
 * Holds the writer lock of a database file for the scope (nothing for `:memory:`); fails
 * when another store, in this process or another, holds it.
 */
export const hold = (filename: string): Effect.Effect<void, EventStore.StoreError, Scope.Scope> =>
  filename === ":memory:"
    ? Effect.void
    : Effect.asVoid(
        Effect.acquireRelease(
          Effect.try({
            try: () => take(filename),
            catch: (cause) =>
              new EventStore.StoreError({
                message: `SQLite store: ${cause instanceof Error ? cause.message : String(cause)}`,
                cause,
              }),
          }),
          (lock) => Effect.sync(lock.release),
        ),
      )
