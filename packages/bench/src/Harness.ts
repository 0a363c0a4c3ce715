/**
 * The benchmark run: for each data set size, load every engine, check that every engine
 * gives the same answer to every shape (and, at small sizes, the same as core's reference
 * aggregator), then time each shape on each engine twice: cold, `repetitions` rounds in
 * which every engine that can be reopened is, untimed, then runs the shape once, in turn;
 * and warm, one warm-up each, then `repetitions` rounds in which every engine runs the
 * shape once, in turn. Cold figures are only ever compared with cold ones, warm with warm:
 * a remembered answer is never set against a fresh computation.
 * The filtered shapes (one equality filter on the events' `Platform`) are checked and timed
 * the same way on every engine, after the shapes, for the report to set each beside its
 * unfiltered shape. The engines that answer top property counts (Trendline's stores and
 * servers, and ClickHouse's hand-written SQL) are then checked (against
 * `TopCounts.reference` at small sizes, and against each other) and timed the same way on
 * the top values shapes. Engines that take whole trends requests (Trendline's store and
 * server) are then checked and timed the same way on the combined requests (a daily, a
 * weekly and a monthly group).
 *
 * @since 0.1.0
 */
import * as Aggregator from "@trendline/core/Aggregator"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Data from "effect/Data"
import * as Dataset from "./Dataset.ts"
import type { ColdStart, Engine } from "./Engine.ts"
import * as ExtensionShape from "./ExtensionShape.ts"
import { grouped } from "./Markdown.ts"
import * as Shape from "./Shape.ts"
import type * as SpreadUploads from "./SpreadUploads.ts"
import * as TopShape from "./TopShape.ts"
import { timeColdInTurns, timeInTurns } from "./Turns.ts"

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
  /** Shapes with a filter, timed after `shapes` on every engine (default `Shape.filtered`). */
  readonly filtered?: ReadonlyArray<Shape.Shape>
  /** Top values shapes, for the engines with `runTop` (default `TopShape.all`). */
  readonly top?: ReadonlyArray<TopShape.TopShape>
  /** Requests of several groups, for the engines with `runTrends` (default `Shape.combined`). */
  readonly combined?: ReadonlyArray<Shape.Combined>
  /** Requests with extensions, for the engines with `runExtended` (default `ExtensionShape.all`). */
  readonly extensions?: ReadonlyArray<ExtensionShape.ExtensionShape>
  readonly seed?: number
  readonly profiles?: number
  /** Up to this many events, answers are also checked against `Aggregator.aggregate`. */
  readonly referenceLimit?: number
  /** Engines' `otherLoads` run on data sets up to this many events (default 1M). */
  readonly otherLoadsLimit?: number
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

/** Cold (as a fresh process sees it) or warm (a repeat after a warm-up). */
export type Temperature = "cold" | "warm"

/** Both temperatures, in the order the report gives them. */
export const temperatures: ReadonlyArray<Temperature> = ["cold", "warm"]

/** Runs in milliseconds, and their medians, by engine. */
export interface Timed {
  readonly runs: { readonly [engine: string]: ReadonlyArray<number> }
  readonly medians: { readonly [engine: string]: number }
}

/**
 * One shape's timings: `cold` of the engines that can be reopened (see `Engine.cold`),
 * `warm` of every engine.
 */
export interface Timing {
  readonly shape: Shape.Shape
  readonly cold: Timed
  readonly warm: Timed
}

/**
 * One top values shape's timings, cold and warm (of the engines with `runTop`), and the
 * answer every one of them gave.
 */
export interface TopTiming {
  readonly shape: TopShape.TopShape
  readonly answer: TopShape.Answer
  readonly cold: Timed
  readonly warm: Timed
}

/** One combined request's timings, cold and warm (of the engines with `runTrends`). */
export interface CombinedTiming {
  readonly request: Shape.Combined
  readonly cold: Timed
  readonly warm: Timed
}

/**
 * One extensions shape's timings, cold and warm (of the engines with `runExtended`), and
 * its baseline's, timed the same way just before.
 */
export interface ExtensionTiming {
  readonly shape: ExtensionShape.ExtensionShape
  readonly cold: Timed
  readonly warm: Timed
  readonly baseline?: { readonly cold: Timed; readonly warm: Timed }
}

/** Everything measured on one data set. */
export interface SizeReport {
  readonly dataset: Dataset.Dataset
  readonly loads: ReadonlyArray<Load>
  /** Whether the answers were also checked against the reference aggregator. */
  readonly checkedAgainstReference: boolean
  readonly timings: ReadonlyArray<Timing>
  /** The filtered shapes' timings (`Options.filtered`), each beside its unfiltered shape's. */
  readonly filtered?: ReadonlyArray<Timing>
  /** The top values shapes' timings (`Options.top`), on the engines with `runTop`. */
  readonly top?: ReadonlyArray<TopTiming>
  readonly combined: ReadonlyArray<CombinedTiming>
  /** The extensions shapes' timings (`Options.extensions`), on the engines with `runExtended`. */
  readonly extensions?: ReadonlyArray<ExtensionTiming>
  /** What cold means, by engine: those without an entry have warm figures only. */
  readonly cold: { readonly [engine: string]: string }
  /** The starts each reopen of an engine made before its cold call (`Cold.starts`). */
  readonly coldStarts?: { readonly [engine: string]: ReadonlyArray<ColdStart> }
  /** Wall time of the whole size: generation, loads, checks and timings. */
  readonly millis: number
}

/** A whole run. */
export interface Report {
  readonly engines: ReadonlyArray<string>
  readonly repetitions: number
  readonly sizes: ReadonlyArray<SizeReport>
  /** The uploads of spread data, when the run made them (`SpreadUploads`, not `run`). */
  readonly spread?: SpreadUploads.Result
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

// Throws with the first few differing lines, if any; `unit` is what a line is about.
const assertNone = (
  lines: ReadonlyArray<string>,
  unit: string,
  what: string,
  expectedFrom: string,
  actualFrom: string,
): void => {
  if (lines.length === 0) return
  throw new AnswerMismatch({
    message: [
      `${actualFrom} disagrees with ${expectedFrom} on "${what}" in ${lines.length} ${unit}(s):`,
      ...lines.slice(0, 5).map((line) => `  ${line}`),
      ...(lines.length > 5 ? [`  … and ${lines.length - 5} more`] : []),
    ].join("\n"),
  })
}

const assertSame = (
  what: string,
  expectedFrom: string,
  expected: Shape.Answer,
  actualFrom: string,
  actual: Shape.Answer,
): void => assertNone(differences(expected, actual), "bucket", what, expectedFrom, actualFrom)

/**
 * The reference results: core's aggregator over the data set for each plan, in one pass
 * that holds the plans' events in memory (small sizes only).
 */
export const referenceResults = (
  dataset: Dataset.Dataset,
  plans: ReadonlyArray<QueryPlan.QueryPlan>,
): Array<QueryPlan.Result> => {
  const byName = eventsByName(dataset, plans)
  return plans.map((plan) => Aggregator.aggregate(plan, byName.get(plan.eventName) ?? []))
}

// The events of the plans' event names, by name, in one pass over the data set.
const eventsByName = (
  dataset: Dataset.Dataset,
  plans: ReadonlyArray<{ readonly eventName: string }>,
): Map<string, Array<Aggregator.Event>> => {
  const wanted = new Set(plans.map((plan) => plan.eventName))
  const byName = new Map<string, Array<Aggregator.Event>>()
  for (const event of Dataset.events(dataset)) {
    if (!wanted.has(event.name)) continue
    const events = byName.get(event.name)
    if (events === undefined) byName.set(event.name, [event])
    else events.push(event)
  }
  return byName
}

/**
 * The reference answers of top values shapes: `TopCounts.reference` over the data set for
 * each shape's plan, from one pass that holds their events in memory (small sizes only).
 */
export const referenceTop = (
  dataset: Dataset.Dataset,
  shapes: ReadonlyArray<TopShape.TopShape>,
): Map<TopShape.TopShape, TopShape.Answer> => {
  const plans = shapes.map(TopShape.plan)
  const byName = eventsByName(dataset, plans)
  return new Map(
    shapes.map((shape, i) => {
      const plan = plans[i]!
      return [shape, TopCounts.reference(plan, byName.get(plan.eventName) ?? [])[TopShape.group]!]
    }),
  )
}

/** The reference answers of shapes and combined requests, from one pass over the data set. */
export const referenceAnswers = (
  dataset: Dataset.Dataset,
  shapes: ReadonlyArray<Shape.Shape>,
  combined: ReadonlyArray<Shape.Combined> = [],
): {
  readonly shapes: Map<Shape.Shape, Shape.Answer>
  readonly combined: Map<Shape.Combined, QueryPlan.Result>
} => {
  const plans = [
    ...shapes.map(Shape.plan),
    ...combined.map((request) =>
      QueryPlan.fromTrends(Shape.combinedRequest(request), Shape.account),
    ),
  ]
  const results = referenceResults(dataset, plans)
  return {
    shapes: new Map(shapes.map((shape, i) => [shape, results[i]![Shape.group]!])),
    combined: new Map(combined.map((request, i) => [request, results[shapes.length + i]!])),
  }
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
    const what = Shape.label(shape)
    if (expected !== undefined)
      assertSame(what, "the reference aggregator", expected, first.name, answers[0]!)
    for (const [i, engine] of rest.entries()) {
      assertSame(what, first.name, answers[0]!, engine.name, answers[i + 1]!)
    }
  }
}

/** The engines that take whole trends requests. */
export const trendsEngines = (
  engines: ReadonlyArray<Engine>,
): Array<Engine & Required<Pick<Engine, "runTrends">>> =>
  engines.filter(
    (engine): engine is Engine & Required<Pick<Engine, "runTrends">> =>
      engine.runTrends !== undefined,
  )

/** The engines that answer top values shapes. */
export const topEngines = (
  engines: ReadonlyArray<Engine>,
): Array<Engine & Required<Pick<Engine, "runTop">>> =>
  engines.filter(
    (engine): engine is Engine & Required<Pick<Engine, "runTop">> => engine.runTop !== undefined,
  )

/**
 * As `verify`, place by place in each list, for top values shapes on the engines with
 * `runTop`: the answers they agreed on, by shape.
 */
export const verifyTop = async (
  engines: ReadonlyArray<Engine>,
  shapes: ReadonlyArray<TopShape.TopShape>,
  reference?: ReadonlyMap<TopShape.TopShape, TopShape.Answer>,
): Promise<Map<TopShape.TopShape, TopShape.Answer>> => {
  const capable = topEngines(engines)
  const agreed = new Map<TopShape.TopShape, TopShape.Answer>()
  const [first, ...rest] = capable
  if (first === undefined) return agreed
  for (const shape of shapes) {
    const answers = await Promise.all(capable.map((engine) => engine.runTop(shape)))
    const what = TopShape.label(shape)
    const expected = reference?.get(shape)
    const place = "place"
    if (expected !== undefined)
      assertNone(
        TopShape.differences(expected, answers[0]!),
        place,
        what,
        "the reference (TopCounts.reference)",
        first.name,
      )
    for (const [i, engine] of rest.entries()) {
      assertNone(
        TopShape.differences(answers[0]!, answers[i + 1]!),
        place,
        what,
        first.name,
        engine.name,
      )
    }
    agreed.set(shape, answers[0]!)
  }
  return agreed
}

/** As `verify`, group by group, for combined requests on the engines with `runTrends`. */
export const verifyCombined = async (
  engines: ReadonlyArray<Engine>,
  requests: ReadonlyArray<Shape.Combined>,
  reference?: ReadonlyMap<Shape.Combined, QueryPlan.Result>,
): Promise<void> => {
  const capable = trendsEngines(engines)
  for (const request of requests) {
    const trends: TrendsRequest.TrendsRequest = Shape.combinedRequest(request)
    const answers = await Promise.all(capable.map((engine) => engine.runTrends(trends)))
    const [first, ...rest] = capable
    if (first === undefined) return
    const expected = reference?.get(request)
    for (const group of Object.keys(trends.groups)) {
      const what = `${Shape.combinedLabel(request)}, group ${group}`
      if (expected !== undefined)
        assertSame(
          what,
          "the reference aggregator",
          expected[group]!,
          first.name,
          answers[0]![group] ?? {},
        )
      for (const [i, engine] of rest.entries()) {
        assertSame(
          what,
          first.name,
          answers[0]![group] ?? {},
          engine.name,
          answers[i + 1]![group] ?? {},
        )
      }
    }
  }
}

const isReopenable = <E extends Engine>(engine: E): engine is E & Required<Pick<Engine, "cold">> =>
  engine.cold !== undefined

const timedOf = (
  engines: ReadonlyArray<Engine>,
  turns: ReadonlyArray<ReadonlyArray<number>>,
): Timed => ({
  runs: Object.fromEntries(engines.map((engine, e) => [engine.name, turns[e]!])),
  medians: Object.fromEntries(engines.map((engine, e) => [engine.name, median(turns[e]!)])),
})

const describeTimed = (timed: Timed): string =>
  Object.entries(timed.medians)
    .map(([engine, m]) => `${engine} ${m.toFixed(3)} ms`)
    .join(", ")

/** The engines that answer requests with extensions. */
export const extensionEngines = (
  engines: ReadonlyArray<Engine>,
): Array<Engine & Required<Pick<Engine, "runExtended">>> =>
  engines.filter(
    (engine): engine is Engine & Required<Pick<Engine, "runExtended">> =>
      engine.runExtended !== undefined,
  )

/**
 * Checks that every engine with `runExtended` gives the same wire body to each shape's
 * request and its baseline (core composes the extensions from each store's answers, so
 * they differ only where a store does); throws naming the shape and the engines.
 */
export const verifyExtensions = async (
  engines: ReadonlyArray<Engine & Required<Pick<Engine, "runExtended">>>,
  shapes: ReadonlyArray<ExtensionShape.ExtensionShape>,
): Promise<void> => {
  for (const shape of shapes) {
    for (const body of shape.baseline === undefined ? [shape.body] : [shape.baseline, shape.body]) {
      const answers = await Promise.all(engines.map((engine) => engine.runExtended(body)))
      const first = JSON.stringify(answers[0])
      for (const [i, answer] of answers.entries()) {
        if (JSON.stringify(answer) !== first) {
          throw new Error(
            `${shape.label}: ${engines[i]!.name} answered ${JSON.stringify(body)} unlike ${engines[0]!.name}`,
          )
        }
      }
    }
  }
}

/** Loads, checks and times one data set size. Engines are closed whatever happens. */
export const runSize = async (options: Options, events: number): Promise<SizeReport> => {
  const started = performance.now()
  const log = options.log ?? (() => undefined)
  const shapes = options.shapes ?? Shape.all
  const filtered = options.filtered ?? Shape.filtered
  const requests = options.combined ?? Shape.combined
  const topShapes = options.top ?? TopShape.all
  const extensionShapes = options.extensions ?? ExtensionShape.all
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
      const others = events <= (options.otherLoadsLimit ?? 1_000_000) ? engine.otherLoads : []
      for (const way of [engine, ...(others ?? [])]) {
        log(`[${grouped(events)}] loading ${engine.name} (${way.loadPath}) …`)
        const loaded = await way.load(Dataset.batches(dataset))
        loads.push({
          engine: engine.name,
          version: engine.version,
          loadPath: way.loadPath,
          ...loaded,
        })
        const rate = Math.round((loaded.events / loaded.millis) * 1000)
        log(
          loaded.millis === 0
            ? `[${grouped(events)}] ${engine.name} holds ${grouped(loaded.events)} events without loading`
            : `[${grouped(events)}] ${engine.name} loaded in ${(loaded.millis / 1000).toFixed(1)} s (${grouped(rate)} events/s)`,
        )
      }
    }
    const referenceLimit = options.referenceLimit ?? 1_000_000
    const checkedAgainstReference = events <= referenceLimit
    log(
      `[${grouped(events)}] checking ${shapes.length} shapes and ${filtered.length} filtered across ${engines.map((e) => e.name).join(", ")}${checkedAgainstReference ? " and the reference aggregator" : ""} …`,
    )
    const reference = checkedAgainstReference
      ? referenceAnswers(dataset, [...shapes, ...filtered], requests)
      : undefined
    await verify(engines, [...shapes, ...filtered], reference?.shapes)
    const capable = trendsEngines(engines)
    if (capable.length > 0) {
      log(
        `[${grouped(events)}] checking ${requests.length} combined requests across ${capable.map((e) => e.name).join(", ")} …`,
      )
      await verifyCombined(capable, requests, reference?.combined)
    }
    const topCapable = topShapes.length === 0 ? [] : topEngines(engines)
    let topAnswers = new Map<TopShape.TopShape, TopShape.Answer>()
    if (topCapable.length > 0) {
      log(
        `[${grouped(events)}] checking ${topShapes.length} top values shapes across ${topCapable.map((e) => e.name).join(", ")}${checkedAgainstReference ? " and the reference (TopCounts.reference)" : ""} …`,
      )
      topAnswers = await verifyTop(
        topCapable,
        topShapes,
        checkedAgainstReference ? referenceTop(dataset, topShapes) : undefined,
      )
    }
    const extensionCapable = extensionShapes.length === 0 ? [] : extensionEngines(engines)
    if (extensionCapable.length > 0) {
      log(
        `[${grouped(events)}] checking ${extensionShapes.length} requests with extensions across ${extensionCapable.map((e) => e.name).join(", ")} …`,
      )
      await verifyExtensions(extensionCapable, extensionShapes)
    }
    // Every engine's runs of `call` in turns, cold (those that reopen) then warm; logged.
    const timeEngines = async <E extends Engine>(
      label: string,
      timed: ReadonlyArray<E>,
      call: (engine: E) => Promise<unknown>,
    ): Promise<{ readonly cold: Timed; readonly warm: Timed }> => {
      const reopenable = timed.filter(isReopenable)
      const cold = timedOf(
        reopenable,
        await timeColdInTurns(
          reopenable.map((engine) => ({ reopen: engine.cold.reopen, call: () => call(engine) })),
          options.repetitions,
        ),
      )
      const warm = timedOf(
        timed,
        await timeInTurns(
          timed.map((engine) => () => call(engine)),
          options.repetitions,
        ),
      )
      log(
        `[${grouped(events)}] ${label}: cold ${describeTimed(cold) || "n/a"}; warm ${describeTimed(warm)}`,
      )
      return { cold, warm }
    }
    const timings: Array<Timing> = []
    for (const shape of shapes) {
      const timed = await timeEngines(Shape.label(shape), engines, (engine) => engine.run(shape))
      timings.push({ shape, ...timed })
    }
    const filteredTimings: Array<Timing> = []
    for (const shape of filtered) {
      const timed = await timeEngines(Shape.label(shape), engines, (engine) => engine.run(shape))
      filteredTimings.push({ shape, ...timed })
    }
    const topTimings: Array<TopTiming> = []
    for (const shape of topCapable.length > 0 ? topShapes : []) {
      const timed = await timeEngines(TopShape.label(shape), topCapable, (engine) =>
        engine.runTop(shape),
      )
      topTimings.push({ shape, answer: topAnswers.get(shape)!, ...timed })
    }
    const combined: Array<CombinedTiming> = []
    for (const request of capable.length > 0 ? requests : []) {
      const trends = Shape.combinedRequest(request)
      const timed = await timeEngines(Shape.combinedLabel(request), capable, (engine) =>
        engine.runTrends(trends),
      )
      combined.push({ request, ...timed })
    }
    const extensions: Array<ExtensionTiming> = []
    for (const shape of extensionCapable.length > 0 ? extensionShapes : []) {
      const baselineBody = shape.baseline
      const baseline =
        baselineBody === undefined
          ? undefined
          : await timeEngines(`${shape.label}, baseline`, extensionCapable, (engine) =>
              engine.runExtended(baselineBody),
            )
      const timed = await timeEngines(shape.label, extensionCapable, (engine) =>
        engine.runExtended(shape.body),
      )
      extensions.push({ shape, ...timed, ...(baseline === undefined ? {} : { baseline }) })
    }
    return {
      dataset,
      loads,
      checkedAgainstReference,
      timings,
      filtered: filteredTimings,
      top: topTimings,
      combined,
      extensions,
      cold: Object.fromEntries(engines.filter(isReopenable).map((e) => [e.name, e.cold.means])),
      coldStarts: Object.fromEntries(
        engines.flatMap((e) => (e.cold?.starts === undefined ? [] : [[e.name, e.cold.starts()]])),
      ),
      millis: performance.now() - started,
    }
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
