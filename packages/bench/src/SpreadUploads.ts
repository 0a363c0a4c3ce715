/**
 * Uploads of spread data: a typical backfill, the data set's events spread over several
 * years (`Dataset.spreadBatches`, 17 by default), so that every upload of 1000 records
 * touches many days. Once per run, when a size runs both the Node entry (`http`) and the
 * Workers entry (`workers`): a fresh engine of each (a new server on a new file, a new
 * workerd on a new folder), loaded the way its size's load goes (the engine's `load`:
 * `POST /1/upload`, 1000 records a call, one call at a time), timed the same way (only the
 * calls, not generating the data), then closed, whatever happens.
 *
 * @since 0.1.0
 */
import * as Dataset from "./Dataset.ts"
import type { Engine } from "./Engine.ts"
import type * as Harness from "./Harness.ts"
import { grouped } from "./Markdown.ts"

/** The years spread over by default: a typical backfill. */
export const defaultYears = 17

/** The events uploaded by default (or the smallest size, if smaller). */
export const defaultEvents = 100_000

/** What to upload, and into which engines (fresh ones, made by `make`). */
export interface Options {
  readonly events: number
  readonly years: number
  /** The data set's seed (default `Dataset.defaultSeed`). */
  readonly seed?: number
  readonly engines: ReadonlyArray<Harness.EngineSpec>
  /** Progress lines. */
  readonly log?: (line: string) => void
}

/** How each engine took the spread data. */
export interface Result {
  readonly years: number
  /** The data set spread (its events, seed and batches). */
  readonly dataset: Dataset.Dataset
  /** The seed of the years drawn (`Dataset.spreadSeed`). */
  readonly spreadSeed: number
  readonly loads: ReadonlyArray<Harness.Load>
}

/** Loads the spread data into a fresh engine of each spec in turn, closing each after. */
export const run = async (options: Options): Promise<Result> => {
  const log = options.log ?? (() => undefined)
  const dataset = Dataset.make({
    events: options.events,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  })
  const spreadSeed = Dataset.spreadSeed(dataset)
  // Checks the years before any engine starts.
  Dataset.spreadBatches(dataset, options.years, spreadSeed)
  const label = `[spread ${grouped(dataset.events)} over ${options.years} years]`
  const loads: Array<Harness.Load> = []
  for (const spec of options.engines) {
    log(`${label} starting a fresh ${spec.name} …`)
    const engine: Engine = await spec.make()
    try {
      log(`${label} loading ${engine.name} (${engine.loadPath}) …`)
      const loaded = await engine.load(Dataset.spreadBatches(dataset, options.years, spreadSeed))
      if (loaded.events !== dataset.events) {
        throw new Error(
          `${engine.name} took ${loaded.events} of the ${dataset.events} spread events`,
        )
      }
      loads.push({
        engine: engine.name,
        version: engine.version,
        loadPath: engine.loadPath,
        ...loaded,
      })
      log(
        `${label} ${engine.name} loaded in ${(loaded.millis / 1000).toFixed(1)} s (${grouped(Math.round((loaded.events / loaded.millis) * 1000))} events/s)`,
      )
    } finally {
      await engine.close()
    }
  }
  return { years: options.years, dataset, spreadSeed, loads }
}
