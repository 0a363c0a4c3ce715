/**
 * The screens in the terminal the review used, 80 columns by 24 rows (and the top values
 * and the form's suggestions in smaller ones, down to the least the app lays out for):
 * nothing the user needs may be cut or pushed off.
 */
import * as EventStore from "@trendline/core/EventStore"
import type * as TopCounts from "@trendline/core/TopCounts"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import {
  answerFor,
  answerOver,
  appHarness,
  askTop,
  chargedRecords,
  distinctProfiles,
  expectFits,
  keys,
  small,
  testBackend,
} from "./AppHarness.tsx"

const { dir: exportDir, startWithEvent } = appHarness()

const lines = (frame: string) => frame.split("\n")

describe("the chart at 80x24", () => {
  it("tops at the answer's max when a column holds several days, and says so", async () => {
    // This year by day is 330 buckets: more than the 73 columns beside the axis. One spike
    // among small days: a mean of its column would hide it.
    const spike = 200
    const ui = await startWithEvent(
      testBackend((request) => answerFor(request, (index) => (index === spike ? 8_084 : 100))),
      "Charged",
      small,
    )
    ui.press(keys.down, keys.right, keys.right, keys.right, keys.right) // Range: this year
    await ui.see("‹ this year ›")
    ui.press(keys.down, keys.down, keys.down, keys.right, keys.right) // Measure: sum
    await ui.see("Property  Amount")
    ui.press(keys.enter)
    await ui.see("max 8,084")
    const frame = ui.frame()
    expect(frame).toContain('"Charged" · sum of Amount · 2026-01-01 → 2026-11-26')
    expect(frame).toMatch(/^8,084 ┤ *█ *$/m) // the spike's column reaches the top
    expect(frame).toContain("       each column is the max of 4–5 days")
    expectFits(frame)
  })
})

describe("long group names at 80x24", () => {
  const longName = "revenue from returning customers in the spring campaign, by day"

  it("keep every group's trend in the form, the names cut with an ellipsis", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    // #1 name, past Where, Profile and Breakdown
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› #1")
    ui.press(keys.ctrlU, longName)
    await ui.see("by day")
    let frame = ui.frame()
    // Typing: the end of the name shows, where the cursor is.
    expect(frame).toMatch(/^› #1 {8}…[^\n]*by day +daily$/m)
    ui.press(keys.ctrlN) // a weekly group: the long name is no longer being typed
    await ui.see("#2")
    frame = ui.frame()
    expect(frame).toMatch(/^ {2}#1 {8}revenue from[^\n]*… +daily$/m)
    expect(frame).toMatch(/^› #2 {8}weekly +weekly$/m)
    expect(frame).toMatch(/^ {2}Groups {4}name +trend$/m)
    expectFits(frame)
  })

  it("keep every tab of the results on the line", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    ui.press(keys.ctrlN) // #2 weekly, its name focused
    await ui.see("#2")
    ui.press(keys.ctrlU, longName, keys.ctrlN) // #3 monthly
    await ui.see("#3")
    ui.press(keys.enter)
    await ui.see("daily · 30 buckets")
    const tabs = lines(ui.frame())[2]!
    expect(tabs).toMatch(
      /^ daily {3}revenue from[^ ]* .*….*, by day {3}monthly {3}daily · 30 buckets$/,
    )
    ui.press(keys.tab)
    await ui.see("weekly · 5 buckets")
    ui.press(keys.tab)
    await ui.see("monthly · 2 buckets")
    expectFits(ui.frame())
  })
})

describe("an answer of zeros at 80x24", () => {
  const zeros = testBackend((request) => answerFor(request, () => 0))

  it("names the unknown event and the known one it looks like, instead of a chart", async () => {
    const ui = await startWithEvent(zeros, "Chargd", small)
    ui.press(keys.enter)
    await ui.see('No "Chargd" events in this range (2026-10-28 → 2026-11-26).')
    await ui.see('The data has no event named "Chargd": did you mean "Charged"?')
    const frame = ui.frame()
    expect(frame).not.toContain("┤") // no chart of zeros
    expect(frame).toContain("total 0 · min 0 · max 0 · average 0")
    expectFits(frame)
  })

  it("says a known event has no data in the range", async () => {
    const ui = await startWithEvent(zeros, "Signed Up", small)
    ui.press(keys.enter)
    await ui.see('No "Signed Up" events in this range (2026-10-28 → 2026-11-26).')
    await ui.see('There are "Signed Up" events at other dates: try a wider range.')
  })

  it("draws the chart when any bucket has a value", async () => {
    const ui = await startWithEvent(
      testBackend((request) => answerFor(request, (index) => (index === 3 ? 1 : 0))),
      "Charged",
      small,
    )
    ui.press(keys.enter)
    await ui.see("1 ┤")
    expect(ui.frame()).not.toContain('No "Charged" events')
  })
})

describe("an export that fails at 80x24", () => {
  it("shows the whole error, wrapped between words, with the key hints still there", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    ui.press(keys.enter)
    await ui.see("total")
    ui.press("e")
    await ui.see("File   trends-Charged-")
    ui.press(keys.ctrlU, "no such folder/out.csv", keys.enter)
    await ui.see("! Could not write")
    const frame = ui.frame()
    const path = `${exportDir()}/no such folder/out.csv`
    const start = lines(frame).findIndex((line) => line.startsWith("! Could not write"))
    const message = lines(frame).slice(start, -1)
    expect(message.length).toBeGreaterThan(1)
    // Lines break between words only: joined by spaces they give the message back.
    expect(message.join(" ")).toBe(
      `! Could not write ${path}: ENOENT: no such file or directory, open '${path}'`,
    )
    expect(lines(frame).at(-1)).toBe("Enter write · Tab CSV/JSON · Esc cancel · Ctrl+Q quit")
    expectFits(frame)
  })

  it("keeps the selected bucket in view while a long success message takes table rows", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    ui.press(keys.enter)
    await ui.see("total")
    ui.press(keys.end)
    await ui.see("› 20261126")
    const file = `${"x".repeat(40)}.csv`
    ui.press("e", keys.ctrlU, file, keys.enter)
    await ui.see("✓ Wrote 30 buckets as CSV to")
    const frame = ui.frame()
    // The message on two lines, the path whole on the second.
    expect(lines(frame).at(-3)).toBe("✓ Wrote 30 buckets as CSV to")
    expect(lines(frame).at(-2)).toBe(`${exportDir()}/${file}`)
    expect(frame).toContain("› 20261126  2026-11-26    300")
    expectFits(frame)
  })

  it("keeps the form reachable after the error: Esc closes the panel and the message", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    ui.press(keys.enter)
    await ui.see("total")
    ui.press("e", keys.ctrlU, "missing/out.csv", keys.enter)
    await ui.see("! Could not write")
    ui.press(keys.escape)
    await ui.see("Esc/n new query")
    expect(ui.frame()).not.toContain("Could not write")
  })
})

describe("Trendline's extensions in small terminals", () => {
  // 40x16 is the least the app lays out for; there the header cuts the backend's name.
  const ready = { backend: "Trendline", suggestion: "App Opened" }
  for (const size of [small, { columns: 60, rows: 18 }, { columns: 40, rows: 16 }]) {
    it(`keep Extras, the distinct total and the open bucket's marks in ${size.columns}x${size.rows}`, async () => {
      const ui = await startWithEvent(
        testBackend(answerOver(chargedRecords)),
        "Charged",
        size,
        ready,
      )
      ui.press(keys.down, keys.down, keys.down, keys.down, keys.right) // Measure: unique
      await ui.see("‹ unique profiles ›")
      await ui.see(/^ {2}Extras {4}exact totals/m)
      expectFits(ui.frame(), size)
      ui.press(keys.enter)
      await ui.see(`total ${distinctProfiles} distinct`)
      let frame = ui.frame()
      expect(frame).toContain("░ * not over yet")
      expect(frame).toContain("░")
      expectFits(frame, size)
      ui.press(keys.end)
      await ui.see(/^› 20261126 {2}2026-11-26 +2\*/m)
      frame = ui.frame()
      expect(frame).toContain("░ * not over yet")
      expectFits(frame, size)
    })
  }

  it("fit the help, with the marks' meaning, in 80x24", async () => {
    const ui = await startWithEvent(testBackend(), "Charged", small)
    ui.press("?")
    await ui.see("Esc/? close help")
    const frame = ui.frame()
    expect(frame).toContain("a bucket not over yet (Extras: on in local mode)")
    expect(frame).toContain("change a choice (range, measure, trend, Extras)")
    expect(frame).not.toContain("…")
    expectFits(frame)
  })
})

describe("top values in small terminals", () => {
  // A hundred values, most frequent first: text, numbers, text that reads as a number, and
  // now and then a value far longer than a line.
  const hundred: ReadonlyArray<TopCounts.Entry> = Array.from({ length: 100 }, (_, i) => ({
    value:
      i % 10 === 9
        ? `a long value number ${i} that no table column in a small terminal could ever hold`
        : i % 3 === 0
          ? i
          : i % 3 === 1
            ? String(i)
            : `item ${i}`,
    count: 10_000 - i * 97,
  }))
  const backend = testBackend(undefined, () => Effect.succeed({ Item: hundred }))

  // 40x16 is the least the app lays out for (`useTerminalSize`); there the header cuts the
  // backend's name, so the form's suggestions say it is ready.
  const ready = { backend: "Trendline", suggestion: "App Opened" }
  for (const size of [small, { columns: 60, rows: 18 }, { columns: 40, rows: 16 }]) {
    it(`keep a hundred values in ${size.columns}x${size.rows}, scrolling to the last`, async () => {
      const ui = await startWithEvent(backend, "Charged", size, ready)
      await askTop(ui, "Item", { topN: "100" })
      expectFits(ui.frame(), size)
      ui.press(keys.enter)
      await ui.see("EVENTS")
      let frame = ui.frame()
      expect(frame).toMatch(/^› +1 {2}0 +10,000/m)
      expect(frame).toMatch(/^ {2} +2 {2}"1" +9,903/m) // the text "1" is quoted
      expect(frame).toMatch(/ 1–\d+( of 100)?$/m)
      // The whole line about the group where it fits; in 40 columns, without whose.
      expect(frame).toMatch(/ Item {3}100 values · (event property · )?most frequent first$/m)
      expectFits(frame, size)
      ui.press(keys.end)
      await ui.see(/^› 100 {2}a long valu.*… +397/m)
      frame = ui.frame()
      expect(frame).toMatch(/ \d+–100( of 100)?$/m)
      expectFits(frame, size)
      ui.press("e")
      await ui.see(/^ {2}File {3}\S*-20261126\.csv/m) // the name on its line, cut at its start
      expectFits(ui.frame(), size)
    })
  }

  it("fit the help, with the top values keys, in 80x24", async () => {
    const ui = await startWithEvent(backend, "Charged", small)
    ui.press("?")
    await ui.see("Esc/? close help")
    const frame = ui.frame()
    expect(frame).toContain("move through the buckets or values")
    expect(frame).toContain('top values: "5" is text, 5 is a number')
    expect(frame).not.toContain("…")
    expectFits(frame)
  })
})

describe("property suggestions in small terminals", () => {
  const long = "Campaign source of the very first visit that brought this customer to the shop"
  const names: EventStore.PropertyNames = {
    event: EventStore.sortedNames([
      "Amount",
      "Card type",
      long,
      ...Array.from({ length: 8 }, (_, i) => `Custom field ${i + 1}`),
    ]),
    profile: ["Country"],
  }
  const backend = testBackend(undefined, undefined, () => Effect.succeed(names))
  const ready = { backend: "Trendline", suggestion: "App Opened" }
  for (const size of [small, { columns: 60, rows: 18 }, { columns: 40, rows: 16 }]) {
    it(`fit under Where in ${size.columns}x${size.rows}, long names cut, then the operators`, async () => {
      const ui = await startWithEvent(backend, "Charged", size, ready)
      ui.press(keys.down, keys.down, keys.down, keys.down, keys.down)
      await ui.see("› Where")
      ui.press("c")
      await ui.see(/^ {12}› Campaign source/m)
      let frame = ui.frame()
      expect(frame).toMatch(/^ {14}… \d+ more$/m)
      expect(frame).toMatch(/^› Where {5}c/m)
      expectFits(frame, size)
      ui.press(keys.tab)
      await ui.see(/^ {12}› equals/m)
      frame = ui.frame()
      expect(frame).toMatch(/^› Where {5}…/m) // the long name cut at its start, the cursor shown
      expect(frame).toMatch(/^ {14}… \d+ more$/m)
      expectFits(frame, size)
    })
  }
})
