import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Effect from "effect/Effect"

const account = Account.make("acme", { timeZone: "Asia/Kolkata" })
const range = { event_name: "Charged", from: 20170101, to: 20170131 }
const at = (day: number) => Date.UTC(2017, 0, day, 12) / 1000

describe("TopCounts.decode", () => {
  it.effect("reads groups with their defaults into a plan", () =>
    Effect.gen(function* () {
      const request = yield* TopCounts.decode({
        ...range,
        event_properties: [{ name: "Amount", operator: "greater_than", value: 1 }],
        groups: {
          items: { property_type: "event_properties", name: "Item" },
          plans: { property_type: "profile_fields", name: "Plan", top_n: 2, order: "asc" },
        },
      })
      const plan = TopCounts.plan(request, account)
      assert.deepStrictEqual(plan.groups, [
        { name: "items", source: "event", property: "Item", topN: 10, order: "desc" },
        { name: "plans", source: "profile", property: "Plan", topN: 2, order: "asc" },
      ])
      assert.deepStrictEqual(plan.filters.event, [
        { name: "Amount", operator: "greater_than", values: [1] },
      ])
      // The range's days are Kolkata's.
      assert.strictEqual(plan.start, Date.UTC(2016, 11, 31, 18, 30) / 1000)
    }),
  )

  it.effect("names every bad group and how to fix it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        TopCounts.decode({
          ...range,
          groups: {
            geo: { property_type: "geo_fields", name: "City" },
            none: { property_type: "event_properties", name: "" },
            many: { property_type: "event_properties", name: "Item", top_n: 101 },
            status: { property_type: "event_properties", name: "Item" },
            odd: { property_type: "event_properties", name: "Item", order: "random" },
          },
        }),
      )
      const byPath = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]))
      assert.strictEqual(
        byPath["groups.geo.property_type"],
        '"geo_fields" is not data Trendline stores: use "event_properties" (the event\'s properties) or "profile_fields" (the fields of the profile that did it)',
      )
      assert.strictEqual(byPath["groups.none.name"], 'must name a property, e.g. "Plan"')
      assert.strictEqual(byPath["groups.many.top_n"], "must be between 1 and 100; it is 101")
      assert.include(byPath["groups.status"], '"status" is reserved')
      assert.isDefined(byPath["groups.odd.order"])
    }),
  )
})

describe("TopCounts.reference", () => {
  const planOf = (groups: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    TopCounts.plan(Effect.runSync(TopCounts.decode({ ...range, ...extra, groups })), account)
  const charged = (profile: string, day: number, properties: Record<string, unknown>) => ({
    name: "Charged",
    profile,
    ts: at(day),
    properties,
  })
  const events = [
    charged("a", 1, { Item: "pizza", Size: 5 }),
    charged("a", 2, { Item: "pizza", Size: "5" }),
    charged("b", 2, { Item: "pasta", Size: 5 }),
    charged("c", 3, { Item: "salad", Paid: true }),
    charged("c", 4, { Item: "pasta" }),
    charged("d", 5, { Item: "pizza" }),
    { name: "Viewed", profile: "a", ts: at(2), properties: { Item: "pasta" } },
    charged("a", 40, { Item: "pasta" }),
  ]
  const fields: Record<string, Record<string, unknown>> = {
    a: { Plan: "pro" },
    b: { Plan: "free" },
    c: { Plan: "pro" },
  }

  it("ranks a property's values by the events that have them, most or least first", () => {
    const result = TopCounts.reference(
      planOf({
        top: { property_type: "event_properties", name: "Item" },
        least: { property_type: "event_properties", name: "Item", order: "asc", top_n: 2 },
        sizes: { property_type: "event_properties", name: "Size" },
        plans: { property_type: "profile_fields", name: "Plan" },
      }),
      events,
      (profile) => fields[profile],
    )
    assert.deepStrictEqual(result.top, [
      { value: "pizza", count: 3 },
      { value: "pasta", count: 2 },
      { value: "salad", count: 1 },
    ])
    assert.deepStrictEqual(result.least, [
      { value: "salad", count: 1 },
      { value: "pasta", count: 2 },
    ])
    // 5 and "5" are two values; events without the property count for none.
    assert.deepStrictEqual(result.sizes, [
      { value: 5, count: 2 },
      { value: "5", count: 1 },
    ])
    // Profile d has no record: its event counts for no plan.
    assert.deepStrictEqual(result.plans, [
      { value: "pro", count: 4 },
      { value: "free", count: 1 },
    ])
  })

  it("counts only the events that match the filters", () => {
    const result = TopCounts.reference(
      planOf(
        { top: { property_type: "event_properties", name: "Item" } },
        { common_profile_properties: [{ name: "Plan", operator: "equals", value: "pro" }] },
      ),
      events,
      (profile) => fields[profile],
    )
    assert.deepStrictEqual(result.top, [
      { value: "pizza", count: 2 },
      { value: "pasta", count: 1 },
      { value: "salad", count: 1 },
    ])
  })

  it("breaks ties by the value's JSON text in UTF-8 bytes, as SQL compares text", () => {
    // In UTF-16 the emoji (D83D …) sorts before U+FF5E; in UTF-8 (F0 … against EF …) after.
    const ranked = TopCounts.rank(
      new Map([
        [JSON.stringify("😀"), 1],
        [JSON.stringify("～"), 1],
        [JSON.stringify(true), 1],
        [JSON.stringify(12), 1],
      ]),
      { topN: 10, order: "desc" },
    )
    // JSON texts: "～" (22 EF …), "😀" (22 F0 …), 12 (31 32), true (74 …).
    assert.deepStrictEqual(
      ranked.map((entry) => entry.value),
      ["～", "😀", 12, true],
    )
  })
})
