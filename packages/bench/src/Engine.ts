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
  /**
   * Other ways to load the same data, each into a fresh store of its own that nothing
   * queries: measured for the load table only.
   */
  readonly otherLoads?: ReadonlyArray<Pick<Engine, "loadPath" | "load">>
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

/**
 * A load that keeps up to `inFlight` calls of `append` running, each with `batchSize` events
 * (the data set's batches joined or passed on as they come), as concurrent clients would.
 * As in `timedLoad`, only the engine's time is counted: generating the next batch is not,
 * though the engine may go on writing meanwhile. The first failure fails the load.
 */
export const pipelinedLoad =
  (
    append: (events: ReadonlyArray<Aggregator.Event>) => Promise<void>,
    batchSize: number,
    inFlight: number,
  ): Engine["load"] =>
  (batches) => {
    const running = new Set<Promise<void>>()
    let failure: { readonly cause: unknown } | undefined
    let chunk: Array<Aggregator.Event> = []
    const launch = async (whenAtLeast: number) => {
      if (chunk.length >= whenAtLeast && chunk.length > 0) {
        const events = chunk
        chunk = []
        const call: Promise<void> = append(events)
          .catch((cause: unknown) => {
            failure ??= { cause }
          })
          .finally(() => running.delete(call))
        running.add(call)
      }
      while (running.size >= inFlight) await Promise.race(running)
      if (failure !== undefined) throw failure.cause
    }
    return timedLoad(
      batches,
      (batch) => {
        if (chunk.length === 0 && batch.length >= batchSize) chunk = [...batch]
        else for (const event of batch) chunk.push(event)
        return launch(batchSize)
      },
      async () => {
        await launch(1)
        await Promise.all(running)
        if (failure !== undefined) throw failure.cause
      },
    )
  }
