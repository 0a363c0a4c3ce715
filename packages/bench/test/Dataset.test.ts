import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
import * as Upload from "@trendline/core/Upload"
import * as Dataset from "../src/Dataset.ts"

const small = Dataset.make({ events: 20_000 })
const collect = (dataset: Dataset.Dataset) => [...Dataset.events(dataset)]

describe("Dataset", () => {
  it("generates the same events from the same seed, and others from another seed", () => {
    assert.deepStrictEqual(collect(small), collect(small))
    const other = collect(Dataset.make({ events: 20_000, seed: 7 }))
    assert.notDeepEqual(other, collect(small))
  })

  it("yields batches of batchSize, the last one shorter, and exactly `events` events", () => {
    const sizes = [...Dataset.batches(Dataset.make({ events: 2500 }))].map((b) => b.length)
    assert.deepStrictEqual(sizes, [1000, 1000, 500])
    const tens = [...Dataset.batches(Dataset.make({ events: 95, batchSize: 10 }))]
    assert.strictEqual(tens.length, 10)
    assert.strictEqual(tens.at(-1)!.length, 5)
    assert.deepStrictEqual([...Dataset.batches(Dataset.make({ events: 0 }))], [])
  })

  it("refuses sizes that are not positive integers", () => {
    assert.throws(() => Dataset.make({ events: 1.5 }), /events/)
    assert.throws(() => Dataset.make({ batchSize: 0 }), /batchSize/)
  })

  it("spreads the events over every day of 2025, summing exactly, weekdays busier", () => {
    const perDay = Dataset.eventsPerDay(1_000_003)
    assert.strictEqual(perDay.length, 365)
    assert.strictEqual(
      perDay.reduce((sum, n) => sum + n, 0),
      1_000_003,
    )
    // 2025-01-06 is a Monday, 2025-01-12 a Sunday.
    const monday = Calendar.unsafeMakeDay(2025, 1, 6) - Dataset.from
    assert.isAbove(perDay[monday]!, perDay[monday + 6]!)
  })

  it("keeps timestamps in order, inside 2025 UTC, with an integer Amount in 1..500", () => {
    const start = Calendar.startOfDay(Dataset.from, "UTC")
    const end = Calendar.startOfDay(Dataset.to + 1, "UTC")
    let previous = start
    for (const event of Dataset.events(small)) {
      assert.isAtLeast(event.ts, previous)
      assert.isBelow(event.ts, end)
      assert.isTrue(Number.isInteger(event.ts))
      const amount = event.properties.Amount as number
      assert.isTrue(Number.isInteger(amount) && amount >= 1 && amount <= 500)
      previous = event.ts
    }
  })

  it("has Zipf-like names (top ~25%, rare ~1%) and profiles (a busy head, a long tail)", () => {
    const dataset = Dataset.make({ events: 200_000, profiles: 20_000 })
    const names = new Map<string, number>()
    const profiles = new Map<string, number>()
    for (const event of Dataset.events(dataset)) {
      names.set(event.name, (names.get(event.name) ?? 0) + 1)
      profiles.set(event.profile, (profiles.get(event.profile) ?? 0) + 1)
    }
    const share = (name: string) => (names.get(name) ?? 0) / dataset.events
    assert.approximately(share(Dataset.topEvent), 0.25, 0.01)
    assert.approximately(share(Dataset.rareEvent), 0.01, 0.002)
    assert.strictEqual(names.size, Dataset.eventNames.length)
    assert.isTrue([...names.keys()].every((name) => Dataset.eventNames.includes(name)))
    assert.approximately(Dataset.nameShares[0]!, 0.25, 0.005)

    assert.isAtMost(profiles.size, dataset.profiles)
    assert.isAbove(profiles.size, dataset.profiles / 2)
    for (const key of profiles.keys()) {
      const number = Number(key.slice("identity:u".length))
      assert.isTrue(key.startsWith("identity:u") && number >= 1 && number <= dataset.profiles)
    }
    // Exponent 1.1 over 20k profiles: the busiest has ~1/H(20000, 1.1) ≈ 15% of events.
    const busiest = Math.max(...profiles.values()) / dataset.events
    assert.isAbove(busiest, 0.1)
    assert.isBelow(busiest, 0.2)
  })

  it("uses no event name that uploads refuse, so the server can take every event", () => {
    for (const name of Dataset.eventNames) {
      assert.notInclude(Upload.restrictedEventNames, name)
    }
  })

  it("draws the same floats in [0, 1) from the same seed", () => {
    const a = Dataset.random(42)
    const b = Dataset.random(42)
    for (let i = 0; i < 1000; i++) {
      const x = a()
      assert.strictEqual(x, b())
      assert.isTrue(x >= 0 && x < 1)
    }
  })
})
