/**
 * Top property counts (`POST /1/counts/top.json`): per named group, the most (or with
 * `"order": "asc"` the least) frequent values of one event property or profile field among
 * the events that match the request (its event, range and filters).
 *
 * Choices where the hosted documentation is silent:
 * - A value counts the events that have it: an event without the property (or whose
 *   profile lacks the field) counts for no value. Text, numbers and booleans are distinct
 *   values (`"5"` is not `5`).
 * - `top_n` is 10 by default and at most 100.
 * - The answer keeps the order in a list per group, `[{"value": "pro", "count": 12}, …]`:
 *   an object keyed by value could not (JavaScript orders integer-like keys numerically).
 * - Ties are broken by the value's JSON text, byte by byte in UTF-8 (as SQL compares
 *   strings), so every store answers the same list.
 * - Of the documented `property_type`s, `event_properties` and `profile_fields` are stored;
 *   the others (`session_properties`, `app_fields`, …) answer a 400 that says so.
 *
 * @since 0.1.0
 */

import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Account from "./Account.ts"
import type * as Aggregator from "./Aggregator.ts"
import type * as ApiError from "./ApiError.ts"
import * as Calendar from "./Calendar.ts"
import * as Filter from "./Filter.ts"
import type * as Limits from "./Limits.ts"
import * as TrendsRequest from "./TrendsRequest.ts"

/** `top_n` when a group gives none, and the most a group may ask for. */
export const defaultTopN = 10
export const maxTopN = 100

/** The documented property types; only the first two hold data Trendline ingests. */
export const propertyTypes = [
  "event_properties",
  "profile_fields",
  "session_properties",
  "app_fields",
  "demographics",
  "technographics",
  "reachability",
  "geo_fields",
] as const

/** One group as sent: `{"property_type": "profile_fields", "name": "Plan", "top_n": 3}`. */
export const TopGroup = Schema.Struct({
  property_type: Schema.Literal(...propertyTypes),
  name: Schema.String,
  top_n: Schema.optionalWith(Schema.Int, { exact: true }),
  order: Schema.optionalWith(Schema.Literal("desc", "asc"), { exact: true }),
})
export type TopGroup = typeof TopGroup.Type

/** The request: an event, a range, filters, and named groups. */
export const TopRequest = Schema.Struct({
  ...TrendsRequest.eventFields,
  groups: Schema.Record({ key: Schema.String, value: TopGroup }),
})
export type TopRequest = typeof TopRequest.Type
export type Encoded = typeof TopRequest.Encoded

const topGroupIssues = (
  name: string,
  group: TrendsRequest.Body,
  limits: Limits.Limits,
): Array<ApiError.Issue> => {
  const path = `groups.${name}`
  const issues: Array<ApiError.Issue> = []
  const type = group.property_type
  if (typeof type === "string" && type !== "event_properties" && type !== "profile_fields")
    issues.push({
      path: `${path}.property_type`,
      message: `${JSON.stringify(type)} is not data Trendline stores: use "event_properties" (the event's properties) or "profile_fields" (the fields of the profile that did it)`,
    })
  if (typeof group.name === "string") {
    if (group.name === "")
      issues.push({ path: `${path}.name`, message: 'must name a property, e.g. "Plan"' })
    else if (group.name.length > limits.maxPropertyNameLength)
      issues.push({
        path: `${path}.name`,
        message: `is longer than ${limits.maxPropertyNameLength} characters, the longest property name an upload stores`,
      })
  }
  const topN = group.top_n
  if (typeof topN === "number" && Number.isInteger(topN) && (topN < 1 || topN > maxTopN))
    issues.push({
      path: `${path}.top_n`,
      message: `must be between 1 and ${maxTopN}; it is ${topN}`,
    })
  return issues
}

const topRules: TrendsRequest.Rules = (body, limits) => [
  ...TrendsRequest.eventRules(body, limits),
  ...(TrendsRequest.isObject(body.groups)
    ? [
        ...TrendsRequest.groupIssues(body.groups, limits),
        ...Object.entries(body.groups).flatMap(([name, group]) =>
          TrendsRequest.isObject(group) ? topGroupIssues(name, group, limits) : [],
        ),
      ]
    : []),
]

/** Reads a top counts request body, checking every rule; fails with every problem at once. */
export const decode: (
  input: unknown,
  limits?: Limits.Limits,
) => Effect.Effect<TopRequest, ApiError.InvalidRequest> = TrendsRequest.makeDecoder(
  TopRequest,
  topRules,
)

/** The wire body of a request built in code. */
export const encode: (request: TopRequest) => Encoded = Schema.encodeSync(TopRequest)

/** One group of a plan: whose property, which, how many values, in which order. */
export interface GroupPlan {
  readonly name: string
  readonly source: "event" | "profile"
  readonly property: string
  readonly topN: number
  readonly order: "desc" | "asc"
}

/** A top counts request resolved against an account's calendar, for any store. */
export interface TopPlan {
  readonly eventName: string
  readonly timeZone: string
  readonly from: Calendar.Day
  readonly to: Calendar.Day
  /** First epoch second of `from` in the account's zone. */
  readonly start: number
  /** First epoch second after `to` (exclusive). */
  readonly end: number
  readonly filters: Filter.Filters
  readonly groups: ReadonlyArray<GroupPlan>
}

/** A plan as data, for a store that runs it elsewhere. */
export const TopPlanSchema: Schema.Schema<TopPlan> = Schema.Struct({
  eventName: Schema.String,
  timeZone: Schema.String,
  from: Schema.Int,
  to: Schema.Int,
  start: Schema.Number,
  end: Schema.Number,
  filters: Filter.FiltersSchema,
  groups: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      source: Schema.Literal("event", "profile"),
      property: Schema.String,
      topN: Schema.Int,
      order: Schema.Literal("desc", "asc"),
    }),
  ),
})

/** The plan of a decoded request: one group per requested group, in request order. */
export const plan = (request: TopRequest, account: Account.Settings): TopPlan => ({
  eventName: request.event_name.toWellFormed(),
  timeZone: account.timeZone,
  from: request.from,
  to: request.to,
  start: Calendar.startOfDay(request.from, account.timeZone),
  end: Calendar.startOfDay(request.to + 1, account.timeZone),
  filters: Filter.ofCheckedRequest(request),
  groups: Object.entries(request.groups).map(([name, group]) => ({
    name,
    source: group.property_type === "profile_fields" ? "profile" : "event",
    property: group.name.toWellFormed(),
    topN: group.top_n ?? defaultTopN,
    order: group.order ?? "desc",
  })),
})

/** A value a group counts: a stored property's text, number or boolean. */
export type Value = string | number | boolean

/** One value of a group and the number of events that have it. */
export interface Entry {
  readonly value: Value
  readonly count: number
}

/** The answer: per group, its values in order. */
export type TopResult = { readonly [group: string]: ReadonlyArray<Entry> }

export const EntrySchema = Schema.Struct({
  value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean),
  count: Schema.NonNegativeInt,
})

/** A result as data. */
export const TopResultSchema: Schema.Schema<TopResult> = Schema.Record({
  key: Schema.String,
  value: Schema.Array(EntrySchema),
})

/**
 * The `success` answer as the wire has it: `{"status":"success","plans":[{"value":"pro",
 * "count":12},…]}`, each group beside `status` (which no group may be named).
 */
export const TopSuccess = Schema.Struct(
  { status: Schema.Literal("success") },
  Schema.Record({
    key: Schema.String.pipe(Schema.filter((name) => name !== "status")),
    value: Schema.Array(EntrySchema),
  }),
)
export type TopSuccess = typeof TopSuccess.Type

/** The `success` answer: `{"status":"success","plans":[{"value":"pro","count":12},…]}`. */
export const toWire = (result: TopResult): { readonly [key: string]: unknown } => ({
  status: "success",
  ...result,
})

/** Whether a stored value is one a group counts (uploads store no null; objects never). */
export const isValue = (value: unknown): value is Value =>
  typeof value === "string" ||
  typeof value === "boolean" ||
  (typeof value === "number" && Number.isFinite(value))

const utf8 = new TextEncoder()

const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/**
 * A group's values in its order: by count (most first, or least with `asc`), ties by the
 * value's JSON text in UTF-8 bytes; the first `topN`. Every store ranks with it, or in the
 * same order.
 */
export const rank = (
  counts: ReadonlyMap<string, number>,
  group: Pick<GroupPlan, "topN" | "order">,
): ReadonlyArray<Entry> =>
  [...counts]
    .map(([json, count]) => ({ json, bytes: utf8.encode(json), count }))
    .sort(
      (a, b) =>
        (group.order === "desc" ? b.count - a.count : a.count - b.count) ||
        compareBytes(a.bytes, b.bytes),
    )
    .slice(0, group.topN)
    .map(({ json, count }) => ({ value: JSON.parse(json) as Value, count }))

/**
 * The exact answer to a plan over `events`, counting the events that match its filters
 * (`fieldsOf` gives the fields of the profile that did each): the reference every store is
 * tested against.
 */
export const reference = (
  plan: TopPlan,
  events: Iterable<Aggregator.Event>,
  fieldsOf: Aggregator.ProfileFields = () => undefined,
): TopResult => {
  const counts = plan.groups.map(() => new Map<string, number>())
  for (const event of events) {
    if (event.name !== plan.eventName || event.ts < plan.start || event.ts >= plan.end) continue
    const fields = fieldsOf(event.profile)
    if (!Filter.matches(plan.filters, event.properties, fields)) continue
    for (const [g, group] of plan.groups.entries()) {
      const source = group.source === "event" ? event.properties : fields
      const value =
        source !== undefined && Object.hasOwn(source, group.property)
          ? source[group.property]
          : undefined
      if (!isValue(value)) continue
      const json = JSON.stringify(value)
      counts[g]!.set(json, (counts[g]!.get(json) ?? 0) + 1)
    }
  }
  return Object.fromEntries(plan.groups.map((group, g) => [group.name, rank(counts[g]!, group)]))
}
