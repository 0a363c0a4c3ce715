// How the store cuts days and buckets: core's calendar against ClickHouse's, on 18.16 (the
// same SQL runs on current ClickHouse in CurrentClickHouse.test.ts).
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as Effect from "effect/Effect"
import { bucketStartsContract } from "./support/BucketStarts.ts"
import { charged, day, errorMessage, measures, planOf, utc } from "./support/fixtures.ts"
import { freshDatabase, serverVersion, url } from "./support/server.ts"

bucketStartsContract(
  `clickhouse ${await serverVersion()}`,
  ClickHouseEventStore.make({ url, database: freshDatabase("starts") }),
)

describe("ClickHouse store calendars", () => {
  const database = freshDatabase("calendars")

  it.effect("cuts Sunday weeks and the short DST day of São Paulo like the aggregator", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database })
      const account = Account.make("sao-paulo", {
        timeZone: "America/Sao_Paulo",
        weekStart: "sunday",
      })
      // 2018-11-04 had no midnight in São Paulo: clocks went from 00:00 to 01:00.
      const target = day(2018, 11, 4)
      const [start, end] = Calendar.dayRange(target, account.timeZone)
      assert.strictEqual(end - start, 23 * 3600)
      const instants = [start - 3601, start - 1, start, start + 1, end - 1, end, end + 86_400 * 6]
      const events = instants.flatMap((ts, i) => [
        charged(`identity:${i % 3}`, ts, i),
        charged(`identity:${i % 2}`, ts + 60, 10 * i),
      ])
      yield* store.append(account, { events, profiles: [] })
      // Sat 2018-10-27 to Tue 2018-11-13: the end of the week of Sunday 10-21, then weeks
      // starting on Sundays 10-28, 11-04 and 11-11.
      for (const measure of measures) {
        const plan = planOf(account, day(2018, 10, 27), day(2018, 11, 13), measure)
        const result = yield* store.query(account, plan)
        assert.deepStrictEqual(result, Aggregator.aggregate(plan, events))
        assert.deepStrictEqual(Object.keys(result.week!), ["201843", "201844", "201845", "201846"])
      }
      const counts = yield* store.query(account, planOf(account, target - 1, target + 1))
      assert.deepStrictEqual(counts.day, { "20181103": 3, "20181104": 6, "20181105": 3 })
    }),
  )

  it.effect("refuses to bucket events before 1970-01-06, and answers plans around them", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database })
      const account = Account.make("epoch", { timeZone: "America/Sao_Paulo" })
      const first = 5 * 86_400 // 1970-01-06T00:00:00Z, the first instant bucketed
      yield* store.append(account, {
        events: [charged("identity:a", first - 1), charged("identity:a", utc(1970, 2, 1))],
        profiles: [],
      })
      const early = planOf(account, day(1969, 12, 31), day(1970, 1, 10))
      assert.include(
        errorMessage(yield* Effect.exit(store.query(account, early))),
        "before 1970-01-06 or after 2105",
      )
      const later = planOf(account, day(1970, 1, 20), day(1970, 2, 10))
      assert.deepStrictEqual(
        yield* store.query(account, later),
        Aggregator.aggregate(later, [charged("identity:a", utc(1970, 2, 1))]),
      )
      // From the first instant on, ClickHouse cuts every zone's days as core does: the
      // furthest behind UTC (-12 h) and ahead (+14 h), Kiritimati (-10:40 in 1970, +14 h
      // today), São Paulo and Kolkata.
      const events = Array.from({ length: 40 }, (_, i) =>
        charged(`identity:${i % 3}`, first + i * 4 * 3600, i),
      )
      for (const timeZone of [
        "Etc/GMT+12",
        "Etc/GMT-14",
        "Pacific/Kiritimati",
        "America/Sao_Paulo",
        "Asia/Kolkata",
      ]) {
        const zoned = Account.make(`epoch ${timeZone}`, { timeZone })
        yield* store.append(zoned, { events, profiles: [] })
        const from = Calendar.dayOfTimestamp(first, timeZone)
        for (const measure of measures) {
          const plan = planOf(zoned, from, from + 20, measure)
          assert.deepStrictEqual(
            yield* store.query(zoned, plan),
            Aggregator.aggregate(plan, events),
            `${timeZone} ${measure._tag}`,
          )
        }
      }
      const empty = Account.make("epoch-empty", { timeZone: "Pacific/Kiritimati" })
      const farFuture = planOf(empty, day(2105, 12, 20), day(2106, 1, 20))
      assert.deepStrictEqual(yield* store.query(empty, farFuture), QueryPlan.emptyResult(farFuture))
    }),
  )
})

describe("ClickHouse store days", () => {
  it.effect("fail, rather than answer wrong, when the server cuts days unlike the plan", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database: freshDatabase("days") })
      const account = Account.make("days")
      // Just after the range's first and just before its last UTC midnight: a day before
      // it in New York, a day after it in Kolkata.
      const events = [
        charged("identity:a", utc(2024, 1, 1, 0)),
        charged("identity:b", utc(2024, 1, 31, 23)),
      ]
      yield* store.append(account, { events, profiles: [] })
      for (const timeZone of ["America/New_York", "Asia/Kolkata"]) {
        for (const measure of measures) {
          const several = planOf(account, day(2024, 1, 1), day(2024, 1, 31), measure)
          // Every group; monthly alone; daily alone.
          const groups = [several.groups, several.groups.slice(2, 3), several.groups.slice(0, 1)]
          for (const planned of groups) {
            // A plan cut in UTC, read by the server in another zone: as if the server's time
            // zone data differed from the runtime's.
            const plan = { ...several, groups: planned }
            assert.deepStrictEqual(
              yield* store.query(account, plan),
              Aggregator.aggregate(plan, events),
            )
            assert.include(
              errorMessage(yield* Effect.exit(store.query(account, { ...plan, timeZone }))),
              `its time zone data for ${timeZone} differs from this runtime's`,
              `${timeZone} ${measure._tag} ${planned.map((group) => group.granularity)}`,
            )
          }
        }
      }
    }),
  )
})
