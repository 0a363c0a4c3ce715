import { assert, describe, it } from "@effect/vitest"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Dataset from "../src/Dataset.ts"
import * as DuckDbEngine from "../src/DuckDbEngine.ts"
import * as Shape from "../src/Shape.ts"

const at = (year: number, month: number, day: number, seconds = 0): number =>
  Calendar.startOfDay(Calendar.unsafeMakeDay(year, month, day), "UTC") + seconds

// The edges where bucket keys go wrong: the first and last seconds of the year, and the
// ISO weeks that straddle it (2025-01-01 is in 202501, 2025-12-29..31 in 202601). Platforms
// in turn, and every fourth event without one (a NULL in DuckDB's table, equal to nothing).
const platforms = ["ios", "android", "web", undefined] as const
const edges: ReadonlyArray<Aggregator.Event> = [
  [2025, 1, 1, 0],
  [2025, 1, 5, 86_399],
  [2025, 1, 6, 0],
  [2025, 2, 28, 43_200],
  [2025, 12, 28, 86_399],
  [2025, 12, 29, 0],
  [2025, 12, 31, 86_399],
].flatMap(([year, month, day, seconds], i) =>
  [Dataset.topEvent, Dataset.rareEvent, "Other"].map((name, j) => ({
    name,
    profile: `identity:u${(i * 3 + j) % 4}`,
    ts: at(year!, month!, day!, seconds),
    properties: {
      Amount: i + 1,
      ...(platforms[(i + j) % 4] === undefined
        ? {}
        : { [Dataset.platformProperty]: platforms[(i + j) % 4]! }),
    },
  })),
)

describe("DuckDbEngine", () => {
  for (const clustered of [true, false]) {
    it(`answers every shape as core's aggregator, ISO weeks included (clustered: ${clustered})`, async () => {
      const engine = await DuckDbEngine.make({ storage: "file", threads: 1, clustered })
      const loaded = await engine.load([edges.slice(0, 10), edges.slice(10)])
      assert.strictEqual(loaded.events, edges.length)
      assert.isAtLeast(loaded.millis, 0)
      try {
        for (const shape of [...Shape.all, ...Shape.filtered]) {
          const expected = Aggregator.aggregate(Shape.plan(shape), edges)[Shape.group]
          assert.deepStrictEqual(await engine.run(shape), expected, Shape.label(shape))
        }
        const weekly = await engine.run({
          event: Dataset.topEvent,
          measure: "count",
          trendType: "weekly",
        })
        assert.strictEqual(weekly["202501"], 2)
        assert.strictEqual(weekly["202601"], 2)
        // Filtered: the top event is on iOS at edges 0 and 4 (2025-01-01, 2025-12-28) only.
        const ios = await engine.run(Shape.filtered[0]!)
        assert.strictEqual(ios["20250101"], 1)
        assert.strictEqual(ios["20251228"], 1)
        assert.strictEqual(
          Object.values(ios).reduce((sum, n) => sum + n, 0),
          2,
        )
      } finally {
        await engine.close()
      }
    })
  }
})
