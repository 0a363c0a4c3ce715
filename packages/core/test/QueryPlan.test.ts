import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as QueryPlan from "@trendline/core/QueryPlan"

const day = Calendar.unsafeMakeDay

describe("QueryPlan", () => {
  const input: QueryPlan.Input = {
    eventName: "Charged",
    from: day(2016, 12, 24),
    to: day(2017, 1, 3),
    measure: QueryPlan.Measure.Sum({ property: "Amount" }),
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
    assert.deepStrictEqual(
      keys(QueryPlan.make(input, Account.make("a", { weekStart: "sunday" })))[1],
      ["201651", "201652", "201701"],
    )
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
