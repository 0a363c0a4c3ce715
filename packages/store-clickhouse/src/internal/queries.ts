// How the store answers a plan: one query of the plan's event in its range of instants.
//
// - Counts and sums, and distinct profiles when every bucket is one day: ClickHouse only
//   cuts local days, each event's day in the account's zone (`toDate(toDateTime(ts),
//   zone)`, the day numbers core's `Calendar` counts, days since 1970-01-01), one row per day
//   (at most 366). Core's calendar says which bucket holds each day
//   (`QueryPlan.bucketIndex`), and the days are added up into every group's buckets here,
//   exactly (`bigint`): no week, month or year rule in SQL.
// - Distinct profiles over weeks, months or the whole range do not add up over days, and
//   there the SQL keeps bucket starts of its own (`toMonday`, `toStartOfMonth`): grouping
//   by the buckets that core's index names (an array literal looked up by day, per event
//   for one granularity, per day before `uniqExactMerge` for several) was measured slower,
//   by 3% of server CPU for one weekly or monthly group over 2.5M events on 18.16, 7-10%
//   over 250k, and 8-11% on current ClickHouse (chdb); 0-7% with several groups, up to 29%
//   on small answers (figures in the README). The rule of the design review ("one
//   calendar: date rules live in core only") keeps SQL bucket starts where core's way is
//   slower. They are guarded twice: each start must be the first day of the whole bucket
//   that core's `Bucket.rangeOfKey` gives for the plan's key, or the query fails; and the
//   contract in test/support/BucketStarts.ts holds them to core's reference aggregator on
//   18.16 and on current ClickHouse.
// - Window groups (any buckets of days the plan's maker cut, rolling windows) of distinct
//   profiles: each day keeps its set of profiles (`uniqExactState`) and the sets are merged
//   into the buckets that core's index names (`QueryPlan.bucketIndex`, one array literal a
//   group), for every group of the plan at once.
// - Hourly groups are answered by a query of their own: events grouped by local day and by
//   hour of the day, `intDiv(ts - start of the day, 3600)` (`Bucket.hourOf`), the days'
//   first instants computed by core (`Calendar.startOfDay`) and passed as an array literal,
//   so that ClickHouse keeps no rule of DST days. A row for an hour the plan does not have
//   fails the query, as a day outside it does.
// - Filters (`plan.filters`): the events are read through a subquery that keeps those the
//   filters let through (`filters.ts`); a plan without filters reads the table as before.
import type * as Account from "@trendline/core/Account"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { integerLiteral, stringLiteral } from "../ClickHouseSql.ts"
import { slotSeconds } from "./BatchRow.ts"
import { type Connection, storeError } from "./connection.ts"
import { filteredSource } from "./filters.ts"
import { tables } from "./migrations.ts"

// ClickHouse's DateTime and Date (18.16 and today) hold 1970-01-01 to early 2106, and
// `toMonday` cannot go before 1970-01-01. Instants from 1970-01-06 (local days from
// 1970-01-05, a Monday, in any zone) to 2106-01-01 are cut exactly; a query that would need
// an event outside them fails rather than answer wrong.
export const firstBucketedInstant = 5 * 86_400
export const endOfBucketedInstants = Date.UTC(2106, 0, 1) / 1000

/** The query of a plan's events (`source`: FROM and WHERE), and how to read its rows. */
export interface PlanQuery {
  readonly sql: string
  /**
   * `days`: rows of (day, value). `starts`: rows of (cut, first day of a whole bucket,
   * value), where cut `c` is the granularity `granularities[c]`. `buckets`: rows of (group,
   * bucket, value) by index. `hours`: rows of (day, hour of the day, value).
   */
  readonly rows: "days" | "starts" | "buckets" | "hours"
  readonly granularities: ReadonlyArray<QueryPlan.Granularity>
}

// The first day of the whole bucket that holds `day` (SQL, a Date in the account's zone):
// kept for distinct profiles only, see above.
const bucketStartSql = (
  granularity: QueryPlan.Granularity,
  weekStart: Bucket.WeekStart,
  day: string,
): string => {
  switch (granularity) {
    case "daily":
      return day
    case "weekly":
      // 18.16 has no toStartOfWeek(day, mode): Sunday weeks start the day before the Monday
      // that follows (or is) the day after.
      return weekStart === "monday" ? `toMonday(${day})` : `toMonday(${day} + 1) - 1`
    case "monthly":
      return `toStartOfMonth(${day})`
    case "quarterly":
      return `toStartOfQuarter(${day})`
    case "yearly":
      return `toStartOfYear(${day})`
    case "total":
      return "toDate('1970-01-01')"
    case "hourly":
    case "window":
      // Hours have a query of their own; windows are bucketed by core's index.
      throw new Error(`ClickHouse store: no SQL bucket start for ${granularity} groups`)
  }
}

// The value of a measure over a group of events, in SQL.
const valueSql = (measure: QueryPlan.QueryPlan["measure"]): string =>
  measure._tag === "Events"
    ? "count()"
    : measure._tag === "Profiles"
      ? "uniqExact(profile)"
      : `sum(arrayElement(prop_ints, indexOf(prop_keys, ${stringLiteral(measure.property)})))`

/**
 * The query of a plan of hourly groups only: rows of (day, hour of the day, value), the
 * hour counted from the day's first instant as core gives it.
 */
export const hoursQuery = (plan: QueryPlan.QueryPlan, source: string): PlanQuery => {
  const day = `toUInt16(toDate(toDateTime(ts), ${stringLiteral(plan.timeZone)}))`
  const starts = Array.from({ length: plan.to - plan.from + 1 }, (_, offset) =>
    integerLiteral(Calendar.startOfDay(plan.from + offset, plan.timeZone)),
  )
  return {
    sql: `SELECT ${day} AS day,
        intDiv(toInt64(ts) - toInt64(arrayElement([${starts.join(", ")}], toInt64(day) - ${integerLiteral(plan.from - 1)})), ${integerLiteral(Bucket.secondsPerHour)}) AS hour,
        ${valueSql(plan.measure)} AS value
      ${source} GROUP BY day, hour`,
    rows: "hours",
    granularities: [],
  }
}

/**
 * The query of a count or a sum per day from slot rows (`slots`: their FROM and WHERE) and
 * from the events written before slots (`unslotted`), when the plan's days start on slot
 * boundaries: rows of (day, value), as `planQuery`'s `days`.
 */
export const slotsQuery = (
  plan: QueryPlan.QueryPlan,
  slots: string,
  unslotted: string,
): PlanQuery => {
  const day = `toUInt16(toDate(toDateTime(ts), ${stringLiteral(plan.timeZone)}))`
  const measure = plan.measure
  const [ofSlots, ofEvents] =
    measure._tag === "Sum"
      ? [valueSql(measure), valueSql(measure)]
      : ["sum(toUInt64(properties))", "count()"]
  return {
    sql: `SELECT day, sum(value) AS value FROM (
        SELECT ${day} AS day, ${ofSlots} AS value ${slots} GROUP BY day
        UNION ALL
        SELECT ${day} AS day, ${ofEvents} AS value ${unslotted} GROUP BY day
      ) GROUP BY day`,
    rows: "days",
    granularities: [],
  }
}

export const planQuery = (plan: QueryPlan.QueryPlan, source: string): PlanQuery => {
  const day = `toDate(toDateTime(ts), ${stringLiteral(plan.timeZone)})`
  const measure = plan.measure
  const oneDayBuckets = plan.groups.every((group) =>
    group.buckets.every((bucket) => bucket.first === bucket.last),
  )
  if (measure._tag !== "Profiles" || oneDayBuckets) {
    // toUInt16: a Date's day number (18.16 prints 1970-01-01 as 0000-00-00).
    return {
      sql: `SELECT toUInt16(${day}) AS day, ${valueSql(measure)} AS value ${source} GROUP BY day`,
      rows: "days",
      granularities: [],
    }
  }
  if (plan.groups.some((group) => group.granularity === "window")) {
    // Each day's set of profiles, merged into the buckets of core's index, every group's.
    const index = QueryPlan.bucketIndex(plan)
    return {
      sql: `SELECT g, b, uniqExactMerge(per_day) AS value
         FROM (SELECT toInt64(toUInt16(${day})) - ${integerLiteral(plan.from - 1)} AS position,
             uniqExactState(profile) AS per_day
           ${source} GROUP BY position)
         ARRAY JOIN
           [${index.map((_, g) => g).join(", ")}] AS g,
           [${index.map((buckets) => `arrayElement([${buckets.join(", ")}], position)`).join(", ")}] AS b
         GROUP BY g, b`,
      rows: "buckets",
      granularities: [],
    }
  }
  const granularities = [...new Set(plan.groups.map((group) => group.granularity))]
  const startOf = (granularity: QueryPlan.Granularity, of: string) =>
    bucketStartSql(granularity, plan.weekStart, of)
  // One granularity: the events are grouped by its bucket directly, as hand-written SQL
  // would. Several: each day keeps its set of profiles (`uniqExactState`) and the sets are
  // merged (`uniqExactMerge`) into the buckets of every granularity at once (at most 366
  // days a year), which reads the events once, whatever the number of groups.
  const sql =
    granularities.length === 1
      ? `SELECT toUInt8(0) AS cut, toUInt16(${startOf(granularities[0]!, day)}) AS first_day,
           uniqExact(profile) AS value
         ${source} GROUP BY first_day`
      : `SELECT cut, toUInt16(bucket) AS first_day, uniqExactMerge(per_day) AS value
         FROM (SELECT ${day} AS day, uniqExactState(profile) AS per_day ${source} GROUP BY day)
         ARRAY JOIN
           [${granularities.map((_, c) => c).join(", ")}] AS cut,
           [${granularities.map((g) => startOf(g, "day")).join(", ")}] AS bucket
         GROUP BY cut, bucket`
  return { sql, rows: "starts", granularities }
}

// The first day of the whole bucket (not clipped to the plan) of which `bucket` is a part,
// by core's calendar; for the one bucket of `total`, SQL's constant start (day 0).
const wholeBucketStart = (
  plan: QueryPlan.QueryPlan,
  granularity: QueryPlan.Granularity,
  bucket: Bucket.Bucket,
): Calendar.Day =>
  granularity === "total" || granularity === "hourly" || granularity === "window"
    ? 0
    : Option.getOrThrow(Bucket.rangeOfKey(granularity, bucket.key, plan.weekStart)).first

const differs = (plan: QueryPlan.QueryPlan, where: string) =>
  new Error(
    `ClickHouse put "${plan.eventName}" events ${where}: its time zone data for ${plan.timeZone} differs from this runtime's, or its calendar from core's`,
  )

/**
 * The plan's answer from the query's rows (integers, as text): a day's value is added into
 * the bucket that holds the day in every group; a bucket start's value is the value of the
 * plan's bucket whose whole bucket starts there, in every group of the cut's granularity.
 * Every other bucket is 0. A day outside the plan, or a start of no bucket in it, throws
 * rather than answer wrong: the server's time zone data (or calendar) differs.
 */
export const resultOf = (
  plan: QueryPlan.QueryPlan,
  query: PlanQuery,
  found: ReadonlyArray<ReadonlyArray<string>>,
): QueryPlan.Result => {
  const totals = plan.groups.map((group) => group.buckets.map(() => 0n))
  if (query.rows === "hours") {
    const index = QueryPlan.bucketIndex(plan)
    for (const [day, hour, value] of found) {
      const offset = Number(day) - plan.from
      for (const [g, group] of plan.groups.entries()) {
        const b = (index[g]?.[offset] ?? Number.NaN) + Number(hour)
        if (group.buckets[b]?.first !== Number(day)) {
          throw differs(
            plan,
            `in hour ${hour} of ${Calendar.formatIsoDate(Number(day))}, which the plan does not have`,
          )
        }
        totals[g]![b] = BigInt(value!)
      }
    }
  } else if (query.rows === "buckets") {
    for (const [g, b, value] of found) totals[Number(g)]![Number(b)] = BigInt(value!)
  } else if (query.rows === "days") {
    const index = QueryPlan.bucketIndex(plan)
    for (const [day, value] of found) {
      const offset = Number(day) - plan.from
      if (!(offset >= 0 && offset <= plan.to - plan.from)) {
        throw differs(plan, `on ${Calendar.formatIsoDate(Number(day))}, outside the plan's days`)
      }
      const amount = BigInt(value!)
      for (const [g, buckets] of index.entries()) totals[g]![buckets[offset]!]! += amount
    }
  } else {
    const positions = query.granularities.map((granularity) => {
      const group = plan.groups.find((candidate) => candidate.granularity === granularity)!
      return new Map(
        group.buckets.map((bucket, b) => [wholeBucketStart(plan, granularity, bucket), b]),
      )
    })
    for (const [cut, firstDay, value] of found) {
      const c = Number(cut)
      const b = positions[c]!.get(Number(firstDay))
      if (b === undefined) {
        throw differs(
          plan,
          `in a ${query.granularities[c]} bucket starting ${Calendar.formatIsoDate(Number(firstDay))}, outside the plan`,
        )
      }
      for (const [g, group] of plan.groups.entries()) {
        if (group.granularity === query.granularities[c]) totals[g]![b] = BigInt(value!)
      }
    }
  }
  return Object.fromEntries(
    plan.groups.map((group, g) => [
      group.name,
      Object.fromEntries(group.buckets.map((bucket, b) => [bucket.key, Number(totals[g]![b]!)])),
    ]),
  )
}

// The rows of a query in TabSeparated, which takes less work to read than JSON (an answer
// is hundreds of rows, read every query). The rows end at the first empty line: after it
// come `extremes` rows, when a profile of the server (or a client's settings) asks for them.
// A filter's values are in its SQL: a query longer than the servers' default limit (256
// KiB; long lists of long values) raises the limit for itself.
const defaultMaxQuerySize = 262_144

const tabSeparated = async (
  { client, settings }: Connection,
  query: string,
  abort_signal: AbortSignal,
): Promise<Array<Array<string>>> => {
  const size = new TextEncoder().encode(query).byteLength
  const clickhouse_settings = {
    ...(settings.load_balancing === undefined ? {} : { load_balancing: settings.load_balancing }),
    ...(size < defaultMaxQuerySize ? {} : { max_query_size: String(size + 1024) }),
  }
  const result = await client.query({
    query,
    format: "TabSeparated",
    abort_signal,
    ...(Object.keys(clickhouse_settings).length === 0 ? {} : { clickhouse_settings }),
  })
  const found: Array<Array<string>> = []
  for (const line of (await result.text()).split("\n")) {
    if (line === "") break
    found.push(line.split("\t"))
  }
  return found
}

/** The slot rows of the plan's event and instants, and its events stored before slots. */
interface Sources {
  readonly slots: string
  readonly unslotted: string
}

/**
 * Runs the SQL that `build` makes of the plan's events (`source`: FROM and WHERE, over the
 * plan's instants and filters), all at once, beside a count of the plan's events that
 * ClickHouse's dates cannot bucket (the query fails if there is one): each query's rows.
 */
const runner = (connection: Connection) => {
  const { attempt, query, table } = connection
  return (
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
    build: (source: string, sources: Sources) => ReadonlyArray<string>,
  ) =>
    Effect.gen(function* () {
      const start = Math.max(plan.start, firstBucketedInstant)
      const end = Math.min(plan.end, endOfBucketedInstants)
      const ofAccount = `account = ${stringLiteral(account.id)}`
      const ofName = `name = ${stringLiteral(plan.eventName)}`
      const ofEvent = `${ofAccount} AND kind IN ('event', 'slotted') AND ${ofName}`
      const inRange = `ts >= ${integerLiteral(start)} AND ts < ${integerLiteral(end)}`
      // The events `where` selects; with filters, those of them the filters let through
      // (also when counting the events that cannot be bucketed: one that no filter lets
      // through does not fail the query).
      const unfiltered = Filter.isEmpty(plan.filters)
      const eventsWhere = (where: string) =>
        filteredSource(plan.filters, table(tables.records), account.id, where)
      const source = unfiltered
        ? `FROM ${table(tables.records)}
         WHERE ${ofEvent} AND ts >= ${integerLiteral(start)} AND ts < ${integerLiteral(end)}`
        : eventsWhere(
            `${ofEvent} AND ts >= ${integerLiteral(start)} AND ts < ${integerLiteral(end)}`,
          )
      const queries = build(source, {
        slots: `FROM ${table(tables.records)} WHERE ${ofAccount} AND kind = 'slot' AND ${ofName} AND ${inRange}`,
        unslotted: `FROM ${table(tables.records)} WHERE ${ofAccount} AND kind = 'event' AND ${ofName} AND ${inRange}`,
      })
      const bucketed =
        start >= end
          ? Effect.succeed(queries.map((): Array<Array<string>> => []))
          : Effect.forEach(
              queries,
              (sql) => attempt("query", (signal) => tabSeparated(connection, sql, signal)),
              { concurrency: "unbounded" },
            )
      const outside = [
        ...(plan.start < firstBucketedInstant && plan.end > 0
          ? [
              `(ts < ${integerLiteral(Math.min(plan.end, firstBucketedInstant))} AND ts >= ${integerLiteral(Math.max(plan.start, 0))})`,
            ]
          : []),
        ...(plan.end > endOfBucketedInstants
          ? [
              `(ts >= ${integerLiteral(Math.max(plan.start, endOfBucketedInstants))} AND ts < ${integerLiteral(plan.end)})`,
            ]
          : []),
      ]
      const outsideWhere = `${ofEvent} AND (${outside.join(" OR ")})`
      const unbucketable = unfiltered
        ? Effect.map(
            query<{ n: string }>(
              "query",
              `SELECT count() AS n FROM ${table(tables.records)} WHERE ${outsideWhere}`,
            ),
            (rows) => rows.map((row) => row.n),
          )
        : Effect.map(
            attempt("query", (signal) =>
              tabSeparated(connection, `SELECT count() AS n ${eventsWhere(outsideWhere)}`, signal),
            ),
            (rows) => rows.map((row) => row[0]),
          )
      const [found, [n]] =
        outside.length === 0
          ? [yield* bucketed, []]
          : yield* Effect.all([bucketed, unbucketable], { concurrency: "unbounded" })
      if (n !== undefined && Number(n) > 0) {
        return yield* new EventStore.StoreError({
          message: `ClickHouse store: query failed: ${n} "${plan.eventName}" events fall before 1970-01-06 or after 2105, which ClickHouse's dates cannot bucket`,
        })
      }
      return found
    })
}

// Counts and sums of whole days without filters come from slot rows (and the events stored
// before them), when the plan's days start on slot boundaries (`QueryPlan`'s check).
const fromSlots = (plan: QueryPlan.QueryPlan): boolean =>
  plan.measure._tag !== "Profiles" &&
  Filter.isEmpty(plan.filters) &&
  QueryPlan.daysStartOnMultiplesOf(plan, slotSeconds)

/**
 * The store's `query`: one query of the plan's days (and one of its hours), and a count of
 * unbucketable events.
 */
export const make = (connection: Connection) => {
  const run = runner(connection)
  return (account: Account.Settings, plan: QueryPlan.QueryPlan) =>
    Effect.gen(function* () {
      // Hourly groups have a query of their own, beside the other groups'.
      const parts = [
        { ...plan, groups: plan.groups.filter((group) => group.granularity !== "hourly") },
        { ...plan, groups: plan.groups.filter((group) => group.granularity === "hourly") },
      ].filter((part) => part.groups.length > 0)
      let planned: Array<PlanQuery> = []
      const found = yield* run(account, plan, (source, { slots, unslotted }) => {
        planned = parts.map((part) =>
          QueryPlan.hasHours(part)
            ? hoursQuery(part, source)
            : fromSlots(part)
              ? slotsQuery(part, slots, unslotted)
              : planQuery(part, source),
        )
        return planned.map((each) => each.sql)
      })
      return yield* Effect.try({
        try: () => {
          const answered: Record<string, QueryPlan.Result[string]> = {}
          for (const [i, part] of parts.entries())
            Object.assign(answered, resultOf(part, planned[i]!, found[i]!))
          // In the plan's order of groups.
          return Object.fromEntries(
            plan.groups.map((group) => [group.name, answered[group.name]!]),
          ) as QueryPlan.Result
        },
        catch: storeError("query"),
      })
    })
}

/**
 * The query of rolling distinct profiles (`rollingSql`'s rows read by `rollingOf`): per
 * profile its days (positions from the first window's first day), each of which starts
 * counting the profile where the windows of the days before stop (`days` after the day
 * before) and stops `days` after it; rows of (position, change of the count there).
 */
export const rollingSql = (
  plan: QueryPlan.QueryPlan,
  days: number,
  first: Calendar.Day,
  source: string,
): string => {
  const day = `toDate(toDateTime(ts), ${stringLiteral(plan.timeZone)})`
  const n = integerLiteral(days)
  return `SELECT point, sum(step) AS change
    FROM (
      SELECT arraySort(groupUniqArray(position)) AS active
      FROM (SELECT profile, toInt64(toUInt16(${day})) - ${integerLiteral(first)} AS position ${source})
      GROUP BY profile
    )
    ARRAY JOIN
      arrayConcat(
        arrayMap((d, i) -> if(i = 1, d, greatest(d, active[i - 1] + ${n})), active, arrayEnumerate(active)),
        arrayMap(d -> d + ${n}, active)
      ) AS point,
      arrayConcat(arrayMap(d -> toInt64(1), active), arrayMap(d -> toInt64(-1), active)) AS step
    GROUP BY point`
}

/**
 * The distinct profiles of each day's window from `rollingSql`'s rows: the changes added up
 * to each day. A position outside the windows' days throws (time zone data differs).
 */
export const rollingOf = (
  plan: QueryPlan.QueryPlan,
  days: number,
  first: Calendar.Day,
  found: ReadonlyArray<ReadonlyArray<string>>,
): Array<number> => {
  const span = plan.to - first + 1
  const changes = new Array<number>(span + days).fill(0)
  for (const [point, change] of found) {
    const at = Number(point)
    if (!(at >= 0 && at < span + days)) {
      throw differs(plan, `on ${Calendar.formatIsoDate(first + at)}, outside the windows' days`)
    }
    changes[at]! += Number(change)
  }
  const counts: Array<number> = []
  let count = 0
  for (let at = 0; at < span; at++) {
    count += changes[at]!
    if (at >= days - 1) counts.push(count)
  }
  return counts
}

/** The store's `rollingProfiles` (see `EventStore.Service`): one query (`rollingSql`). */
export const makeRolling = (connection: Connection) => {
  const run = runner(connection)
  return (account: Account.Settings, plan: QueryPlan.QueryPlan, days: number) =>
    Effect.gen(function* () {
      const first = plan.from - days + 1
      const windows: QueryPlan.QueryPlan = {
        ...plan,
        from: first,
        start: Calendar.startOfDay(first, plan.timeZone),
      }
      const [found] = yield* run(account, windows, (source) => [
        rollingSql(windows, days, first, source),
      ])
      return yield* Effect.try({
        try: () => rollingOf(plan, days, first, found ?? []),
        catch: storeError("query"),
      })
    })
}
