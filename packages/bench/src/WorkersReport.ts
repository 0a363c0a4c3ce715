/**
 * The Workers entry beside the Node entry, for a size where both ran (`workers` and
 * `http`): the upload rate of each and every query's medians, cold against cold and warm
 * against warm, with the ratio and whether it meets the targets; and, once per run, the
 * upload rate of each on data spread over several years (`SpreadUploads`).
 *
 * @since 0.1.0
 */
import * as Harness from "./Harness.ts"
import { grouped, significant, table } from "./Markdown.ts"
import * as Shape from "./Shape.ts"
import type * as SpreadUploads from "./SpreadUploads.ts"

/** The engines compared: the Workers entry, and the Node entry it is measured against. */
export const workers = "workers"
export const node = "http"

/** What the Workers entry should reach, as ratios to the Node entry's figures. */
export const targets = {
  /** Upload events/s, at least this share of the Node entry's. */
  ingestionShare: 0.5,
  /** Each query's median, at most this multiple of the Node entry's at the same temperature. */
  queryRatio: 1.5,
} as const

const eventsPerSecond = (load: Harness.Load): number => (load.events / load.millis) * 1000

/** `"yes"`, `"no"`, or `"—"` when there is no figure to judge. */
const verdict = (value: number, meets: (value: number) => boolean): string =>
  Number.isFinite(value) ? (meets(value) ? "yes" : "no") : "—"

const times = (value: number): string => (Number.isFinite(value) ? `${significant(value)}×` : "n/a")

/** One timed query: a shape or a combined request, its medians at both temperatures. */
export interface Query {
  readonly label: string
  readonly cold: Harness.Timed
  readonly warm: Harness.Timed
}

/** The shapes, then the combined requests. */
export const queriesOf = (size: Harness.SizeReport): Array<Query> => [
  ...size.timings.map((timing) => ({ ...timing, label: Shape.label(timing.shape) })),
  ...size.combined.map((timing) => ({ ...timing, label: Shape.combinedLabel(timing.request) })),
]

/** The Workers entry's median over the Node entry's, of one query at one temperature. */
export const queryRatio = (timed: Harness.Timed): number =>
  (timed.medians[workers] ?? Number.NaN) / (timed.medians[node] ?? Number.NaN)

/**
 * One temperature's ratios, for the targets table: their range and median, and how many
 * are above the target; `undefined` when no query has both medians.
 */
export const ratioSpread = (
  queries: ReadonlyArray<Query>,
  temperature: Harness.Temperature,
):
  | {
      readonly min: number
      readonly median: number
      readonly max: number
      readonly over: number
      readonly of: number
    }
  | undefined => {
  const ratios = queries.map((query) => queryRatio(query[temperature])).filter(Number.isFinite)
  if (ratios.length === 0) return undefined
  return {
    min: Math.min(...ratios),
    median: Harness.median(ratios),
    max: Math.max(...ratios),
    over: ratios.filter((ratio) => ratio > targets.queryRatio).length,
    of: ratios.length,
  }
}

const rate = (value: number) => (Number.isFinite(value) ? grouped(Math.round(value)) : "n/a")

/** An upload row of the targets table: each entry's events/s, their ratio, the verdict. */
const uploadRow = (label: string, loads: ReadonlyArray<Harness.Load>): Array<string> => {
  const rateOf = (engine: string) => {
    const load = loads.find((load) => load.engine === engine)
    return load === undefined ? Number.NaN : eventsPerSecond(load)
  }
  const nodeRate = rateOf(node)
  const workersRate = rateOf(workers)
  const share = workersRate / nodeRate
  return [
    label,
    rate(nodeRate),
    rate(workersRate),
    times(share),
    `≥ ${targets.ingestionShare}×`,
    verdict(share, (value) => value >= targets.ingestionShare),
  ]
}

/** The label of the spread uploads' row. */
export const spreadLabel = (spread: SpreadUploads.Result): string =>
  `upload, events/s, spread over ${spread.years} years`

/**
 * The targets, one row each: upload rate (and on spread data, when given), then every
 * query cold and warm.
 */
export const targetsTable = (size: Harness.SizeReport, spread?: SpreadUploads.Result): string => {
  const queries = queriesOf(size)
  const rows = [
    uploadRow("upload, events/s", size.loads),
    ...(spread === undefined ? [] : [uploadRow(spreadLabel(spread), spread.loads)]),
    ...Harness.temperatures.map((temperature) => {
      const spread = ratioSpread(queries, temperature)
      return [
        `every query, ${temperature}`,
        "",
        "",
        spread === undefined
          ? "n/a"
          : `${significant(spread.min)}–${times(spread.max)} (median ${times(spread.median)})`,
        `≤ ${targets.queryRatio}× each`,
        spread === undefined
          ? "—"
          : spread.over === 0
            ? "yes"
            : `no: ${spread.over} of ${spread.of} above`,
      ]
    }),
  ]
  return table(
    ["figure", `${node} (Node)`, `${workers}`, `${workers}/${node}`, "target", "met"],
    rows,
  )
}

/** Every query's medians, cold and warm, of both entries and their ratio. */
export const queryTable = (size: Harness.SizeReport): string =>
  table(
    [
      "query",
      ...Harness.temperatures.flatMap((temperature) => [
        `${node} ${temperature} ms`,
        `${workers} ${temperature} ms`,
        `${workers}/${node} ${temperature}`,
      ]),
    ],
    queriesOf(size).map((query) => [
      query.label,
      ...Harness.temperatures.flatMap((temperature) => {
        const { medians } = query[temperature]
        return [
          significant(medians[node] ?? Number.NaN),
          significant(medians[workers] ?? Number.NaN),
          times(queryRatio(query[temperature])),
        ]
      }),
    ]),
  )

/** What the spread row measured, for the section's text. */
export const spreadNote = (spread: SpreadUploads.Result): string => {
  const seconds = (engine: string) => {
    const load = spread.loads.find((load) => load.engine === engine)
    return load === undefined ? "n/a" : `${(load.millis / 1000).toFixed(1)} s`
  }
  return `The spread row, once per run: ${grouped(spread.dataset.events)} events of the same data set (seed ${spread.dataset.seed}), each moved back a whole number of years drawn uniformly from 0–${spread.years - 1} (same date and time of day; draws seeded ${spread.spreadSeed}), so that each call's ${spread.dataset.batchSize} records fall on many days over ${spread.years} years, as a backfill sends them; uploaded the same way into a fresh Node server and a fresh worker, timed as their loads above (the upload calls only): ${node} ${seconds(node)}, ${workers} ${seconds(workers)}.`
}

/**
 * What starting an account's object cost the Workers entry's cold reopens (`Cold.starts`),
 * which its cold figures leave out, as the Node entry's leave out starting its server; or
 * `undefined` when no start was recorded.
 */
export const startNote = (size: Harness.SizeReport): string | undefined => {
  const starts = size.coldStarts?.[workers] ?? []
  if (starts.length === 0) return undefined
  const first = Harness.median(starts.map((start) => start.first))
  const again = Harness.median(starts.map((start) => start.again))
  return `Starting an account's object, which the cold figures leave out as the Node entry's leave out starting its server (it opens its database as it starts): before each cold call, a request that reads none of the account's events (a poll of an unknown req_id) took ${significant(first)} ms on the evicted object and ${significant(again)} ms once it had started (medians of ${starts.length}), so an account's first request after its object was evicted pays about ${significant(Math.max(0, first - again))} ms more.`
}

/**
 * The section, or `undefined` when the two entries did not both load this size; with the
 * spread uploads' row and note when `spread` is given.
 */
export const section = (
  size: Harness.SizeReport,
  spread?: SpreadUploads.Result,
): string | undefined => {
  const engines = new Set(size.loads.map((load) => load.engine))
  if (!engines.has(workers) || !engines.has(node)) return undefined
  return [
    "### Workers beside the Node server",
    "",
    `The Workers entry (\`${workers}\`: workerd, a Durable Object per account) and the Node entry (\`${node}\`) on the same data set (one year of events), loaded the same way (\`POST /1/upload\`, 1000 records a call, one call at a time) and asked the same queries, cold against cold and warm against warm. Targets: uploads at least ${targets.ingestionShare * 100}% of the Node entry's events/s${spread === undefined ? "" : ", for one-year and spread data"}; every query's median at most ${targets.queryRatio}× the Node entry's at the same temperature.`,
    ...(spread === undefined ? [] : ["", spreadNote(spread)]),
    ...(startNote(size) === undefined ? [] : ["", startNote(size)!]),
    "",
    targetsTable(size, spread),
    "",
    queryTable(size),
  ].join("\n")
}
