// A long query gives way to other work in slices. Where the clock stands still while code
// runs (a deployed Durable Object), a slice is measured by the query's own estimate of its
// work: the store pauses once the work it reported since the last pause reaches the slice.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import { cost } from "../src/internal/rollupSets.ts"

// Reports `work` microseconds `steps` times, then answers the number of steps.
function* steady(steps: number, work: number): Generator<number, number, void> {
  for (let i = 0; i < steps; i++) yield work
  return steps
}

const counting = () => {
  const pauses = { count: 0 }
  return { pauses, yieldNow: Effect.sync(() => void pauses.count++) }
}

describe("runSliced", () => {
  it.effect("by estimate, pauses each time the reported work reaches the slice", () =>
    Effect.gen(function* () {
      const { pauses, yieldNow } = counting()
      // 10 steps of 1 ms in slices of 4 ms: pauses after the 4th and the 8th.
      const steps = yield* SqliteEventStore.runSliced(
        steady(10, 1000),
        "q",
        yieldNow,
        4,
        "estimate",
      )
      assert.strictEqual(steps, 10)
      assert.strictEqual(pauses.count, 2)
    }),
  )

  it.effect("by clock, pauses at every step once the slice is spent", () =>
    Effect.gen(function* () {
      const { pauses, yieldNow } = counting()
      yield* SqliteEventStore.runSliced(steady(5, 0), "q", yieldNow, 0, "clock")
      assert.strictEqual(pauses.count, 5)
    }),
  )

  it.effect("turns a throw inside a step into a StoreError naming the operation", () =>
    Effect.gen(function* () {
      function* failing(): Generator<number, number, void> {
        yield 1
        throw new Error("disk gone")
      }
      const error = yield* Effect.flip(
        SqliteEventStore.runSliced(failing(), "query", Effect.void, 4, "estimate"),
      )
      assert.strictEqual(error.message, "SQLite store: query failed: disk gone")
    }),
  )
})

describe("a distinct-profile query sliced by its estimate", () => {
  const account = Account.make("acme")
  const first = Calendar.unsafeMakeDay(2024, 1, 1)
  // A year of days, each with 2,000 profiles out of 50,000.
  const events: Array<Aggregator.Event> = []
  for (let day = 0; day < 366; day++)
    for (let i = 0; i < 2000; i++)
      events.push({
        name: "Opened",
        profile: `p${(day * 997 + i * 13) % 50_000}`,
        ts: Calendar.startOfDay(first + day, "UTC") + i,
        properties: {},
      })
  const plan = (granularity: "daily" | "weekly" | "monthly") =>
    QueryPlan.make(
      {
        eventName: "Opened",
        from: first,
        to: first + 365,
        measure: Measure.Profiles,
        groups: [{ name: "g", granularity }],
      },
      account,
    )
  // The estimated work of unioning the year's day sets once.
  const unionWork = 366 * (cost.union + 2000 * cost.profile)

  it.effect("pauses about once a slice of estimated work, and answers exactly", () =>
    Effect.gen(function* () {
      const connection = NodeSqlite.open({ filename: ":memory:" })
      const { pauses, yieldNow } = counting()
      const store = yield* SqliteEventStore.make(connection.driver, {
        sliceMillis: 0.5,
        sliceBy: "estimate",
        yieldNow,
      })
      for (let i = 0; i < events.length; i += 10_000)
        yield* store.append(account, { events: events.slice(i, i + 10_000), profiles: [] })
      const expected = Aggregator.aggregate(plan("weekly"), events)
      assert.deepStrictEqual(yield* store.query(account, plan("weekly")), expected)
      // Reading and decoding the sets comes on top of the unions: at least one pause a
      // slice of union work, and not one a day.
      assert.isAtLeast(pauses.count, Math.floor(unionWork / 500))
      assert.isBelow(pauses.count, 366 / 4)
      // Remembered weeks and a year of single days need no union: no pause.
      pauses.count = 0
      yield* store.query(account, plan("weekly"))
      yield* store.query(account, plan("daily"))
      assert.strictEqual(pauses.count, 0)
      connection.close()
    }),
  )
})
