/**
 * What the benchmark drives: an engine that loads the data set once and then answers
 * shapes. Trendline's stores and DuckDB sit behind it alike.
 *
 * @since 0.1.0
 */
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import type * as Shape from "./Shape.ts"

/** How a load went: the time spent inside the engine, and how many events it stored. */
export interface Loaded {
  readonly millis: number
  readonly events: number
}

/** An engine under test. `close` releases it and removes its files. */
export interface Engine {
  readonly name: string
  /** What runs underneath, for the report: `"SQLite 3.50.4 (node:sqlite)"`. */
  readonly version: string
  /** How it loads, for the report: `"append, batches of 1000"`. */
  readonly loadPath: string
  readonly load: (batches: Iterable<ReadonlyArray<Aggregator.Event>>) => Promise<Loaded>
  readonly run: (shape: Shape.Shape) => Promise<Shape.Answer>
  /**
   * A whole trends request, every group answered (Trendline's engines only): what the
   * server runs for `POST /1/counts/trends.json`, timed on `Shape.combined`.
   */
  readonly runTrends?: (request: TrendsRequest.TrendsRequest) => Promise<QueryPlan.Result>
  readonly close: () => Promise<void>
}

/**
 * Feeds every batch to `consume` and times only the calls to `consume` (and `finish`), so
 * generating the data set is not charged to the engine.
 */
export const timedLoad = async (
  batches: Iterable<ReadonlyArray<Aggregator.Event>>,
  consume: (batch: ReadonlyArray<Aggregator.Event>) => unknown,
  finish: () => unknown = () => undefined,
): Promise<Loaded> => {
  let millis = 0
  let events = 0
  for (const batch of batches) {
    const started = performance.now()
    await consume(batch)
    millis += performance.now() - started
    events += batch.length
  }
  const started = performance.now()
  await finish()
  millis += performance.now() - started
  return { millis, events }
}
