/**
 * A trends answer made easy to use: each group's buckets in order as `{ key, start, end,
 * value }` (dates of the first and last day, clipped to the request's range), with totals.
 *
 * @since 0.1.0
 */
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Option from "effect/Option"

/**
 * One bucket: its key, its first and last day (UTC midnight dates), and its value. An
 * hour's first and last day are its day.
 */
export interface BucketValue {
  readonly key: string
  readonly start: Date
  readonly end: Date
  readonly value: number
}

/**
 * One group's buckets and figures. For distinct profiles (`unique`) `total` is the sum of
 * the buckets' counts, not the distinct profiles of the whole range.
 */
export interface GroupResult {
  readonly trendType: Bucket.TrendType
  readonly buckets: ReadonlyArray<BucketValue>
  readonly total: number
  readonly min: number
  readonly max: number
  readonly mean: number
}

/** How to read the answer. */
export interface Options {
  /** The account's week convention, to date `YYYYWW` keys (default `"monday"`, ISO). */
  readonly weekStart?: Bucket.WeekStart
  /** Add the buckets the server left out, with value 0 (default `true`). */
  readonly zeroFill?: boolean
  /**
   * The account's time zone, to know the hours of hourly groups (23 or 25 on DST days);
   * without it an hourly group has the hours the answer has, none filled in.
   */
  readonly timeZone?: string
}

const dateOf = (day: Calendar.Day): Date => new Date(day * 86_400_000)

// The buckets a group's answer should have: every hour needs the account's zone.
const expectedBuckets = (
  trendType: Bucket.TrendType,
  request: TrendsRequest.TrendsRequest,
  weekStart: Bucket.WeekStart,
  timeZone: string | undefined,
): ReadonlyArray<Bucket.Bucket> =>
  Bucket.isDayTrendType(trendType)
    ? Bucket.bucketsOf(trendType, request.from, request.to, weekStart)
    : timeZone === undefined
      ? []
      : Bucket.hoursOf(request.from, request.to, timeZone)

// The days of a key the request's calendar does not expect.
const rangeOf = (
  trendType: Bucket.TrendType,
  key: string,
  weekStart: Bucket.WeekStart,
): Option.Option<{ readonly first: Calendar.Day; readonly last: Calendar.Day }> =>
  Bucket.isDayTrendType(trendType)
    ? Bucket.rangeOfKey(trendType, key, weekStart)
    : /^\d{10}$/.test(key)
      ? Option.map(Calendar.parseDateKey(key.slice(0, 8)), (day) => ({ first: day, last: day }))
      : Option.none()

const figures = (trendType: Bucket.TrendType, buckets: ReadonlyArray<BucketValue>): GroupResult => {
  const values = buckets.map((bucket) => bucket.value)
  const total = values.reduce((sum, value) => sum + value, 0)
  return {
    trendType,
    buckets,
    total,
    min: values.length === 0 ? 0 : Math.min(...values),
    max: values.length === 0 ? 0 : Math.max(...values),
    mean: values.length === 0 ? 0 : total / values.length,
  }
}

/**
 * Each requested group's buckets in order. Keys the answer has but the request's calendar
 * does not expect (a server with another week convention) are kept, dated by their key.
 */
export const decode = (
  request: TrendsRequest.TrendsRequest,
  groups: { readonly [group: string]: { readonly [key: string]: number } },
  options: Options = {},
): { readonly [group: string]: GroupResult } => {
  const weekStart = options.weekStart ?? "monday"
  const zeroFill = options.zeroFill ?? true
  return Object.fromEntries(
    Object.entries(request.groups).map(([name, group]) => {
      const answered = groups[name] ?? {}
      const expected = expectedBuckets(group.trend_type, request, weekStart, options.timeZone)
      const expectedKeys = new Set(expected.map((bucket) => bucket.key))
      const buckets: Array<BucketValue> = []
      for (const bucket of expected) {
        const value = answered[bucket.key]
        if (value === undefined && !zeroFill) continue
        buckets.push({
          key: bucket.key,
          start: dateOf(bucket.first),
          end: dateOf(bucket.last),
          value: value ?? 0,
        })
      }
      for (const [key, value] of Object.entries(answered)) {
        if (expectedKeys.has(key)) continue
        Option.map(rangeOf(group.trend_type, key, weekStart), (bucket) =>
          buckets.push({ key, start: dateOf(bucket.first), end: dateOf(bucket.last), value }),
        )
      }
      buckets.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      return [name, figures(group.trend_type, buckets)]
    }),
  )
}
