// The `bench` script: parses the command line, runs every size, then the uploads of spread
// data, then the server under load, then the startup of the `trendline` command, prints
// the report and writes it to RESULTS.md. The only place the benchmark touches the process.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as ClickHouseCluster from "@trendline/store-clickhouse/testing/ClickHouseCluster"
import * as ClickHouseServer from "@trendline/store-clickhouse/testing/ClickHouseServer"
import * as ChdbEngine from "./ChdbEngine.ts"
import * as Cli from "./Cli.ts"
import * as ClickHouseEngine from "./ClickHouseEngine.ts"
import * as DuckDbEngine from "./DuckDbEngine.ts"
import * as Harness from "./Harness.ts"
import * as HttpEngine from "./HttpEngine.ts"
import * as Machine from "./Machine.ts"
import { shortCount } from "./Markdown.ts"
import * as PlainEngine from "./PlainEngine.ts"
import * as Report from "./Report.ts"
import * as SpreadUploads from "./SpreadUploads.ts"
import * as Startup from "./Startup.ts"
import * as StartupReport from "./StartupReport.ts"
import * as TrendlineEngine from "./TrendlineEngine.ts"
import * as UnderLoad from "./UnderLoad.ts"
import * as WorkersEngine from "./WorkersEngine.ts"

// One ClickHouse server for the whole run, started by the first engine that needs it.
let clickhouseServer: Promise<ClickHouseServer.Server> | undefined
let clickhouseEngines: Promise<ClickHouseEngine.Engines> | undefined
const clickhouse = (): Promise<ClickHouseEngine.Engines> => {
  clickhouseServer ??= ClickHouseServer.start()
  clickhouseEngines ??= clickhouseServer.then((server) => ClickHouseEngine.make(server.url))
  return clickhouseEngines
}

// A cluster of two shards (one replica each, ZooKeeper beside), started by the first engine
// that needs it.
let clickhouseCluster: Promise<ClickHouseCluster.Cluster> | undefined
let clusterEngines: Promise<ClickHouseEngine.Engines> | undefined
const cluster = (): Promise<ClickHouseEngine.Engines> => {
  clickhouseCluster ??= ClickHouseCluster.start({ shards: 2, replicas: 1 })
  clusterEngines ??= clickhouseCluster.then((started) =>
    ClickHouseEngine.on(ClickHouseEngine.clusterServer(started), {
      store: "clickhouse-cluster",
      sql: "clickhouse-cluster-sql",
    }),
  )
  return clusterEngines
}

// chdb, opened by the first engine that needs it.
let chdbEngines: ClickHouseEngine.Engines | undefined
const chdb = (): ClickHouseEngine.Engines => {
  chdbEngines ??= ChdbEngine.make()
  return chdbEngines
}

const specOf = (name: Cli.EngineName, settings: Cli.Settings): Harness.EngineSpec => {
  switch (name) {
    case "chdb":
      return { name, make: () => chdb().clickhouse() }
    case "chdb-sql":
      return { name, make: () => chdb().clickhouseSql() }
    case "clickhouse":
      return { name, make: async () => (await clickhouse()).clickhouse() }
    case "clickhouse-sql":
      return { name, make: async () => (await clickhouse()).clickhouseSql() }
    case "clickhouse-cluster":
      return { name, make: async () => (await cluster()).clickhouse() }
    case "clickhouse-plain":
      return {
        name,
        make: async () => {
          await clickhouse()
          return PlainEngine.make(
            ClickHouseEngine.httpServer((await clickhouseServer!).url),
            name,
          )()
        },
      }
    case "chdb-plain":
      return { name, make: () => PlainEngine.make(ChdbEngine.server(), name)() }
    case "sqlite":
      return { name, make: () => TrendlineEngine.sqlite({ storage: settings.storage }) }
    case "duckdb":
      return {
        name,
        make: () =>
          DuckDbEngine.make({
            storage: settings.storage,
            threads: settings.duckdbThreads,
            clustered: settings.duckdbClustered,
          }),
      }
    case "http":
      return { name, make: () => HttpEngine.make() }
    case "workers":
      return { name, make: () => WorkersEngine.make() }
    case "memory":
      return { name, make: TrendlineEngine.memory }
  }
}

const main = async (): Promise<void> => {
  const settings = Cli.parse(
    process.argv.slice(2),
    process.env,
    join(import.meta.dirname, "..", "RESULTS.md"),
  )
  if (settings === "help") {
    console.log(Cli.usage)
    return
  }
  const startup = Cli.startup(process.argv.slice(2), process.env)
  const startupOnly = startup?.only === true
  if (startupOnly && settings.loadOnly) {
    throw new Error("--load-only and --startup-only exclude each other")
  }
  const machine = Machine.current()
  const log = (line: string) => console.error(line)
  log(`Trendline bench on ${Machine.describe(machine)}`)
  const skipped =
    settings.loadOnly || startupOnly || ClickHouseServer.isInstalled()
      ? []
      : settings.engines.filter((name) => Cli.clickhouseEngines.includes(name))
  if (skipped.length > 0) {
    log(
      `skipping ${skipped.join(", ")}: ${ClickHouseServer.serverBinary} is not installed (apt-get install clickhouse-server)`,
    )
  }
  const engines =
    settings.loadOnly || startupOnly
      ? []
      : settings.engines.filter((name) => !skipped.includes(name))
  const sizes = settings.loadOnly || startupOnly ? [] : settings.sizes
  if (sizes.length > 0) {
    log(
      `sizes ${sizes.map(shortCount).join(", ")}; engines ${engines.join(", ")}; ${settings.repetitions} repetitions; storage ${settings.storage}`,
    )
  }
  const options: Harness.Options = {
    sizes,
    repetitions: settings.repetitions,
    engines: engines.map((name) => specOf(name, settings)),
    referenceLimit: settings.referenceLimit,
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
    ...(settings.extensionsOnly ? { shapes: [], filtered: [], top: [], combined: [] } : {}),
    log,
  }
  // Harness.run, but each size with the engines that load it (workers: the smaller ones).
  const runSizes = async (): Promise<Harness.Report> => {
    const reports: Array<Harness.SizeReport> = []
    for (const events of sizes) {
      const here = Cli.enginesAt({ engines, workersEvents: settings.workersEvents }, events)
      if (here.length < engines.length) {
        log(
          `[${shortCount(events)}] without workers: above --workers-events ${shortCount(settings.workersEvents)}`,
        )
      }
      const specs = options.engines.filter((spec) =>
        (here as ReadonlyArray<string>).includes(spec.name),
      )
      reports.push(await Harness.runSize({ ...options, engines: specs }, events))
    }
    return { engines, repetitions: settings.repetitions, sizes: reports }
  }
  const sized = await runSizes().finally(async () => {
    if (clickhouseServer !== undefined) await (await clickhouseServer).stop()
    if (clickhouseCluster !== undefined) await (await clickhouseCluster).stop()
    await ChdbEngine.close()
  })
  // Spread data into a fresh Node server and a fresh worker, once, when a size ran both.
  const runsSpread = Cli.runsSpread(settings, engines, sizes)
  if (
    !runsSpread &&
    settings.spread !== undefined &&
    sizes.length > 0 &&
    engines.includes("http") &&
    engines.includes("workers")
  ) {
    log(
      `without spread uploads: no size runs both http and workers (above --workers-events ${shortCount(settings.workersEvents)})`,
    )
  }
  const spread =
    settings.spread !== undefined && runsSpread
      ? await SpreadUploads.run({
          events: settings.spread.events,
          years: settings.spread.years,
          ...(settings.seed === undefined ? {} : { seed: settings.seed }),
          engines: [specOf("http", settings), specOf("workers", settings)],
          log,
        })
      : undefined
  const report: Harness.Report = spread === undefined ? sized : { ...sized, spread }
  const underLoad =
    settings.load === undefined || startupOnly
      ? undefined
      : await UnderLoad.run({
          events: settings.load.events,
          ...(settings.seed === undefined ? {} : { seed: settings.seed }),
          log,
        })
  const started =
    startup === undefined || settings.loadOnly
      ? undefined
      : await Startup.run({ runs: startup.runs, log })
  const markdown = Report.markdown(
    report,
    machine,
    new Date(),
    Machine.current().loadAverage,
    underLoad,
  )
  const text =
    started === undefined ? markdown : `${markdown}\n${StartupReport.markdown(started)}\n`
  console.log(`\n${text}`)
  if (settings.out !== undefined) {
    writeFileSync(settings.out, text)
    log(`written to ${settings.out}`)
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
