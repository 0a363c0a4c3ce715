// The rollups (see the module comment of `engine.ts`): per rollup set, event and local day,
// the number of events (`day_counts`), the sums of numeric properties (`day_sums`) and the
// set of profiles (`day_profiles`, in parts: see `profileSets.ts`). Folds logged events into
// them and answers query plans from them, keeping decoded day sets and distinct counts in
// memory; with the "writer" role it logs the day sets it changes (`day_changes`), with
// "reader" it reads that log. The rows of a batch are written (and its day sets read) many
// a statement, by `rollupRows.ts`.
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as QueryPlan from "@trendline/core/QueryPlan"
import type { SqlDriver, SqlRow } from "../SqlDriver.ts"
import { type DaySetCache, DistinctCounts, SetCache, SetCacheBudget, setKey } from "./caches.ts"
import type { Role } from "./engine.ts"
import type { LogEntry } from "./eventLog.ts"
import * as ProfileSets from "./profileSets.ts"
import * as RollupRows from "./rollupRows.ts"
import { prefetchedPartBytes, sumBase } from "./rollupRows.ts"

const sumBaseBig = 16_777_216n
// The change log keeps this many of the newest changes; a reader further behind starts over.
const changesKept = 100_000
// Estimated microseconds of work, reported at each `yield` of a query (see `query`): where
// the clock stands still (a deployed Durable Object), the host pauses after so much of it.
// Measured with Node 24 on a 2-core Xeon: unioning a day set into a bitset costs about 1 µs
// plus 2-4 ns per profile, decoding its bytes 1-2 ns per profile, and a statement about
// 10 µs plus 1 µs per row it reads.
export const cost = {
  statement: 10,
  row: 1,
  // Reading, copying and decoding a stored set, per byte (4 per profile).
  byte: 0.0015,
  union: 1,
  profile: 0.004,
  // A look into the decoded sets.
  lookup: 0.05,
} as const
// The work a query does between two reports: checkpoints a host may pause at.
export const checkpointMicros = 100
// Day sets read ahead at a time, from the first one a union misses: about three months.
const daysPerPrefetch = 96

/** Starts an empty rollup set; its number is what the rollup tables call `acct`. */
export const newRollupSet = (driver: SqlDriver): number =>
  Number(driver.all("INSERT INTO rollup_sets DEFAULT VALUES RETURNING id")[0]!.id)

/** The rollup sets of one connection, and what it has decoded of them. */
export interface RollupSets {
  /** Readers: drops the decoded sets and remembered unions the writer changed since. */
  readonly catchUp: () => void
  /** Folds stored events into the rollups of their local days in `timeZone`. */
  readonly apply: (rollups: number, timeZone: string, entries: ReadonlyArray<LogEntry>) => void
  /**
   * Answers `plan` (its filters aside) for the events of `events` (an event, or the value
   * slices that hold a filter's events: see `valueSlices.ts`) from one rollup set: counts
   * and sums added, distinct profiles unioned. Each `yield` is a point where other work may
   * run, and reports the estimated microseconds of work done since the last one.
   */
  readonly query: (
    rollups: number,
    events: ReadonlyArray<number>,
    plan: QueryPlan.QueryPlan,
  ) => Generator<number, QueryPlan.Result, void>
  /** Forgets everything decoded, after a transaction that rolled back. */
  readonly clear: () => void
}

/**
 * The rollup sets over `driver`, keeping decoded day sets up to `memory` bytes, or within a
 * budget shared with other stores (every object of an isolate).
 */
export const make = (
  driver: SqlDriver,
  role: Role,
  memory: number | SetCacheBudget,
): RollupSets => {
  const cache: DaySetCache =
    memory instanceof SetCacheBudget ? memory.cache() : new SetCache(memory)
  const distinct = new DistinctCounts()
  // Bumped whenever a day set changes: a sliced query remembers a union only if no set
  // changed while it was gathering the days.
  let generation = 0
  // Readers: the newest change of the log already applied to the caches.
  let seenChange: number | undefined

  // Readers: drop the decoded sets and remembered unions that the writer changed since.
  const catchUp = (): void => {
    // Two subqueries: SQLite answers a lone min() or max() from the key, both at once by a scan.
    const bounds = driver.all(
      "SELECT (SELECT min(seq) FROM day_changes) AS low, (SELECT max(seq) FROM day_changes) AS high",
    )[0]
    const high = bounds?.high === null || bounds === undefined ? 0 : Number(bounds.high)
    if (seenChange === undefined || high < seenChange) {
      // First look, or a log that was emptied: nothing decoded before can be trusted.
      if (seenChange !== undefined) {
        cache.clear()
        distinct.clear()
      }
      seenChange = high
      return
    }
    if (high === seenChange) return
    if (Number(bounds!.low) > seenChange + 1) {
      cache.clear()
      distinct.clear()
    } else {
      for (const change of driver.all("SELECT rollups, event, day FROM day_changes WHERE seq > ?", [
        seenChange,
      ])) {
        const rollups = Number(change.rollups)
        const event = Number(change.event)
        const day = Number(change.day)
        cache.delete(setKey(rollups, event, day))
        distinct.invalidate(rollups, event, day)
      }
    }
    generation++
    seenChange = high
  }

  const daySet = (rollups: number, event: number, day: number): Uint32Array => {
    const key = setKey(rollups, event, day)
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const set = ProfileSets.fromParts(
      driver
        .all(
          "SELECT profiles FROM day_profiles WHERE acct = ? AND event = ? AND day = ? ORDER BY part",
          [rollups, event, day],
        )
        .map((row) => row.profiles as Uint8Array),
    )
    cache.set(key, set)
    return set
  }

  // Reads the small day sets of a range that are not decoded yet in one statement, not one
  // a day; a day with a larger part is left to `daySet`. Answers the estimated work.
  const prefetch = (rollups: number, event: number, from: number, to: number): number => {
    let missing = 0
    for (let day = from; day <= to; day++)
      if (cache.get(setKey(rollups, event, day)) === undefined) missing++
    let work = (to - from + 1) * cost.lookup
    if (missing < 2) return work
    const small = new Map<number, Array<Uint8Array>>()
    const large = new Set<number>()
    work += cost.statement
    for (const row of driver.all(
      `SELECT day, CASE WHEN length(profiles) <= ? THEN profiles END AS profiles FROM day_profiles
       WHERE acct = ? AND event = ? AND day BETWEEN ? AND ? ORDER BY day, part`,
      [prefetchedPartBytes, rollups, event, from, to],
    )) {
      const day = Number(row.day)
      const parts = small.get(day)
      work += cost.row
      if (row.profiles === null) large.add(day)
      else {
        work += (row.profiles as Uint8Array).byteLength * cost.byte
        if (parts === undefined) small.set(day, [row.profiles as Uint8Array])
        else parts.push(row.profiles as Uint8Array)
      }
    }
    for (let day = from; day <= to; day++) {
      const key = setKey(rollups, event, day)
      if (large.has(day) || cache.get(key) !== undefined) continue
      cache.set(key, ProfileSets.fromParts(small.get(day) ?? []))
    }
    return work
  }

  // The number of profiles of each day of a range, in one statement: a day's set holds each
  // profile once, so its stored bytes tell, without reading the set (SQLite takes length()
  // of a BLOB from the row header).
  const daySizes = (rollups: number, event: number, from: number, to: number) => {
    const sizes = new Map<number, number>()
    for (const row of driver.all(
      "SELECT day, sum(length(profiles)) AS bytes FROM day_profiles WHERE acct = ? AND event = ? AND day BETWEEN ? AND ? GROUP BY day",
      [rollups, event, from, to],
    ))
      sizes.set(Number(row.day), Number(row.bytes) / 4)
    return sizes
  }

  let changesLogged = 0

  // Folds stored events into the rollups of their local days in `timeZone`.
  const applyRollups = (
    rollups: number,
    timeZone: string,
    entries: ReadonlyArray<LogEntry>,
  ): void => {
    const counts = new Map<string, { event: number; day: number; count: number }>()
    // Each part of a sum stays a safe integer here: at most 2^29 per event in `high`.
    const sums = new Map<
      string,
      { event: number; property: string; day: number; high: number; low: number }
    >()
    const newProfiles = new Map<string, { event: number; day: number; profiles: Array<number> }>()
    for (const [event, ts, profile, properties] of entries) {
      const day = Calendar.dayOfTimestamp(ts, timeZone)
      const key = `${event}:${day}`
      const count = counts.get(key)
      if (count === undefined) counts.set(key, { event, day, count: 1 })
      else count.count++
      const profiles = newProfiles.get(key)
      if (profiles === undefined) newProfiles.set(key, { event, day, profiles: [profile] })
      else profiles.profiles.push(profile)
      for (const property in properties) {
        const value = Aggregator.summand(properties[property])
        if (value === 0) continue
        const high = Math.floor(value / sumBase)
        const low = value - high * sumBase
        const sumKey = `${key}:${property}`
        const sum = sums.get(sumKey)
        if (sum === undefined) sums.set(sumKey, { event, property, day, high, low })
        else {
          sum.high += high
          sum.low += low
        }
      }
    }
    RollupRows.upsertCounts(driver, rollups, [...counts.values()])
    RollupRows.upsertSums(driver, rollups, [...sums.values()])
    // The day sets not decoded yet, many a statement; a large one is left to `daySet`.
    RollupRows.readDaySets(
      driver,
      rollups,
      [...newProfiles.values()].filter(
        ({ event, day }) => cache.get(setKey(rollups, event, day)) === undefined,
      ),
      (event, day, set) => cache.set(setKey(rollups, event, day), set),
    )
    const changed: Array<RollupRows.EventDay> = []
    const parts: Array<RollupRows.DayPart> = []
    for (const { event, day, profiles } of newProfiles.values()) {
      const existing = daySet(rollups, event, day)
      const merged = ProfileSets.merge(existing, ProfileSets.sortedSet(Uint32Array.from(profiles)))
      if (merged === existing) continue
      // The parts before the first new number hold the same numbers as before.
      const from = ProfileSets.firstDifference(existing, merged)
      for (const { part, blob } of ProfileSets.partsFrom(merged, from))
        parts.push({ event, day, part, blob })
      changed.push({ event, day })
      cache.set(setKey(rollups, event, day), merged)
      distinct.invalidate(rollups, event, day)
      generation++
    }
    RollupRows.upsertParts(driver, rollups, parts)
    if (role === "writer") {
      RollupRows.logChanges(driver, rollups, changed)
      changesLogged += changed.length
    }
    if (changesLogged >= changesKept / 10) {
      driver.run("DELETE FROM day_changes WHERE seq <= (SELECT max(seq) FROM day_changes) - ?", [
        changesKept,
      ])
      changesLogged = 0
    }
  }

  const perDay = (
    plan: QueryPlan.QueryPlan,
    rows: ReadonlyArray<SqlRow>,
    value: (row: SqlRow) => bigint,
  ): Array<bigint> => {
    const values = new Array<bigint>(plan.to - plan.from + 1).fill(0n)
    for (const row of rows) values[Number(row.day) - plan.from] = value(row)
    return values
  }

  function* query(
    rollups: number,
    events: ReadonlyArray<number>,
    plan: QueryPlan.QueryPlan,
  ): Generator<number, QueryPlan.Result, void> {
    // One event's unions are remembered and its single days read by size; several events'
    // (slices) are always unioned.
    const event = events.length === 1 ? events[0]! : undefined
    if (plan.measure._tag === "Profiles") {
      const counts = plan.groups.map((group) => new Array<number>(group.buckets.length).fill(0))
      let work = 0
      // Buckets of one day: the size of its set. Others: a remembered count, or a union.
      let singles: Map<number, number> | undefined
      const unions: Array<{ g: number; b: number; first: number; last: number }> = []
      for (const [g, group] of plan.groups.entries()) {
        for (const [b, { first, last }] of group.buckets.entries()) {
          if (event === undefined) {
            if (events.length > 0) unions.push({ g, b, first, last })
            continue
          }
          if (first === last) {
            singles ??= daySizes(rollups, event, plan.from, plan.to)
            counts[g]![b] =
              cache.get(setKey(rollups, event, first))?.length ?? singles.get(first) ?? 0
            continue
          }
          const known = distinct.get(rollups, event, first, last)
          if (known === undefined) unions.push({ g, b, first, last })
          else counts[g]![b] = known
        }
      }
      if (singles !== undefined) work += cost.statement + singles.size * cost.row
      // One union per query: queries interleave at their yields.
      const union = new ProfileSets.UnionCounter()
      for (const { g, b, first, last } of unions) {
        // Another group may have asked for the same days.
        const known = event === undefined ? undefined : distinct.get(rollups, event, first, last)
        if (known !== undefined) {
          counts[g]![b] = known
          continue
        }
        const startedAt = generation
        // Day by day: only the union and the day being added stay in memory.
        union.reset()
        for (const each of events) {
          for (let day = first; day <= last; day++) {
            let set = cache.get(setKey(rollups, each, day))
            if (set === undefined) {
              work += prefetch(rollups, each, day, Math.min(plan.to, day + daysPerPrefetch - 1))
              set = cache.get(setKey(rollups, each, day))
            }
            if (set === undefined) {
              // A large day set, read alone.
              set = daySet(rollups, each, day)
              work += cost.statement + set.length * 4 * cost.byte
            }
            union.add(set)
            work += cost.union + set.length * cost.profile
            if (work >= checkpointMicros) {
              yield work
              work = 0
            }
          }
        }
        counts[g]![b] = union.size
        if (event !== undefined && generation === startedAt)
          distinct.set(rollups, event, first, last, union.size)
      }
      if (work > 0) yield work
      return resultOf(plan, (g, b) => counts[g]![b]!)
    }
    const index = QueryPlan.bucketIndex(plan)
    // Several events: one statement over all of them (a JSON array, one parameter).
    const of = event === undefined ? "event IN (SELECT value FROM json_each(?))" : "event = ?"
    const eventParam = event ?? JSON.stringify(events)
    const values =
      plan.measure._tag === "Events"
        ? perDay(
            plan,
            driver.all(
              `SELECT day, sum(count) AS count FROM day_counts WHERE acct = ? AND ${of} AND day BETWEEN ? AND ? GROUP BY day`,
              [rollups, eventParam, plan.from, plan.to],
            ),
            (row) => BigInt(row.count as number | bigint),
          )
        : perDay(
            plan,
            driver.all(
              `SELECT day, sum(low) AS low, sum(high) AS high FROM day_sums WHERE acct = ? AND ${of} AND property = ? AND day BETWEEN ? AND ? GROUP BY day`,
              [rollups, eventParam, plan.measure.property, plan.from, plan.to],
            ),
            (row) =>
              BigInt(row.high as number | bigint) * sumBaseBig + BigInt(row.low as number | bigint),
          )
    const totals = plan.groups.map((group, g) => {
      const sums = new Array<bigint>(group.buckets.length).fill(0n)
      values.forEach((value, offset) => {
        sums[index[g]![offset]!]! += value
      })
      return sums
    })
    return resultOf(plan, (g, b) => Number(totals[g]![b]!))
  }

  const clear = (): void => {
    cache.clear()
    distinct.clear()
    generation++
  }

  return { catchUp, apply: applyRollups, query, clear }
}

/** The answer to `plan` with `value` in each bucket, every bucket present. */
export const resultOf = (
  plan: QueryPlan.QueryPlan,
  value: (group: number, bucket: number) => number,
): QueryPlan.Result =>
  Object.fromEntries(
    plan.groups.map((group, g) => [
      group.name,
      Object.fromEntries(group.buckets.map((bucket, b) => [bucket.key, value(g, b)])),
    ]),
  )
