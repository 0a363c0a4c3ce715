/**
 * The benchmark run: for each data set size, load every engine, check that every engine
 * gives the same answer to every shape (and, at small sizes, the same as core's reference
 * aggregator), then time each shape on each engine: one warm-up, then `repetitions` runs.
 *
 * @since 0.1.0
 */
import * as Aggregator from "@trendline/core/Aggregator"
import * as Data from "effect/Data"
import * as Dataset from "./Dataset.ts"
import type { Engine } from "./Engine.ts"
import * as Shape from "./Shape.ts"

/** How to build an engine, fresh for every size. */
export interface EngineSpec {
  readonly name: string
  readonly make: () => Promise<Engine>
}

/** What to run. */
export interface Options {
  /** Event counts to run, each a separate data set (same seed). */
  readonly sizes: ReadonlyArray<number>
  /** Timed runs per shape and engine, after one warm-up. */
  readonly repetitions: number
  readonly engines: ReadonlyArray<EngineSpec>
  readonly shapes?: ReadonlyArray<Shape.Shape>
  readonly seed?: number
  readonly profiles?: number
  /** Up to this many events, answers are also checked against `Aggregator.aggregate`. */
  readonly referenceLimit?: number
  /** Progress lines. */
  readonly log?: (line: string) => void
}

/** How one engine loaded one data set. */
export interface Load {
  readonly engine: string
  readonly version: string
  readonly loadPath: string
  readonly events: number
  readonly millis: number
}

/** One shape's timings, in milliseconds, by engine. */
export interface Timing {
  readonly shape: Shape.Shape
  readonly runs: { readonly [engine: string]: ReadonlyArray<number> }
  readonly medians: { readonly [engine: string]: number }
}

/** Everything measured on one data set. */
export interface SizeReport {
  readonly dataset: Dataset.Dataset
  readonly loads: ReadonlyArray<Load>
  /** Whether the answers were also checked against the reference aggregator. */
  readonly checkedAgainstReference: boolean
  readonly timings: ReadonlyArray<Timing>
  /** Wall time of the whole size: generation, loads, checks and timings. */
  readonly millis: number
}

/** A whole run. */
export interface Report {
  readonly engines: ReadonlyArray<string>
  readonly repetitions: number
  readonly sizes: ReadonlyArray<SizeReport>
}

/** Two engines (or an engine and the reference) disagree: the run stops, nothing is timed. */
export class AnswerMismatch extends Data.TaggedError("AnswerMismatch")<{
  readonly message: string
}> {}

/** The median of a non-empty list. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** How `actual` differs from `expected`, one line a bucket: empty when they are equal. */
export const differences = (expected: Shape.Answer, actual: Shape.Answer): Array<string> => {
  const lines: Array<string> = []
  for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const want = expected[key]
    const got = actual[key]
    if (want !== got)
      lines.push(`${key}: expected ${want ?? "no bucket"}, got ${got ?? "no bucket"}`)
  }
  return lines.sort()
}

const assertSame = (
  shape: Shape.Shape,
  expectedFrom: string,
  expected: Shape.Answer,
  actualFrom: string,
  actual: Shape.Answer,
): void => {
  const lines = differences(expected, actual)
  if (lines.length === 0) return
  throw new AnswerMismatch({
    message: [
      `${actualFrom} disagrees with ${expectedFrom} on "${Shape.label(shape)}" in ${lines.length} bucket(s):`,
      ...lines.slice(0, 5).map((line) => `  ${line}`),
      ...(lines.length > 5 ? [`  … and ${lines.length - 5} more`] : []),
    ].join("\n"),
  })
}

/** The reference answers: core's aggregator over the data set, held in memory (small sizes only). */
export const referenceAnswers = (
  dataset: Dataset.Dataset,
  shapes: ReadonlyArray<Shape.Shape>,
): Map<Shape.Shape, Shape.Answer> => {
  const wanted = new Set(shapes.map((shape) => shape.event))
  const byName = new Map<string, Array<Aggregator.Event>>()
  for (const event of Dataset.events(dataset)) {
    if (!wanted.has(event.name)) continue
    const events = byName.get(event.name)
    if (events === undefined) byName.set(event.name, [event])
    else events.push(event)
  }
  return new Map(
    shapes.map((shape) => [
      shape,
      Aggregator.aggregate(Shape.plan(shape), byName.get(shape.event) ?? [])[Shape.group]!,
    ]),
  )
}

/**
 * Runs every shape on every engine and stops at the first disagreement, with the
 * reference (when given) or else the first engine as the expected answer.
 */
export const verify = async (
  engines: ReadonlyArray<Engine>,
  shapes: ReadonlyArray<Shape.Shape>,
  reference?: ReadonlyMap<Shape.Shape, Shape.Answer>,
): Promise<void> => {
  for (const shape of shapes) {
    const answers = await Promise.all(engines.map((engine) => engine.run(shape)))
    const [first, ...rest] = engines
    if (first === undefined) return
    const expected = reference?.get(shape)
    if (expected !== undefined)
      assertSame(shape, "the reference aggregator", expected, first.name, answers[0]!)
    for (const [i, engine] of rest.entries()) {
      assertSame(shape, first.name, answers[0]!, engine.name, answers[i + 1]!)
    }
  }
}

/** One warm-up, then `repetitions` timed runs of a shape, in milliseconds. */
export const time = async (
  engine: Engine,
  shape: Shape.Shape,
  repetitions: number,
): Promise<Array<number>> => {
  await engine.run(shape)
  const runs: Array<number> = []
  for (let i = 0; i < repetitions; i++) {
    const started = performance.now()
    await engine.run(shape)
    runs.push(performance.now() - started)
  }
  return runs
}

const grouped = (n: number): string => n.toLocaleString("en-US")

/** Loads, checks and times one data set size. Engines are closed whatever happens. */
export const runSize = async (options: Options, events: number): Promise<SizeReport> => {
  const started = performance.now()
  const log = options.log ?? (() => undefined)
  const shapes = options.shapes ?? Shape.all
  const dataset = Dataset.make({
    events,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.profiles === undefined ? {} : { profiles: options.profiles }),
  })
  const engines: Array<Engine> = []
  try {
    const loads: Array<Load> = []
    for (const spec of options.engines) {
      const engine = await spec.make()
      engines.push(engine)
      log(`[${grouped(events)}] loading ${engine.name} (${engine.loadPath}) …`)
      const loaded = await engine.load(Dataset.batches(dataset))
      loads.push({
        engine: engine.name,
        version: engine.version,
        loadPath: engine.loadPath,
        ...loaded,
      })
      const rate = Math.round((loaded.events / loaded.millis) * 1000)
      log(
        `[${grouped(events)}] ${engine.name} loaded in ${(loaded.millis / 1000).toFixed(1)} s (${grouped(rate)} events/s)`,
      )
    }
    const referenceLimit = options.referenceLimit ?? 1_000_000
    const checkedAgainstReference = events <= referenceLimit
    log(
      `[${grouped(events)}] checking ${shapes.length} shapes across ${engines.map((e) => e.name).join(", ")}${checkedAgainstReference ? " and the reference aggregator" : ""} …`,
    )
    await verify(
      engines,
      shapes,
      checkedAgainstReference ? referenceAnswers(dataset, shapes) : undefined,
    )
    const timings: Array<Timing> = []
    for (const shape of shapes) {
      const runs: Record<string, ReadonlyArray<number>> = {}
      const medians: Record<string, number> = {}
      for (const engine of engines) {
        runs[engine.name] = await time(engine, shape, options.repetitions)
        medians[engine.name] = median(runs[engine.name]!)
      }
      timings.push({ shape, runs, medians })
      log(
        `[${grouped(events)}] ${Shape.label(shape)}: ${engines.map((e) => `${e.name} ${medians[e.name]!.toFixed(3)} ms`).join(", ")}`,
      )
    }
    return { dataset, loads, checkedAgainstReference, timings, millis: performance.now() - started }
  } finally {
    for (const engine of engines) await engine.close()
  }
}

/** Every size in turn. */
export const run = async (options: Options): Promise<Report> => {
  const sizes: Array<SizeReport> = []
  for (const events of options.sizes) sizes.push(await runSize(options, events))
  return {
    engines: options.engines.map((spec) => spec.name),
    repetitions: options.repetitions,
    sizes,
  }
}
