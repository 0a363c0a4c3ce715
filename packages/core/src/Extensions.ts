/**
 * Trendline's extensions of the trends answer, beyond the hosted API. Optional request
 * fields ask for them; they are answered under one reserved top-level key, `trendline`,
 * which no group may take (like `status`). A request that asks for none gets the hosted
 * answer, byte for byte, without that key.
 *
 * - `"totals": true`: per group, `total` over the whole range: the events or the sum over
 *   it, or for `unique` the distinct profiles of the whole range (not the sum of the
 *   buckets', which counts a profile once per bucket it was seen in).
 * - `"bucket_meta": true`: per group and bucket, `first` and `last`, the bucket's first and
 *   last second as counted (cut to the range), in ISO 8601 with the account zone's offset
 *   at that instant (`2025-03-30T00:00:00+01:00`); `complete`, whether the bucket had ended
 *   when the answer was computed; and, for a bucket the range cuts, `days` (its days inside
 *   the range) and `whole_days` (the days of the whole week, month, quarter or year).
 * - `"compare": "previous_period"` (the days of equal length just before the range) or
 *   `"previous_year"` (the same dates a year earlier; February 29 becomes the 28th): per
 *   group, the earlier period's `from` and `to`, and per bucket, by position (the first
 *   bucket with the earlier period's first, and so on), `previous_key`, `previous`,
 *   `change` (the value minus the previous) and `change_ratio` (the change over the
 *   previous value's size; `null` when that is 0). A bucket with no counterpart (the earlier
 *   period cut into fewer buckets) has `previous_key` and `previous` null. With `totals`,
 *   also `previous_total`.
 * - A group's `"breakdown": {"property_type": "event_properties", "name": "Platform",
 *   "top_n": 3}`: the group's top values of that property (`TopCounts`, most frequent first
 *   over the range, with the request's filters), each as a `series` of the group's buckets
 *   counting only the events with exactly that value (`"5"` and `5` apart), and for counts
 *   and sums an `other` series, the rest, so that the series add up to the group. Distinct
 *   profiles have no `other`: a profile may be in several series.
 * - A daily group's `"rolling": 7`: per day of the range, the group's measure over the 7
 *   days ending that day (`rolling`, keyed by day): for `unique` the distinct profiles of
 *   those days (7: weekly active, 30: monthly active), for counts and sums their total. The
 *   first days' windows reach back before the range.
 *
 * The answer: `{"status":"success","days":{…},"trendline":{"groups":{"days":{"total":12,
 * "buckets":{"20250101":{"first":…,"last":…,"complete":true}}}}}}`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Bucket from "./Bucket.ts"
import * as Calendar from "./Calendar.ts"
import type * as Filter from "./Filter.ts"
import * as QueryPlan from "./QueryPlan.ts"
import type * as TopCounts from "./TopCounts.ts"

/** The top-level key of the answer that holds the extensions; no group may take it. */
export const reservedKey = "trendline"

/** Which earlier period a comparison reads. */
export type CompareTo = "previous_period" | "previous_year"

/** A group's breakdown as asked: whose property, which, how many values. */
export interface BreakdownSpec {
  readonly property_type: "event_properties" | "profile_fields"
  readonly name: string
  readonly top_n?: number | undefined
}

/** Series of a breakdown that names no `top_n`. */
export const defaultBreakdownValues = 5

/** What a request asks for beyond the hosted answer. */
export interface Wanted {
  readonly totals: boolean
  readonly bucketMeta: boolean
  readonly compare: CompareTo | undefined
  /** The groups broken down, by name. */
  readonly breakdowns: ReadonlyArray<readonly [group: string, spec: BreakdownSpec]>
  /** The groups with rolling windows, by name, and their windows' days. */
  readonly rolling: ReadonlyArray<readonly [group: string, days: number]>
}

/** The extensions a decoded request asks for. */
export const wanted = (request: {
  readonly totals?: boolean | undefined
  readonly bucket_meta?: boolean | undefined
  readonly compare?: CompareTo | undefined
  readonly groups: {
    readonly [name: string]: {
      readonly breakdown?: BreakdownSpec | undefined
      readonly rolling?: number | undefined
    }
  }
}): Wanted => ({
  totals: request.totals === true,
  bucketMeta: request.bucket_meta === true,
  compare: request.compare,
  breakdowns: Object.entries(request.groups).flatMap(([name, group]) =>
    group.breakdown === undefined ? [] : [[name, group.breakdown] as const],
  ),
  rolling: Object.entries(request.groups).flatMap(([name, group]) =>
    group.rolling === undefined ? [] : [[name, group.rolling] as const],
  ),
})

/** Whether a request asks for any extension (and its answer carries `trendline`). */
export const any = (wanted: Wanted): boolean =>
  wanted.totals ||
  wanted.bucketMeta ||
  wanted.compare !== undefined ||
  wanted.breakdowns.length > 0 ||
  wanted.rolling.length > 0

// The same month and day a year earlier; February 29 becomes the 28th.
const yearEarlier = (day: Calendar.Day): Calendar.Day => {
  const { year, month, day: dayOfMonth } = Calendar.toCivil(day)
  return Calendar.unsafeMakeDay(
    year - 1,
    month,
    Math.min(dayOfMonth, Calendar.daysInMonth(year - 1, month)),
  )
}

/** The earlier period of a comparison of the days `from`..`to` (ordered). */
export const previousRange = (
  kind: CompareTo,
  from: Calendar.Day,
  to: Calendar.Day,
): readonly [from: Calendar.Day, to: Calendar.Day] =>
  kind === "previous_period"
    ? [from - (to - from + 1), from - 1]
    : [yearEarlier(from), yearEarlier(to)]

/** One bucket's metadata (`bucket_meta`). */
export const BucketMeta = Schema.Struct({
  first: Schema.String,
  last: Schema.String,
  complete: Schema.Boolean,
  days: Schema.optionalWith(Schema.Int, { exact: true }),
  whole_days: Schema.optionalWith(Schema.Int, { exact: true }),
})
export type BucketMeta = typeof BucketMeta.Type

/** One bucket beside its counterpart in the earlier period (`compare`). */
export const BucketChange = Schema.Struct({
  previous_key: Schema.NullOr(Schema.String),
  previous: Schema.NullOr(Schema.Finite),
  change: Schema.NullOr(Schema.Finite),
  change_ratio: Schema.NullOr(Schema.Finite),
})
export type BucketChange = typeof BucketChange.Type

/** A group over the earlier period (`compare`). */
export const Comparison = Schema.Struct({
  kind: Schema.Literal("previous_period", "previous_year"),
  /** The earlier period's first and last days, `YYYYMMDD`. */
  from: Schema.Int,
  to: Schema.Int,
  buckets: Schema.Record({ key: Schema.String, value: BucketChange }),
  previous_total: Schema.optionalWith(Schema.Finite, { exact: true }),
})
export type Comparison = typeof Comparison.Type

/** One value's series of a breakdown. */
export const Series = Schema.Struct({
  value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean),
  buckets: Schema.Record({ key: Schema.String, value: Schema.Finite }),
})
export type Series = typeof Series.Type

/** A group broken down by a property's values. */
export const BreakdownAnswer = Schema.Struct({
  property_type: Schema.Literal("event_properties", "profile_fields"),
  name: Schema.String,
  series: Schema.Array(Series),
  other: Schema.optionalWith(
    Schema.Struct({ buckets: Schema.Record({ key: Schema.String, value: Schema.Finite }) }),
    { exact: true },
  ),
})
export type BreakdownAnswer = typeof BreakdownAnswer.Type

/** A group's rolling windows: per day, the measure over the `days` days ending that day. */
export const Rolling = Schema.Struct({
  days: Schema.Int,
  buckets: Schema.Record({ key: Schema.String, value: Schema.Finite }),
})
export type Rolling = typeof Rolling.Type

/** One group's extensions. */
export const GroupExtras = Schema.Struct({
  total: Schema.optionalWith(Schema.Finite, { exact: true }),
  buckets: Schema.optionalWith(Schema.Record({ key: Schema.String, value: BucketMeta }), {
    exact: true,
  }),
  compare: Schema.optionalWith(Comparison, { exact: true }),
  breakdown: Schema.optionalWith(BreakdownAnswer, { exact: true }),
  rolling: Schema.optionalWith(Rolling, { exact: true }),
})
export type GroupExtras = typeof GroupExtras.Type

/** Everything under `trendline`: per group, what was asked for. */
export const Extras = Schema.Struct({
  groups: Schema.Record({ key: Schema.String, value: GroupExtras }),
})
export type Extras = typeof Extras.Type

/** Each bucket of each group of `plan`, described at `nowSeconds` (epoch seconds). */
export const bucketMeta = (
  plan: QueryPlan.QueryPlan,
  nowSeconds: number,
): { readonly [group: string]: { readonly [key: string]: BucketMeta } } =>
  Object.fromEntries(
    plan.groups.map((group) => [
      group.name,
      Object.fromEntries(
        group.buckets.map((bucket): [string, BucketMeta] => {
          const start = bucket.start ?? Calendar.startOfDay(bucket.first, plan.timeZone)
          const end = bucket.end ?? Calendar.startOfDay(bucket.last + 1, plan.timeZone)
          const granularity = group.granularity
          // Hours are never cut: the range is whole days.
          const whole =
            granularity === "total" || granularity === "window" || granularity === "hourly"
              ? bucket
              : Option.getOrElse(
                  Bucket.rangeOfKey(granularity, bucket.key, plan.weekStart),
                  () => bucket,
                )
          const cut = whole.first < bucket.first || whole.last > bucket.last
          return [
            bucket.key,
            {
              first: Calendar.formatInstant(start, plan.timeZone),
              last: Calendar.formatInstant(end - 1, plan.timeZone),
              complete: end <= nowSeconds,
              ...(cut
                ? {
                    days: bucket.last - bucket.first + 1,
                    whole_days: whole.last - whole.first + 1,
                  }
                : {}),
            },
          ]
        }),
      ),
    ]),
  )

// A value beside the one before it.
const change = (value: number, previous: number | undefined): BucketChange =>
  previous === undefined
    ? { previous_key: null, previous: null, change: null, change_ratio: null }
    : {
        previous_key: null,
        previous,
        change: value - previous,
        change_ratio: previous === 0 ? null : (value - previous) / Math.abs(previous),
      }

/** The earlier period's answer to a comparison: its plan, its groups, and its totals. */
export interface Previous {
  readonly kind: CompareTo
  readonly plan: QueryPlan.QueryPlan
  readonly result: QueryPlan.Result
  readonly totals?: QueryPlan.Result | undefined
}

/** Each group of `result` beside the same group of `previous`, bucket by bucket. */
export const compare = (
  plan: QueryPlan.QueryPlan,
  result: QueryPlan.Result,
  previous: Previous,
): { readonly [group: string]: Comparison } =>
  Object.fromEntries(
    plan.groups.map((group, g) => {
      const earlier = previous.plan.groups[g]!
      const values = result[group.name] ?? {}
      const before = previous.result[group.name] ?? {}
      const total = previous.totals?.[group.name]?.total
      return [
        group.name,
        {
          kind: previous.kind,
          from: Calendar.toDateInt(previous.plan.from),
          to: Calendar.toDateInt(previous.plan.to),
          buckets: Object.fromEntries(
            group.buckets.map((bucket, b) => {
              const counterpart = earlier.buckets[b]
              const previousValue =
                counterpart === undefined ? undefined : (before[counterpart.key] ?? 0)
              return [
                bucket.key,
                {
                  ...change(values[bucket.key] ?? 0, previousValue),
                  previous_key: counterpart?.key ?? null,
                },
              ]
            }),
          ),
          ...(previous.totals === undefined ? {} : { previous_total: total ?? 0 }),
        },
      ]
    }),
  )

/**
 * The extensions of an answer `result` to `plan`: `totals`, the answer to
 * `QueryPlan.totalsOf(plan)` when totals were asked for; `nowSeconds`, when bucket metadata
 * was; `previous`, the earlier period's answers when a comparison was.
 */
export const make = (
  plan: QueryPlan.QueryPlan,
  parts: {
    readonly result?: QueryPlan.Result | undefined
    readonly totals?: QueryPlan.Result | undefined
    readonly nowSeconds?: number | undefined
    readonly previous?: Previous | undefined
    readonly breakdowns?: { readonly [group: string]: BreakdownAnswer } | undefined
    readonly rolling?: { readonly [group: string]: Rolling } | undefined
  },
): Extras => {
  const meta = parts.nowSeconds === undefined ? undefined : bucketMeta(plan, parts.nowSeconds)
  const compared =
    parts.previous === undefined ? undefined : compare(plan, parts.result ?? {}, parts.previous)
  return {
    groups: Object.fromEntries(
      plan.groups.map((group): [string, GroupExtras] => {
        // `QueryPlan.totalKey`, the one bucket of a total group.
        const total = parts.totals?.[group.name]?.total
        const buckets = meta?.[group.name]
        const comparison = compared?.[group.name]
        const breakdown = parts.breakdowns?.[group.name]
        const rolling = parts.rolling?.[group.name]
        return [
          group.name,
          {
            ...(parts.totals === undefined ? {} : { total: total ?? 0 }),
            ...(buckets === undefined ? {} : { buckets }),
            ...(comparison === undefined ? {} : { compare: comparison }),
            ...(breakdown === undefined ? {} : { breakdown }),
            ...(rolling === undefined ? {} : { rolling }),
          },
        ]
      }),
    ),
  }
}

/**
 * The conditions, all on property `name`, that hold for exactly the events whose value is
 * `value`: the filter language's `equals` alone would also take a boolean for its text
 * (`"True"`), so a text is also one that `contains` itself (only text contains), and a
 * boolean one that `does_not_contain` its text (no text is then left).
 */
export const exactly = (
  name: string,
  value: string | number | boolean,
): ReadonlyArray<Filter.Condition> => {
  if (typeof value === "number") return [{ name, operator: "equals", values: [value] }]
  if (typeof value === "string")
    return [
      { name, operator: "equals", values: [value] },
      { name, operator: "contains", values: [value] },
    ]
  const text = value ? "True" : "False"
  return [
    { name, operator: "equals", values: [text] },
    { name, operator: "does_not_contain", values: [text] },
  ]
}

/** The top counts plan of a group's breakdown: its top values over the plan's range. */
export const topPlanOf = (
  plan: QueryPlan.QueryPlan,
  group: string,
  spec: BreakdownSpec,
): TopCounts.TopPlan => ({
  eventName: plan.eventName,
  timeZone: plan.timeZone,
  from: plan.from,
  to: plan.to,
  start: plan.start,
  end: plan.end,
  filters: plan.filters,
  groups: [
    {
      name: group,
      source: spec.property_type === "profile_fields" ? "profile" : "event",
      property: spec.name,
      topN: spec.top_n ?? defaultBreakdownValues,
      order: "desc",
    },
  ],
})

/** The plan of one series of a group's breakdown: that group, its value's events only. */
export const seriesPlan = (
  plan: QueryPlan.QueryPlan,
  group: string,
  spec: BreakdownSpec,
  value: string | number | boolean,
): QueryPlan.QueryPlan => ({
  ...plan,
  groups: plan.groups.filter((each) => each.name === group),
  filters: seriesFilters(
    plan.filters,
    spec.property_type === "profile_fields" ? "profile" : "event",
    spec.name,
    value,
  ),
})

/** The filters of a breakdown's series: the request's, and its value's conditions. */
export const seriesFilters = (
  filters: Filter.Filters,
  source: "event" | "profile",
  name: string,
  value: string | number | boolean,
): Filter.Filters =>
  source === "event"
    ? { event: [...filters.event, ...exactly(name, value)], profile: filters.profile }
    : { event: filters.event, profile: [...filters.profile, ...exactly(name, value)] }

/**
 * A group's breakdown from its answer (`group`), its values' series in order, and whether
 * the measure adds up (counts and sums): then `other`, the group less every series.
 */
export const breakdownOf = (
  spec: { readonly property_type: "event_properties" | "profile_fields"; readonly name: string },
  group: { readonly [key: string]: number },
  series: ReadonlyArray<Series>,
  adds: boolean,
): BreakdownAnswer => ({
  property_type: spec.property_type,
  name: spec.name,
  series,
  ...(adds
    ? {
        other: {
          buckets: Object.fromEntries(
            Object.entries(group).map(([key, value]) => [
              key,
              series.reduce((rest, each) => rest - (each.buckets[key] ?? 0), value),
            ]),
          ),
        },
      }
    : {}),
})

// The names of a rolling plan's groups: one per residue of the window's end day.
const windowGroup = (group: string, residue: number): string => `${group}#${residue}`

/**
 * The plan of a group's rolling windows of `days` days (`Extensions.rollingOf` reads its
 * answer): the plan's event, measure and filters over the days from `days - 1` before its
 * range to its end, in `min(days, range)` window groups. Group `j` has the windows that end
 * on the days `from + j`, `from + j + days`, …, each keyed by its last day, which do not
 * overlap; the days before its first window and after its last are buckets of their own
 * (`before`, `after`), so that each group covers the range as a store expects.
 */
export const rollingPlan = (
  plan: QueryPlan.QueryPlan,
  group: string,
  days: number,
): QueryPlan.QueryPlan => {
  const from = plan.from - days + 1
  const groups = Array.from({ length: Math.min(days, plan.to - plan.from + 1) }, (_, j) => {
    const buckets: Array<Bucket.Bucket> = []
    const firstEnd = plan.from + j
    if (firstEnd - days + 1 > from)
      buckets.push({ key: "before", first: from, last: firstEnd - days })
    let end = firstEnd
    for (; end <= plan.to; end += days)
      buckets.push({ key: Calendar.formatDateKey(end), first: end - days + 1, last: end })
    const lastEnd = end - days
    if (lastEnd < plan.to) buckets.push({ key: "after", first: lastEnd + 1, last: plan.to })
    return { name: windowGroup(group, j), granularity: "window" as const, buckets }
  })
  return {
    ...plan,
    from,
    start: Calendar.startOfDay(from, plan.timeZone),
    groups,
  }
}

/**
 * The plan of one daily group over the days from `days - 1` before the plan's range to its
 * end: the days whose totals make every window of a count or a sum (`windowSums`).
 */
export const daysBefore = (plan: QueryPlan.QueryPlan, days: number): QueryPlan.QueryPlan =>
  QueryPlan.withRange(
    { ...plan, groups: [{ name: "days", granularity: "daily", buckets: [] }] },
    plan.from - days + 1,
    plan.to,
  )

/** A group's rolling windows of counts or sums, from the answer to `daysBefore`. */
export const windowSums = (
  plan: QueryPlan.QueryPlan,
  days: number,
  result: QueryPlan.Result,
): Rolling => {
  const values = result.days ?? {}
  const daily = (day: Calendar.Day) => values[Calendar.formatDateKey(day)] ?? 0
  const buckets: Record<string, number> = {}
  // Each window is the one before, plus its last day, less the day that left it; in
  // bigint, so that sums stay exact however many days they add.
  let sum = 0n
  for (let day = plan.from - days + 1; day < plan.from; day++) sum += BigInt(daily(day))
  for (let day = plan.from; day <= plan.to; day++) {
    sum += BigInt(daily(day))
    if (day - days >= plan.from - days + 1) sum -= BigInt(daily(day - days))
    buckets[Calendar.formatDateKey(day)] = Number(sum)
  }
  return { days, buckets }
}

/** A group's rolling windows from a store's `rollingProfiles`: a value a day of the range. */
export const rollingFromDays = (
  plan: QueryPlan.QueryPlan,
  days: number,
  values: ReadonlyArray<number>,
): Rolling => ({
  days,
  buckets: Object.fromEntries(
    Array.from({ length: plan.to - plan.from + 1 }, (_, i) => [
      Calendar.formatDateKey(plan.from + i),
      values[i] ?? 0,
    ]),
  ),
})

/** A group's rolling windows, from the answer to its `rollingPlan`: each day's window. */
export const rollingOf = (
  plan: QueryPlan.QueryPlan,
  group: string,
  days: number,
  result: QueryPlan.Result,
): Rolling => {
  const buckets: Record<string, number> = {}
  for (let day = plan.from; day <= plan.to; day++) {
    const key = Calendar.formatDateKey(day)
    buckets[key] = result[windowGroup(group, (day - plan.from) % days)]?.[key] ?? 0
  }
  return { days, buckets }
}
