// The contract that guards the one place where the store's SQL still has calendar rules of
// its own: distinct profiles over weeks, months or the whole range are grouped by bucket
// starts that ClickHouse computes (`toMonday(day)`, `toMonday(day + 1) - 1` for Sunday
// weeks, `toStartOfMonth(day)`), because that was measured faster than grouping by the
// buckets core names (see src/internal/queries.ts and the README's "How it answers").
// Everything else is cut into days in SQL and into buckets by core. These tests hold those
// SQL starts to core's calendar, on 18.16 and on current ClickHouse: ISO and Sunday weeks
// across a year with an ISO week 53, months (a leap February), buckets clipped by the
// range at both ends, one group and several, zones whose midnight DST changes skip a day's
// first hour, and answers compared with core's reference aggregator.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import type * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import type * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Effect from "effect/Effect"

const day = Calendar.unsafeMakeDay

// Every 7 hours from 2020-12-20 to 2021-03-10, by 97 profiles in turn: every bucket has
// several profiles, and several events of some.
const events: ReadonlyArray<Aggregator.Event> = Array.from({ length: 280 }, (_, i) => ({
  name: "Opened",
  profile: `identity:${(i * 7) % 97}`,
  ts: Date.UTC(2020, 11, 20) / 1000 + i * 7 * 3600,
  properties: {},
}))

const settings: ReadonlyArray<{ readonly timeZone: string; readonly weekStart: Bucket.WeekStart }> =
  [
    { timeZone: "UTC", weekStart: "monday" },
    { timeZone: "UTC", weekStart: "sunday" },
    { timeZone: "America/Sao_Paulo", weekStart: "sunday" },
    { timeZone: "Pacific/Chatham", weekStart: "monday" },
  ]

// Starting on a Wednesday mid-December and ending on a Tuesday mid-February: the first and
// last week and month are clipped.
const ranges = [
  { from: day(2020, 12, 23), to: day(2021, 2, 16) },
  { from: day(2021, 1, 1), to: day(2021, 1, 1) },
  { from: day(2021, 2, 28), to: day(2021, 3, 1) },
]

const groupSets: ReadonlyArray<ReadonlyArray<QueryPlan.RequestGranularity>> = [
  ["weekly"],
  ["monthly"],
  ["total"],
  ["daily", "weekly", "monthly", "total"],
  ["weekly", "weekly", "monthly"],
]

export const bucketStartsContract = (
  name: string,
  store: Effect.Effect<EventStore.Service, EventStore.StoreError>,
): void => {
  describe(`${name}: SQL bucket starts of distinct profiles agree with core's calendar`, () => {
    it.effect("for ISO and Sunday weeks, months and totals, clipped, in several zones", () =>
      Effect.gen(function* () {
        const service = yield* store
        for (const { timeZone, weekStart } of settings) {
          const account = Account.make(`starts ${timeZone} ${weekStart} ${crypto.randomUUID()}`, {
            timeZone,
            weekStart,
          })
          yield* service.append(account, { events, profiles: [] })
          for (const { from, to } of ranges) {
            for (const granularities of groupSets) {
              const plan = QueryPlan.make(
                {
                  eventName: "Opened",
                  from,
                  to,
                  measure: Measure.Profiles,
                  groups: granularities.map((granularity, i) => ({ name: `g${i}`, granularity })),
                },
                account,
              )
              assert.deepStrictEqual(
                yield* service.query(account, plan),
                Aggregator.aggregate(plan, events),
                `${timeZone} ${weekStart} ${Calendar.formatIsoDate(from)}..${Calendar.formatIsoDate(to)} ${granularities}`,
              )
            }
          }
        }
      }),
    )
  })
}
