// What the store keeps in memory stays bounded: decoded day sets within a byte budget that
// several stores may share (every Durable Object of an isolate shares its 128 MB), and the
// distinct counts it remembers.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import { DistinctCounts, ProfileNumbersBudget, SetCacheBudget } from "../src/internal/caches.ts"
import { runToEnd } from "../src/internal/engine.ts"
import type { LogEntry } from "../src/internal/eventLog.ts"
import * as RollupSets from "../src/internal/rollupSets.ts"

const set = (size: number) => Uint32Array.from({ length: size }, (_, i) => i)

describe("a budget of decoded day sets shared by several stores", () => {
  it("keeps every cache drawing on it within its bytes, the least recently used set first", () => {
    const budget = new SetCacheBudget(4000)
    const first = budget.cache()
    const second = budget.cache()
    first.set("a", set(250)) // 1000 bytes
    second.set("a", set(250))
    first.set("b", set(250))
    assert.strictEqual(budget.usedBytes, 3000)
    // Using a set makes it the newest: the oldest is now the second store's.
    assert.isDefined(first.get("a"))
    second.set("b", set(500)) // 2000 bytes: the least recently used goes
    assert.strictEqual(budget.usedBytes, 4000)
    assert.isUndefined(second.get("a"))
    for (const kept of [first.get("a"), first.get("b"), second.get("b")]) assert.isDefined(kept)
    // Replacing, deleting and clearing give their bytes back; one store's clear, its own.
    first.set("a", set(100))
    assert.strictEqual(budget.usedBytes, 3400)
    second.delete("b")
    assert.strictEqual(budget.usedBytes, 1400)
    second.set("c", set(100))
    first.clear()
    assert.strictEqual(budget.usedBytes, 400)
    assert.isDefined(second.get("c"))
    // A set larger than the whole budget is not kept, and pushes nothing out.
    second.set("huge", set(2000))
    assert.isUndefined(second.get("huge"))
    assert.strictEqual(budget.usedBytes, 400)
    assert.isDefined(second.get("c"))
  })

  it("answers exactly from many stores' rollups while their decoded sets share one budget", () => {
    const budget = new SetCacheBudget(64 * 1024)
    const account = Account.make("acme")
    const first = Calendar.unsafeMakeDay(2024, 1, 1)
    const plan = QueryPlan.make(
      {
        eventName: "Opened",
        from: first,
        to: first + 30,
        measure: Measure.Profiles,
        groups: [
          { name: "day", granularity: "daily" },
          { name: "week", granularity: "weekly" },
          { name: "month", granularity: "monthly" },
        ],
      },
      account,
    )
    const stores = Array.from({ length: 6 }, (_, s) => {
      const connection = NodeSqlite.open({ filename: ":memory:" })
      SqliteEventStore.migrate(connection.driver)
      const rollups = RollupSets.newRollupSet(connection.driver)
      const sets = RollupSets.make(connection.driver, "single", budget)
      // Each day 1,000 to 1,500 profiles (4 to 6 KB), overlapping from one day to the next.
      const entries: Array<LogEntry> = []
      for (let d = 0; d < 31; d++)
        for (let p = 0; p < 1000 + s * 100; p++)
          entries.push([0, Date.UTC(2024, 0, 1 + d, 12) / 1000, (d * 100 + s + p * 7) % 12_000, {}])
      sets.apply(rollups, "UTC", entries)
      return { connection, rollups, sets, entries }
    })
    for (const round of [1, 2]) {
      for (const { rollups, sets, entries } of stores) {
        const daySets = new Map<number, Set<number>>()
        for (const [, ts, profile] of entries) {
          const day = Calendar.dayOfTimestamp(ts, "UTC")
          daySets.set(day, (daySets.get(day) ?? new Set()).add(profile))
        }
        const expected = (from: number, to: number) => {
          const union = new Set<number>()
          for (let day = from; day <= to; day++)
            for (const p of daySets.get(day) ?? []) union.add(p)
          return union.size
        }
        const result = runToEnd(sets.query(rollups, [0], plan))
        for (const group of plan.groups)
          for (const bucket of group.buckets)
            assert.strictEqual(
              result[group.name]![bucket.key],
              expected(bucket.first, bucket.last),
              `round ${round}, ${group.name} ${bucket.key}`,
            )
        assert.isAtMost(budget.usedBytes, budget.maxBytes)
      }
    }
    for (const { connection } of stores) connection.close()
  })
})

describe("a budget of profile numbers shared by several stores", () => {
  // Each entry of a 4-character key costs 2 * 4 + 64 = 72 bytes.
  const keys = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`)

  it("keeps them within its bytes, the store that wrote least recently forgetting first", () => {
    const budget = new ProfileNumbersBudget(72 * 10)
    const first = budget.cache()
    const second = budget.cache()
    for (const [i, key] of keys("a", 6).entries()) first.set(key, i)
    for (const [i, key] of keys("b", 4).entries()) second.set(key, i)
    assert.strictEqual(budget.usedBytes, 720)
    for (const [i, key] of keys("a", 6).entries()) assert.strictEqual(first.get(key), i)
    // Past the budget: the other store forgets.
    first.set("a100", 100)
    assert.isAtMost(budget.usedBytes, 720)
    for (const key of keys("b", 4)) assert.isUndefined(second.get(key))
    assert.strictEqual(first.get("a100"), 100)
    // A store alone past the budget drops its old generation and keeps the new one.
    const alone = new ProfileNumbersBudget(72 * 4)
    const only = alone.cache()
    for (const [i, key] of keys("c", 20).entries()) {
      only.set(key, i)
      assert.isAtMost(alone.usedBytes, 72 * 4)
      assert.strictEqual(only.get(key), i)
    }
    // Clearing gives every byte back.
    only.clear()
    assert.strictEqual(alone.usedBytes, 0)
  })
})

describe("stores given one budget", () => {
  it.effect("stay within it together and answer exactly", () =>
    Effect.gen(function* () {
      // 12 KB: twelve days of 250 profiles (1 KB); the two stores decode 40 such days.
      const budget = SqliteEventStore.cacheBudget(12 * 1024)
      const account = Account.make("acme")
      const first = Calendar.unsafeMakeDay(2024, 1, 1)
      const plan = QueryPlan.make(
        {
          eventName: "Opened",
          from: first,
          to: first + 19,
          measure: Measure.Profiles,
          groups: [
            { name: "day", granularity: "daily" },
            { name: "week", granularity: "weekly" },
          ],
        },
        account,
      )
      const batch = (s: number) => ({
        events: Array.from({ length: 20 * 1000 }, (_, i) => ({
          name: "Opened",
          profile: `p${(i * 7 + s * 300) % 5000}`,
          ts: Date.UTC(2024, 0, 1 + (i % 20), 12) / 1000,
          properties: {},
        })),
        profiles: [],
      })
      const connections = [0, 1].map(() => NodeSqlite.open({ filename: ":memory:" }))
      const stores = yield* Effect.forEach(connections, ({ driver }) =>
        SqliteEventStore.make(driver, { cacheBudget: budget, cacheBytes: 1 }),
      )
      for (const round of [1, 2])
        for (const [s, store] of stores.entries()) {
          const reference = yield* EventStore.makeMemory()
          yield* reference.append(account, batch(s))
          if (round === 1) yield* store.append(account, batch(s))
          assert.deepStrictEqual(
            yield* store.query(account, plan),
            yield* reference.query(account, plan),
          )
          assert.isAtMost(budget.daySets.usedBytes, budget.daySets.maxBytes)
          assert.isAbove(budget.daySets.usedBytes, 0)
          assert.isAtMost(budget.profileNumbers.usedBytes, budget.profileNumbers.maxBytes)
          assert.isAbove(budget.profileNumbers.usedBytes, 0)
        }
      for (const { close } of connections) close()
    }),
  )
})

describe("remembered distinct counts", () => {
  it("holds at most 16,384 counts, forgetting the events remembered longest", () => {
    const counts = new DistinctCounts()
    // 40 events of 1,000 buckets each: 40,000 counts offered.
    for (let event = 0; event < 40; event++)
      for (let bucket = 0; bucket < 1000; bucket++)
        counts.set(1, event, bucket, bucket + 6, event * 1000 + bucket)
    const kept = Array.from({ length: 40 }, (_, event) =>
      Array.from({ length: 1000 }, (_, bucket) => counts.get(1, event, bucket, bucket + 6)).filter(
        (count) => count !== undefined,
      ),
    )
    const total = kept.reduce((sum, event) => sum + event.length, 0)
    assert.isAtMost(total, 16_384)
    assert.isAtLeast(total, 16_384 - 1000)
    // The newest events are whole and exact, the oldest gone.
    assert.deepStrictEqual(
      kept[39],
      Array.from({ length: 1000 }, (_, bucket) => 39_000 + bucket),
    )
    assert.deepStrictEqual(kept[0], [])
    // Invalidated counts make room again.
    counts.invalidate(1, 39, 500)
    assert.isUndefined(counts.get(1, 39, 500, 506))
    assert.strictEqual(counts.get(1, 39, 507, 513), 39_507)
  })
})
