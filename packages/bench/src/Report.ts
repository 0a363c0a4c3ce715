/**
 * The run as Markdown: the same text is printed and written to RESULTS.md. Times are
 * medians in milliseconds, each given cold and warm in tables of their own; a ratio is an
 * engine's median over DuckDB's of the same temperature (below 1: faster than DuckDB).
 * When the server ran (`http`), its figures are set beside the SQLite store's of the same
 * run, so the cost of HTTP is the difference. Each size's filtered shapes are set beside the
 * same engine's unfiltered shapes, with the issue's target for filters; its top values
 * shapes get a table of their own, with the issue's target for them. The under-load
 * section, when it ran, ends it.
 *
 * @since 0.1.0
 */
import * as Dataset from "./Dataset.ts"
import * as ExtensionShape from "./ExtensionShape.ts"
import * as Harness from "./Harness.ts"
import * as Machine from "./Machine.ts"
import { grouped, shortCount, significant, table } from "./Markdown.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"
import type * as UnderLoad from "./UnderLoad.ts"
import * as UnderLoadReport from "./UnderLoadReport.ts"
import * as WorkersReport from "./WorkersReport.ts"

/** The engine the others are compared with. */
export const baseline = "duckdb"

/** `a / b` as `"0.512×"`, or `"n/a"` when either is missing. */
export const ratio = (a: number | undefined, b: number | undefined): string => {
  const value = (a ?? Number.NaN) / (b ?? Number.NaN)
  return Number.isFinite(value) ? `${significant(value)}×` : "n/a"
}

/** What a table of one temperature says when no engine has figures of it. */
export const noFigures = (temperature: Harness.Temperature): string =>
  `No ${temperature} figures: every engine ran in memory, with nothing to reopen.`

/** The engines, of `engines`, with figures in some of `timed`. */
export const timedEngines = (
  engines: ReadonlyArray<string>,
  timed: ReadonlyArray<Harness.Timed>,
): Array<string> => engines.filter((e) => timed.some((t) => t.medians[e] !== undefined))

/** How each engine loaded the data set. */
export const loadTable = (size: Harness.SizeReport): string =>
  table(
    ["engine", "how", "events", "seconds", "events/s"],
    size.loads.map((load) => [
      load.engine,
      load.loadPath,
      grouped(load.events),
      load.millis === 0 ? "—" : (load.millis / 1000).toFixed(1),
      load.millis === 0 ? "—" : grouped(Math.round((load.events / load.millis) * 1000)),
    ]),
  )

const compared = (engines: ReadonlyArray<string>): ReadonlyArray<string> =>
  engines.includes(baseline) ? engines.filter((engine) => engine !== baseline) : []

/**
 * ClickHouse through Trendline's store, and the hand-written SQL on the same table: on
 * Debian's 18.16 server, and on current ClickHouse (chdb).
 */
export const storeSqlPairs: ReadonlyArray<{
  readonly store: string
  readonly sql: string
  readonly plain: string
}> = [
  { store: "clickhouse", sql: "clickhouse-sql", plain: "clickhouse-plain" },
  { store: "chdb", sql: "chdb-sql", plain: "chdb-plain" },
]

const pairsIn = (engines: ReadonlyArray<string>) =>
  storeSqlPairs.filter((pair) => engines.includes(pair.store) && engines.includes(pair.sql))

const storeOverSqlColumns = (engines: ReadonlyArray<string>) =>
  pairsIn(engines).map((pair) => `${pair.store}/${pair.sql}`)

const storeOverSqlRatios = (
  engines: ReadonlyArray<string>,
  medians: { readonly [engine: string]: number },
) => pairsIn(engines).map((pair) => ratio(medians[pair.store], medians[pair.sql]))

const millis = (value: number | undefined): string => significant(value ?? Number.NaN)

/**
 * Median milliseconds per shape and engine at one temperature, each engine's ratio to
 * DuckDB's, and (when both ran) the ClickHouse store's ratio to the hand-written SQL on the
 * same table: only engines with figures of that temperature.
 */
export const shapeTable = (
  size: Harness.SizeReport,
  allEngines: ReadonlyArray<string>,
  temperature: Harness.Temperature,
): string => {
  const engines = timedEngines(
    allEngines,
    size.timings.map((timing) => timing[temperature]),
  )
  if (engines.length === 0) return noFigures(temperature)
  return table(
    [
      "shape",
      ...engines.map((e) => `${e} ms`),
      ...compared(engines).map((e) => `${e}/${baseline}`),
      ...storeOverSqlColumns(engines),
    ],
    size.timings.map((timing) => {
      const { medians } = timing[temperature]
      return [
        Shape.label(timing.shape),
        ...engines.map((e) => millis(medians[e])),
        ...compared(engines).map((e) => ratio(medians[e], medians[baseline])),
        ...storeOverSqlRatios(engines, medians),
      ]
    }),
  )
}

/**
 * One paragraph per ClickHouse: the store's append rates (its own load first, then the
 * others), its medians over the hand-written SQL's, single shapes and combined requests,
 * and its shapes' medians over the plain table's.
 */
export const clickhouseSummaries = (size: Harness.SizeReport): Array<string> =>
  storeSqlPairs.flatMap(({ store, sql, plain }) => {
    const loads = size.loads.filter((l) => l.engine === store)
    if (loads.length === 0) return []
    const ratios = (reference: string) => (timed: ReadonlyArray<Harness.Timed>) =>
      timed.map(({ medians }) => medians[store]! / medians[reference]!).filter(Number.isFinite)
    const over = ratios(sql)
    const spread = (ratios: ReadonlyArray<number>) =>
      `${significant(Math.min(...ratios))}–${significant(Math.max(...ratios))}× (median ${significant(Harness.median(ratios))}×)`
    // "0.94–1.2× (median 1.01×) cold, 0.95–1.1× (median 1.00×) warm"
    const both = (timings: ReadonlyArray<Harness.CombinedTiming | Harness.Timing>, of = over) =>
      Harness.temperatures
        .map((temperature) => {
          const found = of(timings.map((timing) => timing[temperature]))
          return found.length === 0 ? "" : `${spread(found)} ${temperature}`
        })
        .filter((text) => text !== "")
        .join(", ")
    const shapes = both(size.timings)
    const combined = both(size.combined)
    const plainShapes = both(size.timings, ratios(plain))
    return [
      [
        `${store}: the store appended ${loads.map((load) => `${grouped(Math.round(rate(load)))} events/s (${load.loadPath})`).join(", ")}`,
        shapes === ""
          ? ""
          : `; its shapes took ${shapes} the median of ${sql}, the hand-written SQL on the same table, at the same temperature`,
        combined === "" ? "" : `; its combined requests ${combined}`,
        plainShapes === ""
          ? ""
          : `; its shapes took ${plainShapes} the median of ${plain}, the plain table's (the target: 1× or less)`,
        ".",
      ].join(""),
    ]
  })

/** The server's engine and the store it runs, whose figures are compared. */
export const server = "http"
export const store = "sqlite"

/**
 * Median milliseconds per combined request and engine at one temperature, and the server's
 * overhead over the store at that temperature.
 */
export const combinedTable = (
  size: Harness.SizeReport,
  temperature: Harness.Temperature,
): string => {
  const engines = Object.keys(size.combined[0]?.[temperature].medians ?? {})
  if (engines.length === 0) return noFigures(temperature)
  const overhead = engines.includes(server) && engines.includes(store)
  return table(
    [
      "request",
      ...engines.map((e) => `${e} ms`),
      ...(overhead ? [`${server} − ${store} ms`] : []),
      ...storeOverSqlColumns(engines),
    ],
    size.combined.map((timing) => {
      const { medians } = timing[temperature]
      return [
        Shape.combinedLabel(timing.request),
        ...engines.map((e) => millis(medians[e])),
        ...(overhead ? [significant(medians[server]! - medians[store]!)] : []),
        ...storeOverSqlRatios(engines, medians),
      ]
    }),
  )
}

const rate = (load: Harness.Load): number => (load.events / load.millis) * 1000

/** One paragraph: the server's upload rate and request medians beside the store's alone. */
export const httpSummary = (size: Harness.SizeReport): string | undefined => {
  const overHttp = size.loads.find((load) => load.engine === server)
  if (overHttp === undefined) return undefined
  const alone = size.loads.find((load) => load.engine === store)
  const spans = (engine: string) =>
    Harness.temperatures
      .map((temperature) => {
        const values = size.combined
          .map((timing) => timing[temperature].medians[engine])
          .filter((m) => m !== undefined)
        return values.length === 0
          ? `n/a ${temperature}`
          : `${significant(Math.min(...values))}–${significant(Math.max(...values))} ms ${temperature}`
      })
      .join(", ")
  return [
    `Through the server: uploads of 1000 records took ${grouped(Math.round(rate(overHttp)))} events/s`,
    alone === undefined
      ? ""
      : ` (the store alone appended ${grouped(Math.round(rate(alone)))}/s, ${significant(rate(overHttp) / rate(alone))}× of it)`,
    `; trends requests with a daily, a weekly and a monthly group answered in ${spans(server)} (medians)`,
    alone === undefined ? "" : `; the store alone in ${spans(store)}`,
    ".",
  ].join("")
}

/**
 * How each engine's medians of one temperature grow from the smallest size to the largest:
 * the engines with figures at both (`workers` may run on the smaller sizes only).
 */
export const scalingTable = (report: Harness.Report, temperature: Harness.Temperature): string => {
  const small = report.sizes[0]!
  const large = report.sizes.at(-1)!
  const growth = `${shortCount(small.dataset.events)}→${shortCount(large.dataset.events)}`
  const timedAt = (size: Harness.SizeReport) =>
    timedEngines(
      report.engines,
      size.timings.map((timing) => timing[temperature]),
    )
  const atLarge = timedAt(large)
  const engines = timedAt(small).filter((engine) => atLarge.includes(engine))
  if (engines.length === 0) return noFigures(temperature)
  return table(
    [
      "shape",
      ...engines.flatMap((e) => [
        `${e} ${shortCount(small.dataset.events)}`,
        `${e} ${shortCount(large.dataset.events)}`,
        `${e} ${growth}`,
      ]),
    ],
    small.timings.map((timing, i) => [
      Shape.label(timing.shape),
      ...engines.flatMap((e) => {
        const before = timing[temperature].medians[e]
        const after = large.timings[i]![temperature].medians[e]
        return [millis(before), millis(after), ratio(after, before)]
      }),
    ]),
  )
}

/**
 * The engines the issue sets the filter target for: the SQLite store, and the ClickHouse
 * store on 18.16 and on current ClickHouse.
 */
export const filterTargetEngines: ReadonlyArray<string> = [store, "clickhouse", "chdb"]

/**
 * The issue's target: the top event with one equality filter on a text property at most
 * this many times the same query without filter, cold (set at 10M events).
 */
export const filterTarget = 2

/** `"yes"` when a filtered/unfiltered ratio meets `filterTarget`, `"no"`, or `"n/a"`. */
export const filterTargetMet = (ratio: number): string =>
  Number.isFinite(ratio) ? (ratio <= filterTarget ? "yes" : "no") : "n/a"

/**
 * The filtered shapes of a size, each engine on a row: its cold and warm medians, each over
 * the same engine's unfiltered shape at the same temperature, and for the engines of
 * `filterTargetEngines` the target (cold) and whether it is met. `undefined` when the size
 * timed no filtered shape.
 */
export const filteredTable = (
  size: Harness.SizeReport,
  allEngines: ReadonlyArray<string>,
): string | undefined => {
  const filtered = size.filtered ?? []
  if (filtered.length === 0) return undefined
  const engines = timedEngines(
    allEngines,
    filtered.flatMap((timing) => [timing.cold, timing.warm]),
  )
  const over = (filteredMs: number | undefined, unfilteredMs: number | undefined): number =>
    (filteredMs ?? Number.NaN) / (unfilteredMs ?? Number.NaN)
  return table(
    [
      "filtered shape",
      "engine",
      "cold ms",
      "cold / unfiltered",
      "warm ms",
      "warm / unfiltered",
      "target, cold",
      "met",
    ],
    filtered.flatMap((timing) => {
      const plain = Shape.unfiltered(timing.shape)
      const unfiltered = size.timings.find((t) => Shape.same(t.shape, plain))
      return engines.map((engine) => {
        const cold = timing.cold.medians[engine]
        const warm = timing.warm.medians[engine]
        const coldRatio = over(cold, unfiltered?.cold.medians[engine])
        const targeted = filterTargetEngines.includes(engine)
        return [
          Shape.label(timing.shape),
          engine,
          millis(cold),
          ratio(cold, unfiltered?.cold.medians[engine]),
          millis(warm),
          ratio(warm, unfiltered?.warm.medians[engine]),
          targeted ? `≤ ${filterTarget}×` : "—",
          targeted ? filterTargetMet(coldRatio) : "—",
        ]
      })
    }),
  )
}

const percent = (share: number | undefined): string =>
  share === undefined ? "n/a" : `${Math.round(share * 100)}%`

/** What the filtered table shows, and the target it judges. */
export const filteredNote = (): string => {
  const { name, value } = Shape.platformFilter
  const share = Dataset.platformShares.find(([platform]) => platform === value)?.[1]
  return `Each filtered shape (one equality filter on a text property: \`${name}\` equals \`${JSON.stringify(value)}\` holds for about ${percent(share)} of the events) beside the same engine's unfiltered shape at the same temperature: filtered median over unfiltered median (above 1×: what the filter costs). The issue's target: at most ${filterTarget}× cold, at 10M events, on the SQLite store (${store}) and the ClickHouse store (clickhouse, chdb); "met" judges the cold ratio at every size, the target being set at 10M.`
}

/**
 * The engines the issue sets the top values target for: the SQLite store, and the
 * ClickHouse store on 18.16 and on current ClickHouse (those of the filter target).
 */
export const topTargetEngines: ReadonlyArray<string> = filterTargetEngines

/**
 * The issue's target: the top 10 values of a property of the top event over a year in
 * under this many milliseconds, cold (set at 10M events).
 */
export const topTarget = 100

/** `"yes"` when a cold median meets `topTarget` (strictly under it), `"no"`, or `"n/a"`. */
export const topTargetMet = (millis: number | undefined): string =>
  millis !== undefined && Number.isFinite(millis) ? (millis < topTarget ? "yes" : "no") : "n/a"

/**
 * The top values shapes of a size, each engine on a row: its cold and warm medians, and for
 * the engines of `topTargetEngines` on the top event's shapes the target (cold) and whether
 * it is met. `undefined` when the size timed no top values shape.
 */
export const topTable = (
  size: Harness.SizeReport,
  allEngines: ReadonlyArray<string>,
): string | undefined => {
  const top = size.top ?? []
  if (top.length === 0) return undefined
  const engines = timedEngines(
    allEngines,
    top.flatMap((timing) => [timing.cold, timing.warm]),
  )
  return table(
    ["top values", "engine", "cold ms", "warm ms", "target, cold", "met"],
    top.flatMap((timing) =>
      engines.map((engine) => {
        const cold = timing.cold.medians[engine]
        const targeted = topTargetEngines.includes(engine) && TopShape.ofTopEvent(timing.shape)
        return [
          TopShape.label(timing.shape),
          engine,
          millis(cold),
          millis(timing.warm.medians[engine]),
          targeted ? `< ${topTarget} ms` : "—",
          targeted ? topTargetMet(cold) : "—",
        ]
      }),
    ),
  )
}

/** What the top values table shows, and the target it judges. */
export const topNote = (size: Harness.SizeReport): string =>
  `The top values of one event property among one event's events over the year, UTC (\`POST /1/counts/top.json\` over HTTP, the store's \`top\` with core's \`TopCounts.plan\`, ClickHouse's hand-written SQL grouping the property's JSON text), every engine's answer the same${size.checkedAgainstReference ? " and core's (`TopCounts.reference`)" : ""}. The issue's target: the top ${TopShape.topN} values of a property of the top event ("${Dataset.topEvent}") over a year in under ${topTarget} ms cold, at 10M events, on the SQLite store (${store}) and the ClickHouse store (clickhouse, chdb); "met" judges the cold median of the top event's shapes at every size, the target being set at 10M.`

/** The answers every engine agreed on, a line a shape: how many values, the first and last. */
export const topAnswers = (size: Harness.SizeReport): Array<string> =>
  (size.top ?? []).map(({ shape, answer }) => {
    const values =
      answer.length === 0
        ? "no values"
        : `${answer.length} value${answer.length === 1 ? "" : "s"}, from ${TopShape.describeEntry(answer[0])} to ${TopShape.describeEntry(answer.at(-1))}`
    return `- ${TopShape.label(shape)}: ${values}`
  })

/**
 * The extensions shapes of a size, each engine on a row: the cold and warm medians of the
 * request and of its baseline, their ratios, and the target (on the cold medians) and
 * whether it is met. `undefined` when the size timed none.
 */
export const extensionsTable = (
  size: Harness.SizeReport,
  allEngines: ReadonlyArray<string>,
): string | undefined => {
  const timings = size.extensions ?? []
  if (timings.length === 0) return undefined
  const engines = timedEngines(
    allEngines,
    timings.flatMap((timing) => [timing.cold, timing.warm]),
  )
  const ratio = (value: number | undefined, baseline: number | undefined): string =>
    value === undefined || baseline === undefined || !(baseline > 0)
      ? "—"
      : `${(value / baseline).toFixed(2)}×`
  return table(
    [
      "request",
      "engine",
      "cold ms",
      "baseline cold ms",
      "cold ratio",
      "warm ms",
      "baseline warm ms",
      "warm ratio",
      "target, cold",
      "met",
    ],
    timings.flatMap((timing) =>
      engines.map((engine) => {
        const cold = timing.cold.medians[engine]
        const warm = timing.warm.medians[engine]
        const baselineCold = timing.baseline?.cold.medians[engine]
        const baselineWarm = timing.baseline?.warm.medians[engine]
        return [
          timing.shape.label,
          engine,
          millis(cold),
          timing.baseline === undefined ? "—" : millis(baselineCold),
          ratio(cold, baselineCold),
          millis(warm),
          timing.baseline === undefined ? "—" : millis(baselineWarm),
          ratio(warm, baselineWarm),
          ExtensionShape.targetLabel(timing.shape),
          ExtensionShape.targetMet(timing.shape, cold, baselineCold),
        ]
      }),
    ),
  )
}

/** What the extensions table shows, and the targets it judges. */
export const extensionsNote = (): string =>
  `Whole trends requests of the top event ("${Dataset.topEvent}") with Trendline's extensions, answered by core's API over each store as the server answers them (every store's answer the same), each beside its baseline (the same request without the extension), cold against cold and warm against warm. The issue's targets at 10M events, cold: a comparison at most 2× its baseline (the first row compares half-years that both hold events; the second compares the year with 2024, which holds none), and the distinct profiles of the top event over the year under 50 ms.`

const temperatureNotes: Record<Harness.Temperature, string> = {
  cold: "Cold: every timed call is the first one of a freshly reopened engine (see the header).",
  warm: `Warm: repeats after a warm-up. The SQLite store (and the server over it) answers weekly and monthly distinct profiles from counts it remembered on the first call; DuckDB and ClickHouse compute every answer again, from warm buffers.`,
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/** The header's lines on how shapes were timed and what cold means for each engine. */
export const timingNotes = (report: Harness.Report): Array<string> => {
  const cold = report.sizes[0]?.cold ?? {}
  return [
    `- Each shape and request is timed at two temperatures, in tables of their own, the engines taking turns: **cold**, ${plural(report.repetitions, "run")} per engine, each the first call after the engine is reopened (below) and a full GC; **warm**, 1 warm-up then ${plural(report.repetitions, "run")} per engine, each after a minor GC. Tables give the median in ms; a ratio is that engine's median over ${baseline}'s at the same temperature (below 1× = faster): cold is compared with cold only, warm with warm`,
    "- Cold, by engine (never the operating system's file cache, which needs root to drop and would disturb the machine; nor compiled code):",
    ...report.engines.map(
      (engine) =>
        `  - ${engine}: ${cold[engine] ?? "no cold figures: it lives in memory, nothing to reopen"}`,
    ),
  ]
}

/** The whole report, headed by the machine and the settings; the under-load section last. */
export const markdown = (
  report: Harness.Report,
  machine: Machine.Machine,
  date: Date,
  loadAverageAtEnd: number = machine.loadAverage,
  underLoad?: UnderLoad.Result,
): string => {
  const first = report.sizes[0]
  const sections = [
    "# Trendline bench results",
    "",
    `Generated by \`pnpm bench\` on ${date.toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    "",
    `- Machine: ${Machine.describe(machine)}; 1-minute load average ${machine.loadAverage.toFixed(2)} at the start, ${loadAverageAtEnd.toFixed(2)} at the end (other work on the machine adds noise)`,
  ]
  if (first !== undefined) {
    sections.push(
      ...[...new Map(first.loads.map((load) => [load.engine, load.version]))].map(
        ([engine, version]) => `- ${engine}: ${version}`,
      ),
      `- Data: seed ${first.dataset.seed}, ${grouped(first.dataset.profiles)} profiles, ${Dataset.eventNames.length} event names, 2025 (UTC); top event "${Dataset.topEvent}" (~25%), rare event "${Dataset.rareEvent}" (~1%); every event has an integer "${Shape.sumProperty}" (1..500) and a text "${Dataset.platformProperty}" (${Dataset.platformShares.map(([platform, share]) => `${platform} ~${percent(share)}`).join(", ")})`,
      ...timingNotes(report),
      ...(report.engines.includes(server)
        ? [
            `- ${server}: the Node server in a child process on the same machine; every ${server} figure is a full HTTP round trip from Node's fetch (keep-alive, one request at a time), the server's request log included`,
          ]
        : []),
      ...(report.engines.includes(WorkersReport.workers)
        ? [
            `- ${WorkersReport.workers}: the Workers entry in workerd, started by the worker app's wrangler in a child process on the same machine; every ${WorkersReport.workers} figure is a full HTTP round trip from Node's fetch (keep-alive, one request at a time) straight to the workerd that runs the worker (not through wrangler's dev proxy), the worker's RPC into the account's Durable Object included; only the sizes whose load table lists it ran it`,
          ]
        : []),
    )
  }
  // The spread uploads are once per run: beside the first size's Workers comparison.
  let spread = report.spread
  for (const size of report.sizes) {
    sections.push(
      "",
      `## ${grouped(size.dataset.events)} events`,
      "",
      `Answers of every engine agreed${size.checkedAgainstReference ? ", and matched core's reference aggregator" : ""}. Whole size took ${Math.round(size.millis / 1000)} s.`,
      "",
      loadTable(size),
    )
    // A run of the extensions only (`--extensions-only`) timed no shape.
    for (const temperature of size.timings.length === 0 ? [] : Harness.temperatures) {
      sections.push(
        "",
        `### Shapes, ${temperature}`,
        "",
        temperatureNotes[temperature],
        "",
        shapeTable(size, report.engines, temperature),
      )
    }
    for (const summary of clickhouseSummaries(size)) sections.push("", summary)
    const filtered = filteredTable(size, report.engines)
    if (filtered !== undefined) {
      sections.push("", "### Filtered queries", "", filteredNote(), "", filtered)
    }
    const extensions = extensionsTable(size, report.engines)
    if (extensions !== undefined) {
      sections.push("", "### Trendline's extensions", "", extensionsNote(), "", extensions)
    }
    const top = topTable(size, report.engines)
    if (top !== undefined) {
      sections.push(
        "",
        "### Top values",
        "",
        topNote(size),
        "",
        top,
        "",
        "Answers (value (events)), the same on every engine:",
        "",
        ...topAnswers(size),
      )
    }
    const workers = WorkersReport.section(size, spread)
    if (workers !== undefined) {
      sections.push("", workers)
      spread = undefined
    }
    if (size.combined.length > 0) {
      const summary = httpSummary(size)
      sections.push(
        "",
        `### Requests with a daily, a weekly and a monthly group`,
        "",
        ...(summary === undefined ? [] : [summary, ""]),
      )
      for (const temperature of Harness.temperatures) {
        const title = `${temperature[0]!.toUpperCase()}${temperature.slice(1)}`
        sections.push(`**${title}**`, "", combinedTable(size, temperature), "")
      }
      sections.pop()
    }
  }
  if (report.sizes.length > 1) {
    for (const temperature of Harness.temperatures) {
      sections.push("", `## Scaling, ${temperature}`, "", scalingTable(report, temperature))
    }
  }
  if (underLoad !== undefined) sections.push("", UnderLoadReport.markdown(underLoad))
  return `${sections.join("\n")}\n`
}
