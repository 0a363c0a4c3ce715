// The database file as the operator sees it: checked when the store opens it (corrupt or
// unwritable files are refused, with what to do), and checked again before every write and
// health check (a file deleted or replaced under a running server would take every later
// write with it at the next restart, while each upload was answered 200).
import { type BigIntStats, statSync } from "node:fs"
import { stat } from "node:fs/promises"
import type * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import type { SqlDriver } from "../SqlDriver.ts"
import { storeError } from "../SqliteEventStore.ts"
import { kindOf, SqliteError } from "./sqliteErrors.ts"

/** Which file a path named when it was opened. */
export interface Identity {
  readonly dev: bigint
  readonly ino: bigint
}

/** The identity of the file at `filename` now. */
export const identify = (filename: string): Identity => {
  const { dev, ino } = statSync(filename, { bigint: true }) as BigIntStats
  return { dev, ino }
}

/** The file at a path is no longer the one the store opened. */
export class FileGone extends Error {
  override readonly name = "FileGone"
}

// `FileGone` if `now` (the file's identity, or the error of reading it) is not `opened`.
const judge = (filename: string, opened: Identity, now: Identity | unknown): void => {
  if (!(typeof now === "object" && now !== null && "ino" in now)) {
    if ((now as NodeJS.ErrnoException).code === "ENOENT")
      throw new FileGone(
        `the database file ${filename} was deleted while the server ran: writes are refused, as they would be lost at the next start; restore the file from a backup and restart Trendline`,
      )
    throw now
  }
  const { dev, ino } = now as Identity
  if (dev !== opened.dev || ino !== opened.ino)
    throw new FileGone(
      `the database file ${filename} was replaced while the server ran (another file is at its path now): writes are refused, as they would go to the old file; restart Trendline to serve the new one`,
    )
}

/** Throws `FileGone` unless the file at `filename` is still `opened`. */
export const checkIdentity = (filename: string, opened: Identity): void => {
  let now: Identity | unknown
  try {
    now = identify(filename)
  } catch (error) {
    now = error
  }
  judge(filename, opened, now)
}

/** `checkIdentity` without blocking the thread (for a health check on the serving thread). */
export const checkIdentityAsync = async (filename: string, opened: Identity): Promise<void> => {
  const now = await stat(filename, { bigint: true }).then(
    ({ dev, ino }): Identity => ({ dev, ino }),
    (error: unknown) => error,
  )
  judge(filename, opened, now)
}

/** The store refuses to start on this file; the message says why and what to do. */
export class Refused extends Error {
  override readonly name = "Refused"
}

const fix = "or point TRENDLINE_DB elsewhere"

const corrupt = (filename: string, detail: string) =>
  new Refused(
    `the database file ${filename} is corrupt (${detail}): restore it from a backup, ${fix}`,
  )

/** Why a store cannot start on `filename`, from what opening or checking it threw. */
export const refusal = (filename: string, error: unknown): Error => {
  if (error instanceof Refused) return error
  const detail =
    error instanceof SqliteError && error.cause instanceof Error
      ? error.cause.message
      : error instanceof Error
        ? error.message
        : String(error)
  switch (kindOf(error)) {
    case "corrupt":
      return corrupt(filename, detail)
    case "read-only":
    case "cannot open":
      return new Refused(
        `the database file ${filename} cannot be written: read-only file or folder (${detail}): make the file and its folder writable by the user running Trendline, ${fix}`,
      )
    case "disk full":
      return new Refused(
        `the database file ${filename} cannot be written: disk full (${detail}): free space on its disk, ${fix}`,
      )
    default:
      return new Refused(`cannot open the SQLite database ${filename}: ${detail}`)
  }
}

/**
 * The checks of a file before a store writes it: `PRAGMA quick_check` (every page readable
 * and well formed, without the index cross-checks of `integrity_check`; it reads the whole
 * file, a few seconds a GB) and a write that changes nothing but reaches the disk.
 */
export const checkAtStart = (driver: SqlDriver, filename: string): void => {
  const problems = driver
    .all("PRAGMA quick_check(5)")
    .map((row) => String(Object.values(row)[0]))
    .filter((line) => line !== "ok")
  if (problems.length > 0) throw corrupt(filename, problems.join("; "))
  // Setting the header's user_version to its own value is a real write transaction.
  const version = Number(driver.all("PRAGMA user_version")[0]?.user_version ?? 0)
  driver.exec(`PRAGMA user_version = ${version}`)
}

/**
 * The store with its file checked before every append and health check: an append to a
 * deleted or replaced file fails (the upload answers 503) instead of vanishing at restart.
 */
export const guard = (service: EventStore.Service, check: () => void): EventStore.Service => {
  const checked = (operation: string) => Effect.try({ try: check, catch: storeError(operation) })
  return {
    ...service,
    append: (account, batch, key) =>
      Effect.zipRight(checked("append"), service.append(account, batch, key)),
    health: () => Effect.zipRight(checked("health"), service.health()),
  }
}
