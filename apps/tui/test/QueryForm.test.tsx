import * as Calendar from "@trendline/core/Calendar"
import * as Option from "effect/Option"
import type { Key } from "ink"
import { describe, expect, it } from "vitest"
import * as QueryForm from "../src/form/QueryForm.ts"
import * as TextEdit from "../src/form/TextEdit.ts"
import { noKey } from "./keys.ts"

const today = Calendar.unsafeMakeDay(2026, 11, 26)
const keysOf = (range: { readonly from: Calendar.Day; readonly to: Calendar.Day } | undefined) =>
  range === undefined ? undefined : [range.from, range.to].map(Calendar.formatDateKey)
const range = (preset: QueryForm.Preset) => keysOf(QueryForm.presetRange(preset, today))

describe("presets", () => {
  it("count back from today, both ends included", () => {
    expect(range("last7")).toEqual(["20261120", "20261126"])
    expect(range("last30")).toEqual(["20261028", "20261126"])
    expect(range("last90")).toEqual(["20260829", "20261126"])
    expect(range("thisMonth")).toEqual(["20261101", "20261126"])
    expect(range("lastMonth")).toEqual(["20261001", "20261031"])
    expect(range("thisYear")).toEqual(["20260101", "20261126"])
    expect(keysOf(QueryForm.presetRange("lastMonth", Calendar.unsafeMakeDay(2026, 1, 15)))).toEqual(
      ["20251201", "20251231"],
    )
    expect(range("custom")).toBeUndefined()
  })

  it("fill the dates when chosen, and typing a date makes the range custom", () => {
    const context = { eventNames: [], today }
    let state = QueryForm.initialState(today)
    expect(state.draft).toMatchObject({ preset: "last30", from: "20261028", to: "20261126" })
    state = QueryForm.onKey(state, "", { ...noKey, downArrow: true }, context).state
    expect(state.focus).toBe("preset")
    state = QueryForm.onKey(state, "", { ...noKey, leftArrow: true }, context).state
    expect(state.draft).toMatchObject({ preset: "last7", from: "20261120", to: "20261126" })
    state = QueryForm.onKey(state, "", { ...noKey, downArrow: true }, context).state
    state = QueryForm.onKey(state, "", { ...noKey, backspace: true }, context).state
    expect(state.draft).toMatchObject({ preset: "custom", from: "2026112", to: "20261126" })
  })
})

describe("typed dates", () => {
  it("are read by core's Calendar.parseDay: YYYYMMDD or YYYY-MM-DD", () => {
    expect(QueryForm.dateValue("20261028")).toBe(20261028)
    expect(QueryForm.dateValue(" 2026-10-28 ")).toBe(20261028)
    expect(QueryForm.dateValue("  ")).toBeUndefined()
    expect(QueryForm.dateValue("2026-1-5")).toBe("2026-1-5")
    expect(QueryForm.dateValue("20260230")).toBe("20260230")
    expect(Option.getOrThrow(QueryForm.parseDate("2026-10-28"))).toBe(
      Calendar.unsafeMakeDay(2026, 10, 28),
    )
    expect(Option.isNone(QueryForm.parseDate("20260230"))).toBe(true)
  })

  it("that are not days show parseDay's reason under their field, once", () => {
    const draft = { ...QueryForm.initialDraft(today), eventName: "Charged" }
    const issues = QueryForm.issuesOf({ ...draft, from: "20260230", to: "jan" })
    expect(issues.get("from")).toEqual([
      "20260230 is not a real calendar date: February 2026 has 28 days",
    ])
    expect(issues.get("to")).toHaveLength(1)
    expect(issues.get("to")?.[0]).toMatch(/^"jan" is not a date; give it as YYYYMMDD or YYYY-MM-DD/)
    // A blank date is missing, in core's words; a range the wrong way round is core's too.
    expect(QueryForm.issuesOf({ ...draft, from: "" }).get("from")?.[0]).toMatch(/^is missing/)
    expect(
      QueryForm.issuesOf({ ...draft, from: "2026-11-26", to: "2026-11-01" }).get("from")?.[0],
    ).toMatch(/is after "to"/)
  })
})

describe("the draft", () => {
  const draft = { ...QueryForm.initialDraft(today), eventName: " Charged " }

  it("is sent as the wire body it stands for", () => {
    expect(QueryForm.toWireBody({ ...draft, measure: "sum", property: "Amount" })).toEqual({
      event_name: "Charged",
      from: 20261028,
      to: 20261126,
      sum_event_prop: "Amount",
      groups: { daily: { trend_type: "daily" } },
    })
    expect(
      QueryForm.toWireBody({ ...draft, from: "2026-10-28", measure: "profiles" }),
    ).toMatchObject({
      from: 20261028,
      unique: true,
    })
  })

  it("has core's issues by field, and names a group used twice", () => {
    const issues = QueryForm.issuesOf({
      ...draft,
      eventName: "",
      to: "",
      measure: "sum",
      property: " ",
      groups: [
        { id: 0, name: "days", trendType: "daily", named: true },
        { id: 1, name: "days", trendType: "weekly", named: true },
      ],
    })
    expect(issues.get("event")?.[0]).toMatch(/^must not be empty/)
    expect(issues.get("to")?.[0]).toMatch(/^is missing/)
    expect(issues.get("property")?.[0]).toMatch(/^must not be empty/)
    expect(issues.get("group:1:name")?.[0]).toMatch(/names another group too/)
    expect(QueryForm.issuesOf(draft).size).toBe(0)
  })

  it("shows a group's own issue under that group, and a count issue under the groups", () => {
    const groups = Array.from({ length: 6 }, (_, id) => ({
      id,
      name: id === 4 ? "" : `g${id}`,
      trendType: "daily" as const,
      named: true,
    }))
    const issues = QueryForm.issuesOf({ ...draft, groups })
    expect(issues.get("group:4:name")?.[0]).toMatch(/empty name/)
    expect(issues.get("groups")?.[0]).toMatch(/^has 6 groups but at most 5/)
  })
})

describe("keys", () => {
  const context = { eventNames: ["Charged"], today }
  const press = (state: QueryForm.FormState, input: string, key: Partial<Key> = {}) =>
    QueryForm.onKey(state, input, { ...noKey, ...key }, context)

  it("keep measures exclusive: unique and sum are one choice", () => {
    let state = QueryForm.initialState(today)
    for (let i = 0; i < 4; i++) state = press(state, "", { downArrow: true }).state
    expect(state.focus).toBe("measure")
    state = press(state, "", { rightArrow: true }).state
    expect(QueryForm.toWireBody(state.draft)).toMatchObject({ unique: true })
    state = press(state, "", { rightArrow: true }).state
    const body = QueryForm.toWireBody(state.draft)
    expect(body).toMatchObject({ sum_event_prop: "Amount" })
    expect(body).not.toHaveProperty("unique")
  })

  it("add a group of the next trend type and remove it again", () => {
    let state = press(QueryForm.initialState(today), "n", { ctrl: true }).state
    expect(state.draft.groups.map((group) => group.name)).toEqual(["daily", "weekly"])
    expect(state.focus).toBe("group:1:name")
    state = press(state, "x", { ctrl: true }).state
    expect(state.draft.groups.map((group) => group.name)).toEqual(["daily"])
  })
})

describe("TextEdit.keystrokes", () => {
  it("splits keys that arrived together into one keystroke each", () => {
    const split = TextEdit.keystrokes("\t\tab\u007f\u0015", noKey)
    expect(split.map(([input, key]) => [input, key.tab, key.backspace, key.ctrl])).toEqual([
      ["", true, false, false],
      ["", true, false, false],
      ["ab", false, false, false],
      ["", false, true, false],
      ["u", false, false, true],
    ])
  })

  it("splits an Enter off text that arrived with it", () => {
    expect(
      TextEdit.keystrokes("out.csv\r", noKey).map(([input, key]) => [input, key.return]),
    ).toEqual([
      ["out.csv", false],
      ["\r", true],
    ])
  })
})
