/**
 * A query plan: a validated request resolved against an account's calendar. It says which
 * event, which measure, the exact epoch range, and for every group its buckets with their
 * days, so a store executes it without knowing any calendar rule.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as Account from "./Account.ts"
import * as Bucket from "./Bucket.ts"
import * as Calendar from "./Calendar.ts"
import type * as EventCount from "./EventCount.ts"
import * as Filter from "./Filter.ts"
import * as Measure from "./Measure.ts"
import * as TrendsRequest from "./TrendsRequest.ts"

/**
 * How a group is cut: a trend type, the whole range as one bucket (event counts), or
 * `"window"`: buckets of any days that the plan's maker gives, none overlapping, together
 * covering the range (rolling windows, `Extensions.rollingPlan`). Stores treat every group
 * alike through its buckets' days (`bucketIndex`); only hours need the instant
 * (`bucketLocator`).
 */
export type Granularity = Bucket.TrendType | "total" | "window"

/** How a group of a request is cut: every granularity but windows. */
export type RequestGranularity = Exclude<Granularity, "window">

/** The key of the single bucket of a `"total"` group. */
export const totalKey = "total"

/** One group of the answer: its name, how it is cut, and its buckets in order. */
export interface Group {
  readonly name: string
  readonly granularity: Granularity
  readonly buckets: ReadonlyArray<Bucket.Bucket>
}

/** A plan, ready for any event store. */
export interface QueryPlan {
  readonly eventName: string
  readonly measure: Measure.Measure
  readonly timeZone: string
  readonly weekStart: Bucket.WeekStart
  /** First local day of the range. */
  readonly from: Calendar.Day
  /** Last local day of the range, included. */
  readonly to: Calendar.Day
  /** First epoch second of `from` in the account's zone. */
  readonly start: number
  /** First epoch second after `to` in the account's zone (exclusive). */
  readonly end: number
  readonly groups: ReadonlyArray<Group>
  /**
   * Which events count: those that satisfy every condition (`Filter.matches`), their
   * profile's fields as they are when the query runs; `Filter.none` for every event.
   */
  readonly filters: Filter.Filters
}

/** The answer to a plan: group name to bucket key to value, every bucket present. */
export type Result = { readonly [group: string]: { readonly [key: string]: number } }

const BucketSchema = Schema.Struct({
  key: Schema.String,
  first: Schema.Int,
  last: Schema.Int,
  start: Schema.optionalWith(Schema.Number, { exact: true }),
  end: Schema.optionalWith(Schema.Number, { exact: true }),
})

/** A plan as data, for a store that runs it elsewhere (a worker thread, a queue). */
export const QueryPlanSchema: Schema.Schema<QueryPlan> = Schema.Struct({
  eventName: Schema.String,
  measure: Measure.MeasureSchema,
  timeZone: Schema.String,
  weekStart: Bucket.WeekStart,
  from: Schema.Int,
  to: Schema.Int,
  start: Schema.Number,
  end: Schema.Number,
  groups: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      granularity: Schema.Union(Bucket.TrendType, Schema.Literal("total", "window")),
      buckets: Schema.Array(BucketSchema),
    }),
  ),
  filters: Filter.FiltersSchema,
})

/** A result as data. */
export const ResultSchema: Schema.Schema<Result> = Schema.Record({
  key: Schema.String,
  value: Schema.Record({ key: Schema.String, value: Schema.Number }),
})

/** What a plan is made from: the parts of a trends or event-count request that matter. */
export interface Input {
  readonly eventName: string
  readonly from: Calendar.Day
  readonly to: Calendar.Day
  readonly measure: Measure.Measure
  readonly groups: ReadonlyArray<{
    readonly name: string
    readonly granularity: RequestGranularity
  }>
  /** Which events count (default: every one). */
  readonly filters?: Filter.Filters
}

// The buckets of a group of `granularity` over the days `from`..`to`.
const cut = (
  granularity: Granularity,
  from: Calendar.Day,
  to: Calendar.Day,
  timeZone: string,
  weekStart: Bucket.WeekStart,
): ReadonlyArray<Bucket.Bucket> => {
  if (granularity === "total") return [{ key: totalKey, first: from, last: to }]
  if (granularity === "hourly") return Bucket.hoursOf(from, to, timeZone)
  if (granularity === "window") {
    // A defect of the caller: windows are cut by whoever makes the plan.
    throw new Error("QueryPlan: window groups have the buckets their plan was made with")
  }
  return Bucket.bucketsOf(granularity, from, to, weekStart)
}

/**
 * Resolves a validated request against an account's settings. `from` and `to` must be
 * ordered (request validation guarantees it). Names are made well-formed as uploads make
 * them (`Upload.wellFormed`), so a name with a lone surrogate finds what was stored.
 */
export const make = (input: Input, account: Account.Settings): QueryPlan => ({
  eventName: input.eventName.toWellFormed(),
  measure:
    input.measure._tag === "Sum"
      ? Measure.sum(input.measure.property.toWellFormed())
      : input.measure,
  timeZone: account.timeZone,
  weekStart: account.weekStart,
  from: input.from,
  to: input.to,
  start: Calendar.startOfDay(input.from, account.timeZone),
  end: Calendar.startOfDay(input.to + 1, account.timeZone),
  groups: input.groups.map(({ name, granularity }) => ({
    name,
    granularity,
    buckets: cut(granularity, input.from, input.to, account.timeZone, account.weekStart),
  })),
  filters: input.filters ?? Filter.none,
})

// The fields every count request shares, as a plan's input.
const rangeOf = (request: EventCount.EventCountRequest) => ({
  eventName: request.event_name,
  from: request.from,
  to: request.to,
  filters: Filter.ofCheckedRequest(request),
})

/** The plan of a decoded trends request: one group per requested group, in request order. */
export const fromTrends = (
  request: TrendsRequest.TrendsRequest,
  account: Account.Settings,
): QueryPlan =>
  make(
    {
      ...rangeOf(request),
      measure: TrendsRequest.measure(request),
      groups: Object.entries(request.groups).map(([name, group]) => ({
        name,
        granularity: group.trend_type,
      })),
    },
    account,
  )

/** The name of the single group of an event count plan. */
export const countGroup = "count"

/** The plan of a decoded event count request: one `"total"` group named `count`. */
export const fromEventCount = (
  request: EventCount.EventCountRequest,
  account: Account.Settings,
): QueryPlan =>
  make(
    {
      ...rangeOf(request),
      measure: Measure.Events,
      groups: [{ name: countGroup, granularity: "total" }],
    },
    account,
  )

/**
 * The plan of a decoded profile count request (`ProfileCount`): distinct profiles over the
 * whole range, one `"total"` group named `count`.
 */
export const fromProfileCount = (
  request: EventCount.EventCountRequest,
  account: Account.Settings,
): QueryPlan =>
  make(
    {
      ...rangeOf(request),
      measure: Measure.Profiles,
      groups: [{ name: countGroup, granularity: "total" }],
    },
    account,
  )

/**
 * The same plan over the days `from`..`to` (ordered): the same event, measure, filters and
 * groups, their buckets cut anew in the plan's zone and week convention (not for a plan
 * with window groups, whose buckets only their maker knows).
 */
export const withRange = (plan: QueryPlan, from: Calendar.Day, to: Calendar.Day): QueryPlan => ({
  ...plan,
  from,
  to,
  start: Calendar.startOfDay(from, plan.timeZone),
  end: Calendar.startOfDay(to + 1, plan.timeZone),
  groups: plan.groups.map(({ name, granularity }) => ({
    name,
    granularity,
    buckets: cut(granularity, from, to, plan.timeZone, plan.weekStart),
  })),
})

/**
 * The same plan with each group's buckets replaced by one over the whole range, under the
 * same names: the groups' totals (for distinct profiles, those of the whole range).
 */
export const totalsOf = (plan: QueryPlan): QueryPlan => ({
  ...plan,
  groups: plan.groups.map((group) => ({
    name: group.name,
    granularity: "total",
    buckets: [{ key: totalKey, first: plan.from, last: plan.to }],
  })),
})

/** The answer with every bucket at 0: what a store answers when nothing happened. */
export const emptyResult = (plan: QueryPlan): Result =>
  Object.fromEntries(
    plan.groups.map((group) => [
      group.name,
      Object.fromEntries(group.buckets.map((b) => [b.key, 0])),
    ]),
  )

/**
 * For each group, the index of the bucket that holds each day of the range:
 * `bucketIndex(plan)[g][day - plan.from]`. Stores that scan per-day data use it. For an
 * hourly group it is the day's first hour: a plan with hours (`hasHours`) is answered per
 * instant (`bucketLocator`), not per day.
 */
export const bucketIndex = (plan: QueryPlan): ReadonlyArray<Int32Array> =>
  plan.groups.map((group) => {
    const index = new Int32Array(plan.to - plan.from + 1)
    for (let i = group.buckets.length - 1; i >= 0; i--) {
      const bucket = group.buckets[i]!
      index.fill(i, bucket.first - plan.from, bucket.last - plan.from + 1)
    }
    return index
  })

/**
 * Whether every day of the plan, and the day after, starts on a multiple of `seconds` (epoch
 * seconds in the plan's zone): then a store may count the plan's days from totals it keeps
 * per `seconds` of UTC. True of every zone since 1972 for 900 (15 minutes); not of a zone
 * on local mean time (Monrovia until 1972: -00:44:30).
 */
export const daysStartOnMultiplesOf = (plan: QueryPlan, seconds: number): boolean => {
  for (let day = plan.from; day <= plan.to + 1; day++) {
    if (Calendar.startOfDay(day, plan.timeZone) % seconds !== 0) return false
  }
  return true
}

/** Whether a plan has hourly groups, whose buckets are parts of days. */
export const hasHours = (plan: QueryPlan): boolean =>
  plan.groups.some((group) => group.granularity === "hourly")

/**
 * Where each event goes: `bucketLocator(plan)(g, offset, ts)` is the index in group `g` of
 * the bucket that holds an event at epoch second `ts` on the local day `plan.from + offset`
 * (`Calendar.dayOfTimestamp`). For every group but an hourly one it is `bucketIndex`'s.
 */
export const bucketLocator = (
  plan: QueryPlan,
): ((group: number, offset: number, ts: number) => number) => {
  const index = bucketIndex(plan)
  if (!hasHours(plan)) return (g, offset) => index[g]![offset]!
  const hourly = plan.groups.map((group) => group.granularity === "hourly")
  const dayStarts = new Float64Array(plan.to - plan.from + 1)
  for (let offset = 0; offset < dayStarts.length; offset++)
    dayStarts[offset] = Calendar.startOfDay(plan.from + offset, plan.timeZone)
  return (g, offset, ts) =>
    hourly[g] ? index[g]![offset]! + Bucket.hourOf(ts, dayStarts[offset]!) : index[g]![offset]!
}
