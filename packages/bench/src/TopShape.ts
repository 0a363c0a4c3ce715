/**
 * The top values shapes: top property counts (`POST /1/counts/top.json`, the event store
 * port's `top`) over the whole year of the data set, in UTC: the `topN` most frequent values
 * of one event property among the events of one event. The target is the first
 * one's: the top 10 values of a property of the top event over a year, under 100 ms cold at
 * 10M events.
 *
 * Every event of the data set carries `Amount` (an integer in 1..500) and `Platform` (3
 * texts), so every shape answers a full list:
 *
 * - `Amount` of the top event: 500 values, about 500 events each at 1M (the target's
 *   shape: many values, counts close together);
 * - `Platform` of the top event: 3 text values (fewer than `topN`), the same events read;
 * - `Amount` of the rare event (about 1% of events): few events a value, so ties, which
 *   every engine must break alike (by the value's JSON text, `TopCounts.rank`).
 *
 * Every shape is a core `TopRequest`, so the plan a store runs and the body the server
 * receives come from the same value.
 *
 * @since 0.1.0
 */
import * as TopCounts from "@trendline/core/TopCounts"
import * as Dataset from "./Dataset.ts"
import * as Shape from "./Shape.ts"

/** One top values query to time. */
export interface TopShape {
  readonly event: string
  /** The event property whose values are counted. */
  readonly property: string
  readonly topN: number
}

/** An answer: the values in order, each with the number of events that have it. */
export type Answer = ReadonlyArray<TopCounts.Entry>

/** The name of the single group of a shape's request. */
export const group = "top"

/** How many values each shape asks for: the 10 (also `TopCounts.defaultTopN`). */
export const topN = 10

/** The top values shapes (see the module's note). */
export const all: ReadonlyArray<TopShape> = [
  { event: Dataset.topEvent, property: Shape.sumProperty, topN },
  { event: Dataset.topEvent, property: Dataset.platformProperty, topN },
  { event: Dataset.rareEvent, property: Shape.sumProperty, topN },
]

/** A shape for people: `"top 10 Amount · App Opened"`. */
export const label = (shape: TopShape): string =>
  `top ${shape.topN} ${shape.property} · ${shape.event}`

/** Whether a shape is of the top event: the shapes the target concerns. */
export const ofTopEvent = (shape: TopShape): boolean => shape.event === Dataset.topEvent

/** The shape as a top counts request over the data set's year, one group named `group`. */
export const request = (shape: TopShape): TopCounts.TopRequest => ({
  event_name: shape.event,
  from: Dataset.from,
  to: Dataset.to,
  groups: {
    [group]: { property_type: "event_properties", name: shape.property, top_n: shape.topN },
  },
})

/** The shape as a Trendline top counts plan (`TopCounts.plan`) in the bench's account. */
export const plan = (shape: TopShape): TopCounts.TopPlan =>
  TopCounts.plan(request(shape), Shape.account)

/** An entry for people: `312 (71)`, `"ios" (8,812)`. */
export const describeEntry = (entry: TopCounts.Entry | undefined): string =>
  entry === undefined
    ? "no entry"
    : `${JSON.stringify(entry.value)} (${entry.count.toLocaleString("en-US")})`

/** How `actual` differs from `expected`, one line a place in the list: empty when equal. */
export const differences = (expected: Answer, actual: Answer): Array<string> => {
  const lines: Array<string> = []
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i]
    const got = actual[i]
    if (want?.value !== got?.value || want?.count !== got?.count)
      lines.push(`#${i + 1}: expected ${describeEntry(want)}, got ${describeEntry(got)}`)
  }
  return lines
}
