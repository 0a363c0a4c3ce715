/**
 * Trendline's extensions in the UI, at 80x24: the form's Extras (on in local mode, off
 * against a remote server until turned on), the exact total of distinct profiles among the
 * figures, and the buckets not over yet hatched in the chart and starred in the table. The
 * answers are computed over records as a Trendline server computes them at noon of the
 * form's today (2026-11-26), or as a hosted API answers, without them.
 */
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import type * as Backend from "../src/Backend.ts"
import {
  answerOver,
  appHarness,
  distinctProfiles as distinct,
  expectFits,
  keys,
  chargedRecords as records,
  remoteEndpoint,
  small,
  testBackend,
  type Ui,
} from "./AppHarness.tsx"

const { startWithEvent } = appHarness()

/** `trends`, keeping every request it is sent in `sent`. */
const recording =
  (
    sent: Array<Record<string, unknown>>,
    trends: Backend.Service["trends"],
  ): Backend.Service["trends"] =>
  (request, onProgress) =>
    Effect.andThen(
      Effect.sync(() => sent.push(request as Record<string, unknown>)),
      trends(request, onProgress),
    )

/** From the event field: the unique profiles measure. */
const chooseUnique = async (ui: Ui) => {
  ui.press(keys.down, keys.down, keys.down, keys.down) // Range, From, To, Measure
  await ui.see("› Measure")
  ui.press(keys.right)
  await ui.see("‹ unique profiles ›")
}

/** The chart's plot rows, after the axis. */
const plotRows = (frame: string) =>
  frame.split("\n").flatMap((line) => {
    const row = /^ *[\d,]* [┤│](.*)$/.exec(line)
    return row === null ? [] : [row[1]!]
  })

/** The table's rows: key, and whether the value is starred. */
const tableRows = (frame: string) =>
  frame.split("\n").flatMap((line) => {
    const row = /^[› ] (\d{6,8}) .*?([\d,]+)(\*?)(?: +▇*)?$/.exec(line)
    return row === null ? [] : [{ key: row[1]!, starred: row[3] === "*" }]
  })

describe("Extras in local mode", () => {
  it("are asked for: the figures give the distinct profiles of the range, the open bucket is marked", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await startWithEvent(
      testBackend(recording(sent, answerOver(records))),
      "Charged",
      small,
    )
    await ui.see("Extras    exact totals, incomplete buckets marked")
    expect(ui.frame()).not.toContain("Trendline servers only")
    await chooseUnique(ui)
    ui.press(keys.enter)
    await ui.see(`total ${distinct} distinct profiles`)
    expect(sent).toEqual([
      expect.objectContaining({ unique: true, totals: true, bucket_meta: true }),
    ])
    const frame = ui.frame()
    // The sum of the days counts alice three times and bob twice.
    expect(frame).toMatch(/ · max 2 · average 0\.2 · ░ \* not over yet$/m)
    // Only the last bar, today's, is hatched: its column is the last one drawn.
    const plot = plotRows(frame)
    const lastColumn = Math.max(...plot.map((row) => row.trimEnd().length - 1))
    const hatched = plot.flatMap((row) =>
      [...row].flatMap((cell, column) => (cell === "░" ? [column] : [])),
    )
    expect(hatched.length).toBeGreaterThan(0)
    expect(new Set(hatched)).toEqual(new Set([lastColumn]))
    expect(tableRows(frame).some((row) => row.starred)).toBe(false) // the first days shown
    ui.press(keys.end)
    await ui.see(/^› 20261126 {2}2026-11-26 +2\*/m)
    const rows = tableRows(ui.frame())
    expect(rows.filter((row) => row.starred).map((row) => row.key)).toEqual(["20261126"])
    expectFits(ui.frame())
  })

  it("mark a cut week with its days in the range, the open one starred", async () => {
    const ui = await startWithEvent(testBackend(answerOver(records)), "Charged", small)
    ui.press(keys.ctrlN) // a weekly group
    await ui.see("#2")
    ui.press(keys.enter)
    await ui.see("daily · 30 buckets")
    ui.press(keys.tab)
    await ui.see("weekly · 5 buckets")
    const frame = ui.frame()
    expect(frame).toMatch(/^› 202644 {2}2026-10-28 – 2026-11-01 \(5 of 7 days\) +0$/m)
    expect(frame).toMatch(/^ {2}202648 {2}2026-11-23 – 2026-11-26 \(4 of 7 days\) +3\*/m)
    expect(
      tableRows(frame)
        .filter((row) => row.starred)
        .map((row) => row.key),
    ).toEqual(["202648"])
    expect(frame).toContain(`total ${records.length} ·`)
    expectFits(frame)
  })

  it("can be turned off: nothing asked, no marks", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await startWithEvent(
      testBackend(recording(sent, answerOver(records))),
      "Charged",
      small,
    )
    for (let field = 0; field < 10; field++) ui.press(keys.down) // past the group to Extras
    await ui.see("› Extras")
    expect(ui.frame()).toContain("←→ on/off")
    ui.press(keys.left)
    await ui.see("‹ off ›")
    ui.press(keys.enter)
    await ui.see("total 6 ·")
    expect(sent[0]).not.toHaveProperty("totals")
    expect(sent[0]).not.toHaveProperty("bucket_meta")
    expect(ui.frame()).not.toMatch(/[░*]/)
  })
})

describe("Extras against a remote server", () => {
  it("are off until turned on; a server that ignores them is named among the figures", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await startWithEvent(
      testBackend(
        recording(sent, answerOver(records, { hosted: true })),
        undefined,
        undefined,
        remoteEndpoint,
      ),
      "Charged",
      small,
    )
    await ui.see("Extras    off  Trendline servers only")
    await chooseUnique(ui)
    ui.press(keys.enter)
    await ui.see("sum of buckets 6 ·") // distinct profiles do not add up: not called a total
    expect(sent[0]).not.toHaveProperty("totals")
    expect(sent[0]).not.toHaveProperty("bucket_meta")
    expect(ui.frame()).not.toContain("server ignored Extras")

    ui.press("n")
    await ui.see("‹ unique profiles ›")
    for (let field = 0; field < 6; field++) ui.press(keys.down) // Where, Profile, Breakdown, #1, Extras
    await ui.see("› Extras")
    ui.press(keys.right)
    await ui.see("‹ exact totals, incomplete buckets marked ›")
    ui.press(keys.enter)
    await ui.see("server ignored Extras")
    expect(sent[1]).toMatchObject({ totals: true, bucket_meta: true })
    const frame = ui.frame()
    expect(frame).toContain("sum of buckets 6 ·")
    expect(frame).not.toMatch(/[░*]/)
    expectFits(frame)
  })
})
