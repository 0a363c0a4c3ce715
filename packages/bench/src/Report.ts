/**
 * The run as Markdown: the same text is printed and written to RESULTS.md. Times are
 * medians in milliseconds; a ratio is an engine's median over DuckDB's (below 1: faster
 * than DuckDB). When the server ran (`http`), its figures are set beside the SQLite
 * store's of the same run, so the cost of HTTP is the difference.
 *
 * @since 0.1.0
 */
import * as Dataset from "./Dataset.ts"
import * as Harness from "./Harness.ts"
import * as Machine from "./Machine.ts"
import * as Shape from "./Shape.ts"

/** The engine the others are compared with. */
export const baseline = "duckdb"

/** A Markdown table with padded columns; columns after the first are right-aligned. */
export const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): string => {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...rows.map((row) => (row[i] ?? "").length)),
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`
  const rule = `| ${widths.map((width, i) => (i === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`
  return [line(header), rule, ...rows.map(line)].join("\n")
}

/** Three significant digits, without exponent: `0.0412`, `3.17`, `1250`. */
export const significant = (value: number): string =>
  !Number.isFinite(value)
    ? "n/a"
    : value >= 100
      ? Math.round(value).toLocaleString("en-US")
      : value === 0
        ? "0"
        : value.toPrecision(3).replace(/e.*$/, "")

const grouped = (n: number): string => n.toLocaleString("en-US")

/** `10M`, `1M`, `20k`, `1,500`. */
export const shortCount = (n: number): string =>
  n >= 1_000_000 && n % 1_000_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1000 && n % 1000 === 0
      ? `${n / 1000}k`
      : grouped(n)

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
export const storeSqlPairs: ReadonlyArray<{ readonly store: string; readonly sql: string }> = [
  { store: "clickhouse", sql: "clickhouse-sql" },
  { store: "chdb", sql: "chdb-sql" },
]

const pairsIn = (engines: ReadonlyArray<string>) =>
  storeSqlPairs.filter((pair) => engines.includes(pair.store) && engines.includes(pair.sql))

const storeOverSqlColumns = (engines: ReadonlyArray<string>) =>
  pairsIn(engines).map((pair) => `${pair.store}/${pair.sql}`)

const storeOverSqlRatios = (
  engines: ReadonlyArray<string>,
  medians: { readonly [engine: string]: number },
) => pairsIn(engines).map((pair) => `${significant(medians[pair.store]! / medians[pair.sql]!)}×`)

/**
 * Median milliseconds per shape and engine, each engine's ratio to DuckDB, and (when both
 * ran) the ClickHouse store's ratio to the hand-written SQL on the same table.
 */
export const shapeTable = (size: Harness.SizeReport, engines: ReadonlyArray<string>): string =>
  table(
    [
      "shape",
      ...engines.map((e) => `${e} ms`),
      ...compared(engines).map((e) => `${e}/${baseline}`),
      ...storeOverSqlColumns(engines),
    ],
    size.timings.map((timing) => [
      Shape.label(timing.shape),
      ...engines.map((e) => significant(timing.medians[e]!)),
      ...compared(engines).map(
        (e) => `${significant(timing.medians[e]! / timing.medians[baseline]!)}×`,
      ),
      ...storeOverSqlRatios(engines, timing.medians),
    ]),
  )

/**
 * One paragraph per ClickHouse: the store's append rates (its own load first, then the
 * others), and its medians over the hand-written SQL's, single shapes and combined requests.
 */
export const clickhouseSummaries = (size: Harness.SizeReport): Array<string> =>
  storeSqlPairs.flatMap(({ store, sql }) => {
    const loads = size.loads.filter((l) => l.engine === store)
    if (loads.length === 0) return []
    const over = (medians: ReadonlyArray<{ readonly [engine: string]: number }>) =>
      medians.map((m) => m[store]! / m[sql]!).filter(Number.isFinite)
    const spread = (ratios: ReadonlyArray<number>) =>
      `${significant(Math.min(...ratios))}–${significant(Math.max(...ratios))}× (median ${significant(Harness.median(ratios))}×)`
    const shapes = over(size.timings.map((timing) => timing.medians))
    const combined = over(size.combined.map((timing) => timing.medians))
    return [
      [
        `${store}: the store appended ${loads.map((load) => `${grouped(Math.round(rate(load)))} events/s (${load.loadPath})`).join(", ")}`,
        shapes.length === 0
          ? ""
          : `; its shapes took ${spread(shapes)} the median of ${sql}, the hand-written SQL on the same table`,
        combined.length === 0 ? "" : `; its combined requests ${spread(combined)}`,
        ".",
      ].join(""),
    ]
  })

/** The server's engine and the store it runs, whose figures are compared. */
export const server = "http"
export const store = "sqlite"

/** Median milliseconds per combined request and engine, and the server's overhead over the store. */
export const combinedTable = (size: Harness.SizeReport): string => {
  const engines = Object.keys(size.combined[0]?.medians ?? {})
  const overhead = engines.includes(server) && engines.includes(store)
  return table(
    [
      "request",
      ...engines.map((e) => `${e} ms`),
      ...(overhead ? [`${server} − ${store} ms`] : []),
      ...storeOverSqlColumns(engines),
    ],
    size.combined.map((timing) => [
      Shape.combinedLabel(timing.request),
      ...engines.map((e) => significant(timing.medians[e]!)),
      ...(overhead ? [significant(timing.medians[server]! - timing.medians[store]!)] : []),
      ...storeOverSqlRatios(engines, timing.medians),
    ]),
  )
}

const rate = (load: Harness.Load): number => (load.events / load.millis) * 1000

/** One paragraph: the server's upload rate and request medians beside the store's alone. */
export const httpSummary = (size: Harness.SizeReport): string | undefined => {
  const overHttp = size.loads.find((load) => load.engine === server)
  if (overHttp === undefined) return undefined
  const alone = size.loads.find((load) => load.engine === store)
  const medians = (engine: string) =>
    size.combined.map((timing) => timing.medians[engine]).filter((m) => m !== undefined)
  const span = (values: ReadonlyArray<number>) =>
    values.length === 0
      ? "n/a"
      : `${significant(Math.min(...values))}–${significant(Math.max(...values))} ms`
  return [
    `Through the server: uploads of 1000 records took ${grouped(Math.round(rate(overHttp)))} events/s`,
    alone === undefined
      ? ""
      : ` (the store alone appended ${grouped(Math.round(rate(alone)))}/s, ${significant(rate(overHttp) / rate(alone))}× of it)`,
    `; trends requests with a daily, a weekly and a monthly group answered in ${span(medians(server))} median`,
    alone === undefined ? "" : ` (the store alone: ${span(medians(store))})`,
    ".",
  ].join("")
}

/** How each engine's medians grow from the smallest size to the largest. */
export const scalingTable = (report: Harness.Report): string => {
  const small = report.sizes[0]!
  const large = report.sizes.at(-1)!
  const growth = `${shortCount(small.dataset.events)}→${shortCount(large.dataset.events)}`
  return table(
    [
      "shape",
      ...report.engines.flatMap((e) => [
        `${e} ${shortCount(small.dataset.events)}`,
        `${e} ${shortCount(large.dataset.events)}`,
        `${e} ${growth}`,
      ]),
    ],
    small.timings.map((timing, i) => [
      Shape.label(timing.shape),
      ...report.engines.flatMap((e) => {
        const before = timing.medians[e]!
        const after = large.timings[i]!.medians[e]!
        return [significant(before), significant(after), `${significant(after / before)}×`]
      }),
    ]),
  )
}

/** The whole report, headed by the machine and the settings. */
export const markdown = (
  report: Harness.Report,
  machine: Machine.Machine,
  date: Date,
  loadAverageAtEnd: number = machine.loadAverage,
): string => {
  const first = report.sizes[0]
  const sections = [
    "# Trendline bench results",
    "",
    `Generated by \`pnpm bench\` on ${date.toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    "",
    `- Machine: ${Machine.describe(machine)}; 1-minute load average ${machine.loadAverage.toFixed(2)} at the start, ${loadAverageAtEnd.toFixed(2)} at the end (other work on the machine adds noise)`,
    ...[...new Map((first?.loads ?? []).map((load) => [load.engine, load.version]))].map(
      ([engine, version]) => `- ${engine}: ${version}`,
    ),
    `- Data: seed ${first?.dataset.seed ?? Dataset.defaultSeed}, ${grouped(first?.dataset.profiles ?? 0)} profiles, ${Dataset.eventNames.length} event names, 2025 (UTC); top event "${Dataset.topEvent}" (~25%), rare event "${Dataset.rareEvent}" (~1%)`,
    `- Each shape: 1 warm-up, then ${report.repetitions} timed run${report.repetitions === 1 ? "" : "s"} per engine, the engines taking turns; the table shows the median in ms; a ratio is that engine's median over ${baseline}'s (below 1× = faster)`,
    ...(report.engines.includes(server)
      ? [
          `- ${server}: the Node server in a child process on the same machine; every ${server} figure is a full HTTP round trip from Node's fetch (keep-alive, one request at a time), the server's request log included`,
        ]
      : []),
  ]
  for (const size of report.sizes) {
    sections.push(
      "",
      `## ${grouped(size.dataset.events)} events`,
      "",
      `Answers of every engine agreed${size.checkedAgainstReference ? ", and matched core's reference aggregator" : ""}. Whole size took ${Math.round(size.millis / 1000)} s.`,
      "",
      loadTable(size),
      "",
      shapeTable(size, report.engines),
    )
    for (const summary of clickhouseSummaries(size)) sections.push("", summary)
    if (size.combined.length > 0) {
      const summary = httpSummary(size)
      sections.push(
        "",
        `### Requests with a daily, a weekly and a monthly group`,
        "",
        ...(summary === undefined ? [] : [summary, ""]),
        combinedTable(size),
      )
    }
  }
  if (report.sizes.length > 1) {
    sections.push("", "## Scaling", "", scalingTable(report))
  }
  return `${sections.join("\n")}\n`
}
