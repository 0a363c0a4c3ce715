/**
 * The query shapes the benchmark times: a trends query for one event over the whole year
 * of the data set, in UTC with ISO weeks, measuring events, distinct profiles or the sum
 * of `Amount`, cut daily, weekly or monthly. Engines that take whole trends requests are
 * also timed on `combined` requests: one group of each trend type at once. The `filtered`
 * shapes are two of the top event's with one equality filter on a text property
 * (`Platform` equals `"ios"`, about 35% of its events), each timed beside its unfiltered
 * shape.
 *
 * Every shape is a core `TrendsRequest`, so the plan a store runs and the body the server
 * receives come from the same value.
 *
 * @since 0.1.0
 */
import * as Account from "@trendline/core/Account"
import type * as Bucket from "@trendline/core/Bucket"
import type * as Filter from "@trendline/core/Filter"
import * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Dataset from "./Dataset.ts"

/** What a shape measures in each bucket. */
export type Measured = "count" | "profiles" | "sum"

/** One query to time. */
/** The trend types the shapes cut by: the hosted API's, which every engine answers. */
export type TrendType = Extract<Bucket.TrendType, "daily" | "weekly" | "monthly">

/** A request's trend type as a shape's: the hand-written SQL engines refuse the others. */
export const trendTypeOf = (trendType: Bucket.TrendType): TrendType => {
  if (trendType === "quarterly" || trendType === "yearly" || trendType === "hourly")
    throw new Error(`the bench's hand-written SQL cuts daily, weekly or monthly, not ${trendType}`)
  return trendType
}

export interface Shape {
  readonly event: string
  readonly measure: Measured
  readonly trendType: TrendType
  /** One condition on the event's properties (the request's `event_properties`), if any. */
  readonly filter?: Filter.Entry
}

/** An answer: bucket key (daily `YYYYMMDD`, weekly ISO `YYYYWW`, monthly `YYYYMM`) to value. */
export type Answer = { readonly [key: string]: number }

/** The account every engine stores the data set in: UTC, ISO weeks. */
export const account: Account.Settings = Account.make("bench")

/** The property that `sum` adds up. */
export const sumProperty = "Amount"

/** The name of the single group of a shape's plan. */
export const group = "trend"

const measures: ReadonlyArray<Measured> = ["count", "profiles", "sum"]
const trendTypes: ReadonlyArray<TrendType> = ["daily", "weekly", "monthly"]

/** Every shape: {count, profiles, sum} × {daily, weekly, monthly} × {top event, ~1% event}. */
export const all: ReadonlyArray<Shape> = [Dataset.topEvent, Dataset.rareEvent].flatMap((event) =>
  measures.flatMap((measure) => trendTypes.map((trendType) => ({ event, measure, trendType }))),
)

/** The filter of the filtered shapes: `Platform` equals `"ios"` (about 35% of events). */
export const platformFilter: Filter.Entry = {
  name: Dataset.platformProperty,
  operator: "equals",
  value: "ios",
}

/**
 * The filtered shapes: the top event's count daily and distinct profiles weekly, with
 * `platformFilter`. Each is timed beside its `unfiltered` shape, one of `all`.
 */
export const filtered: ReadonlyArray<Shape> = [
  { event: Dataset.topEvent, measure: "count", trendType: "daily", filter: platformFilter },
  { event: Dataset.topEvent, measure: "profiles", trendType: "weekly", filter: platformFilter },
]

/** The same shape without its filter. */
export const unfiltered = (shape: Shape): Shape => ({
  event: shape.event,
  measure: shape.measure,
  trendType: shape.trendType,
})

/** Whether two shapes are the same query (filter included). */
export const same = (a: Shape, b: Shape): boolean => label(a) === label(b)

const describeValue = (value: Filter.Entry["value"]): string =>
  value === undefined
    ? ""
    : ` ${Array.isArray(value) ? value.map((v) => JSON.stringify(v)).join(" or ") : JSON.stringify(value)}`

/** A filter for people: `Platform equals "ios"`. */
export const filterLabel = (entry: Filter.Entry): string =>
  `${entry.name} ${entry.operator}${describeValue(entry.value)}`

/**
 * A shape for people: `"profiles weekly · App Opened"`, and with a filter
 * `"count daily · App Opened · Platform equals "ios""`.
 */
export const label = (shape: Shape): string =>
  `${shape.measure} ${shape.trendType} · ${shape.event}${shape.filter === undefined ? "" : ` · ${filterLabel(shape.filter)}`}`

/** A trends request over the data set's year: `groups` maps group names to trend types. */
export const trendsRequest = (
  event: string,
  measure: Measured,
  groups: { readonly [name: string]: Bucket.TrendType },
): TrendsRequest.TrendsRequest => ({
  event_name: event,
  from: Dataset.from,
  to: Dataset.to,
  groups: Object.fromEntries(
    Object.entries(groups).map(([name, trendType]) => [name, { trend_type: trendType }]),
  ),
  ...(measure === "profiles" ? { unique: true } : {}),
  ...(measure === "sum" ? { sum_event_prop: sumProperty } : {}),
})

/** The shape as a trends request, one group named `group`, its filter as `event_properties`. */
export const request = (shape: Shape): TrendsRequest.TrendsRequest => ({
  ...trendsRequest(shape.event, shape.measure, { [group]: shape.trendType }),
  ...(shape.filter === undefined ? {} : { event_properties: [shape.filter] }),
})

/**
 * The text a filtered shape's hand-written SQL compares with: its filter's property and
 * value when it is one text `equals` (all the SQL engines translate); `undefined` without a
 * filter. Throws on any other filter.
 */
export const textEquality = (
  shape: Shape,
): { readonly property: string; readonly value: string } | undefined => {
  const filter = shape.filter
  if (filter === undefined) return undefined
  if (filter.operator !== "equals" || typeof filter.value !== "string") {
    throw new Error(
      `the hand-written SQL takes one text equality as a filter, not ${filterLabel(filter)}`,
    )
  }
  return { property: filter.name, value: filter.value }
}

/** The shape as a Trendline plan over the data set's year, one group named `group`. */
export const plan = (shape: Shape): QueryPlan.QueryPlan =>
  QueryPlan.fromTrends(request(shape), account)

/** The shape's answer with every bucket at 0: the keys every engine must return. */
export const emptyAnswer = (shape: Shape): Answer => QueryPlan.emptyResult(plan(shape))[group]!

/** A request with a daily, a weekly and a monthly group, named after their trend types. */
export interface Combined {
  readonly event: string
  readonly measure: Measured
}

/** The combined requests timed end to end: every measure of the top event. */
export const combined: ReadonlyArray<Combined> = measures.map((measure) => ({
  event: Dataset.topEvent,
  measure,
}))

/** A combined request for people: `"sum daily+weekly+monthly · App Opened"`. */
export const combinedLabel = (request: Combined): string =>
  `${request.measure} ${trendTypes.join("+")} · ${request.event}`

/** The combined request as a trends request: groups `daily`, `weekly` and `monthly`. */
export const combinedRequest = (request: Combined): TrendsRequest.TrendsRequest =>
  trendsRequest(
    request.event,
    request.measure,
    Object.fromEntries(trendTypes.map((trendType) => [trendType, trendType])),
  )
