/**
 * The `bench` command line: flags first, then `BENCH_*` environment variables, then the
 * defaults (1M and 10M events, 7 repetitions, sqlite and duckdb on temporary files, the
 * Node server and the Workers entry (in workerd, up to 1M events) over HTTP, and
 * ClickHouse, Debian's 18.16 and current chdb, through the store and by hand-written SQL;
 * uploads of data spread over 17 years into both entries; then the server under load).
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"
import * as Dataset from "./Dataset.ts"
import * as SpreadUploads from "./SpreadUploads.ts"

/** What a run was asked to do. */
export interface Settings {
  readonly sizes: ReadonlyArray<number>
  readonly repetitions: number
  readonly engines: ReadonlyArray<EngineName>
  readonly storage: "file" | "memory"
  readonly duckdbThreads: number | undefined
  readonly duckdbClustered: boolean
  readonly referenceLimit: number
  readonly seed: number | undefined
  /** Where to write the Markdown report, or `undefined` not to. */
  readonly out: string | undefined
  /** The under-load section and the events account A holds in it, or `undefined` not to run it. */
  readonly load: { readonly events: number } | undefined
  /** Only the under-load section: no data set sizes, no engines. */
  readonly loadOnly: boolean
  /** The largest data set the `workers` engine loads; larger sizes run without it. */
  readonly workersEvents: number
  /**
   * The uploads of spread data into fresh `http` and `workers` engines (`SpreadUploads`):
   * how many events, over how many years; `undefined` not to run them (`--spread-years 0`).
   */
  readonly spread: { readonly years: number; readonly events: number } | undefined
  /** Only the requests with Trendline's extensions: no shapes, top values or combined requests. */
  readonly extensionsOnly: boolean
}

/** The engines the command knows. */
export const engineNames = [
  "sqlite",
  "duckdb",
  "http",
  "workers",
  "clickhouse",
  "clickhouse-sql",
  "clickhouse-plain",
  "clickhouse-cluster",
  "chdb",
  "chdb-sql",
  "chdb-plain",
  "memory",
] as const

/** The engines that need Debian's ClickHouse server. */
export const clickhouseEngines: ReadonlyArray<EngineName> = [
  "clickhouse",
  "clickhouse-sql",
  "clickhouse-plain",
  "clickhouse-cluster",
]

/** The engines on current ClickHouse, embedded (chdb). */
export const chdbEngines: ReadonlyArray<EngineName> = ["chdb", "chdb-sql", "chdb-plain"]

const defaultEngines =
  "sqlite,duckdb,http,workers,clickhouse,clickhouse-sql,clickhouse-plain,chdb,chdb-sql,chdb-plain"

/**
 * The largest data set the `workers` engine loads by default: uploads through a Durable
 * Object are the slowest load of the bench (see the README).
 */
export const defaultWorkersEvents = 1_000_000

/** Which engines run on a data set of `events`: `workers` only up to `workersEvents`. */
export const enginesAt = (
  settings: Pick<Settings, "engines" | "workersEvents">,
  events: number,
): Array<EngineName> =>
  settings.engines.filter((name) => name !== "workers" || events <= settings.workersEvents)
export type EngineName = (typeof engineNames)[number]

/**
 * Whether the spread uploads run: they are asked for, and some size runs both `http` and
 * `workers` (so that the report has their comparison to put them in).
 */
export const runsSpread = (
  settings: Pick<Settings, "spread" | "workersEvents">,
  engines: ReadonlyArray<EngineName>,
  sizes: ReadonlyArray<number>,
): boolean =>
  settings.spread !== undefined &&
  sizes.some((events) => {
    const here = enginesAt({ engines, workersEvents: settings.workersEvents }, events)
    return here.includes("http") && here.includes("workers")
  })

/** The text of `--help`. */
export const usage = `Usage: pnpm bench [-- options]   (or: node --expose-gc src/main.ts [options])

  --events N          one data set of N events (env BENCH_EVENTS), e.g. 1M, 250k, 2_000_000
  --sizes A,B         several data sets, the scaling curve (env BENCH_SIZES; default 1M,10M)
  --reps N            timed runs per shape and engine after one warm-up (env BENCH_REPS; default 7)
  --engines a,b       among sqlite, duckdb, http, workers, clickhouse, clickhouse-sql,
                      clickhouse-plain, clickhouse-cluster, chdb, chdb-sql, chdb-plain, memory
                      (env BENCH_ENGINES; default all but clickhouse-cluster and memory)
  --no-http           leave out http, the Node server measured through HTTP (env BENCH_HTTP=0)
  --no-workers        leave out workers, the Workers entry in workerd through HTTP
                      (env BENCH_WORKERS=0)
  --workers-events N  the largest data set workers loads; larger ones run without it
                      (env BENCH_WORKERS_EVENTS; default 1M)
  --spread-years N    also upload data spread over N years into a fresh http and a fresh
                      workers, when a size runs both (env BENCH_SPREAD_YEARS; default 17;
                      0: not at all)
  --spread-events N   the events of those uploads (env BENCH_SPREAD_EVENTS; default 100k,
                      or the smallest size if smaller)
  --no-clickhouse     leave out clickhouse, clickhouse-sql, clickhouse-plain,
                      clickhouse-cluster, chdb, chdb-sql and chdb-plain
                      (env BENCH_CLICKHOUSE=0)
  --storage S         file (default) or memory, for both databases (env BENCH_STORAGE)
  --duckdb-threads N  DuckDB's worker threads (env BENCH_DUCKDB_THREADS; default: every core)
  --duckdb-unclustered  keep DuckDB's table in time order instead of sorted by (name, ts)
  --reference-limit N also check answers against core's aggregator up to N events (default 1M)
  --seed N            the data set's seed (env BENCH_SEED)
  --extensions-only   of each size, time the requests with Trendline's extensions only
                      (no shapes, filtered or top values shapes, combined requests)
  --no-load           leave out the server under load (env BENCH_LOAD=0)
  --load-only         the server under load only: no data set sizes, no engines
  --load-events N     events account A holds under load (env BENCH_LOAD_EVENTS; default
                      the smallest size, at most 1M)
  --no-startup        leave out the startup of the trendline command (env BENCH_STARTUP=0)
  --startup-only      the startup of the trendline command only
  --startup-runs N    timed runs of each startup measure (env BENCH_STARTUP_RUNS; default 7)
  --out FILE          where to write the report (default RESULTS.md in the package)
  --no-write          print the report only
  --help`

/** `"10M"`, `"250k"`, `"2_000_000"` or `"1,500"` to a count; throws on anything else. */
export const parseCount = (text: string, what: string): number => {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.replaceAll(/[_,]/g, ""))
  const value =
    match === null
      ? Number.NaN
      : Number(match[1]) * ({ k: 1e3, m: 1e6 }[match[2]!.toLowerCase()] ?? 1)
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `${what} must be a positive whole number such as 20k, 1M or 2_000_000, got "${text}"`,
    )
  }
  return value
}

const list = (text: string): Array<string> =>
  text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "")

// The startup section's flags, read by `startup`; `parse` accepts and leaves them.
const startupOptions = {
  "no-startup": { type: "boolean" },
  "startup-only": { type: "boolean" },
  "startup-runs": { type: "string" },
} as const

/** Whether to time the startup of the `trendline` command, and how. */
export interface StartupSettings {
  readonly runs: number
  /** Only the startup: no data set sizes, no engines, no server under load. */
  readonly only: boolean
}

/**
 * The startup section's settings of a command line (`undefined`: leave it out). Throws
 * with a message on a bad value; `parse` reads the other flags.
 */
export const startup = (
  argv: ReadonlyArray<string>,
  env: { readonly [name: string]: string | undefined },
): StartupSettings | undefined => {
  const { values } = parseArgs({
    args: argv[0] === "--" ? argv.slice(1) : [...argv],
    options: startupOptions,
    strict: false,
  })
  const off = values["no-startup"] === true || env.BENCH_STARTUP === "0"
  const only = values["startup-only"] === true
  if (off && only) throw new Error("--no-startup and --startup-only exclude each other")
  const runs = values["startup-runs"] ?? env.BENCH_STARTUP_RUNS ?? "7"
  if (typeof runs !== "string") throw new Error("--startup-runs needs a value, e.g. 7")
  return off ? undefined : { runs: parseCount(runs, "--startup-runs"), only }
}

/** The settings of a command line, or `"help"`. Throws with a message on a bad value. */
export const parse = (
  argv: ReadonlyArray<string>,
  env: { readonly [name: string]: string | undefined },
  defaultOut: string,
): Settings | "help" => {
  const { values } = parseArgs({
    // pnpm 12 passes the `--` of `pnpm bench -- --events 1M` on to the script.
    args: argv[0] === "--" ? argv.slice(1) : [...argv],
    options: {
      ...startupOptions,
      events: { type: "string" },
      sizes: { type: "string" },
      reps: { type: "string" },
      engines: { type: "string" },
      storage: { type: "string" },
      "duckdb-threads": { type: "string" },
      "duckdb-unclustered": { type: "boolean" },
      "reference-limit": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      "no-write": { type: "boolean" },
      "no-http": { type: "boolean" },
      "no-workers": { type: "boolean" },
      "workers-events": { type: "string" },
      "spread-years": { type: "string" },
      "spread-events": { type: "string" },
      "no-clickhouse": { type: "boolean" },
      "no-load": { type: "boolean" },
      "load-only": { type: "boolean" },
      "extensions-only": { type: "boolean" },
      "load-events": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  })
  if (values.help === true) return "help"
  const events = values.events ?? env.BENCH_EVENTS
  const sizes =
    events !== undefined
      ? [parseCount(events, "--events")]
      : list(values.sizes ?? env.BENCH_SIZES ?? "1M,10M").map((size) => parseCount(size, "--sizes"))
  const engines = list(values.engines ?? env.BENCH_ENGINES ?? defaultEngines)
    .map((name) => {
      if (!(engineNames as ReadonlyArray<string>).includes(name)) {
        throw new Error(`unknown engine "${name}": use ${engineNames.join(", ")}`)
      }
      return name as EngineName
    })
    .filter((name) => !(name === "http" && (values["no-http"] === true || env.BENCH_HTTP === "0")))
    .filter(
      (name) =>
        !(name === "workers" && (values["no-workers"] === true || env.BENCH_WORKERS === "0")),
    )
    .filter(
      (name) =>
        !(
          [...clickhouseEngines, ...chdbEngines].includes(name) &&
          (values["no-clickhouse"] === true || env.BENCH_CLICKHOUSE === "0")
        ),
    )
  const storage = values.storage ?? env.BENCH_STORAGE ?? "file"
  if (storage !== "file" && storage !== "memory") {
    throw new Error(`--storage must be file or memory, got "${storage}"`)
  }
  const threads = values["duckdb-threads"] ?? env.BENCH_DUCKDB_THREADS
  const seed = values.seed ?? env.BENCH_SEED
  const noLoad = values["no-load"] === true || env.BENCH_LOAD === "0"
  const loadOnly = values["load-only"] === true
  if (noLoad && loadOnly) throw new Error("--no-load and --load-only exclude each other")
  const loadEvents = values["load-events"] ?? env.BENCH_LOAD_EVENTS
  const workersEvents = values["workers-events"] ?? env.BENCH_WORKERS_EVENTS
  const spreadYears =
    values["spread-years"] ?? env.BENCH_SPREAD_YEARS ?? String(SpreadUploads.defaultYears)
  const spreadEvents = values["spread-events"] ?? env.BENCH_SPREAD_EVENTS
  const years = spreadYears.trim() === "0" ? 0 : parseCount(spreadYears, "--spread-years")
  if (years > Dataset.maxSpreadYears) {
    throw new Error(
      `--spread-years must be at most ${Dataset.maxSpreadYears} (back to 1970), got ${years}`,
    )
  }
  return {
    sizes,
    repetitions: parseCount(values.reps ?? env.BENCH_REPS ?? "7", "--reps"),
    engines: [...new Set(engines)],
    storage,
    duckdbThreads: threads === undefined ? undefined : parseCount(threads, "--duckdb-threads"),
    duckdbClustered: values["duckdb-unclustered"] !== true,
    referenceLimit: parseCount(values["reference-limit"] ?? "1M", "--reference-limit"),
    seed: seed === undefined ? undefined : Number(seed),
    out: values["no-write"] === true ? undefined : (values.out ?? defaultOut),
    load: noLoad
      ? undefined
      : {
          events:
            loadEvents === undefined
              ? Math.min(1_000_000, ...sizes)
              : parseCount(loadEvents, "--load-events"),
        },
    loadOnly,
    extensionsOnly: values["extensions-only"] === true,
    workersEvents:
      workersEvents === undefined
        ? defaultWorkersEvents
        : parseCount(workersEvents, "--workers-events"),
    spread:
      years === 0
        ? undefined
        : {
            years,
            events:
              spreadEvents === undefined
                ? Math.min(SpreadUploads.defaultEvents, ...sizes)
                : parseCount(spreadEvents, "--spread-events"),
          },
  }
}
