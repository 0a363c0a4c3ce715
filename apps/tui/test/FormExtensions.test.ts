// The query form's hourly groups, comparison, rolling windows and breakdown as pure
// functions: the choices and their keys, the wire body they stand for, and the issues
// (core's, by the field that sets them, and the form's own).
import * as Calendar from "@trendline/core/Calendar"
import * as Limits from "@trendline/core/Limits"
import { describe, expect, it } from "vitest"
import { withPreset } from "../src/form/Draft.ts"
import { rollingProblem } from "../src/form/Issues.ts"
import * as QueryForm from "../src/form/QueryForm.ts"
import { noKey } from "./keys.ts"

const today = Calendar.unsafeMakeDay(2026, 11, 26)
const context = { eventNames: [], today }
const draft: QueryForm.Draft = { ...QueryForm.initialDraft(today), eventName: "Charged" }
const group = (id: number, trendType: QueryForm.TrendType): QueryForm.Group => ({
  id,
  name: trendType,
  trendType,
  named: false,
})

const press = (state: QueryForm.FormState, key: Partial<typeof noKey>, input = "") =>
  QueryForm.onKey(state, input, { ...noKey, ...key }, context).state
const focusOn = (state: QueryForm.FormState, field: QueryForm.FieldId) => {
  let next = state
  for (let i = 0; i < 30 && next.focus !== field; i++) next = press(next, { downArrow: true })
  expect(next.focus).toBe(field)
  return next
}

describe("hourly groups in the form", () => {
  it("are a trend choice, before daily, named after it until a name is typed", () => {
    expect(QueryForm.trendTypes).toEqual([
      "hourly",
      "daily",
      "weekly",
      "monthly",
      "quarterly",
      "yearly",
    ])
    let state = focusOn(QueryForm.initialState(today), "group:0:type")
    state = press(state, { leftArrow: true })
    expect(state.draft.groups[0]).toMatchObject({ trendType: "hourly", name: "hourly" })
    expect(QueryForm.toWireBody(state.draft).groups).toEqual({ hourly: { trend_type: "hourly" } })
    state = press(state, { leftArrow: true })
    expect(state.draft.groups[0]?.trendType).toBe("yearly")
  })

  it("are never what a new group takes: the next unused type of whole days", () => {
    let state = QueryForm.initialState(today)
    const added: Array<QueryForm.TrendType> = []
    for (let i = 0; i < 6; i++) {
      state = QueryForm.addGroup(state)
      added.push(state.draft.groups.at(-1)!.trendType)
    }
    expect(added).toEqual(["weekly", "monthly", "quarterly", "yearly", "daily", "daily"])
    expect(QueryForm.addedTrendTypes).not.toContain("hourly")
  })

  it("cover core's most days: a longer range is refused under To, in core's words", () => {
    const hourly = { ...draft, groups: [group(0, "hourly")] }
    const limit = Limits.defaults.maxHourlyDays
    const within = withPreset(hourly, "last30", today)
    expect(QueryForm.issuesOf(within).size).toBe(0)
    const longer = withPreset(hourly, "last90", today)
    const issues = QueryForm.issuesOf(longer)
    expect([...issues.keys()]).toEqual(["to"])
    expect(issues.get("to")?.[0]).toMatch(
      new RegExp(
        `^the range covers 90 days but a range with an hourly group \\("hourly"\\) covers at most ${limit};`,
      ),
    )
    // Enter takes the keyboard to it, and runs nothing.
    const { state, command } = QueryForm.onKey(
      { ...QueryForm.initialState(today), draft: longer },
      "",
      { ...noKey, return: true },
      context,
    )
    expect(command).toBeUndefined()
    expect(state.focus).toBe("to")
    expect(QueryForm.isShown(state, "to")).toBe(true)
  })
})

describe("Compare and Rolling in the form", () => {
  it("follow Extras, and cycle their choices with ← and →", () => {
    let state = QueryForm.initialState(today)
    expect(QueryForm.fieldsOf(state.draft).slice(-3)).toEqual(["extras", "compare", "rolling"])
    state = focusOn(state, "compare")
    const compares = [state.draft.compare]
    for (let i = 0; i < 3; i++) {
      state = press(state, { rightArrow: true })
      compares.push(state.draft.compare)
    }
    expect(compares).toEqual(["off", "previous_period", "previous_year", "off"])
    state = press(state, { leftArrow: true })
    expect(state.draft.compare).toBe("previous_year")
    state = press(state, { downArrow: true })
    expect(state.focus).toBe("rolling")
    const windows = [state.draft.rolling]
    for (let i = 0; i < QueryForm.rollingChoices.length; i++) {
      state = press(state, {}, " ")
      windows.push(state.draft.rolling)
    }
    expect(windows).toEqual([...QueryForm.rollingChoices, 0])
    expect(QueryForm.rollingChoices.map(QueryForm.rollingLabel)).toEqual([
      "off",
      "7 days",
      "14 days",
      "28 days",
      "30 days",
      "90 days",
    ])
  })

  it("ask for a comparison, and for windows on the daily groups only", () => {
    const asked = {
      ...draft,
      compare: "previous_year" as const,
      rolling: 30,
      groups: [
        group(0, "daily"),
        group(1, "weekly"),
        group(2, "hourly"),
        { ...group(3, "daily"), name: "days" },
      ],
    }
    const body = QueryForm.toWireBody(asked)
    expect(body.compare).toBe("previous_year")
    expect(body.groups).toEqual({
      daily: { trend_type: "daily", rolling: 30 },
      weekly: { trend_type: "weekly" },
      hourly: { trend_type: "hourly" },
      days: { trend_type: "daily", rolling: 30 },
    })
    expect(QueryForm.issuesOf(asked).size).toBe(0)
    // Off: nothing is sent, the hosted API's body.
    const plain = QueryForm.toWireBody(draft)
    expect(plain).not.toHaveProperty("compare")
    expect(plain.groups).toEqual({ daily: { trend_type: "daily" } })
    // Top values take none of them.
    const top = QueryForm.toWireBody({ ...asked, measure: "top", topProperty: "Plan" })
    expect(top).not.toHaveProperty("compare")
    expect(QueryForm.fieldsOf({ ...asked, measure: "top" })).not.toContain("rolling")
  })

  it("say so under Rolling when no group is daily, as the form's own issue", () => {
    const weekly = { ...draft, rolling: 7, groups: [group(0, "weekly")] }
    expect(QueryForm.issuesOf(weekly).get("rolling")).toEqual([rollingProblem])
    expect(QueryForm.toWireBody(weekly).groups).toEqual({ weekly: { trend_type: "weekly" } })
    expect(QueryForm.issuesOf({ ...weekly, rolling: 0 }).size).toBe(0)
  })
})

describe("Breakdown in the form", () => {
  it("follows the filters, takes typed text, and breaks every group down by the property", () => {
    const fields = QueryForm.fieldsOf(draft)
    expect(fields.indexOf("breakdown")).toBe(fields.indexOf("profileWhere") + 1)
    expect(QueryForm.isTextField("breakdown")).toBe(true)
    let state = focusOn(QueryForm.initialState(today), "breakdown")
    for (const char of " Platform ") state = press(state, {}, char)
    expect(state.draft.breakdown).toBe(" Platform ")
    const body = QueryForm.toWireBody({
      ...state.draft,
      groups: [group(0, "daily"), group(1, "hourly")],
    })
    const breakdown = { property_type: "event_properties", name: "Platform" }
    expect(body.groups).toEqual({
      daily: { trend_type: "daily", breakdown },
      hourly: { trend_type: "hourly", breakdown },
    })
  })

  it("suggests the event's property names", () => {
    let state = focusOn(QueryForm.initialState(today), "breakdown")
    state = press(state, {}, "pl")
    const vocabulary = {
      eventNames: [],
      propertyNames: {
        eventName: "",
        names: { event: ["Amount", "Platform", "Plan type"], profile: ["Plan"] },
      },
    }
    expect(QueryForm.usesPropertyNames("breakdown")).toBe(true)
    expect(QueryForm.openSuggestions(state, vocabulary)?.names).toEqual(["Platform", "Plan type"])
  })

  it("shows core's issue with it under Breakdown, and one with the comparison under Compare", () => {
    const long = "x".repeat(Limits.defaults.maxPropertyNameLength + 1)
    const issues = QueryForm.issuesOf({ ...draft, breakdown: long })
    expect([...issues.keys()]).toEqual(["breakdown"])
    // Core refuses a comparison that reaches before the year 1000.
    const early = QueryForm.issuesOf({
      ...draft,
      from: "10000101",
      to: "10000105",
      preset: "custom",
      compare: "previous_year",
    })
    expect([...early.keys()]).toEqual(["compare"])
  })
})
