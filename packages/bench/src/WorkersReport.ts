/**
 * The Workers entry beside the Node entry, for a size where both ran (`workers` and
 * `http`): the upload rate of each and every query's medians, cold against cold and warm
 * against warm, with the ratio and whether it meets the targets.
 *
 * @since 0.1.0
 */
import * as Harness from "./Harness.ts"
import { grouped, significant, table } from "./Markdown.ts"
import * as Shape from "./Shape.ts"

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

/** The targets, one row each: upload rate, then every query cold and warm. */
export const targetsTable = (size: Harness.SizeReport): string => {
  const loadOf = (engine: string) => size.loads.find((load) => load.engine === engine)
  const nodeLoad = loadOf(node)
  const workersLoad = loadOf(workers)
  const nodeRate = nodeLoad === undefined ? Number.NaN : eventsPerSecond(nodeLoad)
  const workersRate = workersLoad === undefined ? Number.NaN : eventsPerSecond(workersLoad)
  const share = workersRate / nodeRate
  const rate = (value: number) => (Number.isFinite(value) ? grouped(Math.round(value)) : "n/a")
  const queries = queriesOf(size)
  const rows = [
    [
      "upload, events/s",
      rate(nodeRate),
      rate(workersRate),
      times(share),
      `≥ ${targets.ingestionShare}×`,
      verdict(share, (value) => value >= targets.ingestionShare),
    ],
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

/** The section, or `undefined` when the two entries did not both load this size. */
export const section = (size: Harness.SizeReport): string | undefined => {
  const engines = new Set(size.loads.map((load) => load.engine))
  if (!engines.has(workers) || !engines.has(node)) return undefined
  return [
    "### Workers beside the Node server",
    "",
    `The Workers entry (\`${workers}\`: workerd, a Durable Object per account) and the Node entry (\`${node}\`) on the same data set (one year of events), loaded the same way (\`POST /1/upload\`, 1000 records a call, one call at a time) and asked the same queries, cold against cold and warm against warm. Targets: uploads at least ${targets.ingestionShare * 100}% of the Node entry's events/s; every query's median at most ${targets.queryRatio}× the Node entry's at the same temperature.`,
    "",
    targetsTable(size),
    "",
    queryTable(size),
  ].join("\n")
}
