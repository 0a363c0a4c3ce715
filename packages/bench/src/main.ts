// The `bench` script: parses the command line, runs every size, prints the report and
// writes it to RESULTS.md. The only place the benchmark touches the process.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Cli from "./Cli.ts"
import * as DuckDbEngine from "./DuckDbEngine.ts"
import type * as Harness from "./Harness.ts"
import { run } from "./Harness.ts"
import * as HttpEngine from "./HttpEngine.ts"
import * as Machine from "./Machine.ts"
import * as Report from "./Report.ts"
import * as TrendlineEngine from "./TrendlineEngine.ts"

const specOf = (name: Cli.EngineName, settings: Cli.Settings): Harness.EngineSpec => {
  switch (name) {
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
  const machine = Machine.current()
  const log = (line: string) => console.error(line)
  log(`Trendline bench on ${Machine.describe(machine)}`)
  log(
    `sizes ${settings.sizes.map(Report.shortCount).join(", ")}; engines ${settings.engines.join(", ")}; ${settings.repetitions} repetitions; storage ${settings.storage}`,
  )
  const report = await run({
    sizes: settings.sizes,
    repetitions: settings.repetitions,
    engines: settings.engines.map((name) => specOf(name, settings)),
    referenceLimit: settings.referenceLimit,
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
    log,
  })
  const text = Report.markdown(report, machine, new Date(), Machine.current().loadAverage)
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
