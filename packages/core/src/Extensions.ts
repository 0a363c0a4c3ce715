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
import type * as QueryPlan from "./QueryPlan.ts"

/** The top-level key of the answer that holds the extensions; no group may take it. */
export const reservedKey = "trendline"

/** What a request asks for beyond the hosted answer. */
export interface Wanted {
  readonly totals: boolean
  readonly bucketMeta: boolean
}

/** The extensions a decoded request asks for. */
export const wanted = (request: {
  readonly totals?: boolean | undefined
  readonly bucket_meta?: boolean | undefined
}): Wanted => ({ totals: request.totals === true, bucketMeta: request.bucket_meta === true })

/** Whether a request asks for any extension (and its answer carries `trendline`). */
export const any = (wanted: Wanted): boolean => wanted.totals || wanted.bucketMeta

/** One bucket's metadata (`bucket_meta`). */
export const BucketMeta = Schema.Struct({
  first: Schema.String,
  last: Schema.String,
  complete: Schema.Boolean,
  days: Schema.optionalWith(Schema.Int, { exact: true }),
  whole_days: Schema.optionalWith(Schema.Int, { exact: true }),
})
export type BucketMeta = typeof BucketMeta.Type

/** One group's extensions. */
export const GroupExtras = Schema.Struct({
  total: Schema.optionalWith(Schema.Finite, { exact: true }),
  buckets: Schema.optionalWith(Schema.Record({ key: Schema.String, value: BucketMeta }), {
    exact: true,
  }),
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
          const start = Calendar.startOfDay(bucket.first, plan.timeZone)
          const end = Calendar.startOfDay(bucket.last + 1, plan.timeZone)
          const whole =
            group.granularity === "total"
              ? bucket
              : Option.getOrElse(
                  Bucket.rangeOfKey(group.granularity, bucket.key, plan.weekStart),
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

/**
 * The extensions of an answer to `plan`: `totals`, the answer to `QueryPlan.totalsOf(plan)`
 * when totals were asked for; `nowSeconds`, when bucket metadata was.
 */
export const make = (
  plan: QueryPlan.QueryPlan,
  parts: {
    readonly totals?: QueryPlan.Result | undefined
    readonly nowSeconds?: number | undefined
  },
): Extras => {
  const meta = parts.nowSeconds === undefined ? undefined : bucketMeta(plan, parts.nowSeconds)
  return {
    groups: Object.fromEntries(
      plan.groups.map((group): [string, GroupExtras] => {
        // `QueryPlan.totalKey`, the one bucket of a total group.
        const total = parts.totals?.[group.name]?.total
        const buckets = meta?.[group.name]
        return [
          group.name,
          {
            ...(parts.totals === undefined ? {} : { total: total ?? 0 }),
            ...(buckets === undefined ? {} : { buckets }),
          },
        ]
      }),
    ),
  }
}
