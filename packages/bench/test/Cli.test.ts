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

  it("defaults to the 1M and 10M curve, 7 repetitions, sqlite and duckdb on files, http and both ClickHouses", () => {
    assert.deepStrictEqual(Cli.parse([], {}, "RESULTS.md"), {
      sizes: [1_000_000, 10_000_000],
      repetitions: 7,
      engines: ["sqlite", "duckdb", "http", "clickhouse", "clickhouse-sql", "chdb", "chdb-sql"],
      storage: "file",
      duckdbThreads: undefined,
      duckdbClustered: true,
      referenceLimit: 1_000_000,
      seed: undefined,
      out: "RESULTS.md",
    })
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
        "clickhouse",
        "clickhouse-sql",
        "chdb",
        "chdb-sql",
      ])
    }
  })

  it("leaves both ClickHouses out with --no-clickhouse or BENCH_CLICKHOUSE=0", () => {
    for (const settings of [
      Cli.parse(["--no-clickhouse"], {}, "R.md"),
      Cli.parse([], { BENCH_CLICKHOUSE: "0" }, "R.md"),
    ]) {
      assert.deepStrictEqual(settings !== "help" && settings.engines, ["sqlite", "duckdb", "http"])
    }
  })
})
