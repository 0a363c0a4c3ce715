import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventCount from "@trendline/core/EventCount"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const day = Calendar.unsafeMakeDay

describe("QueryPlan", () => {
  const input: QueryPlan.Input = {
    eventName: "Charged",
    from: day(2016, 12, 24),
    to: day(2017, 1, 3),
    measure: Measure.sum("Amount"),
    groups: [
      { name: "foo", granularity: "daily" },
      { name: "bar", granularity: "weekly" },
      { name: "foobar", granularity: "monthly" },
      { name: "all", granularity: "total" },
    ],
  }

  it("resolves the range to epoch seconds in the account's zone", () => {
    const plan = QueryPlan.make(input, Account.make("a", { timeZone: "Asia/Kolkata" }))
    assert.strictEqual(new Date(plan.start * 1000).toISOString(), "2016-12-23T18:30:00.000Z")
    assert.strictEqual(new Date(plan.end * 1000).toISOString(), "2017-01-03T18:30:00.000Z")
    assert.strictEqual(plan.timeZone, "Asia/Kolkata")
  })

  it("lays out every bucket of every group, following the account's week convention", () => {
    const keys = (plan: QueryPlan.QueryPlan) => plan.groups.map((g) => g.buckets.map((b) => b.key))
    assert.deepStrictEqual(keys(QueryPlan.make(input, Account.make("a"))).slice(1), [
      ["201651", "201652", "201701"],
      ["201612", "201701"],
      ["total"],
    ])
    // Same keys in both conventions here, but different days: Sunday weeks start a day earlier.
    const days = (weekStart: "monday" | "sunday") =>
      QueryPlan.make(input, Account.make("a", { weekStart })).groups[1]?.buckets.map((b) => [
        b.key,
        Calendar.toDateInt(b.first),
        Calendar.toDateInt(b.last),
      ])
    assert.deepStrictEqual(days("monday"), [
      ["201651", 20161224, 20161225],
      ["201652", 20161226, 20170101],
      ["201701", 20170102, 20170103],
    ])
    assert.deepStrictEqual(days("sunday"), [
      ["201651", 20161224, 20161224],
      ["201652", 20161225, 20161231],
      ["201701", 20170101, 20170103],
    ])
    const empty = QueryPlan.emptyResult(QueryPlan.make(input, Account.make("a")))
    assert.strictEqual(Object.keys(empty.foo ?? {}).length, 11)
    assert.deepStrictEqual(empty.all, { total: 0 })
  })

  it("indexes each day of the range to its bucket", () => {
    const plan = QueryPlan.make(input, Account.make("a"))
    const [daily, weekly, monthly, total] = QueryPlan.bucketIndex(plan)
    assert.deepStrictEqual([...(daily ?? [])], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert.deepStrictEqual([...(weekly ?? [])], [0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2])
    assert.deepStrictEqual([...(monthly ?? [])], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    assert.deepStrictEqual([...(total ?? [])], Array(11).fill(0))
  })
})

describe("from requests", () => {
  const seed = {
    event_name: "Charged",
    from: 20161224,
    to: 20170103,
    unique: false,
    sum_event_prop: "Amount",
    groups: {
      foo: { trend_type: "daily" },
      bar: { trend_type: "weekly" },
      foobar: { trend_type: "monthly" },
    },
  }

  it.effect("plans the seed's example request and answers it in the wire form", () =>
    Effect.gen(function* () {
      const account = Account.make("a", { timeZone: "Asia/Kolkata" })
      const plan = QueryPlan.fromTrends(yield* TrendsRequest.decode(seed), account)
      assert.deepStrictEqual(
        plan.groups.map((g) => [g.name, g.granularity]),
        [
          ["foo", "daily"],
          ["bar", "weekly"],
          ["foobar", "monthly"],
        ],
      )
      assert.deepStrictEqual(plan.measure, Measure.sum("Amount"))
      const ts = Date.UTC(2016, 11, 31, 18, 30) / 1000 // midnight of 2017-01-01 in Kolkata
      const result = Aggregator.aggregate(plan, [
        { name: "Charged", profile: "identity:a", ts, properties: { Amount: 30 } },
      ])
      const wire = Schema.encodeSync(TrendsResponse.TrendsSuccess)({
        status: "success",
        groups: result,
      })
      assert.deepStrictEqual(wire as unknown, {
        status: "success",
        foo: {
          ...Object.fromEntries(Object.keys(result.foo ?? {}).map((k) => [k, 0])),
          "20170101": 30,
        },
        bar: { "201651": 0, "201652": 30, "201701": 0 },
        foobar: { "201612": 0, "201701": 30 },
      })
    }),
  )

  it.effect("plans an event count as one total over the range", () =>
    Effect.gen(function* () {
      const request = yield* EventCount.decode({
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
      })
      const plan = QueryPlan.fromEventCount(request, Account.make("a"))
      assert.deepStrictEqual(plan.groups, [
        {
          name: QueryPlan.countGroup,
          granularity: "total",
          buckets: [{ key: QueryPlan.totalKey, first: plan.from, last: plan.to }],
        },
      ])
      assert.deepStrictEqual(plan.measure, Measure.Events)
      assert.strictEqual(plan.end - plan.start, 31 * 86_400)
    }),
  )
})

describe("QueryPlan.daysStartOnMultiplesOf", () => {
  const planIn = (timeZone: string, from: number, to: number) =>
    QueryPlan.make(
      {
        eventName: "Charged",
        from,
        to,
        measure: Measure.Events,
        groups: [{ name: "d", granularity: "daily" }],
      },
      Account.make("acme", { timeZone }),
    )
  const day = Calendar.unsafeMakeDay

  it("holds for zones a quarter of an hour off UTC, across DST, and not for local mean time", () => {
    for (const zone of [
      "UTC",
      "Asia/Kolkata",
      "Asia/Kathmandu",
      "Pacific/Chatham",
      "Australia/Lord_Howe",
    ])
      assert.isTrue(
        QueryPlan.daysStartOnMultiplesOf(planIn(zone, day(2025, 1, 1), day(2025, 12, 31)), 900),
        zone,
      )
    // Kathmandu is 5:45 ahead: on quarters, not on halves.
    assert.isFalse(
      QueryPlan.daysStartOnMultiplesOf(
        planIn("Asia/Kathmandu", day(2025, 1, 1), day(2025, 1, 2)),
        1800,
      ),
    )
    // Monrovia kept -00:44:30 until 1972-01-07, whose next day starts on the quarter.
    assert.isFalse(
      QueryPlan.daysStartOnMultiplesOf(
        planIn("Africa/Monrovia", day(1971, 6, 1), day(1971, 6, 1)),
        900,
      ),
    )
    assert.isTrue(
      QueryPlan.daysStartOnMultiplesOf(
        planIn("Africa/Monrovia", day(1972, 2, 1), day(1972, 2, 9)),
        900,
      ),
    )
  })
})
