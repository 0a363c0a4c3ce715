import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import type * as Aggregator from "@trendline/core/Aggregator"
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

  describe("Platform", () => {
    // The events without `Platform`, as one SHA-256 of their JSON lines.
    const withoutPlatform = (event: Aggregator.Event) => {
      const { [Dataset.platformProperty]: _, ...properties } = event.properties
      return { ...event, properties }
    }
    const digest = (dataset: Dataset.Dataset) => {
      const hash = createHash("sha256")
      for (const event of Dataset.events(dataset))
        hash.update(`${JSON.stringify(withoutPlatform(event))}\n`)
      return hash.digest("hex")
    }

    it("gives every event one of the platforms, in roughly their shares, overall and for the top event", () => {
      const dataset = Dataset.make({ events: 200_000 })
      const all = new Map<unknown, number>()
      const top = new Map<unknown, number>()
      let topEvents = 0
      for (const event of Dataset.events(dataset)) {
        const platform = event.properties[Dataset.platformProperty]
        all.set(platform, (all.get(platform) ?? 0) + 1)
        if (event.name === Dataset.topEvent) {
          top.set(platform, (top.get(platform) ?? 0) + 1)
          topEvents++
        }
      }
      assert.deepStrictEqual(
        [...all.keys()].sort(),
        Dataset.platformShares.map(([platform]) => platform).sort(),
      )
      for (const [platform, share] of Dataset.platformShares) {
        assert.approximately(all.get(platform)! / dataset.events, share, 0.005, platform)
        assert.approximately(top.get(platform)! / topEvents, share, 0.01, platform)
      }
    })

    it("leaves every other field of every event as it was before Platform existed", () => {
      // SHA-256 of the events' JSON lines, one an event, as the generator gave them before
      // it drew platforms (computed with that generator): names, profiles, times and
      // amounts, in the same order and batches.
      assert.strictEqual(
        digest(small),
        "9dd1e8fa50ecb40a406904cce78c3e0f8d9cb31a6b02d6d2658ddaecc5ceb3e2",
      )
      assert.strictEqual(
        digest(Dataset.make({ events: 5000, seed: 7, profiles: 1000 })),
        "13632a0dd28e04454d3da9a8a65469c7f4713ecc25c074154b427536d022b472",
      )
      // Stripped of Platform, an event's properties are its Amount only.
      for (const event of Dataset.events(Dataset.make({ events: 2000 }))) {
        assert.deepStrictEqual(Object.keys(withoutPlatform(event).properties), ["Amount"])
      }
    })

    it("draws platforms from a stream of their own: deterministic, apart from the events' stream", () => {
      const platforms = (dataset: Dataset.Dataset) =>
        collect(dataset).map((event) => event.properties[Dataset.platformProperty])
      assert.deepStrictEqual(platforms(small), platforms(small))
      // The same seed's platforms are those of the platform stream, drawn one an event.
      const next = Dataset.random(Dataset.platformSeed(small))
      const bounds = [0.55, 0.9, 1]
      const expected = Array.from({ length: small.events }, () => {
        const u = next()
        return Dataset.platformShares[bounds.findIndex((bound) => u < bound)]![0]
      })
      assert.deepStrictEqual(platforms(small), expected)
      assert.notStrictEqual(Dataset.platformSeed(small), small.seed)
      assert.notStrictEqual(Dataset.platformSeed(small), Dataset.spreadSeed(small))
      assert.notDeepEqual(platforms(Dataset.make({ events: 20_000, seed: 7 })), platforms(small))
    })
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

  describe("spread over years", () => {
    const yearOf = (ts: number) => Calendar.toCivil(Calendar.dayOfTimestamp(ts, "UTC")).year
    const dateAndTime = (ts: number) => {
      const day = Calendar.dayOfTimestamp(ts, "UTC")
      const { month, day: dayOfMonth } = Calendar.toCivil(day)
      return [month, dayOfMonth, ts - Calendar.startOfDay(day, "UTC")]
    }
    const spread = (dataset: Dataset.Dataset, years: number, seed?: number) => [
      ...Dataset.spreadBatches(dataset, years, seed),
    ]

    it("gives the events of batches unchanged over one year", () => {
      assert.deepStrictEqual(spread(small, 1), [...Dataset.batches(small)])
    })

    it("moves each event back 0..years-1 whole years, same batches, same date and time of day", () => {
      const original = [...Dataset.batches(small)]
      const moved = spread(small, 17)
      assert.deepStrictEqual(
        moved.map((batch) => batch.length),
        original.map((batch) => batch.length),
      )
      const years = new Map<number, number>()
      for (const [b, batch] of moved.entries()) {
        for (const [i, event] of batch.entries()) {
          const before = original[b]![i]!
          // Everything but the timestamp is the original event's.
          assert.deepStrictEqual({ ...event, ts: before.ts }, before)
          const year = yearOf(event.ts)
          assert.isTrue(year >= 2009 && year <= 2025, `year ${year}`)
          assert.isTrue(Number.isInteger(event.ts) && event.ts >= 0)
          assert.deepStrictEqual(dateAndTime(event.ts), dateAndTime(before.ts))
          years.set(year, (years.get(year) ?? 0) + 1)
        }
      }
      // Uniform over the 17 years: each has about 1/17 of the 20k events (~1176).
      assert.strictEqual(years.size, 17)
      for (const count of years.values()) assert.approximately(count, 20_000 / 17, 200)
      // Every batch is spread: its 1000 events fall in every year, on over 10 times the
      // days of the original batch (about 19 days of 2025 each, at 20k events).
      const daysOf = (batch: ReadonlyArray<{ readonly ts: number }>) =>
        new Set(batch.map((event) => Calendar.dayOfTimestamp(event.ts, "UTC"))).size
      for (const [b, batch] of moved.entries()) {
        assert.strictEqual(new Set(batch.map((event) => yearOf(event.ts))).size, 17)
        assert.isAbove(daysOf(batch), 10 * daysOf(original[b]!))
      }
    })

    it("is deterministic: the same seed gives the same output, another seed another", () => {
      assert.deepStrictEqual(spread(small, 17), spread(small, 17))
      assert.deepStrictEqual(spread(small, 17), spread(small, 17, Dataset.spreadSeed(small)))
      assert.notDeepEqual(spread(small, 17, 7), spread(small, 17))
      // The events' own stream is untouched by the spread's: the same events, other years.
      assert.deepStrictEqual(
        spread(small, 17, 7).map((batch) => batch.map((event) => dateAndTime(event.ts))),
        spread(small, 17).map((batch) => batch.map((event) => dateAndTime(event.ts))),
      )
    })

    it("moves by whole 365/366-day spans, February 29 to February 28 in a common year", () => {
      const at = (year: number, month: number, day: number, seconds: number) =>
        Calendar.startOfDay(Calendar.unsafeMakeDay(year, month, day), "UTC") + seconds
      assert.strictEqual(Dataset.yearsBack(at(2025, 3, 1, 3661), 0), at(2025, 3, 1, 3661))
      // 2025-02-28 back a year crosses 2024-02-29: 366 days; 2025-03-01 does not: 365.
      assert.strictEqual(Dataset.yearsBack(at(2025, 2, 28, 5), 1), at(2024, 2, 28, 5))
      assert.strictEqual(at(2025, 2, 28, 0) - at(2024, 2, 28, 0), 366 * 86_400)
      assert.strictEqual(Dataset.yearsBack(at(2025, 3, 1, 3661), 1), at(2024, 3, 1, 3661))
      assert.strictEqual(at(2025, 3, 1, 0) - at(2024, 3, 1, 0), 365 * 86_400)
      assert.strictEqual(Dataset.yearsBack(at(2025, 12, 31, 86_399), 16), at(2009, 12, 31, 86_399))
      assert.strictEqual(Dataset.yearsBack(at(2024, 2, 29, 60), 1), at(2023, 2, 28, 60))
      assert.strictEqual(Dataset.yearsBack(at(2024, 2, 29, 60), 4), at(2020, 2, 29, 60))
    })

    it("refuses years outside 1..56 (uploads take timestamps from 1970 on), at once", () => {
      assert.strictEqual(Dataset.lastYear, 2025)
      assert.strictEqual(Dataset.maxSpreadYears, 56)
      assert.throws(() => Dataset.spreadBatches(small, 0), /spread years/)
      assert.throws(() => Dataset.spreadBatches(small, 57), /spread years/)
      assert.throws(() => Dataset.spreadBatches(small, 2.5), /spread years/)
      // 56 years reaches 1970 and no earlier.
      for (const batch of Dataset.spreadBatches(Dataset.make({ events: 5000 }), 56)) {
        for (const event of batch) assert.isAtLeast(yearOf(event.ts), 1970)
      }
    })
  })
})
