/**
 * The form's top values: the "top values of a property" measure asks `POST
 * /1/counts/top.json` for one property (or profile field), how many values and in which
 * order, with the same event, range and filters; core's `TopCounts.decode` judges it and
 * its issues show under the field that sets what is wrong.
 */
import * as Calendar from "@trendline/core/Calendar"
import type { Key } from "ink"
import { describe, expect, it } from "vitest"
import * as QueryForm from "../src/form/QueryForm.ts"
import { noKey } from "./keys.ts"

const today = Calendar.unsafeMakeDay(2026, 11, 26)
const draft: QueryForm.Draft = {
  ...QueryForm.initialDraft(today),
  eventName: "Charged",
  measure: "top",
  topProperty: " Category ",
}

describe("a top values draft", () => {
  it("is sent as a top values request of one group named after the property", () => {
    const request = QueryForm.toRequest({ ...draft, where: "Amount greater_than 50" })
    expect(request).toEqual({
      _tag: "Top",
      body: {
        event_name: "Charged",
        from: 20261028,
        to: 20261126,
        event_properties: [{ name: "Amount", operator: "greater_than", value: 50 }],
        groups: {
          Category: { property_type: "event_properties", name: "Category", top_n: 10 },
        },
      },
    })
    expect(QueryForm.toRequest({ ...draft, measure: "events" })._tag).toBe("Trends")
  })

  it("asks for a profile field, the least frequent first, and core's default when Show is blank", () => {
    const body = QueryForm.toWireBody({
      ...draft,
      topProperty: "Plan",
      topSource: "profile",
      topOrder: "asc",
      topN: " ",
    })
    expect(body.groups).toEqual({
      Plan: { property_type: "profile_fields", name: "Plan", order: "asc" },
    })
    expect(body).not.toHaveProperty("unique")
    expect(body).not.toHaveProperty("sum_event_prop")
  })

  it("names its group so that any property can be asked for", () => {
    expect(QueryForm.topGroupName("status")).toBe("status values")
    expect(QueryForm.topGroupName("__proto__")).toBe("__proto__ values")
    expect(QueryForm.topGroupName("  ")).toBe("values")
    expect(QueryForm.issuesOf({ ...draft, topProperty: "status" }).size).toBe(0)
    expect(QueryForm.issuesOf(draft).size).toBe(0)
  })
})

describe("a top values draft's issues", () => {
  it("show under the property when it is missing or too long, in core's words", () => {
    expect(QueryForm.issuesOf({ ...draft, topProperty: "  " }).get("topProperty")).toEqual([
      'must name a property, e.g. "Plan"',
    ])
    expect(
      QueryForm.issuesOf({ ...draft, topProperty: "x".repeat(300) }).get("topProperty"),
    ).toEqual(["is longer than 256 characters, the longest property name an upload stores"])
  })

  it("show under Show when it is not a whole number, or out of core's range", () => {
    expect(QueryForm.issuesOf({ ...draft, topN: "ten" }).get("topN")).toEqual([
      '"ten" is not a whole number: give how many values to show, from 1 to 100, e.g. 10',
    ])
    expect(QueryForm.issuesOf({ ...draft, topN: "2.5" }).get("topN")).toEqual([
      '"2.5" is not a whole number: give how many values to show, from 1 to 100, e.g. 10',
    ])
    expect(QueryForm.issuesOf({ ...draft, topN: "0" }).get("topN")).toEqual([
      "must be between 1 and 100; it is 0",
    ])
    expect(QueryForm.issuesOf({ ...draft, topN: "101" }).get("topN")).toEqual([
      "must be between 1 and 100; it is 101",
    ])
  })

  it("keep the event, range and filter issues of trends", () => {
    const issues = QueryForm.issuesOf({
      ...draft,
      eventName: "",
      from: "20261341",
      profileWhere: "Plan",
    })
    expect(issues.get("event")?.[0]).toMatch(/^must not be empty/)
    expect(issues.get("from")?.[0]).toMatch(/^20261341 is not a real calendar date/)
    expect(issues.get("profileWhere")?.[0]).toMatch(/^"Plan": give NAME OPERATOR VALUE/)
    expect([...issues.keys()].sort()).toEqual(["event", "from", "profileWhere"])
  })
})

describe("the top values fields", () => {
  const context = { eventNames: ["Charged"], today }
  const press = (state: QueryForm.FormState, input: string, key: Partial<Key> = {}) =>
    QueryForm.onKey(state, input, { ...noKey, ...key }, context)

  it("take the groups' place, and the choices change with ← →", () => {
    let state = QueryForm.initialState(today)
    for (let i = 0; i < 4; i++) state = press(state, "", { downArrow: true }).state
    for (let i = 0; i < 3; i++) state = press(state, "", { rightArrow: true }).state
    expect(state.draft.measure).toBe("top")
    expect(QueryForm.fieldsOf(state.draft)).toEqual([
      "event",
      "preset",
      "from",
      "to",
      "measure",
      "topProperty",
      "topSource",
      "topN",
      "topOrder",
      "where",
      "profileWhere",
    ])
    state = press(state, "", { downArrow: true }).state
    expect(state.focus).toBe("topProperty")
    state = press(state, "Plan").state
    state = press(state, "", { downArrow: true }).state
    state = press(state, "", { rightArrow: true }).state
    expect(state.draft.topSource).toBe("profile")
    state = press(state, "", { downArrow: true }).state
    expect(state.focus).toBe("topN")
    state = press(state, "u", { ctrl: true }).state
    state = press(state, "3").state
    state = press(state, "", { downArrow: true }).state
    state = press(state, "", { leftArrow: true }).state
    expect(state.draft.topOrder).toBe("asc")
    expect(QueryForm.toWireBody(state.draft).groups).toEqual({
      Plan: { property_type: "profile_fields", name: "Plan", top_n: 3, order: "asc" },
    })
  })

  it("have no trend groups to add or remove", () => {
    const state = { ...QueryForm.initialState(today), draft }
    const added = press(state, "n", { ctrl: true }).state
    expect(added.draft.groups).toEqual(state.draft.groups)
    expect(added.focus).toBe(state.focus)
  })

  it("run nothing while an issue is left, and Enter goes to the first field with one", () => {
    const state = { ...QueryForm.initialState(today), draft: { ...draft, topProperty: "" } }
    const pressed = press(state, "", { return: true })
    expect(pressed.command).toBeUndefined()
    expect(pressed.state.focus).toBe("topProperty")
    expect(press({ ...state, draft }, "", { return: true }).command).toBe("submit")
  })
})
