// Trendline's extensions of the trends answer: totals and bucket metadata, computed from a
// plan (`Extensions`) and answered through the API under the reserved key `trendline`.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Extensions from "@trendline/core/Extensions"
import * as Filter from "@trendline/core/Filter"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"

const day = Calendar.unsafeMakeDay

// Runs `use` on the wire API of `account` over a memory store holding `events`.
const apiOver =
  (account: Account.Settings, events: ReadonlyArray<Aggregator.Event>) =>
  <A, E>(use: (api: WireAnswer.WireApi) => Effect.Effect<A, E>) =>
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* EventStore.makeMemory()
        yield* store.append(account, { events, profiles: [] })
        const api = yield* AccountApi.make(account, AccountApi.defaultOptions).pipe(
          Effect.provideService(EventStore.EventStore, store),
        )
        return yield* use(WireAnswer.ofApi(api))
      }),
    )

describe("Calendar.formatInstant", () => {
  it("writes local time with the zone's offset at that instant", () => {
    assert.strictEqual(
      Calendar.formatInstant(Date.UTC(2016, 11, 31, 18, 30) / 1000, "Asia/Kolkata"),
      "2017-01-01T00:00:00+05:30",
    )
    assert.strictEqual(
      Calendar.formatInstant(Date.UTC(2025, 6, 1, 4) / 1000, "America/New_York"),
      "2025-07-01T00:00:00-04:00",
    )
    assert.strictEqual(Calendar.formatInstant(0, "UTC"), "1970-01-01T00:00:00+00:00")
    // Monrovia kept local mean time, 44 minutes 30 seconds behind UTC, until 1972.
    assert.strictEqual(
      Calendar.formatInstant(Date.UTC(1970, 0, 1, 0, 44, 30) / 1000, "Africa/Monrovia"),
      "1970-01-01T00:00:00-00:44:30",
    )
  })
})

describe("Extensions.bucketMeta", () => {
  const planOf = (
    timeZone: string,
    from: number,
    to: number,
    granularity: QueryPlan.RequestGranularity,
  ) =>
    QueryPlan.make(
      {
        eventName: "Opened",
        from,
        to,
        measure: Measure.Events,
        groups: [{ name: "g", granularity }],
      },
      Account.make("acme", { timeZone }),
    )

  it("gives a DST day's first and last second with their own offsets", () => {
    // Berlin moved to summer time on 2025-03-30: a 23-hour day.
    const berlin = Extensions.bucketMeta(
      planOf("Europe/Berlin", day(2025, 3, 30), day(2025, 3, 30), "daily"),
      0,
    )
    assert.deepStrictEqual(berlin.g, {
      "20250330": {
        first: "2025-03-30T00:00:00+01:00",
        last: "2025-03-30T23:59:59+02:00",
        complete: false,
      },
    })
    // São Paulo skipped midnight on 2018-11-04: the day began at 01:00.
    const saoPaulo = Extensions.bucketMeta(
      planOf("America/Sao_Paulo", day(2018, 11, 4), day(2018, 11, 4), "daily"),
      0,
    )
    assert.strictEqual(saoPaulo.g?.["20181104"]?.first, "2018-11-04T01:00:00-02:00")
  })

  it("says which buckets had ended, and how many days of a cut bucket the range holds", () => {
    const plan = planOf("Asia/Kolkata", day(2025, 1, 30), day(2025, 3, 3), "monthly")
    // The first second of March 2 in Kolkata: January and February are over, March is not.
    const now = Calendar.startOfDay(day(2025, 3, 2), "Asia/Kolkata")
    const meta = Extensions.bucketMeta(plan, now).g!
    assert.deepStrictEqual(meta["202501"], {
      first: "2025-01-30T00:00:00+05:30",
      last: "2025-01-31T23:59:59+05:30",
      complete: true,
      days: 2,
      whole_days: 31,
    })
    assert.deepStrictEqual(meta["202502"], {
      first: "2025-02-01T00:00:00+05:30",
      last: "2025-02-28T23:59:59+05:30",
      complete: true,
    })
    assert.deepStrictEqual(meta["202503"], {
      first: "2025-03-01T00:00:00+05:30",
      last: "2025-03-03T23:59:59+05:30",
      complete: false,
      days: 3,
      whole_days: 31,
    })
    // A bucket is complete from the instant it ends.
    const end = Calendar.startOfDay(day(2025, 3, 4), "Asia/Kolkata")
    assert.isFalse(Extensions.bucketMeta(plan, end - 1).g!["202503"]!.complete)
    assert.isTrue(Extensions.bucketMeta(plan, end).g!["202503"]!.complete)
  })
})

describe("Extensions.previousRange", () => {
  it("takes the days just before, or the same dates a year earlier", () => {
    const keys = (range: readonly [number, number]) => range.map(Calendar.toDateInt)
    assert.deepStrictEqual(
      keys(Extensions.previousRange("previous_period", day(2025, 3, 1), day(2025, 3, 31))),
      [20250129, 20250228],
    )
    assert.deepStrictEqual(
      keys(Extensions.previousRange("previous_year", day(2024, 2, 29), day(2024, 3, 1))),
      [20230228, 20230301],
    )
    assert.deepStrictEqual(
      keys(Extensions.previousRange("previous_period", day(2025, 1, 1), day(2025, 1, 1))),
      [20241231, 20241231],
    )
  })
})

describe("trends with extensions, through the API", () => {
  const account = Account.make("acme", { timeZone: "Asia/Kolkata" })
  // Alice on two days, Bob on one: three events, two profiles.
  const events: ReadonlyArray<Aggregator.Event> = [
    ["alice", Date.UTC(2024, 0, 2, 6)],
    ["alice", Date.UTC(2024, 0, 9, 6)],
    ["bob", Date.UTC(2024, 0, 9, 7)],
  ].map(([profile, ms]) => ({
    name: "Charged",
    profile: `identity:${profile}`,
    ts: (ms as number) / 1000,
    properties: { Amount: 5 },
  }))
  const request = {
    event_name: "Charged",
    from: 20240101,
    to: 20240115,
    unique: true,
    groups: { days: { trend_type: "daily" }, weeks: { trend_type: "weekly" } },
  }
  const withApi = apiOver(account, events)

  it.effect("answers the distinct profiles of the whole range as a unique total", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const answer = (yield* api.trends({ ...request, totals: true })).body
        const extras = answer.trendline as Extensions.Extras
        // Two profiles over the range, though the days' buckets add up to three.
        assert.deepStrictEqual(extras, { groups: { days: { total: 2 }, weeks: { total: 2 } } })
        const days = answer.days as Record<string, number>
        assert.strictEqual(
          Object.values(days).reduce((a, b) => a + b, 0),
          3,
        )
        // Counts: the total is the buckets' sum, as the reference aggregator's total plan.
        const counts = (yield* api.trends({ ...request, unique: false, totals: true })).body
        const plan = QueryPlan.totalsOf(
          QueryPlan.make(
            {
              eventName: "Charged",
              from: day(2024, 1, 1),
              to: day(2024, 1, 15),
              measure: Measure.Events,
              groups: [{ name: "days", granularity: "daily" }],
            },
            account,
          ),
        )
        assert.strictEqual(
          (counts.trendline as Extensions.Extras).groups.days?.total,
          Aggregator.aggregate(plan, events).days?.total,
        )
      }),
    ),
  )

  it.effect("describes buckets as of the time the answer is computed", () =>
    withApi((api) =>
      Effect.gen(function* () {
        // Noon of 2024-01-08 in Kolkata: the week of Jan 1-7 is over, Jan 8-14 is not.
        yield* TestClock.setTime(Date.UTC(2024, 0, 8, 6, 30))
        const answer = (yield* api.trends({ ...request, bucket_meta: true })).body
        const weeks = (answer.trendline as Extensions.Extras).groups.weeks?.buckets
        assert.isTrue(weeks?.["202401"]?.complete)
        assert.isFalse(weeks?.["202402"]?.complete)
        assert.deepStrictEqual(weeks?.["202403"], {
          first: "2024-01-15T00:00:00+05:30",
          last: "2024-01-15T23:59:59+05:30",
          complete: false,
          days: 1,
          whole_days: 7,
        })
        assert.notProperty((answer.trendline as Extensions.Extras).groups.weeks, "total")
      }),
    ),
  )

  it.effect("compares each bucket with the earlier period's, by position", () =>
    withApi((api) =>
      Effect.gen(function* () {
        // Jan 8-15 against the 8 days before, Dec 31-Jan 7: Alice on Jan 2, two on Jan 9.
        const body = {
          ...request,
          unique: false,
          from: 20240108,
          to: 20240115,
          totals: true,
          compare: "previous_period",
        }
        const answer = (yield* api.trends(body)).body
        const days = (answer.trendline as Extensions.Extras).groups.days!
        assert.strictEqual(days.total, 2)
        const compared = days.compare!
        assert.deepStrictEqual(
          [compared.kind, compared.from, compared.to, compared.previous_total],
          ["previous_period", 20231231, 20240107, 1],
        )
        // Jan 9 (2 events) beside Jan 1 (none); Jan 10 (none) beside Jan 2 (1 event).
        assert.deepStrictEqual(compared.buckets["20240109"], {
          previous_key: "20240101",
          previous: 0,
          change: 2,
          change_ratio: null,
        })
        assert.deepStrictEqual(compared.buckets["20240110"], {
          previous_key: "20240102",
          previous: 1,
          change: -1,
          change_ratio: -1,
        })
        // Weeks: the earlier period is cut into the same number of weeks here.
        const weeks = (answer.trendline as Extensions.Extras).groups.weeks!.compare!
        assert.deepStrictEqual(Object.keys(weeks.buckets), ["202402", "202403"])
        assert.strictEqual(weeks.buckets["202402"]?.previous_key, "202352")
      }),
    ),
  )

  it.effect("leaves a bucket without counterpart when a year earlier has fewer days", () =>
    withApi((api) =>
      Effect.gen(function* () {
        // 2024-02-28..29 a year earlier is 2023-02-28 alone.
        const body = {
          ...request,
          from: 20240228,
          to: 20240229,
          groups: { days: { trend_type: "daily" } },
          compare: "previous_year",
        }
        const compared = ((yield* api.trends(body)).body.trendline as Extensions.Extras).groups
          .days!.compare!
        assert.deepStrictEqual([compared.from, compared.to], [20230228, 20230228])
        assert.deepStrictEqual(compared.buckets["20240229"], {
          previous_key: null,
          previous: null,
          change: null,
          change_ratio: null,
        })
      }),
    ),
  )

  it.effect("refuses a comparison with a period before year 1000, or of another kind", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const early = yield* api.trends({
          ...request,
          from: 10000101,
          to: 10000110,
          compare: "previous_year",
        })
        assert.strictEqual(early.status, 400)
        assert.include(
          String(early.body.error),
          "compare: the year before 10000101 starts before 1000-01-01",
        )
        const other = yield* api.trends({ ...request, compare: "last_week" })
        assert.include(
          String(other.body.error),
          `compare: must be "previous_period" or "previous_year"; got "last_week"`,
        )
      }),
    ),
  )

  it.effect("answers a plain request exactly as before, without the reserved key", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const plain = (yield* api.trends(request)).body
        assert.deepStrictEqual(Object.keys(plain), ["status", "days", "weeks"])
        const off = (yield* api.trends({ ...request, totals: false, bucket_meta: false })).body
        assert.deepStrictEqual(off, plain)
      }),
    ),
  )

  it.effect("refuses a group named trendline, and extensions that are not booleans", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const answer = yield* api.trends({
          ...request,
          totals: "yes",
          groups: { trendline: { trend_type: "daily" } },
        })
        assert.strictEqual(answer.status, 400)
        const error = String(answer.body.error)
        assert.include(error, `groups.trendline: "trendline" is reserved`)
        assert.include(
          error,
          `totals: must be true (answer each group's total) or false; got "yes"`,
        )
      }),
    ),
  )
})

describe("breakdowns", () => {
  it("picks exactly one value with conditions of the filter language", () => {
    const values = ["True", "true", true, false, "False", "5", 5, 5.5, "", "x True", "pro"] as const
    for (const value of values) {
      const conditions = Extensions.exactly("P", value)
      for (const other of values) {
        const matches = conditions.every((c) => Filter.satisfies(c, { P: other }))
        assert.strictEqual(
          matches,
          other === value,
          `${JSON.stringify(value)} on ${JSON.stringify(other)}`,
        )
      }
      // An event without the property is in no series.
      assert.isFalse(conditions.every((c) => Filter.satisfies(c, {})))
    }
  })

  const account = Account.make("acme", { timeZone: "Europe/London" })
  const at = (d: number, hour: number) => Date.UTC(2024, 2, d, hour) / 1000
  const events: ReadonlyArray<Aggregator.Event> = [
    ["a", at(30, 10), { Platform: "ios", Amount: 5 }],
    ["a", at(31, 10), { Platform: "ios", Amount: 7 }],
    ["b", at(31, 11), { Platform: "android", Amount: 1 }],
    ["c", at(31, 12), { Platform: true, Amount: 2 }],
    ["c", at(31, 13), { Platform: "True", Amount: 3 }],
    ["d", at(31, 14), { Amount: 4 }],
  ].map(([profile, ts, properties]) => ({
    name: "Charged",
    profile: `identity:${profile as string}`,
    ts: ts as number,
    properties: properties as Aggregator.Event["properties"],
  }))
  const withApi = apiOver(account, events)
  // Each series as the reference aggregator counts the events with exactly that value.
  const referenceSeries = (body: Record<string, unknown>, value: unknown) =>
    Aggregator.aggregate(
      QueryPlan.fromTrends(Effect.runSync(TrendsRequest.decode(body)), account),
      events.filter((event) => Object.is(event.properties.Platform, value)),
    )

  it.effect("answers a series per top value and an other series that add up to the group", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const body = {
          event_name: "Charged",
          from: 20240330,
          to: 20240331,
          sum_event_prop: "Amount",
          groups: {
            days: {
              trend_type: "daily",
              breakdown: { property_type: "event_properties", name: "Platform", top_n: 3 },
            },
          },
        }
        const answer = (yield* api.trends(body)).body
        const breakdown = (answer.trendline as Extensions.Extras).groups.days!.breakdown!
        // ios (2 events) first, then one event each, by their JSON text's UTF-8 bytes:
        // "\"True\"" < "\"android\"" < "true".
        assert.deepStrictEqual(
          breakdown.series.map((each) => each.value),
          ["ios", "True", "android"],
        )
        for (const each of breakdown.series)
          assert.deepStrictEqual(each.buckets, referenceSeries(body, each.value).days)
        // The rest: the boolean true and the event without Platform.
        assert.deepStrictEqual(breakdown.other, { buckets: { "20240330": 0, "20240331": 2 + 4 } })
        const days = answer.days as Record<string, number>
        for (const key of Object.keys(days))
          assert.strictEqual(
            breakdown.series.reduce((sum, each) => sum + (each.buckets[key] ?? 0), 0) +
              (breakdown.other?.buckets[key] ?? 0),
            days[key],
          )
      }),
    ),
  )

  it.effect("gives distinct profiles no other series, and refuses a bad breakdown", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const base = { event_name: "Charged", from: 20240330, to: 20240331, unique: true }
        const answer = (yield* api.trends({
          ...base,
          groups: {
            d: {
              trend_type: "daily",
              breakdown: { property_type: "event_properties", name: "Platform" },
            },
          },
        })).body
        const breakdown = (answer.trendline as Extensions.Extras).groups.d!.breakdown!
        assert.strictEqual(breakdown.series.length, 4)
        assert.notProperty(breakdown, "other")
        const bad = yield* api.trends({
          ...base,
          groups: {
            d: {
              trend_type: "daily",
              breakdown: { property_type: "geo_fields", name: "", top_n: 50 },
            },
          },
        })
        assert.strictEqual(bad.status, 400)
        const error = String(bad.body.error)
        assert.include(
          error,
          `groups.d.breakdown.property_type: must be "event_properties" or "profile_fields"`,
        )
        assert.include(error, `groups.d.breakdown.name: must name a property`)
        assert.include(error, "groups.d.breakdown.top_n: must be between 1 and 20")
      }),
    ),
  )
})

describe("rolling windows", () => {
  // Per day of the range, the measure over the `days` days ending that day, computed by
  // brute force from the events: a definition that shares nothing with the window plans.
  const bruteForce = (
    events: ReadonlyArray<Aggregator.Event>,
    zone: string,
    from: number,
    to: number,
    days: number,
    measure: "events" | "unique" | "sum",
  ): Record<string, number> => {
    const out: Record<string, number> = {}
    for (let end = from; end <= to; end++) {
      const inside = events.filter((event) => {
        const d = Calendar.dayOfTimestamp(event.ts, zone)
        return event.name === "Opened" && d > end - days && d <= end
      })
      out[Calendar.formatDateKey(end)] =
        measure === "unique"
          ? new Set(inside.map((event) => event.profile)).size
          : measure === "sum"
            ? inside.reduce((sum, event) => sum + Aggregator.summand(event.properties.Amount), 0)
            : inside.length
    }
    return out
  }

  it.effect("counts, per day, the measure of the N days ending that day, in DST zones", () =>
    Effect.gen(function* () {
      const samples = fc.sample(
        fc.record({
          zone: fc.constantFrom("America/New_York", "Europe/Berlin", "Australia/Lord_Howe"),
          days: fc.integer({ min: 1, max: 12 }),
          from: fc.integer({ min: day(2025, 3, 1), max: day(2025, 3, 20) }),
          length: fc.integer({ min: 0, max: 25 }),
          measure: fc.constantFrom<"events" | "unique" | "sum">("events", "unique", "sum"),
          events: fc.array(
            fc.record({
              name: fc.constantFrom("Opened", "Opened", "Closed"),
              profile: fc.constantFrom("identity:a", "identity:b", "identity:c", "identity:d"),
              ts: fc.integer({
                min: day(2025, 2, 10) * 86_400,
                max: day(2025, 4, 20) * 86_400,
              }),
              properties: fc.record({ Amount: fc.integer({ min: -5, max: 20 }) }),
            }),
            { minLength: 20, maxLength: 120 },
          ),
        }),
        { seed: 20250309, numRuns: 40 },
      )
      for (const sample of samples) {
        const account = Account.make("acme", { timeZone: sample.zone })
        const to = sample.from + sample.length
        const answer = yield* apiOver(
          account,
          sample.events,
        )((api) =>
          api.trends({
            event_name: "Opened",
            from: Calendar.toDateInt(sample.from),
            to: Calendar.toDateInt(to),
            ...(sample.measure === "unique" ? { unique: true } : {}),
            ...(sample.measure === "sum" ? { sum_event_prop: "Amount" } : {}),
            groups: { active: { trend_type: "daily", rolling: sample.days } },
          }),
        )
        assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
        const extras = answer.body.trendline as Extensions.Extras
        assert.deepStrictEqual(extras.groups.active?.rolling, {
          days: sample.days,
          buckets: bruteForce(
            sample.events,
            sample.zone,
            sample.from,
            to,
            sample.days,
            sample.measure,
          ),
        })
        // The group itself keeps its plain daily values.
        const plain = bruteForce(sample.events, sample.zone, sample.from, to, 1, sample.measure)
        assert.deepStrictEqual(answer.body.active, plain)
      }
    }),
  )

  it("cuts each window group into windows that do not overlap and cover the plan", () => {
    const plan = QueryPlan.make(
      {
        eventName: "Opened",
        from: day(2025, 1, 10),
        to: day(2025, 1, 20),
        measure: Measure.Profiles,
        groups: [{ name: "d", granularity: "daily" }],
      },
      Account.make("acme"),
    )
    const windows = Extensions.rollingPlan(plan, "d", 4)
    assert.strictEqual(windows.from, day(2025, 1, 7))
    assert.strictEqual(windows.groups.length, 4)
    for (const group of windows.groups) {
      assert.strictEqual(group.buckets[0]!.first, windows.from)
      assert.strictEqual(group.buckets.at(-1)!.last, plan.to)
      for (let b = 1; b < group.buckets.length; b++)
        assert.strictEqual(group.buckets[b]!.first, group.buckets[b - 1]!.last + 1)
    }
    // A range shorter than the window: one group a day.
    assert.strictEqual(Extensions.rollingPlan(plan, "d", 30).groups.length, 11)
  })
})

describe("hourly groups, through the API", () => {
  const account = Account.make("acme", { timeZone: "America/New_York" })
  // One event in each hour of UTC from Nov 1 to Nov 4, 2025.
  const events: ReadonlyArray<Aggregator.Event> = Array.from({ length: 96 }, (_, h) => ({
    name: "Opened",
    profile: `identity:u${h % 5}`,
    ts: Date.UTC(2025, 10, 1) / 1000 + h * 3600 + 60,
    properties: {},
  }))

  it.effect("answers 25 hours on the day clocks go back, each with its instants", () =>
    apiOver(
      account,
      events,
    )((api) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.UTC(2025, 10, 2, 6, 30))
        const answer = yield* api.trends({
          event_name: "Opened",
          from: 20251102,
          to: 20251102,
          bucket_meta: true,
          totals: true,
          groups: { hours: { trend_type: "hourly" } },
        })
        assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
        const hours = answer.body.hours as Record<string, number>
        assert.strictEqual(Object.keys(hours).length, 25)
        assert.deepStrictEqual(new Set(Object.values(hours)), new Set([1]))
        const extras = answer.body.trendline as Extensions.Extras
        assert.strictEqual(extras.groups.hours?.total, 25)
        const meta = extras.groups.hours!.buckets!
        assert.deepStrictEqual(meta["2025110201"], {
          first: "2025-11-02T01:00:00-04:00",
          last: "2025-11-02T01:59:59-04:00",
          complete: true,
        })
        // The second 01:00 (06:00 UTC) had not ended at 06:30 UTC.
        assert.deepStrictEqual(meta["2025110202"], {
          first: "2025-11-02T01:00:00-05:00",
          last: "2025-11-02T01:59:59-05:00",
          complete: false,
        })
        assert.strictEqual(meta["2025110224"]?.first, "2025-11-02T23:00:00-05:00")
      }),
    ),
  )
})
