/**
 * The form's suggestions as pure functions: which part of a Where or Profile text is being
 * typed, how names match and are quoted, what each field suggests and for which event, and
 * the keys that take a suggestion.
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Filter from "@trendline/core/Filter"
import type { Key } from "ink"
import { describe, expect, it } from "vitest"
import { conditionsOf } from "../src/form/Conditions.ts"
import * as QueryForm from "../src/form/QueryForm.ts"
import { accept, matching, partAt, quoteName } from "../src/form/Suggestions.ts"
import { noKey } from "./keys.ts"

const today = Calendar.unsafeMakeDay(2026, 11, 26)

const charged = {
  event: ["Amount", "Category", "Shoe size"],
  profile: ["Country", "Plan", "Signup source"],
}
const vocabulary: QueryForm.Vocabulary = {
  eventNames: ["Charged", "Signed Up"],
  propertyNames: { eventName: "Charged", names: charged },
}

/** The form typing `text` into `field` of a Charged draft, the cursor at `cursor` (the end). */
const typing = (
  field: QueryForm.FieldId,
  text: string,
  draft: Partial<QueryForm.Draft> = {},
  cursor = text.length,
): QueryForm.FormState => {
  const base = { ...QueryForm.initialDraft(today), eventName: "Charged", ...draft }
  const texts: Partial<Record<QueryForm.FieldId, Partial<QueryForm.Draft>>> = {
    event: { eventName: text },
    where: { where: text },
    profileWhere: { profileWhere: text },
    topProperty: { topProperty: text },
    property: { property: text },
  }
  return {
    ...QueryForm.initialState(today),
    draft: { ...base, ...texts[field] },
    focus: field,
    cursor,
    typing: true,
  }
}

const open = (state: QueryForm.FormState, words: QueryForm.Vocabulary = vocabulary) =>
  QueryForm.openSuggestions(state, words)

describe("the part of a condition list being typed", () => {
  it("is the name of the condition under the cursor, after the last ; before it", () => {
    const text = "Amount greater_than 5; Pla"
    expect(partAt(text, text.length)).toEqual({ _tag: "Name", start: 23, end: 26, typed: "Pla" })
    // In the first condition's name: all of that name.
    expect(partAt(text, 3)).toEqual({ _tag: "Name", start: 0, end: 6, typed: "Amount" })
    // A ; inside a JSON string value does not end the condition.
    const quoted = 'Category equals "a;b"; Sh'
    expect(partAt(quoted, quoted.length)).toMatchObject({ _tag: "Name", typed: "Sh", start: 23 })
    // A new condition, nothing typed yet.
    expect(partAt("Amount equals 5; ", 17)).toEqual({ _tag: "Name", start: 17, end: 17, typed: "" })
  })

  it("reads a quoted name as Conditions does, closed or still open", () => {
    expect(partAt('"Shoe s', 7)).toEqual({ _tag: "Name", start: 0, end: 7, typed: "Shoe s" })
    expect(partAt('"say \\"hi', 9)).toMatchObject({ _tag: "Name", typed: 'say "hi' })
    const closed = '"Shoe size" eq'
    expect(partAt(closed, 11)).toMatchObject({ _tag: "Name", typed: "Shoe size", end: 11 })
    expect(partAt(closed, closed.length)).toEqual({
      _tag: "Operator",
      start: 12,
      end: 14,
      typed: "eq",
    })
  })

  it("is the operator once the name is followed by a space, and nothing in a value", () => {
    expect(partAt("Amount ", 7)).toEqual({ _tag: "Operator", start: 7, end: 7, typed: "" })
    expect(partAt("Amount gr", 9)).toEqual({ _tag: "Operator", start: 7, end: 9, typed: "gr" })
    expect(partAt("Amount greater_than 5", 21)).toBeUndefined()
    expect(partAt("Amount equals 5; Plan exists", 15)).toBeUndefined()
  })
})

describe("names", () => {
  it("match as event names do: prefix first, then inside, any case; none once exact", () => {
    const names = ["Amount", "Category", "Platform", "Shoe size"]
    expect(matching("a", names)).toEqual(["Amount", "Category", "Platform"])
    expect(matching("SH", names)).toEqual(["Shoe size"])
    expect(matching("amount", names)).toEqual(["Amount"])
    expect(matching("Amount", names)).toEqual([])
    expect(matching("", names)).toEqual(names)
  })

  it("are quoted only when Conditions could not read them back bare", () => {
    expect(quoteName("Amount")).toBe("Amount")
    expect(quoteName("back\\slash")).toBe("back\\slash")
    expect(quoteName("Shoe size")).toBe('"Shoe size"')
    const names = ["Amount", "Shoe size", 'say "hi"', "a;b", "tab\there", "back\\slash", "ünï", ""]
    for (const name of names) {
      expect(conditionsOf(`${quoteName(name)} equals 5; Other exists`).map((c) => c.entry)).toEqual(
        [
          { name, operator: "equals", value: 5 },
          { name: "Other", operator: "exists" },
        ],
      )
    }
  })
})

describe("what a field suggests", () => {
  it("in Where: the event's property names matching the condition's name", () => {
    expect(open(typing("where", "Amount equals 5; s"))).toEqual({
      kind: "property",
      names: ["Shoe size"],
      start: 17,
      end: 18,
      inCondition: true,
    })
    expect(open(typing("where", "a", { eventName: " Charged " }))?.names).toEqual([
      "Amount",
      "Category",
    ])
    // An empty condition is passed through; a complete name has nothing more to suggest.
    expect(open(typing("where", ""))).toBeUndefined()
    expect(open(typing("where", "Amount"))).toBeUndefined()
  })

  it("none for another event than the one the names were given for", () => {
    expect(open(typing("where", "a", { eventName: "Signed Up" }))).toBeUndefined()
    expect(open(typing("where", "a", { eventName: "Charge" }))).toBeUndefined()
    expect(open(typing("topProperty", "", { eventName: "Signed Up" }))).toBeUndefined()
  })

  it("in Profile: the account's profile fields, whatever the event", () => {
    expect(open(typing("profileWhere", "s"))?.names).toEqual(["Signup source"])
    expect(open(typing("profileWhere", "Plan equals pro; co", { eventName: "Signed Up" }))).toEqual(
      { kind: "profile", names: ["Country"], start: 17, end: 19, inCondition: true },
    )
  })

  it("in top values' Property: event properties or profile fields, as Source says", () => {
    expect(open(typing("topProperty", "", { measure: "top" }))).toMatchObject({
      kind: "property",
      names: charged.event,
      inCondition: false,
    })
    expect(open(typing("topProperty", "", { measure: "top", topSource: "profile" }))).toMatchObject(
      { kind: "profile", names: charged.profile },
    )
    expect(
      open(typing("topProperty", "s", { measure: "top", topSource: "profile" }))?.names,
    ).toEqual(["Signup source"])
    expect(open(typing("property", "am", { measure: "sum" }))?.names).toEqual(["Amount"])
  })

  it("core's operators once the name is followed by a space, none once one is complete", () => {
    expect(open(typing("where", "Amount "))?.names).toEqual(Object.keys(Filter.operators))
    expect(open(typing("where", "Amount gr"))).toMatchObject({
      kind: "operator",
      names: ["greater_than", "greater_than_equals"],
      start: 7,
      end: 9,
    })
    expect(open(typing("where", "Amount greater_than"))).toBeUndefined()
    expect(open(typing("where", "Amount greater_than 5"))).toBeUndefined()
    expect(QueryForm.operatorNote("greater_than")).toBe("number")
    expect(QueryForm.operatorNote("exists")).toBe("no value")
  })

  it("without property names (a remote server): no names, operators still", () => {
    const remote = { eventNames: [] }
    expect(open(typing("where", "a"), remote)).toBeUndefined()
    expect(open(typing("profileWhere", "p"), remote)).toBeUndefined()
    expect(open(typing("topProperty", "", { measure: "top" }), remote)).toBeUndefined()
    expect(open(typing("where", "Amount eq"), remote)?.names).toEqual([
      "equals",
      "not_equals",
      "greater_than_equals",
      "less_than_equals",
    ])
  })

  it("nothing while not typing, nor in fields without suggestions", () => {
    expect(open({ ...typing("where", "a"), typing: false })).toBeUndefined()
    expect(open(typing("where", "a", {}, 0))?.names).toEqual(["Amount", "Category"])
    expect(open({ ...typing("where", "a"), focus: "from" })).toBeUndefined()
  })
})

describe("taking a suggestion", () => {
  const take = (state: QueryForm.FormState, name: string) => {
    const suggestions = open(state)
    expect(suggestions?.names).toContain(name)
    const next = accept(state, suggestions!, name)
    return { text: QueryForm.textOf(next.draft, next.focus), cursor: next.cursor, state: next }
  }

  it("completes a condition's name, quoted when it must be, the cursor ready for the operator", () => {
    const taken = take(typing("where", "Amount equals 5; sh"), "Shoe size")
    expect(taken).toMatchObject({ text: 'Amount equals 5; "Shoe size" ', cursor: 29 })
    expect(open(taken.state)?.kind).toBe("operator")
    expect(take(typing("where", "am"), "Amount")).toMatchObject({ text: "Amount ", cursor: 7 })
    expect(take(typing("profileWhere", '"sig'), "Signup source").text).toBe('"Signup source" ')
  })

  it("replaces the whole name under the cursor and keeps the rest of the text", () => {
    expect(take(typing("where", "Am equals 5; Plan exists", {}, 1), "Amount")).toMatchObject({
      text: "Amount equals 5; Plan exists",
      cursor: 7,
    })
  })

  it("completes an operator, with a space unless it takes no value", () => {
    expect(take(typing("where", "Amount gr"), "greater_than")).toMatchObject({
      text: "Amount greater_than ",
      cursor: 20,
    })
    expect(take(typing("where", "Amount ex"), "exists").text).toBe("Amount exists")
  })

  it("takes a one-name field's name as it is", () => {
    const top = typing("topProperty", "sh", { measure: "top" })
    expect(take(top, "Shoe size")).toMatchObject({ text: "Shoe size", cursor: 9 })
  })

  it("shows the rest of a suggestion dim when it goes on from what was typed", () => {
    const ghost = (state: QueryForm.FormState) => {
      const suggestions = open(state)!
      return QueryForm.ghostOf(state, suggestions, suggestions.names[0]!)
    }
    expect(ghost(typing("where", "Amount equals 5; am"))).toBe("ount")
    expect(ghost(typing("where", "Sh"))).toBeUndefined() // it will be quoted
    expect(ghost(typing("where", '"Sh'))).toBe('oe size"')
    expect(ghost(typing("where", "Amount gr"))).toBe("eater_than")
    expect(ghost(typing("event", "cha"))).toBe("rged")
  })
})

describe("the keys of suggestions", () => {
  const press = (state: QueryForm.FormState, input: string, key: Partial<Key> = {}) =>
    QueryForm.onKey(state, input, { ...noKey, ...key }, { ...vocabulary, today })
  const type = (state: QueryForm.FormState, text: string) =>
    Array.from(text).reduce((current, char) => press(current, char).state, state)

  it("are the event field's: Tab completes, ↓ chooses, Enter takes, → at the end takes", () => {
    let state = type(typing("where", ""), "am")
    state = press(state, "", { tab: true }).state
    expect(state.draft.where).toBe("Amount ")
    state = type(state, "gr")
    state = press(state, "", { downArrow: true }).state
    state = press(state, "", { return: true }).state
    expect(state.draft.where).toBe("Amount greater_than_equals ")
    state = type(state, "5; sh")
    state = press(state, "", { rightArrow: true }).state
    expect(state.draft.where).toBe('Amount greater_than_equals 5; "Shoe size" ')
    state = type(state, "exi")
    state = press(state, "", { tab: true }).state
    const run = press(state, "", { return: true })
    expect(run.command).toBe("submit")
    expect(QueryForm.toWireBody(run.state.draft).event_properties).toEqual([
      { name: "Amount", operator: "greater_than_equals", value: 5 },
      { name: "Shoe size", operator: "exists" },
    ])
  })

  it("leave Tab and ↓ to move between fields when nothing is suggested", () => {
    const state = typing("where", "Amount equals 5")
    expect(press(state, "", { tab: true }).state.focus).toBe("profileWhere")
    expect(press(state, "", { downArrow: true }).state.focus).toBe("profileWhere")
    // Esc hides the suggestions: ↓ moves on.
    const stopped = press(typing("where", "am"), "", { escape: true }).state
    expect(press(stopped, "", { downArrow: true }).state.focus).toBe("profileWhere")
  })
})
