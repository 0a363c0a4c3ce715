/**
 * What a trend counts in each bucket: events, distinct profiles (`unique: true`), or the
 * sum of an integer property (`sum_event_prop`).
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

/** The measure of a query. */
export type Measure = Data.TaggedEnum<{
  Events: Record<never, never>
  Profiles: Record<never, never>
  Sum: { readonly property: string }
}>

/** Constructors and matchers: `Measure.Sum({ property: "Amount" })`, `Measure.$match(…)`. */
export const Measure = Data.taggedEnum<Measure>()

/** Events counted one by one. */
export const Events: Measure = Measure.Events()

/** Distinct profiles, per bucket (not additive across buckets). */
export const Profiles: Measure = Measure.Profiles()

/** The sum of an integer property, e.g. `Measure.sum("Amount")`. */
export const sum = (property: string): Measure => Measure.Sum({ property })

/** A measure as data, for a store that runs plans elsewhere (a worker thread, a queue). */
export const MeasureSchema: Schema.Schema<Measure> = Schema.Union(
  Schema.TaggedStruct("Events", {}),
  Schema.TaggedStruct("Profiles", {}),
  Schema.TaggedStruct("Sum", { property: Schema.String }),
)
