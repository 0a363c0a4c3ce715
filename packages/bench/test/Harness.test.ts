import { assert, describe, it } from "@effect/vitest"
import * as ClickHouseServer from "@trendline/store-clickhouse/testing/ClickHouseServer"
import * as ChdbEngine from "../src/ChdbEngine.ts"
import * as ClickHouseEngine from "../src/ClickHouseEngine.ts"
import * as Dataset from "../src/Dataset.ts"
import * as DuckDbEngine from "../src/DuckDbEngine.ts"
import type { Engine } from "../src/Engine.ts"
import * as ExtensionShape from "../src/ExtensionShape.ts"
import * as Harness from "../src/Harness.ts"
import * as HttpEngine from "../src/HttpEngine.ts"
import * as Machine from "../src/Machine.ts"
import * as PlainEngine from "../src/PlainEngine.ts"
import * as Report from "../src/Report.ts"
import * as Shape from "../src/Shape.ts"
import * as TopShape from "../src/TopShape.ts"
import * as TrendlineEngine from "../src/TrendlineEngine.ts"

// A smoke run of the whole harness at a tiny size: answers are checked, timings not.
describe("Harness", () => {
  // Cold, the server restarts before each of its timed calls: give it time (124 s with the
  // top values shapes, on 2 cores with a load average of 6).
  it("loads, cross-checks and times every engine on 20k events, the server over HTTP and ClickHouse too", {
    timeout: 240_000,
  }, async () => {
    // The test machines have clickhouse-server (CI installs it): no skipping here.
    const clickhouseServer = await ClickHouseServer.start()
    const clickhouse = ClickHouseEngine.make(clickhouseServer.url)
    const chdb = ChdbEngine.make()
    const report = await Harness.run({
      sizes: [20_000],
      repetitions: 1,
      engines: [
        { name: "memory", make: TrendlineEngine.memory },
        { name: "sqlite", make: () => TrendlineEngine.sqlite({ storage: "file" }) },
        { name: "duckdb", make: () => DuckDbEngine.make({ storage: "memory", threads: 1 }) },
        { name: "http", make: () => HttpEngine.make() },
        { name: "clickhouse", make: clickhouse.clickhouse },
        { name: "clickhouse-sql", make: clickhouse.clickhouseSql },
        {
          name: "clickhouse-plain",
          make: PlainEngine.make(
            ClickHouseEngine.httpServer(clickhouseServer.url),
            "clickhouse-plain",
          ),
        },
        { name: "chdb", make: chdb.clickhouse },
        { name: "chdb-sql", make: chdb.clickhouseSql },
        { name: "chdb-plain", make: PlainEngine.make(ChdbEngine.server(), "chdb-plain") },
      ],
    }).finally(async () => {
      await clickhouseServer.stop()
      await ChdbEngine.close()
    })
    const [size] = report.sizes
    assert.strictEqual(report.sizes.length, 1)
    assert.isTrue(size!.checkedAgainstReference)
    assert.deepStrictEqual(
      size!.loads.map((load) => [load.engine, load.events]),
      [
        ["memory", 20_000],
        ["sqlite", 20_000],
        ["duckdb", 20_000],
        ["http", 20_000],
        ["clickhouse", 20_000],
        // The same data as uploads send it: one at a time, 16 at a time (not joined, joined).
        ["clickhouse", 20_000],
        ["clickhouse", 20_000],
        ["clickhouse", 20_000],
        ["clickhouse-sql", 20_000],
        ["clickhouse-plain", 20_000],
        ["chdb", 20_000],
        ["chdb", 20_000],
        ["chdb", 20_000],
        ["chdb", 20_000],
        ["chdb-sql", 20_000],
        ["chdb-plain", 20_000],
      ],
    )
    assert.deepStrictEqual(
      size!.loads.filter((load) => load.engine === "clickhouse").map((load) => load.loadPath),
      [
        "append, batches of 100k, 2 at a time",
        "append, batches of 1k, one at a time",
        "append, batches of 1k, 16 at a time, not joined",
        "append, batches of 1k, 16 at a time",
      ],
    )
    assert.strictEqual(size!.timings.length, Shape.all.length)
    // The filtered shapes, checked against the reference aggregator like the others (20k
    // events is under the reference limit), timed on every engine, DuckDB's and the
    // hand-written SQL's with the filter in their SQL.
    assert.deepStrictEqual(
      size!.filtered?.map((timing) => timing.shape),
      Shape.filtered,
    )
    // Cold figures of the engines that can be reopened: not those in memory (core's
    // reference store, and DuckDB here).
    const reopenable = [
      "sqlite",
      "http",
      "clickhouse",
      "clickhouse-sql",
      "clickhouse-plain",
      "chdb",
      "chdb-sql",
      "chdb-plain",
    ]
    assert.deepStrictEqual(Object.keys(size!.cold), reopenable)
    // Every engine, in the run's order; all but DuckDB answer whole requests and top values.
    const every = ["memory", ...reopenable.slice(0, 1), "duckdb", ...reopenable.slice(1)]
    const notDuckDb = every.filter((engine) => engine !== "duckdb")
    for (const timing of [...size!.timings, ...size!.filtered!]) {
      assert.deepStrictEqual(Object.keys(timing.warm.medians), every)
      assert.deepStrictEqual(Object.keys(timing.cold.medians), reopenable)
      for (const runs of [...Object.values(timing.warm.runs), ...Object.values(timing.cold.runs)])
        assert.strictEqual(runs.length, 1)
    }
    // DuckDB answers single shapes only; Trendline's engines and ClickHouse's hand-written
    // SQL also whole requests.
    assert.deepStrictEqual(
      size!.combined.map((timing) => [
        timing.request.measure,
        Object.keys(timing.warm.medians),
        Object.keys(timing.cold.medians),
      ]),
      Shape.combined.map((request) => [request.measure, notDuckDb, reopenable]),
    )
    // The top values shapes on every engine that answers them (not DuckDB), each answer
    // that of core's TopCounts.reference, a full list.
    const referenceTop = Harness.referenceTop(size!.dataset, TopShape.all)
    assert.deepStrictEqual(
      size!.top?.map((timing) => [
        timing.shape,
        Object.keys(timing.warm.medians),
        Object.keys(timing.cold.medians),
        timing.answer,
      ]),
      TopShape.all.map((shape) => [shape, notDuckDb, reopenable, referenceTop.get(shape)]),
    )
    assert.deepStrictEqual(
      size!.top!.map((timing) => timing.answer.length),
      [10, 3, 10],
    )
    // The requests with extensions on Trendline's stores (core's API over each), every
    // one's answer the same, each beside its baseline when it has one.
    const trendlineStores = ["memory", "sqlite", "clickhouse", "chdb"]
    assert.deepStrictEqual(
      size!.extensions?.map((timing) => [
        timing.shape.label,
        Object.keys(timing.warm.medians),
        Object.keys(timing.cold.medians),
        timing.baseline === undefined ? [] : Object.keys(timing.baseline.warm.medians),
      ]),
      ExtensionShape.all.map((shape) => [
        shape.label,
        trendlineStores,
        ["sqlite", "clickhouse", "chdb"],
        shape.baseline === undefined ? [] : trendlineStores,
      ]),
    )
    const text = Report.markdown(report, Machine.current(), new Date())
    assert.include(text, "### Trendline's extensions")
    assert.match(
      text,
      /\| count daily, Jul-Dec vs Jan-Jun \(compare previous_period\) +\| +sqlite +\| +[\d.,]+ \| +[\d.,]+ \| +[\d.,]+× \| +[\d.,]+ \| +[\d.,]+ \| +[\d.,]+× \| +≤ 2× \| +(yes|no) \|/,
    )
    assert.include(text, "### Shapes, cold")
    assert.include(text, "### Shapes, warm")
    assert.include(text, "  - duckdb: no cold figures")
    assert.include(text, "| shape ")
    assert.include(text, "sqlite/duckdb")
    assert.include(text, "matched core's reference aggregator")
    assert.include(text, "| http − sqlite ms |")
    assert.include(text, "clickhouse/clickhouse-sql")
    assert.include(text, "chdb/chdb-sql")
    assert.match(text, /its shapes took [^;]* the median of chdb-plain, the plain table/)
    assert.match(text, /- chdb: ClickHouse 2\d\.[\d.]+ \(chdb 3\.4\.0, in this process\)/)
    assert.match(
      text,
      /clickhouse: the store appended [\d,]+ events\/s \(append, batches of 100k, 2 at a time\)/,
    )
    assert.match(text, /its combined requests [\d.]+–[\d.]+×/)
    assert.match(text, /chdb: the store appended [\d,]+ events\/s/)
    assert.match(text, /Through the server: uploads of 1000 records took [\d,]+ events\/s/)
    assert.include(text, "### Top values")
    assert.match(
      text,
      /\| top 10 Amount · App Opened +\| +sqlite +\| +[\d.,]+ \| +[\d.,]+ \| +< 100 ms \| +(yes|no) \|/,
    )
    assert.match(
      text,
      /\| top 10 Platform · App Opened +\| +http +\| +[\d.,]+ \| +[\d.,]+ \| +— \| +— \|/,
    )
    assert.include(text, '- top 10 Platform · App Opened: 3 values, from "android" (')
    assert.include(text, "### Filtered queries")
    assert.match(
      text,
      /\| count daily · App Opened · Platform equals "ios" +\| +sqlite \| +[\d.,]+ \| +[\d.,]+× \| +[\d.,]+ \| +[\d.,]+× \| +≤ 2× \| +(yes|no) \|/,
    )
    assert.match(
      text,
      /\| profiles weekly · App Opened · Platform equals "ios" +\| +chdb-sql \| +[\d.,]+ \| +[\d.,]+× \| +[\d.,]+ \| +[\d.,]+× \| +— \| +— \|/,
    )
  })

  it("writes ClickHouse's hand-written top values SQL on the property's JSON text", () => {
    const sql = ClickHouseEngine.topSqlOf("db", TopShape.all[1]!)
    assert.include(sql, "visitParamExtractRaw(properties, 'Platform') AS top_value")
    assert.include(sql, "FROM db.trendline_records WHERE account = 'bench'")
    assert.include(sql, "AND name = 'App Opened'")
    assert.include(sql, "ORDER BY top_count DESC, top_value ASC LIMIT 10")
  })

  it("filters ClickHouse's hand-written SQL on the stored JSON, DuckDB's on a column of its own", () => {
    const [shape] = Shape.filtered
    assert.include(
      ClickHouseEngine.sqlOf("db", shape!),
      "AND visitParamExtractString(properties, 'Platform') = 'ios'",
    )
    assert.notInclude(ClickHouseEngine.sqlOf("db", Shape.all[0]!), "visitParamExtractString")
    assert.include(DuckDbEngine.sqlOf(shape!), "AND platform = $2")
    assert.notInclude(DuckDbEngine.sqlOf(Shape.all[0]!), "$2")
  })

  it("polls a partial answer over HTTP until it is complete: with a sync budget of 0, every answer", async () => {
    const dataset = Dataset.make({ events: 3000 })
    const server = await HttpEngine.make({ settings: { TRENDLINE_SYNC_BUDGET_MS: "0" } })
    try {
      await server.load(Dataset.batches(dataset))
      const shapes = [Shape.all[0]!, ...Shape.filtered]
      const reference = Harness.referenceAnswers(dataset, shapes, [Shape.combined[0]!])
      await Harness.verify([server], shapes, reference.shapes)
      await Harness.verifyCombined([server], [Shape.combined[0]!], reference.combined)
      await Harness.verifyTop([server], TopShape.all, Harness.referenceTop(dataset, TopShape.all))
      // The warm-up requests of a cold start are polled too.
      await server.cold!.reopen()
      assert.deepStrictEqual(
        await server.run(Shape.filtered[1]!),
        reference.shapes.get(Shape.filtered[1]!),
      )
    } finally {
      await server.close()
    }
  })

  it("answers a combined request over HTTP group by group as the store does, and stops the server cleanly", async () => {
    const dataset = Dataset.make({ events: 3000 })
    const server = await HttpEngine.make()
    const store = await TrendlineEngine.memory()
    try {
      assert.strictEqual((await server.load(Dataset.batches(dataset))).events, 3000)
      await store.load(Dataset.batches(dataset))
      const request = Shape.combinedRequest({ event: Dataset.rareEvent, measure: "sum" })
      const answer = await server.runTrends!(request)
      assert.deepStrictEqual(Object.keys(answer), ["daily", "weekly", "monthly"])
      assert.deepStrictEqual(answer, await store.runTrends!(request))
    } finally {
      await store.close()
      // Rejects unless the server exits with code 0 on SIGTERM.
      await server.close()
    }
  })

  it("stops with the shape and the buckets when an engine disagrees", async () => {
    const honest = await TrendlineEngine.memory()
    const liar: Engine = {
      ...(await TrendlineEngine.memory()),
      name: "liar",
      run: async (shape) => ({ ...(await honest.run(shape)), "20250101": -1 }),
    }
    const dataset = Dataset.make({ events: 2000 })
    await honest.load(Dataset.batches(dataset))
    const error = await Harness.verify([honest, liar], Shape.all).then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.instanceOf(error, Harness.AnswerMismatch)
    assert.match(
      (error as Harness.AnswerMismatch).message,
      /liar disagrees with memory on "count daily · App Opened"/,
    )
    assert.match((error as Harness.AnswerMismatch).message, /20250101: expected \d+, got -1/)
  })

  it("stops with the top values shape and the places when an engine disagrees on its list", async () => {
    const honest = await TrendlineEngine.memory()
    const liar: Engine = {
      ...(await TrendlineEngine.memory()),
      name: "liar",
      runTop: async (shape) => (await honest.runTop!(shape)).slice(1),
    }
    const dataset = Dataset.make({ events: 2000 })
    await honest.load(Dataset.batches(dataset))
    const reference = Harness.referenceTop(dataset, TopShape.all)
    // The honest store agrees with the reference, and each answer is kept.
    const agreed = await Harness.verifyTop([honest], TopShape.all, reference)
    assert.deepStrictEqual([...agreed], [...reference])
    const error = await Harness.verifyTop([honest, liar], TopShape.all, reference).then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.instanceOf(error, Harness.AnswerMismatch)
    const message = (error as Harness.AnswerMismatch).message
    assert.match(
      message,
      /^liar disagrees with memory on "top 10 Amount · App Opened" in \d+ place\(s\):/,
    )
    assert.match(message, /\n {2}#1: expected \d+ \(\d+\), got \d+ \(\d+\)/)
    // Engines without runTop are left out: nothing to compare.
    const { runTop: _, ...withoutTop } = liar
    const duckLike: Engine = { ...withoutTop, name: "no-top" }
    assert.deepStrictEqual(Harness.topEngines([honest, duckLike]), [honest])
  })

  it("compares answers bucket by bucket and takes medians", () => {
    assert.deepStrictEqual(Harness.differences({ a: 1, b: 2 }, { a: 1, b: 2 }), [])
    assert.deepStrictEqual(Harness.differences({ a: 1, b: 2 }, { a: 1, c: 2 }), [
      "b: expected 2, got no bucket",
      "c: expected no bucket, got 2",
    ])
    assert.strictEqual(Harness.median([5, 1, 3]), 3)
    assert.strictEqual(Harness.median([4, 1, 3, 2]), 2.5)
  })
})

describe("requests with extensions", () => {
  it("stops naming the request and the engine when an engine answers otherwise", async () => {
    const dataset = Dataset.make({ events: 2000 })
    const honest = await TrendlineEngine.memory()
    await honest.load(Dataset.batches(dataset))
    const liar: Engine = {
      ...honest,
      name: "liar",
      runExtended: async (body) => ({ ...(await honest.runExtended!(body)), extra: 1 }),
    }
    try {
      const shape = ExtensionShape.all[0]!
      await Harness.verifyExtensions(Harness.extensionEngines([honest, honest]), ExtensionShape.all)
      const error = await Harness.verifyExtensions(Harness.extensionEngines([honest, liar]), [
        shape,
      ]).catch((cause: unknown) => cause)
      assert.instanceOf(error, Error)
      assert.include((error as Error).message, `${shape.label}: liar answered`)
    } finally {
      await honest.close()
    }
  })
})
