/**
 * The form's filters: "Where" (event properties) and "Profile" (profile fields) take
 * conditions in `trendline query --where`'s syntax, `;` between them; they go into the
 * request, and core's issues with them show under their field.
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { conditionsOf } from "../src/form/Conditions.ts"
import * as QueryForm from "../src/form/QueryForm.ts"
import { answerFor, appHarness, expectFits, keys, small, testBackend } from "./AppHarness.tsx"

const today = Calendar.unsafeMakeDay(2026, 11, 26)
const draft = { ...QueryForm.initialDraft(today), eventName: "Charged" }

describe("conditions", () => {
  it("are split at ; outside JSON strings, blank parts left out", () => {
    expect(
      conditionsOf(' Amount greater_than 200 ;; Category equals "a;b" ; Plan exists ;').map(
        (condition) => condition.entry,
      ),
    ).toEqual([
      { name: "Amount", operator: "greater_than", value: 200 },
      { name: "Category", operator: "equals", value: "a;b" },
      { name: "Plan", operator: "exists" },
    ])
    expect(conditionsOf("   ")).toEqual([])
    expect(conditionsOf("Amount")).toEqual([{ text: "Amount", entry: undefined }])
  })

  it("go into the wire body as core's filter lists, and none as no field", () => {
    expect(
      QueryForm.toWireBody({
        ...draft,
        where: "Amount greater_than 200; Platform equals iOS",
        profileWhere: 'Plan equals ["pro","team"]',
      }),
    ).toMatchObject({
      event_properties: [
        { name: "Amount", operator: "greater_than", value: 200 },
        { name: "Platform", operator: "equals", value: "iOS" },
      ],
      common_profile_properties: [{ name: "Plan", operator: "equals", value: ["pro", "team"] }],
    })
    const body = QueryForm.toWireBody({ ...draft, where: " ; " })
    expect(body).not.toHaveProperty("event_properties")
    expect(body).not.toHaveProperty("common_profile_properties")
    expect(QueryForm.issuesOf({ ...draft, where: "Amount greater_than 200" }).size).toBe(0)
  })

  it("show core's issues under their field, naming the condition", () => {
    const issues = QueryForm.issuesOf({
      ...draft,
      where: "Platform equals iOS; Amount bigger 5",
      profileWhere: "Plan; Beta equals",
    })
    expect(issues.get("where")).toEqual([
      expect.stringMatching(/^"Amount bigger 5": operator must be one of equals, /),
    ])
    expect(issues.get("profileWhere")).toEqual([
      expect.stringMatching(/^"Plan": give NAME OPERATOR VALUE, e\.g\. /),
      expect.stringMatching(/^"Beta equals": value "equals" needs a value/),
    ])
    expect(issues.has("form")).toBe(false)
  })
})

const { startWithEvent } = appHarness()

describe("the filters at 80x24", () => {
  it("are typed into the form, sent with the query, and named over the answer", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(
      testBackend((request) =>
        Effect.andThen(
          Effect.sync(() => sent.push(request)),
          answerFor(request),
        ),
      ),
      "Charged",
      small,
    )
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down) // Where
    await ui.see("› Where")
    ui.press("Amount greater_than 200; Platform equals iOS", keys.down)
    await ui.see("› Profile")
    ui.press('Plan equals ["pro","team"]')
    await ui.see('Profile   Plan equals ["pro","team"]')
    expect(ui.frame()).toMatch(/^ {2}Where {5}Amount greater_than 200; Platform equals iOS$/m)
    expectFits(ui.frame())
    ui.press(keys.enter)
    await ui.see("total")
    expect(ui.frame()).toContain('"Charged" · events · 2026-10-28 → 2026-11-26 · 3 conditions')
    expect(sent).toEqual([
      expect.objectContaining({
        event_name: "Charged",
        event_properties: [
          { name: "Amount", operator: "greater_than", value: 200 },
          { name: "Platform", operator: "equals", value: "iOS" },
        ],
        common_profile_properties: [{ name: "Plan", operator: "equals", value: ["pro", "team"] }],
      }),
    ])
    expectFits(ui.frame())
  })

  it("show a bad condition's issue under its field and run nothing", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(
      testBackend((request) =>
        Effect.andThen(
          Effect.sync(() => sent.push(request)),
          answerFor(request),
        ),
      ),
      "Charged",
      small,
    )
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down) // Where
    await ui.see("› Where")
    ui.press("Amount greater_than lots", keys.down, "Country", keys.enter)
    await ui.see('✗ "Amount greater_than lots": value "greater_than" compares numbers')
    await ui.see('✗ "Country": give NAME OPERATOR VALUE')
    const frame = ui.frame()
    // Enter took the keyboard to the first field with an issue.
    expect(frame).toMatch(/^› Where {5}/m)
    expect(frame).toContain("Enter run")
    expectFits(frame)
    expect(sent).toEqual([])
  })
})
