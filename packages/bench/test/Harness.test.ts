import { assert, describe, it } from "@effect/vitest"
import * as Dataset from "../src/Dataset.ts"
import * as DuckDbEngine from "../src/DuckDbEngine.ts"
import type { Engine } from "../src/Engine.ts"
import * as Harness from "../src/Harness.ts"
import * as Machine from "../src/Machine.ts"
import * as Report from "../src/Report.ts"
import * as Shape from "../src/Shape.ts"
import * as TrendlineEngine from "../src/TrendlineEngine.ts"

// A smoke run of the whole harness at a tiny size: answers are checked, timings not.
describe("Harness", () => {
  it("loads, cross-checks and times every engine on 20k events", async () => {
    const report = await Harness.run({
      sizes: [20_000],
      repetitions: 1,
      engines: [
        { name: "memory", make: TrendlineEngine.memory },
        { name: "sqlite", make: () => TrendlineEngine.sqlite({ storage: "file" }) },
        { name: "duckdb", make: () => DuckDbEngine.make({ storage: "memory", threads: 1 }) },
      ],
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
      ],
    )
    assert.strictEqual(size!.timings.length, Shape.all.length)
    for (const timing of size!.timings) {
      assert.deepStrictEqual(Object.keys(timing.medians), ["memory", "sqlite", "duckdb"])
      for (const runs of Object.values(timing.runs)) assert.strictEqual(runs.length, 1)
    }
    const text = Report.markdown(report, Machine.current(), new Date())
    assert.include(text, "| shape ")
    assert.include(text, "sqlite/duckdb")
    assert.include(text, "matched core's reference aggregator")
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
