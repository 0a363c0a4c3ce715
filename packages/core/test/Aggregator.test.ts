import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as fc from "fast-check"

const day = Calendar.unsafeMakeDay

// A second, deliberately naive oracle: key every event with Bucket.keyOf and tally. It
// shares no code path with the aggregator's day-to-bucket index.
const naive = (
  plan: QueryPlan.QueryPlan,
  events: ReadonlyArray<Aggregator.Event>,
): QueryPlan.Result =>
  Object.fromEntries(
    plan.groups.map((group) => {
      const values: Record<string, number | Set<string>> = {}
      for (const b of group.buckets)
        values[b.key] = plan.measure._tag === "Profiles" ? new Set() : 0
      for (const e of events) {
        if (e.name !== plan.eventName) continue
        const d = Calendar.dayOfTimestamp(e.ts, plan.timeZone)
        if (d < plan.from || d > plan.to) continue
        const granularity = group.granularity
        // An hour by its instants, searched for: no day index.
        const key =
          granularity === "total"
            ? QueryPlan.totalKey
            : granularity === "hourly"
              ? group.buckets.find((b) => b.start! <= e.ts && e.ts < b.end!)!.key
              : granularity === "window"
                ? group.buckets.find((b) => b.first <= d && d <= b.last)!.key
                : Bucket.keyOf(granularity, d, plan.weekStart)
        const current = values[key]
        if (current instanceof Set) current.add(e.profile)
        else if (plan.measure._tag === "Events") values[key] = (current ?? 0) + 1
        else if (plan.measure._tag === "Sum") {
          const v = e.properties[plan.measure.property]
          values[key] = (current ?? 0) + (Number.isSafeInteger(v) ? (v as number) : 0)
        }
      }
      return [
        group.name,
        Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, v instanceof Set ? v.size : v]),
        ),
      ]
    }),
  )

describe("Aggregator", () => {
  it("agrees with a naive tally on random events and plans", () => {
    const zones = [
      "UTC",
      "Europe/London",
      "America/New_York",
      "America/Sao_Paulo",
      "Pacific/Chatham",
    ]
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom("Charged", "Viewed"),
            profile: fc.constantFrom("identity:a", "identity:b", "identity:c", "FBID:a"),
            ts: fc.integer({ min: day(2018, 10, 1) * 86_400, max: day(2019, 3, 1) * 86_400 }),
            properties: fc.record({
              Amount: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double(), fc.string()),
            }),
          }),
          { maxLength: 200 },
        ),
        fc.constantFrom(...zones),
        fc.constantFrom<Bucket.WeekStart>("monday", "sunday"),
        fc.integer({ min: day(2018, 10, 1), max: day(2019, 2, 1) }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(Measure.Events, Measure.Profiles, Measure.sum("Amount")),
        (events, timeZone, weekStart, from, length, measure) => {
          const plan = QueryPlan.make(
            {
              eventName: "Charged",
              from,
              to: from + length,
              measure,
              groups: (["hourly", "daily", "weekly", "monthly", "total"] as const).map(
                (granularity) => ({
                  name: granularity,
                  granularity,
                }),
              ),
            },
            Account.make("a", { timeZone, weekStart }),
          )
          assert.deepStrictEqual(Aggregator.aggregate(plan, events), naive(plan, events))
        },
      ),
      { numRuns: 200 },
    )
  })

  it("counts distinct profiles per bucket, not summed across buckets", () => {
    const plan = QueryPlan.make(
      {
        eventName: "Charged",
        from: day(2024, 1, 1),
        to: day(2024, 1, 14),
        measure: Measure.Profiles,
        groups: [
          { name: "d", granularity: "daily" },
          { name: "w", granularity: "weekly" },
        ],
      },
      Account.make("a"),
    )
    const ts = (d: number) => Date.UTC(2024, 0, d, 12) / 1000
    const events = [1, 2, 3, 9].map((d) => ({
      name: "Charged",
      profile: "identity:x",
      ts: ts(d),
      properties: {},
    }))
    const result = Aggregator.aggregate(plan, events)
    assert.strictEqual(result.d?.["20240101"], 1)
    assert.strictEqual(result.d?.["20240102"], 1)
    assert.deepStrictEqual(result.w, { "202401": 1, "202402": 1 })
  })

  it("adds large integers exactly before rounding the total once", () => {
    const plan = QueryPlan.make(
      {
        eventName: "Charged",
        from: day(2024, 1, 1),
        to: day(2024, 1, 1),
        measure: Measure.sum("Amount"),
        groups: [{ name: "d", granularity: "daily" }],
      },
      Account.make("a"),
    )
    const ts = Date.UTC(2024, 0, 1, 12) / 1000
    // Added as doubles, each +1 to 2^53 is rounded away and the total stays 2^53.
    const amounts = [Number.MAX_SAFE_INTEGER, 1, 1, 1, 1]
    const events = amounts.map((Amount) => ({
      name: "Charged",
      profile: "identity:x",
      ts,
      properties: { Amount },
    }))
    const exact = BigInt(Number.MAX_SAFE_INTEGER) + 4n
    assert.strictEqual(Aggregator.aggregate(plan, events).d?.["20240101"], Number(exact))
  })

  it("sums integers only", () => {
    assert.strictEqual(Aggregator.summand(42), 42)
    assert.strictEqual(Aggregator.summand(-3), -3)
    for (const v of [
      1.5,
      "42",
      true,
      null,
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      {},
    ]) {
      assert.strictEqual(Aggregator.summand(v), 0, String(v))
    }
  })
})
