import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
import * as Filter from "@trendline/core/Filter"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Effect from "effect/Effect"
import * as Dataset from "../src/Dataset.ts"
import * as Shape from "../src/Shape.ts"
import * as TopShape from "../src/TopShape.ts"

describe("TopShape", () => {
  it("has the top 10 Amount and Platform of the top event and Amount of the rare event", () => {
    assert.deepStrictEqual(TopShape.all.map(TopShape.label), [
      "top 10 Amount · App Opened",
      "top 10 Platform · App Opened",
      "top 10 Amount · Charged",
    ])
    assert.deepStrictEqual(TopShape.all.map(TopShape.ofTopEvent), [true, true, false])
    assert.strictEqual(TopShape.topN, TopCounts.defaultTopN)
  })

  it("asks for one group of event properties over the data set's year, which core decodes and plans", async () => {
    const [amount] = TopShape.all
    const request = TopShape.request(amount!)
    // The wire body the server receives.
    assert.deepStrictEqual(TopCounts.encode(request), {
      event_name: "App Opened",
      from: 20250101,
      to: 20251231,
      groups: { top: { property_type: "event_properties", name: "Amount", top_n: 10 } },
    })
    // Valid as the server reads it, and the same request again.
    assert.deepStrictEqual(
      await Effect.runPromise(TopCounts.decode(TopCounts.encode(request))),
      request,
    )
    // The plan a store runs: the whole year in UTC, no filters, one event group.
    const plan = TopShape.plan(amount!)
    assert.strictEqual(plan.eventName, Dataset.topEvent)
    assert.strictEqual(plan.timeZone, "UTC")
    assert.strictEqual(plan.start, Calendar.startOfDay(Dataset.from, "UTC"))
    assert.strictEqual(plan.end, Calendar.startOfDay(Dataset.to + 1, "UTC"))
    assert.deepStrictEqual(plan.filters, Filter.none)
    assert.deepStrictEqual(plan.groups, [
      { name: "top", source: "event", property: Shape.sumProperty, topN: 10, order: "desc" },
    ])
    assert.deepStrictEqual(
      TopShape.plan(TopShape.all[1]!).groups.map((group) => group.property),
      [Dataset.platformProperty],
    )
  })

  it("answers non-empty lists on the data set: every event has Amount and Platform", () => {
    const dataset = Dataset.make({ events: 20_000 })
    const events = [...Dataset.events(dataset)]
    const [amount, platform, rare] = TopShape.all.map(
      (shape) => TopCounts.reference(TopShape.plan(shape), events)[TopShape.group]!,
    )
    assert.strictEqual(amount!.length, 10)
    assert.isTrue(amount!.every((entry) => Number.isInteger(entry.value)))
    // Three platforms, android the most frequent.
    assert.deepStrictEqual(
      platform!.map((entry) => entry.value),
      ["android", "ios", "web"],
    )
    assert.strictEqual(rare!.length, 10)
  })

  it("tells place by place how two lists differ", () => {
    const a = [
      { value: 5, count: 3 },
      { value: "ios", count: 2 },
    ]
    assert.deepStrictEqual(TopShape.differences(a, a), [])
    assert.deepStrictEqual(TopShape.differences(a, [{ value: "5", count: 3 }]), [
      '#1: expected 5 (3), got "5" (3)',
      '#2: expected "ios" (2), got no entry',
    ])
    assert.strictEqual(TopShape.describeEntry({ value: "ios", count: 8812 }), '"ios" (8,812)')
  })
})
