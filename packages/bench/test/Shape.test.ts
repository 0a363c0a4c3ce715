import { assert, describe, it } from "@effect/vitest"
import * as Filter from "@trendline/core/Filter"
import * as Dataset from "../src/Dataset.ts"
import * as Shape from "../src/Shape.ts"

describe("Shape", () => {
  it("has the top event's count daily and profiles weekly with Platform equals ios as filtered shapes", () => {
    assert.deepStrictEqual(Shape.filtered.map(Shape.label), [
      'count daily · App Opened · Platform equals "ios"',
      'profiles weekly · App Opened · Platform equals "ios"',
    ])
    for (const shape of Shape.filtered) {
      // Each has its unfiltered shape among the shapes, to be compared with.
      const plain = Shape.unfiltered(shape)
      assert.isUndefined(plain.filter)
      assert.strictEqual(Shape.all.filter((s) => Shape.same(s, plain)).length, 1)
      assert.isFalse(Shape.same(shape, plain))
    }
  })

  it("sends the filter as event_properties, which core reads into the plan", () => {
    const [shape] = Shape.filtered
    const request = Shape.request(shape!)
    assert.deepStrictEqual(request.event_properties, [
      { name: Dataset.platformProperty, operator: "equals", value: "ios" },
    ])
    assert.isUndefined(request.common_profile_properties)
    assert.deepStrictEqual(Shape.plan(shape!).filters, {
      event: [{ name: "Platform", operator: "equals", values: ["ios"] }],
      profile: [],
    })
    // The empty answer has the unfiltered shape's buckets.
    assert.deepStrictEqual(Shape.emptyAnswer(shape!), Shape.emptyAnswer(Shape.unfiltered(shape!)))
    // Without a filter, no event_properties and no filter in the plan.
    assert.notProperty(Shape.request(Shape.all[0]!), "event_properties")
    assert.deepStrictEqual(Shape.plan(Shape.all[0]!).filters, Filter.none)
  })

  it("gives the hand-written SQL one text equality, and refuses any other filter", () => {
    assert.deepStrictEqual(Shape.textEquality(Shape.filtered[0]!), {
      property: "Platform",
      value: "ios",
    })
    assert.isUndefined(Shape.textEquality(Shape.all[0]!))
    const other = (filter: Filter.Entry) => () => Shape.textEquality({ ...Shape.all[0]!, filter })
    assert.throws(other({ name: "Platform", operator: "not_equals", value: "ios" }), /not_equals/)
    assert.throws(other({ name: "Amount", operator: "equals", value: 5 }), /one text equality/)
    assert.throws(other({ name: "Platform", operator: "equals", value: ["ios", "web"] }))
    assert.strictEqual(
      Shape.filterLabel({ name: "Platform", operator: "equals", value: ["ios", "web"] }),
      'Platform equals "ios" or "web"',
    )
    assert.strictEqual(
      Shape.filterLabel({ name: "Platform", operator: "exists" }),
      "Platform exists",
    )
  })
})
