/**
 * The query shapes the benchmark times: a trends query for one event over the whole year
 * of the data set, in UTC with ISO weeks, measuring events, distinct profiles or the sum
 * of `Amount`, cut daily, weekly or monthly.
 *
 * @since 0.1.0
 */
import * as Account from "@trendline/core/Account"
import type * as Bucket from "@trendline/core/Bucket"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Dataset from "./Dataset.ts"

/** What a shape measures in each bucket. */
export type Measured = "count" | "profiles" | "sum"

/** One query to time. */
export interface Shape {
  readonly event: string
  readonly measure: Measured
  readonly trendType: Bucket.TrendType
}

/** An answer: bucket key (daily `YYYYMMDD`, weekly ISO `YYYYWW`, monthly `YYYYMM`) to value. */
export type Answer = { readonly [key: string]: number }

/** The account every engine stores the data set in: UTC, ISO weeks. */
export const account: Account.Settings = Account.make("bench")

/** The property that `sum` adds up. */
export const sumProperty = "Amount"

/** The name of the single group of a shape's plan. */
export const group = "trend"

/** Every shape: {count, profiles, sum} × {daily, weekly, monthly} × {top event, ~1% event}. */
export const all: ReadonlyArray<Shape> = [Dataset.topEvent, Dataset.rareEvent].flatMap((event) =>
  (["count", "profiles", "sum"] as const).flatMap((measure) =>
    (["daily", "weekly", "monthly"] as const).map((trendType) => ({ event, measure, trendType })),
  ),
)

/** A shape for people: `"profiles weekly · App Opened"`. */
export const label = (shape: Shape): string =>
  `${shape.measure} ${shape.trendType} · ${shape.event}`

const measureOf = (measured: Measured): Measure.Measure =>
  measured === "count"
    ? Measure.Events
    : measured === "profiles"
      ? Measure.Profiles
      : Measure.sum(sumProperty)

/** The shape as a Trendline plan over the data set's year, one group named `group`. */
export const plan = (shape: Shape): QueryPlan.QueryPlan =>
  QueryPlan.make(
    {
      eventName: shape.event,
      from: Dataset.from,
      to: Dataset.to,
      measure: measureOf(shape.measure),
      groups: [{ name: group, granularity: shape.trendType }],
    },
    account,
  )

/** The shape's answer with every bucket at 0: the keys every engine must return. */
export const emptyAnswer = (shape: Shape): Answer => QueryPlan.emptyResult(plan(shape))[group]!
