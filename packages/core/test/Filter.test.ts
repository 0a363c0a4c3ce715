import { assert, describe, it } from "@effect/vitest"
import * as Filter from "@trendline/core/Filter"
import * as Either from "effect/Either"
import * as fc from "fast-check"

const entry = (name: string, operator: string, value?: unknown) =>
  value === undefined ? { name, operator } : { name, operator, value }

const decoded = (body: Record<string, unknown>): Filter.Filters => {
  const filters = Filter.decode(body)
  if (Either.isLeft(filters)) throw new Error(JSON.stringify(filters.left))
  return filters.right
}

const issues = (body: Record<string, unknown>) => {
  const filters = Filter.decode(body)
  if (Either.isRight(filters)) throw new Error(`expected issues, got ${JSON.stringify(filters)}`)
  return filters.left
}

const event = (list: ReadonlyArray<unknown>) => ({ event_properties: list })

describe("Filter.decode", () => {
  it("reads both lists, absent ones as none, booleans as the strings True and False", () => {
    assert.deepStrictEqual(decoded({}), Filter.none)
    assert.deepStrictEqual(
      decoded({
        event_properties: [
          entry("value", "contains", "piz"),
          entry("Amount", "greater_than_equals", 10),
          entry("Paid", "equals", true),
          entry("Coupon", "does_not_exist"),
        ],
        common_profile_properties: [entry("Plan", "equals", ["pro", "team", 3])],
      }),
      {
        event: [
          { name: "value", operator: "contains", values: ["piz"] },
          { name: "Amount", operator: "greater_than_equals", values: [10] },
          { name: "Paid", operator: "equals", values: ["True"] },
          { name: "Coupon", operator: "does_not_exist", values: [] },
        ],
        profile: [{ name: "Plan", operator: "equals", values: ["pro", "team", 3] }],
      },
    )
  })

  it("names every bad entry and says how to fix it", () => {
    assert.deepStrictEqual(
      issues({
        event_properties: [
          entry("Amount", "bigger_than", 3),
          entry("Amount", "greater_than", "abc"),
          entry("Amount", "greater_than", "12"),
          entry("City", "contains", 5),
          entry("City", "equals", []),
          entry("City", "equals", { nested: 1 }),
          entry("City", "equals", ["ok", ["nested"]]),
          entry("City", "exists", "x"),
          entry("City", "equals"),
          entry("", "equals", "x"),
          "City = x",
        ],
        common_profile_properties: { name: "Plan" },
      }),
      [
        {
          path: "event_properties[0].operator",
          message:
            'must be one of equals, not_equals, contains, does_not_contain, exists, does_not_exist, greater_than, greater_than_equals, less_than, less_than_equals; it is the text "bigger_than"',
        },
        {
          path: "event_properties[1].value",
          message: '"greater_than" compares numbers; the value is the text "abc": send a number',
        },
        {
          path: "event_properties[2].value",
          message: '"greater_than" compares numbers: send 12, not the text "12"',
        },
        {
          path: "event_properties[3].value",
          message:
            '"contains" looks for text; the value is the number 5: send it as text ("5") or use "equals"',
        },
        {
          path: "event_properties[4].value",
          message: "is an empty list: list at least one value, or remove the entry",
        },
        {
          path: "event_properties[5].value",
          message:
            "must be text, a number, or a list of them; it is an object (nested lists and objects are not filters)",
        },
        {
          path: "event_properties[6].value[1]",
          message:
            "must be text, a number, or a list of them; it is a list (nested lists and objects are not filters)",
        },
        { path: "event_properties[7].value", message: '"exists" takes no value: remove "value"' },
        {
          path: "event_properties[8].value",
          message: '"equals" needs a value (text or number, or a list of them); it is missing',
        },
        {
          path: "event_properties[9].name",
          message: 'must name a property (non-empty text); it is the text ""',
        },
        {
          path: "event_properties[10]",
          message:
            'must be an object {"name": …, "operator": …, "value": …}; it is the text "City = x"',
        },
        {
          path: "common_profile_properties",
          message: 'must be a list of {"name", "operator", "value"} entries; it is an object',
        },
      ],
    )
  })

  it("refuses more entries or values than it takes, and values no upload could store", () => {
    const many = Array.from({ length: Filter.maxConditions + 1 }, () => entry("a", "exists"))
    assert.deepStrictEqual(issues(event(many)), [
      { path: "event_properties", message: "has 21 entries; at most 20 are allowed" },
    ])
    const values = Array.from({ length: Filter.maxValues + 1 }, (_, i) => i)
    assert.deepStrictEqual(issues(event([entry("a", "equals", values)])), [
      {
        path: "event_properties[0].value",
        message: "lists 101 values; at most 100 are allowed: split the query",
      },
    ])
    assert.strictEqual(
      issues(event([entry("a", "contains", "x".repeat(513))]))[0]!.message,
      "is longer than 512 bytes, the longest property value an upload stores: no property can equal or contain it",
    )
  })
})

const only = (operator: Filter.Operator, ...values: Array<Filter.Value>): Filter.Condition => ({
  name: "p",
  operator,
  values,
})
const holds = (condition: Filter.Condition, property?: unknown) =>
  Filter.satisfies(condition, property === undefined ? {} : { p: property })

describe("Filter.satisfies", () => {
  it("matches a missing property with does_not_exist only", () => {
    for (const operator of Object.keys(Filter.operators) as Array<Filter.Operator>)
      assert.strictEqual(holds(only(operator, "x")), operator === "does_not_exist", operator)
    assert.isFalse(Filter.satisfies(only("not_equals", "x"), undefined))
    assert.isTrue(Filter.satisfies(only("does_not_exist"), undefined))
  })

  it("compares text exactly, numbers as numbers, and booleans as True and False", () => {
    assert.isTrue(holds(only("equals", "pizza"), "pizza"))
    assert.isFalse(holds(only("equals", "Pizza"), "pizza"))
    assert.isTrue(holds(only("contains", "piz"), "pizza"))
    assert.isFalse(holds(only("contains", "PIZ"), "pizza"))
    assert.isTrue(holds(only("does_not_contain", "sushi"), "pizza"))
    assert.isFalse(holds(only("equals", "5"), 5))
    assert.isFalse(holds(only("equals", 5), "5"))
    assert.isFalse(holds(only("contains", "5"), 15))
    assert.isTrue(holds(only("equals", 5), 5))
    assert.isTrue(holds(only("greater_than", 5), 6))
    assert.isFalse(holds(only("greater_than", 5), 5))
    assert.isTrue(holds(only("greater_than_equals", 5), 5))
    assert.isTrue(holds(only("less_than", 5), -1))
    assert.isTrue(holds(only("less_than_equals", 5), 5))
    assert.isFalse(holds(only("less_than", 5), "1"))
    assert.isTrue(holds(only("equals", "True"), true))
    assert.isTrue(holds(only("equals", "false"), false))
    assert.isFalse(holds(only("equals", "True"), false))
    assert.isTrue(holds(only("not_equals", "True"), false))
    assert.isTrue(holds(only("exists"), false))
    assert.isTrue(holds(only("exists"), 0))
  })

  it("reads a list as any of its values, and as none of them for the negations", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Filter.Operator>(
          "equals",
          "not_equals",
          "contains",
          "does_not_contain",
          "greater_than",
          "less_than_equals",
        ),
        fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -5, max: 5 })),
        fc.array(fc.oneof(fc.string({ maxLength: 2 }), fc.integer({ min: -5, max: 5 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (operator, property, values) => {
          const negated = operator === "not_equals" || operator === "does_not_contain"
          const each = values.map((value) => holds(only(operator, value), property))
          const all = holds(only(operator, ...values), property)
          return all === (negated ? each.every(Boolean) : each.some(Boolean))
        },
      ),
    )
  })

  it("holds for an event when every event entry and every profile entry does", () => {
    const filters = decoded({
      event_properties: [entry("Amount", "greater_than", 10), entry("Coupon", "does_not_exist")],
      common_profile_properties: [entry("Plan", "equals", ["pro", "team"])],
    })
    assert.isTrue(Filter.matches(filters, { Amount: 11 }, { Plan: "team" }))
    assert.isFalse(Filter.matches(filters, { Amount: 11, Coupon: "X" }, { Plan: "team" }))
    assert.isFalse(Filter.matches(filters, { Amount: 10 }, { Plan: "team" }))
    assert.isFalse(Filter.matches(filters, { Amount: 11 }, { Plan: "free" }))
    // A profile never uploaded has no fields.
    assert.isFalse(Filter.matches(filters, { Amount: 11 }, undefined))
    assert.isTrue(Filter.matches(Filter.none, {}, undefined))
  })
})
