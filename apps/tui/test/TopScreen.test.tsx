/**
 * Asking for top values at 80x24, on a canned backend: the issues under the top fields, the
 * running screen of a polled query, the failure screen (the API's refusal, a server's
 * error) and back to the form as it was, an empty answer, and the curl command.
 */
import * as ApiError from "@trendline/core/ApiError"
import type * as TopCounts from "@trendline/core/TopCounts"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import { describe, expect, it, vi } from "vitest"
import { appHarness, askTop, expectFits, keys, small, testBackend, topRows } from "./AppHarness.tsx"

const { startWithEvent } = appHarness()

const category = (count: number): TopCounts.Entry => ({ value: `c${count}`, count })

describe("asking for top values at 80x24", () => {
  it("shows the issues under the top fields and sends nothing", async () => {
    let calls = 0
    const ui = await startWithEvent(
      testBackend(undefined, () =>
        Effect.sync(() => {
          calls++
          return {}
        }),
      ),
      "Charged",
      small,
    )
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.right, keys.right, keys.right)
    await ui.see("‹ top values of a property ›")
    ui.press(keys.down, keys.down, keys.down) // Property, Source, Show
    await ui.see("› Show")
    ui.press(keys.ctrlU, "lots", keys.enter)
    await ui.see('✗ must name a property, e.g. "Plan"')
    await ui.see('✗ "lots" is not a whole number: give how many values to show, from 1')
    let frame = ui.frame()
    expect(frame).toMatch(/^› Property {3}/m) // Enter took the keyboard to the first issue
    expectFits(frame)
    ui.press("Plan", keys.down, keys.down)
    await ui.see("› Show")
    ui.press(keys.ctrlU, "500")
    await ui.see("✗ must be between 1 and 100; it is 500")
    frame = ui.frame()
    expect(frame).not.toContain("must name a property")
    expectFits(frame)
    expect(calls).toBe(0)
  })

  it("shows the polling of a top query, then its values", async () => {
    const gate = Effect.runSync(Deferred.make<void>())
    const ui = await startWithEvent(
      testBackend(undefined, (_request, onProgress) =>
        Effect.gen(function* () {
          if (onProgress !== undefined)
            yield* onProgress({ _tag: "Pending", reqId: 77, polls: 3, elapsedMillis: 3000 })
          yield* Deferred.await(gate)
          return { Category: [category(30), category(20)] }
        }),
      ),
      "Charged",
      small,
    )
    await askTop(ui, "Category")
    ui.press(keys.enter)
    await ui.see(/Running "Charged" · 10 most frequent values of Category · 2026-10-28/)
    await ui.see("req_id 77, polled 3 times")
    Effect.runSync(Deferred.succeed(gate, undefined))
    await ui.see("2 values, all there are")
    expect(topRows(ui.frame())).toEqual([
      ["1", "c30", "30"],
      ["2", "c20", "20"],
    ])
  })

  it("shows the API's refusal on the failure screen, and Esc edits the query as it was", async () => {
    let calls = 0
    const ui = await startWithEvent(
      testBackend(undefined, () =>
        Effect.suspend(() => {
          calls++
          return Effect.fail(
            ApiError.InvalidRequest.field(
              "groups.Category.top_n",
              "must be between 1 and 20 on this server; it is 50",
            ),
          )
        }),
      ),
      "Charged",
      small,
    )
    await askTop(ui, "Category", { topN: "50" })
    ui.press(keys.enter)
    await ui.see("✗ The query failed:")
    let frame = ui.frame()
    expect(frame).toContain('✗ The query failed: "Charged" · 50 most frequent values of Category')
    expect(frame).toContain(
      "  groups.Category.top_n: must be between 1 and 20 on this server; it is 50",
    )
    expectFits(frame)
    ui.press(keys.enter) // try again
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 10_000, interval: 5 })
    ui.press(keys.escape)
    await ui.see("› Order")
    frame = ui.frame()
    expect(frame).toContain("Property  Category")
    expect(frame).toContain("Show      50")
  })

  it("shows a server's error message on the failure screen", async () => {
    const ui = await startWithEvent(
      testBackend(undefined, () =>
        Effect.fail(new ApiError.ServiceUnavailable({ reason: "the store is rebuilding" })),
      ),
      "Charged",
      small,
    )
    await askTop(ui, "Category")
    ui.press(keys.enter)
    await ui.see("  the store is rebuilding")
    expect(ui.frame()).toContain("Enter try again · Esc/n edit the query")
  })

  it("says what an empty answer means instead of an empty table", async () => {
    const ui = await startWithEvent(
      testBackend(undefined, () => Effect.succeed({ Colour: [] })),
      "Charged",
      small,
    )
    await askTop(ui, "Colour")
    ui.press(keys.enter)
    await ui.see('No "Charged" event in this range (2026-10-28 → 2026-11-26) has "Colour"')
    await ui.see("Check the name (letter case counts), or look for it as a profile field")
    expect(ui.frame()).not.toContain("EVENTS")
    expectFits(ui.frame())
  })

  it("shows the query as a curl command for top.json on c", async () => {
    const ui = await startWithEvent(
      testBackend(undefined, () => Effect.succeed({ Category: [category(3)] })),
      "Charged",
      small,
    )
    await askTop(ui, "Category")
    ui.press(keys.enter)
    await ui.see("EVENTS")
    ui.press("c")
    await ui.see("curl -s -X POST 'http://127.0.0.1:8787/1/counts/top.json'")
    expect(ui.frame()).toContain('"property_type":"event_properties"')
    ui.press("c")
    await ui.see("EVENTS")
  })
})
