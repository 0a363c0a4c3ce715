// Plans with filters (`plan.filters`) and top counts plans, answered from the event log. The
// rollups hold every event of a day together, so they cannot tell which events match a
// filter nor which values they have: such a plan reads the account's `event_log` instead, in
// chunks of rows by `seq` (`scan`), and visits the events of its name and range that core's
// predicate (`Filter.matches`) accepts, with the fields of the profile that did each as
// stored now (read once per profile per query, when a condition or a top counts group needs
// them).
// - Trends (`query`): days, buckets and sums follow core's rules (`Calendar.dayOfTimestamp`,
//   `QueryPlan.bucketIndex` and `bucketLocator`, `Aggregator.summand`, sums added exactly),
//   so the answer is `Aggregator.aggregate`'s. Plans with hourly groups are answered here
//   too, filters or not: the rollups hold whole days.
// - Top counts (`top`): per group, each visited event counts for the value it has
//   (`TopCounts.isValue`, keyed by its JSON) and core ranks them (`TopCounts.rank`), so the
//   answer is `TopCounts.reference`'s.
//
// Slow, for now: the scan decodes the log's JSON in JavaScript, every event of the account
// (about 4-5 ns a character, half a microsecond an event on Node), where the rollups read
// one row a day whatever the number of events: far slower than an unfiltered plan. A later
// step keeps per-value rollups for the properties filters look at.
//
// It does not depend on the rollups, so it answers in any time zone, even while the
// account's rollups are rebuilt in another one.
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Filter from "@trendline/core/Filter"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import type { SqlDriver } from "../SqlDriver.ts"
import type { AccountState, Accounts } from "./accounts.ts"
import { type LogEntry, parseLogChunk } from "./eventLog.ts"
import { checkpointMicros, cost, resultOf } from "./rollupSets.ts"

// Estimated microseconds of work (see `cost` in `rollupSets.ts`), measured with Node 24:
// `JSON.parse` takes about 4 ns a character of a log row or a profile; looking at a decoded
// event (its name and time) a few ns, judging one of the plan's name and range (its
// filters, day and buckets) well under 0.1 µs for a few conditions, and counting the value
// of one top counts group (its JSON text and a map entry) under 0.1 µs.
export const scanCost = {
  char: 0.005,
  entry: 0.02,
  candidate: 0.2,
  value: 0.1,
} as const

// Log rows read per statement: the first read takes this many, later reads as many as make
// about `charsPerRead` characters at the size of the rows read so far (a row holds one
// batch, from one event to about 500,000 characters: `eventLog.ts`), within these bounds.
const firstRowsPerRead = 16
const maxRowsPerRead = 1000
const charsPerRead = 1_000_000
// Profiles read between two yields, a few statements' worth (`accounts.ts` reads 99 a
// statement).
const profilesPerRead = 400

type Properties = Aggregator.Event["properties"]

/** Which events a scan visits, and what its visits need. */
interface ScanSpec {
  /** The visited events' times are in [start, end). */
  readonly start: number
  readonly end: number
  /** The conditions the visited events (and the fields of their profiles) meet. */
  readonly filters: Filter.Filters
  /**
   * Whether each visit needs the fields of the event's profile even when no condition
   * reads them; otherwise `visit` gets them only when a profile condition needed them.
   */
  readonly fields: boolean
  /** Estimated microseconds of each visit. */
  readonly visitCost: number
}

/**
 * Calls `visit` with each event of `event` that `spec` selects, from the account's event log
 * in the order stored, with the fields of its profile as stored now (`undefined` before a
 * profile record, or when neither the filters nor `spec.fields` ask for them). Each `yield`
 * is a point where other work may run, and reports the estimated microseconds of work done
 * since the last one. Events appended while it runs are not visited: the scan stops at the
 * log's last row when it starts.
 */
function* scan(
  driver: SqlDriver,
  accounts: Accounts,
  state: AccountState,
  event: number,
  spec: ScanSpec,
  visit: (
    ts: number,
    profile: number,
    properties: Properties,
    fields: Properties | undefined,
  ) => void,
): Generator<number, void, void> {
  const { start, end, visitCost } = spec
  // The two halves of `Filter.matches`: a profile is read only for an event that passes
  // its own conditions.
  const eventConditions: Filter.Filters = { event: spec.filters.event, profile: [] }
  const profileConditions: Filter.Filters = { event: [], profile: spec.filters.profile }
  const byProfile = profileConditions.profile.length > 0
  const withFields = byProfile || spec.fields
  // The fields of each profile seen, as stored now; `undefined` before a profile record.
  const fields = new Map<number, Properties | undefined>()

  let work: number = cost.statement
  const high = driver.all("SELECT max(seq) AS high FROM event_log WHERE acct = ?", [state.acct])[0]
    ?.high
  const last = high === null || high === undefined ? 0 : Number(high)
  let after = 0
  let rowsPerRead = firstRowsPerRead
  let rowsRead = 0
  let charsRead = 0
  while (after < last) {
    // Rows whose span misses [start, end) are passed over on the index (a row logged
    // before spans existed has none, and is read).
    const rows = driver.all(
      `SELECT log.seq AS seq, log.events AS events FROM event_log AS log
       LEFT JOIN event_log_spans AS span ON span.acct = log.acct AND span.seq = log.seq
       WHERE log.acct = ? AND log.seq > ? AND log.seq <= ?
         AND (span.seq IS NULL OR (span.last_ts >= ? AND span.first_ts < ?))
       ORDER BY log.seq LIMIT ?`,
      [state.acct, after, last, start, end, rowsPerRead],
    )
    work += cost.statement
    if (rows.length === 0) break
    // The events of the plan's name and range that pass their own conditions, from every
    // row of the read; then the profiles they need, in as few statements as possible.
    const candidates: Array<LogEntry> = []
    for (const row of rows) {
      after = Number(row.seq)
      const text = String(row.events)
      rowsRead++
      charsRead += text.length
      const entries = parseLogChunk(text)
      const before = candidates.length
      for (const entry of entries) {
        if (entry[0] !== event || entry[1] < start || entry[1] >= end) continue
        if (Filter.matches(eventConditions, entry[3], undefined)) candidates.push(entry)
      }
      work +=
        cost.row +
        text.length * scanCost.char +
        entries.length * scanCost.entry +
        (candidates.length - before) * scanCost.candidate
      if (work >= checkpointMicros) {
        yield work
        work = 0
      }
    }
    if (withFields) {
      const unknown = new Set<number>()
      for (const entry of candidates) if (!fields.has(entry[2])) unknown.add(entry[2])
      const numbers = [...unknown]
      for (let from = 0; from < numbers.length; from += profilesPerRead) {
        const slice = numbers.slice(from, from + profilesPerRead)
        const read = accounts.profileFields(state, slice)
        for (const no of slice) fields.set(no, read.fields.get(no))
        work +=
          read.statements * cost.statement + slice.length * cost.row + read.chars * scanCost.char
        if (work >= checkpointMicros) {
          yield work
          work = 0
        }
      }
    }
    if (visitCost === 0) {
      // Trends: judging a candidate is in its cost, counted as it was read.
      for (const [, ts, profile, properties] of candidates) {
        const known = withFields ? fields.get(profile) : undefined
        if (byProfile && !Filter.matches(profileConditions, properties, known)) continue
        visit(ts, profile, properties, known)
      }
    } else {
      for (const [, ts, profile, properties] of candidates) {
        const known = withFields ? fields.get(profile) : undefined
        if (byProfile && !Filter.matches(profileConditions, properties, known)) continue
        visit(ts, profile, properties, known)
        work += visitCost
        if (work >= checkpointMicros) {
          yield work
          work = 0
        }
      }
    }
    if (work >= checkpointMicros) {
      yield work
      work = 0
    }
    rowsPerRead = Math.max(
      1,
      Math.min(maxRowsPerRead, Math.floor(charsPerRead / Math.max(1, charsRead / rowsRead))),
    )
  }
  if (work > 0) yield work
}

/**
 * Answers `plan` (with filters, or with hours, which the rollups of days cannot cut) for
 * one event of an account from its event log (see `scan` for its yields).
 */
export function* query(
  driver: SqlDriver,
  accounts: Accounts,
  state: AccountState,
  event: number,
  plan: QueryPlan.QueryPlan,
): Generator<number, QueryPlan.Result, void> {
  const measure = plan.measure
  const days = plan.to - plan.from + 1
  const index = QueryPlan.bucketIndex(plan)
  const locate = QueryPlan.bucketLocator(plan)
  // Hours: each event goes straight to its bucket of every group (by its instant).
  const byInstant = QueryPlan.hasHours(plan)
  const slots = byInstant ? plan.groups.map((group) => group.buckets.length) : [days]

  // Per day of the range (or per group and bucket, with hours): the matching events, or
  // their sum, exact: a safe-integer part that is carried into a bigint before an addition
  // could round it.
  const counts = slots.map((n) => new Float64Array(n))
  const sums = slots.map((n) => new Float64Array(n))
  const carried = slots.map((n) => new Array<bigint>(n).fill(0n))
  // Per group and bucket: the distinct profile numbers.
  const profiles =
    measure._tag === "Profiles"
      ? plan.groups.map((group) => group.buckets.map(() => new Set<number>()))
      : undefined

  const add = (slot: number, at: number, properties: Properties): void => {
    if (measure._tag === "Sum") {
      const amount = Aggregator.summand(properties[measure.property])
      if (amount === 0) return
      const next = sums[slot]![at]! + amount
      if (Number.isSafeInteger(next)) sums[slot]![at] = next
      else {
        carried[slot]![at]! += BigInt(sums[slot]![at]!)
        sums[slot]![at] = amount
      }
    } else counts[slot]![at]!++
  }

  const count = (ts: number, profile: number, properties: Properties): void => {
    const offset = Calendar.dayOfTimestamp(ts, plan.timeZone) - plan.from
    if (offset < 0 || offset >= days) return
    if (profiles !== undefined) {
      for (let g = 0; g < profiles.length; g++) profiles[g]![locate(g, offset, ts)]!.add(profile)
    } else if (byInstant) {
      for (let g = 0; g < slots.length; g++) add(g, locate(g, offset, ts), properties)
    } else add(0, offset, properties)
  }

  // Judging a candidate's day and buckets is in `scanCost.candidate`.
  yield* scan(
    driver,
    accounts,
    state,
    event,
    { start: plan.start, end: plan.end, filters: plan.filters, fields: false, visitCost: 0 },
    count,
  )

  if (profiles !== undefined) return resultOf(plan, (g, b) => profiles[g]![b]!.size)
  const exact = (slot: number, at: number): bigint =>
    measure._tag === "Sum"
      ? carried[slot]![at]! + BigInt(sums[slot]![at]!)
      : BigInt(counts[slot]![at]!)
  if (byInstant) return resultOf(plan, (g, b) => Number(exact(g, b)))
  const totals = plan.groups.map((group, g) => {
    const bucketTotals = new Array<bigint>(group.buckets.length).fill(0n)
    for (let offset = 0; offset < days; offset++) {
      const value = exact(0, offset)
      if (value !== 0n) bucketTotals[index[g]![offset]!]! += value
    }
    return bucketTotals
  })
  return resultOf(plan, (g, b) => Number(totals[g]![b]!))
}

/** Every group of `plan` answered with no value: an account or event never stored. */
export const emptyTop = (plan: TopCounts.TopPlan): TopCounts.TopResult =>
  Object.fromEntries(plan.groups.map((group) => [group.name, []]))

/**
 * Answers a top counts plan for one event of an account from its event log (see `scan` for
 * its yields): per group, the events that match count for the value they have (of the
 * event's property, or of its profile's field as stored now), keyed by the value's JSON, and
 * core ranks them (`TopCounts.rank`), so the answer is `TopCounts.reference`'s.
 */
export function* top(
  driver: SqlDriver,
  accounts: Accounts,
  state: AccountState,
  event: number,
  plan: TopCounts.TopPlan,
): Generator<number, TopCounts.TopResult, void> {
  const groups = plan.groups
  const counts = groups.map(() => new Map<string, number>())
  const visit = (
    _ts: number,
    _profile: number,
    properties: Properties,
    fields: Properties | undefined,
  ): void => {
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!
      const source = group.source === "event" ? properties : fields
      if (source === undefined || !Object.hasOwn(source, group.property)) continue
      const value = source[group.property]
      if (!TopCounts.isValue(value)) continue
      const json = JSON.stringify(value)
      const values = counts[g]!
      values.set(json, (values.get(json) ?? 0) + 1)
    }
  }
  yield* scan(
    driver,
    accounts,
    state,
    event,
    {
      start: plan.start,
      end: plan.end,
      filters: plan.filters,
      fields: groups.some((group) => group.source === "profile"),
      visitCost: groups.length * scanCost.value,
    },
    visit,
  )
  return Object.fromEntries(
    groups.map((group, g) => [group.name, TopCounts.rank(counts[g]!, group)]),
  )
}
