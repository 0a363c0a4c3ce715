// The rollup rows an ingested batch writes and the day sets it reads, many rows per
// statement (see `statements.ts`): a batch of 1,000 events touches hundreds of (event, day)
// rows, and in a Durable Object one statement a row cost more than the rest of ingestion.
// `rollupSets.ts` decides what to write; this module only says it to SQLite.
import type { SqlDriver } from "../SqlDriver.ts"
import * as ProfileSets from "./profileSets.ts"
import { byRows, inSlices, rowsPerStatement, tuples } from "./statements.ts"

// 2^24: a day's sum is kept as high * 2^24 + low (see migration 4).
export const sumBase = 16_777_216
// Many day sets are read in one statement, but only the parts up to this size: a month of
// large days (600,000 profiles are 2.4 MB a day) would not fit an isolate's memory at once,
// and they are read one day at a time instead.
export const prefetchedPartBytes = 64 * 1024

/** A day's events of one event, to add to its count. */
export interface DayCount {
  readonly event: number
  readonly day: number
  readonly count: number
}

/** A day's sum of one property of one event, to add: `high * 2^24 + low`. */
export interface DaySum {
  readonly event: number
  readonly property: string
  readonly day: number
  readonly high: number
  readonly low: number
}

/** One event's local day. */
export interface EventDay {
  readonly event: number
  readonly day: number
}

/** A stored part of a day set (see `profileSets.ts`). */
export interface DayPart extends EventDay {
  readonly part: number
  readonly blob: Uint8Array
}

// Whatever the number of rows, the same ON CONFLICT clause as one row at a time: SQLite
// evaluates SET against the row as it was, and one statement holds each key once.
const upsertCountsText = byRows(
  (rows) => `INSERT INTO day_counts (acct, event, day, count) VALUES ${tuples(rows, 3)}
     ON CONFLICT (acct, event, day) DO UPDATE SET count = count + excluded.count`,
)
const upsertSumsText = byRows(
  (rows) => `INSERT INTO day_sums (acct, event, property, day, low, high) VALUES ${tuples(rows, 5)}
     ON CONFLICT (acct, event, property, day) DO UPDATE SET
       low = (low + excluded.low) % ${sumBase},
       high = high + excluded.high + (low + excluded.low) / ${sumBase}`,
)
const upsertPartsText = byRows(
  (rows) => `INSERT INTO day_profiles (acct, event, day, part, profiles) VALUES ${tuples(rows, 4)}
     ON CONFLICT (acct, event, day, part) DO UPDATE SET profiles = excluded.profiles`,
)
const logChangesText = byRows(
  (rows) => `INSERT INTO day_changes (rollups, event, day) VALUES ${tuples(rows, 2)}`,
)
// A part larger than `prefetchedPartBytes` is read as NULL: its day is left to the caller.
// The bound is part of the text, so the pairs have every parameter after the first.
const selectPartsText = byRows(
  (rows) => `SELECT event, day,
       CASE WHEN length(profiles) <= ${prefetchedPartBytes} THEN profiles END AS profiles
     FROM day_profiles WHERE acct = ?1 AND (event, day) IN (VALUES ${pairs(rows)})
     ORDER BY event, day, part`,
)

// `(?2, ?3), (?4, ?5), …`: `rows` pairs of parameters after the shared first one.
const pairs = (rows: number): string =>
  Array.from({ length: rows }, (_, i) => `(?${2 * i + 2}, ?${2 * i + 3})`).join(", ")

/** Adds `counts` to `day_counts` of rollup set `rollups`, 33 rows a statement. */
export const upsertCounts = (
  driver: SqlDriver,
  rollups: number,
  counts: ReadonlyArray<DayCount>,
): void =>
  inSlices(counts, rowsPerStatement(3), (slice) => {
    const params: Array<number> = [rollups]
    for (const { event, day, count } of slice) params.push(event, day, count)
    driver.run(upsertCountsText(slice.length), params)
  })

/** Adds `sums` to `day_sums` of rollup set `rollups`, 19 rows a statement. */
export const upsertSums = (driver: SqlDriver, rollups: number, sums: ReadonlyArray<DaySum>): void =>
  inSlices(sums, rowsPerStatement(5), (slice) => {
    const params: Array<number | string> = [rollups]
    for (const { event, property, day, high, low } of slice) {
      const carry = Math.floor(low / sumBase)
      params.push(event, property, day, low - carry * sumBase, high + carry)
    }
    driver.run(upsertSumsText(slice.length), params)
  })

/**
 * Reads the day sets of `days` (each given once), 49 days a statement, and gives each to
 * `found` (an empty set for a day with none); a day with a part over `prefetchedPartBytes`
 * is left out, to be read alone.
 */
export const readDaySets = (
  driver: SqlDriver,
  rollups: number,
  days: ReadonlyArray<EventDay>,
  found: (event: number, day: number, set: Uint32Array) => void,
): void =>
  inSlices(days, rowsPerStatement(2), (slice) => {
    const params: Array<number> = [rollups]
    for (const { event, day } of slice) params.push(event, day)
    const parts = new Map<string, Array<Uint8Array>>()
    const large = new Set<string>()
    for (const row of driver.all(selectPartsText(slice.length), params)) {
      const key = `${row.event}:${row.day}`
      if (row.profiles === null) large.add(key)
      else {
        const known = parts.get(key)
        if (known === undefined) parts.set(key, [row.profiles as Uint8Array])
        else known.push(row.profiles as Uint8Array)
      }
    }
    for (const { event, day } of slice) {
      const key = `${event}:${day}`
      if (!large.has(key)) found(event, day, ProfileSets.fromParts(parts.get(key) ?? []))
    }
  })

/** Writes (or rewrites) `parts` of day sets of rollup set `rollups`, 24 a statement. */
export const upsertParts = (
  driver: SqlDriver,
  rollups: number,
  parts: ReadonlyArray<DayPart>,
): void =>
  inSlices(parts, rowsPerStatement(4), (slice) => {
    const params: Array<number | Uint8Array> = [rollups]
    for (const { event, day, part, blob } of slice) params.push(event, day, part, blob)
    driver.run(upsertPartsText(slice.length), params)
  })

/** Logs that the day sets of `days` of rollup set `rollups` changed, 49 a statement. */
export const logChanges = (
  driver: SqlDriver,
  rollups: number,
  days: ReadonlyArray<EventDay>,
): void =>
  inSlices(days, rowsPerStatement(2), (slice) => {
    const params: Array<number> = [rollups]
    for (const { event, day } of slice) params.push(event, day)
    driver.run(logChangesText(slice.length), params)
  })
