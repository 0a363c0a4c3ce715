import { assert, describe, it } from "@effect/vitest"
import * as Cli from "../src/Cli.ts"
import * as Startup from "../src/Startup.ts"
import * as StartupReport from "../src/StartupReport.ts"

describe("Cli.startup", () => {
  it("times the startup by default, 7 runs; the flags and BENCH_STARTUP* change that", () => {
    assert.deepStrictEqual(Cli.startup([], {}), { runs: 7, only: false })
    assert.deepStrictEqual(Cli.startup(["--", "--startup-only", "--startup-runs", "3"], {}), {
      runs: 3,
      only: true,
    })
    assert.deepStrictEqual(Cli.startup([], { BENCH_STARTUP_RUNS: "5" }), { runs: 5, only: false })
    assert.strictEqual(Cli.startup(["--no-startup"], {}), undefined)
    assert.strictEqual(Cli.startup([], { BENCH_STARTUP: "0" }), undefined)
    assert.throws(() => Cli.startup(["--no-startup", "--startup-only"], {}), /exclude each other/)
    assert.throws(() => Cli.startup(["--startup-runs", "none"], {}), /--startup-runs/)
  })

  it("leaves the other flags to parse, which accepts the startup's", () => {
    const settings = Cli.parse(
      ["--startup-only", "--startup-runs", "2", "--events", "20k"],
      {},
      "R",
    )
    assert.deepStrictEqual(settings !== "help" && settings.sizes, [20_000])
  })
})

// A smoke run of the section, one run each: what it measured is checked for shape, never for
// time (the targets are the report's).
describe("Startup", () => {
  it("builds the command, then times --help and the UI's first frame and form", {
    timeout: 120_000,
  }, async () => {
    const result = await Startup.run({ runs: 1 })
    assert.deepStrictEqual(
      result.measures.map((measure) => [measure.what, measure.millis.length, measure.target]),
      [
        ["`trendline --help`, to exit", 1, 300],
        ["`trendline`, first frame, existing database", 1, 1000],
        ["`trendline`, query form shown, existing database", 1, 1000],
        ["`trendline`, first frame, new database (demo data filled)", 1, 1000],
        ["`trendline`, query form shown, new database", 1, 1000],
      ],
    )
    const [, frame, form] = result.measures
    assert.isAbove(frame!.millis[0]!, 0)
    assert.isAtLeast(form!.millis[0]!, frame!.millis[0]!)
  })

  it("reports each measure's median, fastest and slowest run against its target", () => {
    const text = StartupReport.markdown({
      runs: 3,
      terminal: "100×30",
      measures: [
        { what: "help", millis: [40, 20, 30], target: 300 },
        { what: "frame", millis: [1500, 900, 1200, 1000], target: 1000 },
        { what: "untargeted", millis: [5], target: undefined },
      ],
      millis: 4200,
    })
    assert.match(text, /^## Startup\n/)
    assert.include(text, "| help       |    3 |      30.0 |   20.0 |   40.0 |  < 300 ms | yes |")
    assert.include(text, "| frame      |    4 |     1,100 |    900 |  1,500 | < 1000 ms |  no |")
    assert.include(text, "| untargeted |    1 |      5.00 |   5.00 |   5.00 |         — |   — |")
    assert.match(text, /Section took 4 s\.$/)
  })
})
