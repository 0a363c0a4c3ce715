/**
 * What the benchmark drives: an engine that loads the data set once and then answers
 * shapes. Trendline's stores and DuckDB sit behind it alike.
 *
 * @since 0.1.0
 */
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import type * as ExtensionShape from "./ExtensionShape.ts"
import type * as Shape from "./Shape.ts"
import type * as TopShape from "./TopShape.ts"

/** How a load went: the time spent inside the engine, and how many events it stored. */
export interface Loaded {
  readonly millis: number
  readonly events: number
}

/**
 * How an engine is timed cold: `reopen` (untimed) makes its next call answer as a freshly
 * started process would, with nothing decoded or remembered; `means` says what that is for
 * this engine, for the report.
 */
export interface Cold {
  readonly means: string
  readonly reopen: () => Promise<void>
  /**
   * What `reopen` paid, untimed, to start what the cold call finds started (the Workers
   * entry: the account's object), one entry a reopen: for the report.
   */
  readonly starts?: () => ReadonlyArray<ColdStart>
}

/** A start `reopen` made: its first call, and the same call once started, in ms. */
export interface ColdStart {
  readonly first: number
  readonly again: number
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
   * A top values shape's answer (the engines that answer top property counts): Trendline's
   * stores through the port's `top`, the servers through `POST /1/counts/top.json`.
   */
  readonly runTop?: (shape: TopShape.TopShape) => Promise<TopShape.Answer>
  /**
   * A wire trends request with Trendline's extensions, answered by core's API over the
   * store as the server answers it: the wire success body (Trendline's stores only).
   */
  readonly runExtended?: (body: ExtensionShape.Body) => Promise<{ readonly [key: string]: unknown }>
  /**
   * Other ways to load the same data, each into a fresh store of its own that nothing
   * queries: measured for the load table only.
   */
  readonly otherLoads?: ReadonlyArray<Pick<Engine, "loadPath" | "load">>
  /** How to time it cold; without it (an engine in memory) it has warm figures only. */
  readonly cold?: Cold
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
 * (the data set's batches joined or split as they come), as concurrent clients would.
 * The data set is taken a window at a time (1M events, or 10 appends if more), generated
 * untimed; each window is then appended and timed on the wall clock, from its first
 * append to its last answer, so generating data never overlaps the timed work. After a
 * failure no further append starts; the load fails once those under way have settled.
 */
export const pipelinedLoad =
  (
    append: (events: ReadonlyArray<Aggregator.Event>) => Promise<void>,
    batchSize: number,
    inFlight: number,
  ): Engine["load"] =>
  async (batches) => {
    const window = Math.max(1_000_000, 10 * batchSize)
    let millis = 0
    let events = 0
    let chunks: Array<ReadonlyArray<Aggregator.Event>> = []
    let chunk: Array<Aggregator.Event> = []
    let waiting = 0
    const appendWindow = async () => {
      // Generating the window left garbage that is not the engine's to collect (the bench
      // runs with --expose-gc; elsewhere there is no `gc` and this does nothing).
      ;(globalThis as { gc?: () => void }).gc?.()
      const started = performance.now()
      const running = new Set<Promise<void>>()
      let failure: { readonly cause: unknown } | undefined
      for (const events of chunks) {
        if (failure !== undefined) break
        const call: Promise<void> = append(events)
          .catch((cause: unknown) => {
            failure ??= { cause }
          })
          .finally(() => running.delete(call))
        running.add(call)
        while (running.size >= inFlight) await Promise.race(running)
      }
      await Promise.all(running)
      millis += performance.now() - started
      chunks = []
      waiting = 0
      if (failure !== undefined) throw failure.cause
    }
    for (const batch of batches) {
      for (const event of batch) {
        chunk.push(event)
        if (chunk.length === batchSize) {
          chunks.push(chunk)
          chunk = []
        }
      }
      events += batch.length
      waiting += batch.length
      if (waiting >= window) await appendWindow()
    }
    if (chunk.length > 0) chunks.push(chunk)
    await appendWindow()
    return { millis, events }
  }
