/**
 * Trendline's comparison, breakdowns, rolling windows and hourly groups in the UI, at
 * 80x24, end to end: the form asks for them, the local backend (core's API over SQLite)
 * answers, and the results show the earlier period as points with its value and change in
 * the table, a breakdown's series and the rolling windows as series that Tab goes through,
 * and an hourly chart labelled by its days. Expected figures are core's reference
 * aggregator's over the fixture uploaded here.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as Limits from "@trendline/core/Limits"
import type * as TopCounts from "@trendline/core/TopCounts"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Backend from "../src/Backend.ts"
import * as Extras from "../src/Extras.ts"
import * as Format from "../src/view/Format.ts"
import { appHarness, expectFits, keys, small, type Ui } from "./AppHarness.tsx"

const { dir: exportDir, startWithEvent } = appHarness()

const account: Account.Settings = { id: "local", timeZone: "UTC", weekStart: "monday" }
const folder = mkdtempSync(join(tmpdir(), "trendline-series-"))
const db = join(folder, "series.db")
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------
// The fixture: views by platform in the form's default range (the 30 days to 2026-11-26)
// and in the 30 days before, at given hours (UTC)

const view = (identity: string, month: number, day: number, hour: number, platform: string) => ({
  type: "event",
  identity,
  ts: Date.UTC(2026, month - 1, day, hour) / 1000,
  evtName: "Viewed",
  evtData: { Platform: platform },
})
const fixture = [
  view("alice", 11, 20, 9, "ios"),
  view("bob", 11, 20, 10, "ios"),
  view("carol", 11, 20, 10, "ios"),
  view("dan", 11, 20, 11, "android"),
  view("alice", 11, 24, 8, "ios"),
  view("erin", 11, 25, 14, "web"),
  view("erin", 11, 25, 15, "web"),
  view("dan", 11, 26, 9, "android"),
  view("alice", 11, 26, 15, "ios"),
  // The period before: 2026-09-28 to 10-27.
  view("alice", 10, 20, 9, "ios"),
  view("bob", 10, 21, 9, "ios"),
  view("dan", 10, 21, 12, "android"),
  view("erin", 10, 27, 20, "web"),
]

const range = { event_name: "Viewed", from: 20261028, to: 20261126 }
const dailyBody = { ...range, groups: { daily: { trend_type: "daily" } } }

beforeAll(async () => {
  const result = await Effect.runPromise(
    Effect.provide(
      Effect.flatMap(Backend.Backend, (backend) => backend.upload(fixture)),
      Backend.layerLocal({ filename: db, account, seedDemo: false }),
    ),
  )
  expect(result.processed).toBe(fixture.length)
})

/** The local backend on the fixture's database, keeping every request it runs in `sent`. */
const localBackend = (sent: Array<Record<string, unknown>>): Layer.Layer<Backend.Backend> =>
  Layer.effect(
    Backend.Backend,
    Effect.map(Backend.Backend, (backend) => ({
      ...backend,
      trends: (request: unknown, onProgress?: Parameters<Backend.Service["trends"]>[1]) =>
        Effect.andThen(
          Effect.sync(() => sent.push(request as Record<string, unknown>)),
          backend.trends(request, onProgress),
        ),
    })),
  ).pipe(Layer.provide(Backend.layerLocal({ filename: db, account, seedDemo: false })), Layer.orDie)

const ready = { backend: "local ", suggestion: "Viewed" }

const start = (sent: Array<Record<string, unknown>> = []) =>
  startWithEvent(localBackend(sent), "Viewed", small, ready)

/** From the event field, `count` fields down. */
const down = (ui: Ui, count: number) => {
  for (let field = 0; field < count; field++) ui.press(keys.down)
}

// Fields from Event: Range, From, To, Measure, Where, Profile, Breakdown, #1 name, #1 type,
// Extras, Compare, Rolling.
const fieldsTo = { breakdown: 7, groupType: 9, compare: 11, rolling: 12 } as const

/** The table's rows on screen: the cells of each line that starts with a bucket key. */
const tableRows = (frame: string) =>
  frame.split("\n").flatMap((line) => {
    const row = /^[› ] (\d{8,10}) {2}(.*)$/.exec(line)
    return row === null ? [] : [[row[1]!, ...row[2]!.trim().split(/ {2,}/)]]
  })

/** The chart's plot rows, after the axis. */
const plotRows = (frame: string) =>
  frame.split("\n").flatMap((line) => {
    const row = /^ *[\d,]* [┤│](.*)$/.exec(line)
    return row === null ? [] : [row[1]!]
  })

/** The reference answer's buckets of one group, in key order. */
const expected = (body: Record<string, unknown>, group = "daily"): Array<[string, number]> =>
  Object.entries(
    Uploads.expectedTrends(account, fixture, body)[group] as Record<string, number>,
  ).sort(([a], [b]) => a.localeCompare(b))

/** The reference series of the breakdown: the days of the records with exactly `platform`. */
const platformDays = (platform: unknown) =>
  expected(dailyBody).map(
    ([key]) =>
      (
        Uploads.expectedTrends(
          account,
          fixture.filter((record) => record.evtData.Platform === platform),
          dailyBody,
        ).daily as Record<string, number>
      )[key] ?? 0,
  )

const sum = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0)

/** The table's value column for the last page, as numbers. */
const lastValues = (frame: string, column = 2) =>
  tableRows(frame).map((row) => Number(row[column]!.replace(/[,*]/g, "")))

describe("a comparison at 80x24", () => {
  it("draws the earlier period as points, names it, and adds its value and the change to the table", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await start(sent)
    down(ui, fieldsTo.compare)
    await ui.see("› Compare")
    ui.press(keys.right)
    await ui.see("‹ previous period ›  2026-09-28 → 2026-10-27")
    ui.press(keys.enter)
    await ui.see(/^ ─ previous 2026-09-28 → 2026-10-27 *$/m)
    expect(sent).toEqual([expect.objectContaining({ compare: "previous_period" })])
    const now = expected(dailyBody)
    const before = expected({ ...range, from: 20260928, to: 20261027, groups: dailyBody.groups })
    // The fixture gives the test something to compare: events in both periods.
    expect(sum(before.map(([, value]) => value))).toBeGreaterThan(0)

    let frame = ui.frame()
    expect(frame).toMatch(/^ {2}KEY {7}DAYS {8}VALUE {2}PREVIOUS {6}CHANGE {3}1–9 of 30$/m)
    const change = Extras.changeText(
      Extras.changeOf(sum(now.map(([, value]) => value)), sum(before.map(([, value]) => value))),
    )
    expect(frame).toContain(`total 9 · vs previous ${change} · `)
    // A point a day whose earlier counterpart had events (bars of one column: one cell each).
    const points = plotRows(frame)
      .join("")
      .split("")
      .filter((cell) => cell === "─")
    expect(points).toHaveLength(before.filter(([, value]) => value > 0).length)

    ui.press(keys.end)
    await ui.see("› 20261126")
    frame = ui.frame()
    const rows = tableRows(frame)
    expect(rows).toHaveLength(9)
    rows.forEach((row, r) => {
      const b = now.length - rows.length + r
      const [key, value] = now[b]!
      const previous = before[b]![1]
      expect(row).toEqual([
        key,
        Format.dateKey(key),
        String(value),
        String(previous),
        Extras.changeText(Extras.changeOf(value, previous)),
        ...(value > 0 ? [expect.stringMatching(/^▇+$/)] : []),
      ])
    })
    expectFits(frame)
  })
})

describe("a breakdown at 80x24", () => {
  const top = (
    Uploads.expectedTop(account, fixture, {
      ...range,
      groups: { p: { property_type: "event_properties", name: "Platform" } },
    }).p as ReadonlyArray<{ readonly value: TopCounts.Value }>
  ).map((entry) => entry.value)

  it("names its series on a line, draws them as points, and Tab shows each, then the group again", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await start(sent)
    down(ui, fieldsTo.breakdown)
    await ui.see("› Breakdown")
    ui.press("Plat")
    await ui.see("Platform") // suggested from the event's properties
    ui.press(keys.tab, keys.enter)
    await ui.see(" all ")
    expect(sent[0]?.groups).toEqual({
      daily: {
        trend_type: "daily",
        breakdown: { property_type: "event_properties", name: "Platform" },
      },
    })
    expect(top).toHaveLength(3)
    const glyphs = ["●", "○", "◆"]
    let frame = ui.frame()
    expect(frame).toMatch(
      new RegExp(
        `^ all {3}${top.map((value, rank) => `${glyphs[rank]} ${value}`).join(" {3}")} {3}× other *$`,
        "m",
      ),
    )
    // Each series' points are on the chart.
    const plot = plotRows(frame).join("\n")
    for (const glyph of glyphs) expect(plot).toContain(glyph)
    expect(frame).toContain("Tab series")
    expect(frame).toContain("total 9 ·")

    // Tab: each value's series, its bars, figures and table; then the rest, then all again.
    for (const value of top) {
      const days = platformDays(value)
      ui.press(keys.tab)
      await ui.see(`total ${sum(days)} · min 0 · max ${Math.max(...days)}`)
      ui.press(keys.end)
      await ui.see("› 20261126")
      frame = ui.frame()
      expect(lastValues(frame)).toEqual(days.slice(-9))
      expect(plotRows(frame).join("")).not.toMatch(/[●○◆×─]/)
    }
    ui.press(keys.tab)
    await ui.see("total 0 · min 0 · max 0") // other: no view lacks a top Platform
    ui.press(keys.tab)
    await ui.see("total 9 · min 0 · max 4")
    expect(plotRows(ui.frame()).join("")).toContain("●")
    // Shift+Tab goes back, through the end.
    ui.press("\u001B[Z")
    await ui.see("total 0 · min 0 · max 0")
    expectFits(ui.frame())
  })

  it("exports the long form as CSV, a row a bucket of each series", async () => {
    const ui = await start()
    down(ui, fieldsTo.breakdown)
    await ui.see("› Breakdown")
    ui.press("Platform", keys.enter)
    await ui.see(" all ")
    ui.press("e")
    await ui.see("File")
    ui.press(keys.enter)
    await ui.see("✓ Wrote 30 buckets as CSV")
    const path = join(exportDir(), "trends-Viewed-20261028-20261126.csv")
    const csv = readFileSync(path, "utf8").trimEnd().split("\n")
    expect(csv[0]).toBe("group,bucket,series,value")
    expect(csv).toHaveLength(1 + 30 * (top.length + 1))
    expect(csv).toContain(`daily,20261120,${top[0]},${platformDays(top[0])[23]}`)
  })
})

describe("rolling windows at 80x24", () => {
  // Each day's window as core's reference counts it: the total over its 7 days.
  const windows = expected(dailyBody).map(([key]) => {
    const last = Option.getOrThrow(Calendar.parseDateKey(key))
    return Uploads.expectedTotals(account, fixture, {
      event_name: "Viewed",
      from: Calendar.toDateInt(last - 6),
      to: Number(key),
      groups: { window: { trend_type: "daily" } },
    }).window!
  })

  it("add a column to the days, and are a series of their own that Tab shows", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await start(sent)
    ui.press(keys.ctrlN) // a weekly group, which takes no windows
    await ui.see("#2")
    ui.press(keys.escape)
    down(ui, 8) // #2 name is 9 fields from the event; Rolling is 4 past it
    await ui.see("› Rolling")
    ui.press(keys.right)
    await ui.see("‹ 7 days ›  on daily groups: each day's window")
    ui.press(keys.enter)
    await ui.see(/^ events {3}rolling 7d *$/m)
    expect(sent[0]?.groups).toEqual({
      daily: { trend_type: "daily", rolling: 7 },
      weekly: { trend_type: "weekly" },
    })
    // The windows reach back before the range: the first days hold the earlier events.
    expect(windows[0]).toBeGreaterThan(0)
    expect(ui.frame()).toMatch(/^ {2}KEY {7}DAYS {8}VALUE {2}ROLLING 7D {3}1–9 of 30$/m)
    expect(tableRows(ui.frame()).map((row) => Number(row[3]))).toEqual(windows.slice(0, 9))
    expect(ui.frame()).toContain("Tab series · ←→ group")

    ui.press(keys.end)
    await ui.see("› 20261126")
    ui.press(keys.tab)
    await ui.see(
      `latest ${windows.at(-1)} · min ${Math.min(...windows)} · max ${Math.max(...windows)}`,
    )
    // The same rows, the windows as values.
    expect(lastValues(ui.frame())).toEqual(windows.slice(-9))
    expect(ui.frame()).not.toContain("ROLLING 7D")

    // Past the last series, the next group: one series, no line for them.
    ui.press(keys.tab)
    await ui.see("weekly · 5 buckets")
    expect(ui.frame()).not.toContain("rolling 7d")
    expect(ui.frame()).toContain("Tab group")
    ui.press(keys.tab)
    await ui.see("daily · 30 buckets")
    await ui.see("total 9 ·")
    // Shift+Tab from the days' first series: back to the weekly group; ← and → skip series.
    ui.press("\u001B[Z")
    await ui.see("weekly · 5 buckets")
    ui.press("\u001B[Z")
    await ui.see("latest ")
    ui.press(keys.left)
    await ui.see("weekly · 5 buckets")
    ui.press(keys.right)
    await ui.see("total 9 ·")
    expectFits(ui.frame())
  })
})

describe("an hourly group at 80x24", () => {
  it("charts every hour, labelled by the days, each row its day and hour", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await start(sent)
    down(ui, fieldsTo.groupType)
    await ui.see("› #1")
    ui.press(keys.left)
    await ui.see(/^› #1 {8}hourly +‹ hourly ›$/m)
    ui.press(keys.enter)
    await ui.see("hourly · 720 buckets")
    expect(sent[0]?.groups).toEqual({ hourly: { trend_type: "hourly" } })
    let frame = ui.frame()
    expect(frame).toContain("each column is the max of 9–10 hours")
    // Under the plot, the days where they start, in order, the first one first.
    const labels = frame
      .split("\n")
      .find((line) => /^ {3}10-28 /.test(line))!
      .trim()
      .split(/ +/)
    expect(labels.length).toBeGreaterThanOrEqual(6)
    expect(labels.every((label) => /^1[01]-\d\d$/.test(label))).toBe(true)
    expect([...labels].sort()).toEqual(labels)
    expect(frame).toMatch(/^› 2026102800 {2}2026-10-28 00h +0$/m)

    ui.press(keys.end)
    await ui.see("› 2026112623")
    frame = ui.frame()
    const hours = expected({ ...range, groups: { hourly: { trend_type: "hourly" } } }, "hourly")
    expect(hours).toHaveLength(720)
    expect(tableRows(frame).map((row) => [row[0], row[1], Number(row[2])])).toEqual(
      hours
        .slice(-10)
        .map(([key, value]) => [key, `${Format.dateKey(key.slice(0, 8))} ${key.slice(8)}h`, value]),
    )
    expect(frame).toMatch(/^ {2}2026112615 {2}2026-11-26 15h +1 +▇+$/m)
    expectFits(frame)
  })

  it("shows core's limit of 31 days under To, and sends nothing", async () => {
    const sent: Array<Record<string, unknown>> = []
    const ui = await start(sent)
    ui.press(keys.down, keys.right) // Range: last 90 days
    await ui.see("‹ last 90 days ›")
    down(ui, fieldsTo.groupType - 1)
    await ui.see("› #1")
    ui.press(keys.left, keys.enter)
    await ui.see("✗ the range covers 90 days but a range with an hourly group")
    // Core's message, wrapped under the field.
    expect(ui.frame().replace(/\s+/g, " ")).toContain(
      `an hourly group ("hourly") covers at most ${Limits.defaults.maxHourlyDays}; set "to" to 20260928 or earlier, or make the group daily`,
    )
    expect(ui.frame()).toMatch(/^› To /m)
    expect(sent).toEqual([])
  })
})

describe("everything at once in small terminals", () => {
  for (const size of [small, { columns: 60, rows: 18 }, { columns: 40, rows: 16 }]) {
    it(`keeps the series line, the chart and Tab's hint in ${size.columns}x${size.rows}`, async () => {
      const ui = await startWithEvent(localBackend([]), "Viewed", size, {
        backend: "Trendline",
        suggestion: "› Viewed",
      })
      down(ui, fieldsTo.breakdown)
      ui.press("Platform")
      await ui.see("Platform")
      down(ui, fieldsTo.compare - fieldsTo.breakdown)
      ui.press(keys.right, keys.down, keys.right)
      await ui.see("‹ 7 days ›")
      expectFits(ui.frame(), size)
      ui.press(keys.enter)
      await ui.see(/^ all /m)
      let frame = ui.frame()
      expect(frame).toMatch(/^ all {3}r.*other|^ all {3}r.*…/m)
      expect(frame).toContain("─")
      expect(frame.split("\n").at(-1)).toMatch(/^Tab series · /)
      expectFits(frame, size)
      ui.press(keys.tab)
      await ui.see("latest ")
      frame = ui.frame()
      expect(frame).not.toContain("PREVIOUS")
      expectFits(frame, size)
    })
  }
})
