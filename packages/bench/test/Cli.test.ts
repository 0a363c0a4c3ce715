import { assert, describe, it } from "@effect/vitest"
import * as Cli from "../src/Cli.ts"

describe("Cli", () => {
  it("reads counts with suffixes and separators", () => {
    assert.strictEqual(Cli.parseCount("20k", "n"), 20_000)
    assert.strictEqual(Cli.parseCount("1M", "n"), 1_000_000)
    assert.strictEqual(Cli.parseCount("2.5m", "n"), 2_500_000)
    assert.strictEqual(Cli.parseCount("10_000_000", "n"), 10_000_000)
    assert.throws(
      () => Cli.parseCount("ten", "--events"),
      /--events must be a positive whole number/,
    )
    assert.throws(() => Cli.parseCount("0", "--reps"), /--reps/)
  })

  it("defaults to the 1M and 10M curve, 7 repetitions, sqlite and duckdb on files, http, workers up to 1M and both ClickHouses", () => {
    assert.deepStrictEqual(Cli.parse([], {}, "RESULTS.md"), {
      sizes: [1_000_000, 10_000_000],
      repetitions: 7,
      engines: [
        "sqlite",
        "duckdb",
        "http",
        "workers",
        "clickhouse",
        "clickhouse-sql",
        "clickhouse-plain",
        "chdb",
        "chdb-sql",
        "chdb-plain",
      ],
      storage: "file",
      duckdbThreads: undefined,
      duckdbClustered: true,
      referenceLimit: 1_000_000,
      seed: undefined,
      out: "RESULTS.md",
      load: { events: 1_000_000 },
      loadOnly: false,
      extensionsOnly: false,
      workersEvents: 1_000_000,
      spread: { years: 17, events: 100_000 },
    })
    const only = Cli.parse(["--extensions-only"], {}, "R.md")
    assert.isTrue(only !== "help" && only.extensionsOnly)
  })

  it("takes the -- that pnpm passes on before the flags", () => {
    const settings = Cli.parse(["--", "--engines", "sqlite,duckdb", "--events", "100k"], {}, "R.md")
    assert.deepStrictEqual(settings !== "help" && [settings.engines, settings.sizes], [
      ["sqlite", "duckdb"],
      [100_000],
    ])
    assert.throws(() => Cli.parse(["--events", "1M", "--", "x"], {}, "R.md"), /Unexpected argument/)
  })

  it("runs the server under load by default, A holding the smallest size's events up to 1M", () => {
    const loadOf = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const settings = Cli.parse(argv, env, "R.md")
      return settings === "help" ? "help" : [settings.load, settings.loadOnly]
    }
    assert.deepStrictEqual(loadOf(["--events", "20k"]), [{ events: 20_000 }, false])
    assert.deepStrictEqual(loadOf(["--sizes", "5M,2M"]), [{ events: 1_000_000 }, false])
    assert.deepStrictEqual(loadOf(["--load-events", "300k"]), [{ events: 300_000 }, false])
    assert.deepStrictEqual(loadOf([], { BENCH_LOAD_EVENTS: "50k" }), [{ events: 50_000 }, false])
    assert.deepStrictEqual(loadOf(["--no-load"]), [undefined, false])
    assert.deepStrictEqual(loadOf([], { BENCH_LOAD: "0" }), [undefined, false])
    assert.deepStrictEqual(loadOf(["--load-only", "--events", "20k"]), [{ events: 20_000 }, true])
    assert.throws(() => Cli.parse(["--load-only", "--no-load"], {}, "R.md"), /exclude each other/)
    assert.throws(() => Cli.parse(["--load-events", "none"], {}, "R.md"), /--load-events/)
  })

  it("takes BENCH_* variables, and flags over them", () => {
    const fromEnv = Cli.parse([], { BENCH_EVENTS: "250k", BENCH_REPS: "3" }, "R.md")
    assert.deepStrictEqual(fromEnv !== "help" && [fromEnv.sizes, fromEnv.repetitions], [
      [250_000],
      3,
    ])
    const fromFlags = Cli.parse(
      ["--events", "1M", "--engines", "memory,duckdb", "--no-write"],
      { BENCH_EVENTS: "250k" },
      "R.md",
    )
    assert.deepStrictEqual(
      fromFlags !== "help" && [fromFlags.sizes, fromFlags.engines, fromFlags.out],
      [[1_000_000], ["memory", "duckdb"], undefined],
    )
    assert.throws(
      () => Cli.parse(["--engines", "postgres"], {}, "R.md"),
      /unknown engine "postgres"/,
    )
    assert.strictEqual(Cli.parse(["--help"], {}, "R.md"), "help")
  })

  it("leaves the server out with --no-http or BENCH_HTTP=0", () => {
    for (const settings of [
      Cli.parse(["--no-http"], {}, "R.md"),
      Cli.parse([], { BENCH_HTTP: "0" }, "R.md"),
    ]) {
      assert.deepStrictEqual(settings !== "help" && settings.engines, [
        "sqlite",
        "duckdb",
        "workers",
        "clickhouse",
        "clickhouse-sql",
        "clickhouse-plain",
        "chdb",
        "chdb-sql",
        "chdb-plain",
      ])
    }
  })

  it("leaves both ClickHouses out with --no-clickhouse or BENCH_CLICKHOUSE=0", () => {
    for (const settings of [
      Cli.parse(["--no-clickhouse"], {}, "R.md"),
      Cli.parse([], { BENCH_CLICKHOUSE: "0" }, "R.md"),
    ]) {
      assert.deepStrictEqual(settings !== "help" && settings.engines, [
        "sqlite",
        "duckdb",
        "http",
        "workers",
      ])
    }
  })

  it("runs the store on a cluster only when asked, and leaves it out with --no-clickhouse", () => {
    const asked = Cli.parse(["--engines", "clickhouse,clickhouse-cluster"], {}, "R.md")
    assert.deepStrictEqual(asked !== "help" && asked.engines, ["clickhouse", "clickhouse-cluster"])
    const left = Cli.parse(
      ["--engines", "sqlite,clickhouse-cluster", "--no-clickhouse"],
      {},
      "R.md",
    )
    assert.deepStrictEqual(left !== "help" && left.engines, ["sqlite"])
  })

  it("leaves the Workers entry out with --no-workers or BENCH_WORKERS=0", () => {
    for (const settings of [
      Cli.parse(["--no-workers", "--no-clickhouse"], {}, "R.md"),
      Cli.parse(["--no-clickhouse"], { BENCH_WORKERS: "0" }, "R.md"),
    ]) {
      assert.deepStrictEqual(settings !== "help" && settings.engines, ["sqlite", "duckdb", "http"])
    }
    const asked = Cli.parse(["--engines", "http,workers"], {}, "R.md")
    assert.deepStrictEqual(asked !== "help" && asked.engines, ["http", "workers"])
  })

  it("runs workers on the sizes up to --workers-events (BENCH_WORKERS_EVENTS), the others without it", () => {
    const at = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const settings = Cli.parse(["--engines", "http,workers", ...argv], env, "R.md")
      if (settings === "help") throw new Error("help")
      return settings.sizes.map((events) => Cli.enginesAt(settings, events))
    }
    assert.deepStrictEqual(at([]), [["http", "workers"], ["http"]])
    assert.deepStrictEqual(at(["--workers-events", "10M"]), [
      ["http", "workers"],
      ["http", "workers"],
    ])
    assert.deepStrictEqual(at(["--sizes", "100k,2M"], { BENCH_WORKERS_EVENTS: "100k" }), [
      ["http", "workers"],
      ["http"],
    ])
    assert.throws(() => Cli.parse(["--workers-events", "all"], {}, "R.md"), /--workers-events/)
  })

  it("uploads spread data: --spread-years (BENCH_SPREAD_YEARS, default 17, 0 for none) and --spread-events (BENCH_SPREAD_EVENTS, default 100k or the smallest size)", () => {
    const spreadOf = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const settings = Cli.parse(argv, env, "R.md")
      return settings === "help" ? "help" : settings.spread
    }
    assert.deepStrictEqual(spreadOf([]), { years: 17, events: 100_000 })
    assert.deepStrictEqual(spreadOf(["--events", "20k"]), { years: 17, events: 20_000 })
    assert.deepStrictEqual(spreadOf(["--sizes", "1M,50k"]), { years: 17, events: 50_000 })
    assert.deepStrictEqual(spreadOf(["--spread-years", "5", "--spread-events", "250k"]), {
      years: 5,
      events: 250_000,
    })
    assert.deepStrictEqual(spreadOf([], { BENCH_SPREAD_YEARS: "3", BENCH_SPREAD_EVENTS: "30k" }), {
      years: 3,
      events: 30_000,
    })
    assert.deepStrictEqual(spreadOf(["--spread-years", "2"], { BENCH_SPREAD_YEARS: "3" }), {
      years: 2,
      events: 100_000,
    })
    assert.isUndefined(spreadOf(["--spread-years", "0"]))
    assert.isUndefined(spreadOf([], { BENCH_SPREAD_YEARS: "0" }))
    assert.throws(() => Cli.parse(["--spread-years", "many"], {}, "R.md"), /--spread-years/)
    assert.throws(() => Cli.parse(["--spread-years", "57"], {}, "R.md"), /at most 56/)
    assert.throws(() => Cli.parse(["--spread-events", "0"], {}, "R.md"), /--spread-events/)
  })

  it("runs the spread uploads only where a size runs both http and workers", () => {
    const runs = (argv: ReadonlyArray<string>) => {
      const settings = Cli.parse(argv, {}, "R.md")
      if (settings === "help") throw new Error("help")
      return Cli.runsSpread(settings, settings.engines, settings.sizes)
    }
    assert.isTrue(runs([]))
    assert.isTrue(runs(["--engines", "http,workers", "--events", "20k"]))
    assert.isFalse(runs(["--engines", "http,workers", "--spread-years", "0"]))
    assert.isFalse(runs(["--engines", "sqlite,http"]))
    assert.isFalse(runs(["--engines", "http,workers", "--no-workers"]))
    assert.isFalse(runs(["--engines", "http,workers", "--sizes", "2M,10M"]))
    assert.isTrue(runs(["--engines", "http,workers", "--sizes", "500k,10M"]))
    const settings = Cli.parse([], {}, "R.md")
    assert.isFalse(settings !== "help" && Cli.runsSpread(settings, settings.engines, []))
  })
})
