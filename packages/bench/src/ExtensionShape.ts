/**
 * The extensions shapes: whole trends requests with Trendline's extensions (`Extensions`),
 * answered by core's API over a store as the server answers them, each timed beside its
 * baseline, the same request without the extension, cold against cold and warm against
 * warm. The targets at 10M events, cold:
 *
 * - a year of daily buckets with a comparison at most 2× the same request without: timed
 *   with the earlier period full of events (the second half of the data set's year against
 *   its first half, `previous_period`) and over the whole year (`previous_year`: 2024 holds
 *   no events, so the comparison's second query finds nothing);
 * - the distinct profiles of the top event over the year as a total under 50 ms: timed as
 *   a daily request with `"totals": true` beside the same without, and alone, as the
 *   request whose one bucket is the year's (a `yearly` group: the same work as the total).
 *
 * Rolling windows (30 days of distinct profiles per day over the year) and hours (31 days)
 * are timed too, with no target.
 *
 * @since 0.1.0
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Dataset from "./Dataset.ts"

/** A wire trends request body. */
export type Body = { readonly [field: string]: unknown }

/** One extended request to time, beside its baseline when it has one. */
export interface ExtensionShape {
  readonly label: string
  readonly body: Body
  /** The same request without the extension; none for a request timed alone. */
  readonly baseline?: Body
  /** The target on the cold median: a ratio to the baseline, or milliseconds. */
  readonly target?: { readonly ratio: number } | { readonly millis: number }
}

const range = (from: Calendar.Day, to: Calendar.Day) => ({
  from: Calendar.toDateInt(from),
  to: Calendar.toDateInt(to),
})

const year = range(Dataset.from, Dataset.to)
// The data set's second half-year and its first, of 184 and 181 days.
const secondHalf = range(Calendar.unsafeMakeDay(2025, 7, 1), Dataset.to)

const daily = { days: { trend_type: "daily" } }

/** The extensions shapes (see the module's note), all of the top event. */
export const all: ReadonlyArray<ExtensionShape> = [
  {
    label: "count daily, Jul-Dec vs Jan-Jun (compare previous_period)",
    baseline: { event_name: Dataset.topEvent, ...secondHalf, groups: daily },
    body: {
      event_name: Dataset.topEvent,
      ...secondHalf,
      groups: daily,
      compare: "previous_period",
    },
    target: { ratio: 2 },
  },
  {
    label: "count daily, the year vs 2024, empty (compare previous_year)",
    baseline: { event_name: Dataset.topEvent, ...year, groups: daily },
    body: { event_name: Dataset.topEvent, ...year, groups: daily, compare: "previous_year" },
    target: { ratio: 2 },
  },
  {
    label: "profiles daily, the year, with totals",
    baseline: { event_name: Dataset.topEvent, ...year, unique: true, groups: daily },
    body: { event_name: Dataset.topEvent, ...year, unique: true, groups: daily, totals: true },
  },
  {
    label: "profiles of the whole year (the unique total's work)",
    body: {
      event_name: Dataset.topEvent,
      ...year,
      unique: true,
      groups: { year: { trend_type: "yearly" } },
    },
    target: { millis: 50 },
  },
  {
    label: "profiles daily, rolling 30 days, the year",
    baseline: { event_name: Dataset.topEvent, ...year, unique: true, groups: daily },
    body: {
      event_name: Dataset.topEvent,
      ...year,
      unique: true,
      groups: { days: { trend_type: "daily", rolling: 30 } },
    },
  },
  {
    label: "count hourly, December (31 days)",
    baseline: {
      event_name: Dataset.topEvent,
      ...range(Calendar.unsafeMakeDay(2025, 12, 1), Dataset.to),
      groups: daily,
    },
    body: {
      event_name: Dataset.topEvent,
      ...range(Calendar.unsafeMakeDay(2025, 12, 1), Dataset.to),
      groups: { hours: { trend_type: "hourly" } },
    },
  },
]

/** The target of a shape for people: `"≤ 2×"`, `"< 50 ms"`, or `"—"`. */
export const targetLabel = (shape: ExtensionShape): string =>
  shape.target === undefined
    ? "—"
    : "ratio" in shape.target
      ? `≤ ${shape.target.ratio}×`
      : `< ${shape.target.millis} ms`

/**
 * Whether cold medians meet a shape's target: `"yes"`, `"no"`, or `"—"` without a target
 * (`"n/a"` when a median is missing).
 */
export const targetMet = (
  shape: ExtensionShape,
  cold: number | undefined,
  baselineCold: number | undefined,
): string => {
  const target = shape.target
  if (target === undefined) return "—"
  if (cold === undefined || !Number.isFinite(cold)) return "n/a"
  if ("millis" in target) return cold < target.millis ? "yes" : "no"
  if (baselineCold === undefined || !(baselineCold > 0)) return "n/a"
  return cold / baselineCold <= target.ratio ? "yes" : "no"
}
