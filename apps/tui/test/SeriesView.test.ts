// The results views of comparisons, breakdowns, rolling windows and hours as pure functions:
// a group's series and what Tab does with them, the points over the bars, the labels under
// an hourly chart, the table's added columns, the figures, and the CSV's rolling column.
import type * as Results from "@trendline/client/Results"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import type * as Extensions from "@trendline/core/Extensions"
import { describe, expect, it } from "vitest"
import * as Export from "../src/Export.ts"
import * as Extras from "../src/Extras.ts"
import * as ChartLayout from "../src/view/ChartLayout.ts"
import * as ChartTicks from "../src/view/ChartTicks.ts"
import * as Figures from "../src/view/Figures.ts"
import * as Format from "../src/view/Format.ts"
import * as ResultsView from "../src/view/ResultsView.ts"
import * as SeriesView from "../src/view/SeriesView.ts"
import * as TrendsTable from "../src/view/TrendsTable.ts"
import { noKey } from "./keys.ts"

// Four days of 2025-01, their values.
const keys = ["20250101", "20250102", "20250103", "20250104"]
const groupOf = (values: ReadonlyArray<number>): Results.GroupResult => {
  const total = values.reduce((sum, value) => sum + value, 0)
  return {
    trendType: "daily",
    buckets: keys.map((key, b) => {
      const date = new Date(Date.UTC(2025, 0, b + 1))
      return { key, start: date, end: date, value: values[b]! }
    }),
    total,
    min: Math.min(...values),
    max: Math.max(...values),
    mean: total / values.length,
  }
}
const group = groupOf([6, 0, 3, 5])
const byKey = (values: ReadonlyArray<number>) =>
  Object.fromEntries(keys.map((key, b) => [key, values[b]!]))

const breakdown: Extensions.BreakdownAnswer = {
  property_type: "event_properties",
  name: "Platform",
  series: [
    { value: "ios", buckets: byKey([4, 0, 1, 3]) },
    { value: 5, buckets: byKey([1, 0, 0, 1]) },
    { value: "5", buckets: { "20250101": 1 } }, // the others' buckets left out: 0
  ],
  other: { buckets: byKey([0, 0, 2, 1]) },
}
const comparison: Extensions.Comparison = {
  kind: "previous_period",
  from: 20241228,
  to: 20241231,
  buckets: Object.fromEntries(
    keys.map((key, b) => [
      key,
      b === 3
        ? { previous_key: null, previous: null, change: null, change_ratio: null }
        : {
            previous_key: ["20241228", "20241229", "20241230"][b]!,
            previous: [2, 0, 6][b]!,
            ...Extras.changeOf(group.buckets[b]!.value, [2, 0, 6][b]!),
          },
    ]),
  ),
}
const rolling: Extensions.Rolling = { days: 7, buckets: byKey([9, 9, 12, 14]) }
const marks: Extras.GroupMarks = {
  total: undefined,
  buckets: undefined,
  breakdown,
  compare: comparison,
  rolling,
}

describe("SeriesView.seriesOf", () => {
  it("gives the group, its rolling windows, each value in rank order and the rest", () => {
    const series = SeriesView.seriesOf(group, marks, "events")
    expect(series.map((each) => [each.kind, each.label, each.glyph])).toEqual([
      ["group", "all", undefined],
      ["rolling", "rolling 7d", undefined],
      ["value", "ios", "●"],
      ["value", "5", "○"],
      ["value", '"5"', "◆"], // the text "5", apart from the number
      ["other", "other", "×"],
    ])
    expect(series.map((each) => each.values)).toEqual([
      [6, 0, 3, 5],
      [9, 9, 12, 14],
      [4, 0, 1, 3],
      [1, 0, 0, 1],
      [1, 0, 0, 0],
      [0, 0, 2, 1],
    ])
  })

  it("is the group alone, named by its measure, without extensions; glyphs go on in letters", () => {
    expect(SeriesView.seriesOf(group, Extras.noMarks, "unique profiles")).toEqual([
      { kind: "group", label: "unique profiles", values: [6, 0, 3, 5] },
    ])
    const many: Extensions.BreakdownAnswer = {
      ...breakdown,
      series: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, buckets: {} })),
    }
    const glyphs = SeriesView.seriesOf(group, { ...Extras.noMarks, breakdown: many }, "events")
      .filter((each) => each.kind === "value")
      .map((each) => each.glyph)
    expect(glyphs).toEqual([...SeriesView.valueGlyphs, "a", "b"])
    expect(new Set(glyphs).size).toBe(10)
  })

  it("shows a series as the group with its values, figures and buckets' marks only", () => {
    const series = SeriesView.seriesOf(group, marks, "events")
    const ios = SeriesView.groupOf(group, series[2]!)
    expect(ios.buckets.map((bucket) => [bucket.key, bucket.value])).toEqual(
      keys.map((key, b) => [key, [4, 0, 1, 3][b]]),
    )
    expect([ios.total, ios.min, ios.max, ios.mean]).toEqual([8, 0, 4, 2])
    expect(SeriesView.groupOf(group, series[0]!)).toBe(group)
    const meta = new Map([["20250104", { first: "", last: "", complete: false }]])
    const full = { ...marks, total: 99, buckets: meta }
    expect(SeriesView.marksOf(full, series[0]!)).toBe(full)
    expect(SeriesView.marksOf(full, series[2]!)).toEqual({ total: undefined, buckets: meta })
    expect(SeriesView.at(series, 99)).toBe(series.at(-1))
  })
})

describe("SeriesView's points, columns and figures", () => {
  const series = SeriesView.seriesOf(group, marks, "events")

  it("draws the earlier period and each breakdown series over the group's bars only", () => {
    const overlays = SeriesView.overlaysOf(group, marks, series, series[0]!)
    expect(overlays.map((overlay) => [overlay.glyph, overlay.line, overlay.colour])).toEqual([
      ["─", true, "previous"],
      ["●", false, 0],
      ["○", false, 1],
      ["◆", false, 2],
      ["×", false, 3],
    ])
    // A bucket without counterpart has no earlier value: 0, no point.
    expect(overlays[0]!.values).toEqual([2, 0, 6, 0])
    for (const shown of series.slice(1))
      expect(SeriesView.overlaysOf(group, marks, series, shown)).toEqual([])
  })

  it("adds the earlier value, the change and the window to the group's table", () => {
    const columns = SeriesView.columnsOf(marks, series[0]!)
    expect(columns.map((column) => column.title)).toEqual(["PREVIOUS", "CHANGE", "ROLLING 7D"])
    expect(group.buckets.map((bucket) => columns.map((column) => column.cell(bucket)))).toEqual([
      ["2", "+4 (+200%)", "9"],
      ["0", "0 (—)", "9"],
      ["6", "-3 (-50%)", "12"],
      ["—", "—", "14"],
    ])
    expect(SeriesView.columnsOf(marks, series[1]!)).toEqual([])
    const table = TrendsTable.columnsOf(group, marks, 80, columns)
    expect(table.extra.map((column) => column.width)).toEqual([8, 10, 10])
    // Key, days, value and the columns leave the bar the rest: 80 - 2 - 8 - 2 - 10 - 2 - 5 - 34 - 2.
    expect(table.barWidth).toBe(15)
    expect(TrendsTable.columnsOf(group, marks, 60, columns).barWidth).toBe(0)
  })

  it("sets the total beside the earlier period's, which distinct profiles only have with totals", () => {
    expect(SeriesView.previousTotal(group, marks, false)).toBe(8)
    expect(SeriesView.previousTotal(group, marks, true)).toBeUndefined()
    const withTotals = { ...marks, compare: { ...comparison, previous_total: 5 } }
    expect(SeriesView.previousTotal(group, withTotals, true)).toBe(5)
    expect(SeriesView.previousTotal(group, Extras.noMarks, false)).toBeUndefined()
    const context = { unique: false, total: undefined, incomplete: false, ignored: false }
    expect(Figures.text(Figures.figuresOf(group, { ...context, previousTotal: 8 }, 80))).toBe(
      "total 14 · vs previous +6 (+75%) · min 0 · max 6 · average 3.5",
    )
    // Narrow: min, max and average go before the change.
    expect(Figures.text(Figures.figuresOf(group, { ...context, previousTotal: 8 }, 34))).toBe(
      "total 14 · vs previous +6 (+75%)",
    )
    // Windows overlap: the latest stands for the total, and no change is said.
    const windows = SeriesView.groupOf(group, series[1]!)
    expect(
      Figures.text(Figures.figuresOf(windows, { ...context, rolling: true, previousTotal: 8 }, 80)),
    ).toBe("latest 14 · min 9 · max 14 · average 11")
  })
})

describe("SeriesView.legendOf", () => {
  const series = SeriesView.seriesOf(group, marks, "events")

  it("names every series, the earlier period last with its dates, as tabs are laid out", () => {
    const items = SeriesView.legendOf(series, 0, marks, 100)!
    expect(items.map((item) => [item.text, item.selected, item.colour])).toEqual([
      ["all", true, "chart"],
      ["rolling 7d", false, "chart"],
      ["● ios", false, 0],
      ["○ 5", false, 1],
      ['◆ "5"', false, 2],
      ["× other", false, 3],
      ["─ previous 2024-12-28 → 2024-12-31", false, "previous"],
    ])
  })

  it("shortens the earlier period's dates, then drops them, before it cuts a series' name", () => {
    const width = (items: ReadonlyArray<SeriesView.LegendItem>) =>
      items.reduce((sum, item) => sum + item.text.length + 3, -1)
    const texts = (w: number) => SeriesView.legendOf(series, 0, marks, w)!.map((i) => i.text)
    const names = ["all", "rolling 7d", "● ios", "○ 5", '◆ "5"', "× other"]
    expect(texts(90)).toEqual([...names, "─ previous 2024-12-28 → 2024-12-31"])
    expect(texts(80)).toEqual([...names, "─ previous 12-28 → 12-31"])
    expect(texts(70)).toEqual([...names, "─ previous"])
    for (const w of [90, 80, 70, 50])
      expect(width(SeriesView.legendOf(series, 0, marks, w)!)).toBeLessThanOrEqual(w)
    // Narrower, names are cut, the shown series' least.
    const narrow = texts(50)
    expect(narrow[0]).toBe("all")
    expect(narrow.at(-1)).toBe("─ previous")
    expect(narrow.some((text) => text.includes("…"))).toBe(true)
    expect(SeriesView.legendOf(series, 2, marks, 50)!.map((i) => i.text)).toContain("● ios")
  })

  it("is there only for several series or a comparison, which another series does not show", () => {
    expect(SeriesView.legendOf(series.slice(0, 1), 0, Extras.noMarks, 80)).toBeUndefined()
    const compareOnly = SeriesView.legendOf(series.slice(0, 1), 0, marks, 80)!
    expect(compareOnly.map((item) => item.text)).toEqual(["─ previous 2024-12-28 → 2024-12-31"])
    const yearEarlier = { ...marks, compare: { ...comparison, kind: "previous_year" as const } }
    expect(SeriesView.legendOf(series, 1, yearEarlier, 200)!.map((i) => i.text)).not.toContain(
      "─ a year earlier 2024-12-28 → 2024-12-31",
    )
    expect(SeriesView.legendOf(series, 0, yearEarlier, 200)!.at(-1)!.text).toBe(
      "─ a year earlier 2024-12-28 → 2024-12-31",
    )
  })
})

describe("ResultsView: Tab through series, then groups", () => {
  const context = { groupCount: 2, rowCounts: [4, 4], pageSize: 10, seriesCounts: [3, 1] }
  const press = (state: ResultsView.ResultsState, key: Partial<typeof noKey>) =>
    ResultsView.onKey(state, "", { ...noKey, ...key }, context).state
  const at = (state: ResultsView.ResultsState) => [state.group, state.series]

  it("steps through each series of a group, then to the next group, and back with Shift+Tab", () => {
    let state = { ...ResultsView.initialState({}), selected: 2 }
    const stops: Array<ReadonlyArray<number>> = []
    for (let i = 0; i < 5; i++) {
      stops.push(at(state))
      state = press(state, { tab: true })
    }
    expect(stops).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [0, 0],
    ])
    // Within a group, the row stays: the buckets are the same.
    expect(press({ ...ResultsView.initialState({}), selected: 2 }, { tab: true }).selected).toBe(2)
    state = ResultsView.initialState({})
    state = press(state, { tab: true, shift: true })
    expect(at(state)).toEqual([1, 0])
    state = press(state, { tab: true, shift: true })
    expect(at(state)).toEqual([0, 2]) // the previous group's last series
  })

  it("goes from group to group with ← and →, from the group's own view", () => {
    let state = press(ResultsView.initialState({}), { tab: true })
    expect(at(state)).toEqual([0, 1])
    state = press(state, { rightArrow: true })
    expect(at(state)).toEqual([1, 0])
    state = press(state, { leftArrow: true })
    expect(at(state)).toEqual([0, 0])
  })

  it("cycles the series of a lone group, and does nothing for one of one series", () => {
    const lone = { groupCount: 1, rowCounts: [4], pageSize: 10, seriesCounts: [2] }
    const tab = (state: ResultsView.ResultsState, shift = false) =>
      ResultsView.onKey(state, "", { ...noKey, tab: true, shift }, lone).state
    const start = ResultsView.initialState({})
    expect(tab(start).series).toBe(1)
    expect(tab(tab(start)).series).toBe(0)
    expect(tab(start, true).series).toBe(1)
    const single = { groupCount: 1, rowCounts: [4], pageSize: 10 }
    expect(ResultsView.onKey(start, "", { ...noKey, tab: true }, single).state).toEqual(start)
  })

  it("hints Tab for series first, and ←→ for groups, when the group has several", () => {
    const state = ResultsView.initialState({})
    expect(ResultsView.hintsFor(state, 2, 3).slice(0, 3)).toEqual([
      ["Tab", "series"],
      ["←→", "group"],
      ["↑↓ PgUp PgDn", "scroll"],
    ])
    expect(ResultsView.hintsFor(state, 1, 3)[1]).toEqual(["↑↓ PgUp PgDn", "scroll"])
    expect(ResultsView.hintsFor(state, 2)[1]).toEqual(["Tab", "group"])
    expect(ResultsView.hintsFor(state, 1).map(([key]) => key)).not.toContain("Tab")
  })
})

describe("ChartLayout's points", () => {
  it("puts each point in the cell of its value's top, across the bar for a level", () => {
    const chart = ChartLayout.layout({
      values: [8, 4],
      keys: ["a", "b"],
      width: 12,
      height: 4,
      overlays: [
        { values: [2, 8], glyph: "─", line: true },
        { values: [0, 5], glyph: "●" },
      ],
    })
    // Bars 4 columns wide a gap apart, after "8 ┤".
    expect(chart.rows).toEqual(["████ ────", "████  ●  ", "████ ████", "──── ████"])
    expect(chart.points).toContainEqual({ row: 3, x: 0, overlay: 0 })
    expect(chart.points).toContainEqual({ row: 1, x: 6, overlay: 1 })
    // No point for a zero.
    expect(chart.points.filter((point) => point.overlay === 1)).toHaveLength(1)
  })

  it("tops the axis at the largest of bars and points, and takes a column's max", () => {
    const chart = ChartLayout.layout({
      values: Array.from({ length: 40 }, () => 1),
      keys: Array.from({ length: 40 }, (_, i) => String(i)),
      width: 24,
      height: 3, // the note takes a row: a plot of two
      overlays: [{ values: Array.from({ length: 40 }, (_, i) => (i === 39 ? 10 : 0)), glyph: "×" }],
    })
    expect(chart.axis[0]).toBe("10 ┤")
    expect(chart.perColumn).toBe(2)
    expect(chart.points).toEqual([{ row: 0, x: 19, overlay: 0 }])
    expect(chart.rows[0]!.trimEnd()).toBe(`${" ".repeat(19)}×`)
    expect(chart.rows[1]).toBe("▂".repeat(20))
  })
})

describe("ChartTicks.hourTicks", () => {
  const hours = (from: string, to: string, zone = "UTC") =>
    Bucket.hoursOf(
      Calendar.unsafeMakeDay(
        Number(from.slice(0, 4)),
        Number(from.slice(4, 6)),
        Number(from.slice(6)),
      ),
      Calendar.unsafeMakeDay(Number(to.slice(0, 4)), Number(to.slice(4, 6)), Number(to.slice(6))),
      zone,
    ).map((bucket) => bucket.key)

  it("labels 745 hours by their days, spread evenly, none touching, in order", () => {
    // October 2025 in New York: 31 days, the 745 hours of the longest hourly range.
    const keys = hours("20251001", "20251031", "America/New_York")
    expect(keys).toHaveLength(24 * 31)
    const november = hours("20251101", "20251130", "America/New_York")
    expect(november).toHaveLength(24 * 30 + 1) // 2025-11-02 has 25 hours
    const ticks = ChartTicks.hourTicks(november)
    expect(ticks).toHaveLength(30)
    expect(ticks[0]).toEqual({ bucket: 0, label: "11-01", align: "start" })
    // Each day is labelled at its first hour: the one after the 25-hour day starts at 49.
    expect(ticks.find((tick) => tick.label === "11-03")?.bucket).toBe(49)
    const chart = ChartLayout.layout({
      values: november.map(() => 1),
      keys: november,
      width: 80,
      height: 4,
      ticks,
    })
    const labels = chart.keys.trim().split(/ +/)
    expect(labels.length).toBeGreaterThanOrEqual(8)
    expect([...labels].sort()).toEqual(labels)
    expect(labels[0]).toBe("11-01")
    // Spread: no gap between neighbours is more than twice another.
    const at = labels.map((label) => chart.keys.indexOf(label))
    const gaps = at.slice(1).map((x, i) => x - at[i]!)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * Math.min(...gaps))
  })

  it("labels the hours of a short range, and a single day's last hour", () => {
    const day = ChartTicks.hourTicks(hours("20250101", "20250101"))
    expect(day.map((tick) => tick.label)).toEqual(["01-01", "23h", "06h", "12h", "18h"])
    const chart = ChartLayout.layout({
      values: Array.from({ length: 24 }, () => 1),
      keys: hours("20250101", "20250101"),
      width: 60,
      height: 2,
      ticks: day,
    })
    expect(chart.keys.trim().split(/ +/)).toEqual(["01-01", "06h", "12h", "18h", "23h"])
    const week = ChartTicks.hourTicks(hours("20250101", "20250107"))
    expect(week.map((tick) => tick.label)).toEqual([
      "01-01",
      "01-05",
      "01-03",
      "01-06",
      "01-02",
      "01-04",
      "01-07",
    ])
    expect(ChartTicks.hourTicks([])).toEqual([])
  })

  it("reads an hour's key as its day and hour, and only an hourly group's", () => {
    expect(Format.hourOf("2025110224", "hourly")).toBe("2025-11-02 24h")
    expect(Format.hourOf("2025110224", "daily")).toBeUndefined()
    expect(Format.hourOf("20251102", "hourly")).toBeUndefined()
    const day = new Date(Date.UTC(2025, 10, 2))
    const bucket = { key: "2025110201", start: day, end: day, value: 1 }
    expect(Format.bucketDates(bucket, "hourly")).toBe("2025-11-02 01h")
    expect(Format.bucketDates(bucket)).toBe("2025-11-02")
  })
})

describe("rolling windows in Extras and the CSV", () => {
  const answer = (extras: Extensions.Extras | undefined): TrendsClient.TrendsAnswer => ({
    body: { status: "success" } as TrendsClient.TrendsAnswer["body"],
    groups: { daily: group, w: { ...group, trendType: "weekly" } },
    ...(extras === undefined ? {} : { extras }),
  })

  it("are asked for by a group's rolling, and shown for the groups that have them", () => {
    const wanted = Extras.wantedOf({
      groups: { daily: { trend_type: "daily", rolling: 7 }, w: { trend_type: "weekly" } },
    })
    expect(wanted).toEqual({ totals: false, bucketMeta: false, rolling: true })
    expect(Extras.isAny(wanted)).toBe(true)
    const extras = { groups: { daily: { rolling }, w: {} } }
    expect(Extras.groupOf(answer(extras), "daily", wanted).rolling).toEqual(rolling)
    expect(Extras.groupOf(answer(extras), "w", wanted).rolling).toBeUndefined()
    expect(Extras.groupOf(answer(extras), "daily", Extras.none).rolling).toBeUndefined()
  })

  it("are the CSV's last column when asked and answered, empty for other groups", () => {
    const wanted = { ...Extras.none, rolling: true }
    const rows = Export.toCsv(answer({ groups: { daily: { rolling }, w: {} } }), wanted)
      .trimEnd()
      .split("\n")
    expect(rows[0]).toBe("group,trend_type,key,start,end,value,rolling")
    expect(rows.slice(1, 5).map((row) => row.split(",").at(-1))).toEqual(["9", "9", "12", "14"])
    expect(rows[5]).toBe("w,weekly,20250101,2025-01-01,2025-01-01,6,")
    // A server that ignored them: the plain CSV.
    expect(Export.toCsv(answer(undefined), wanted).split("\n")[0]).toBe(
      "group,trend_type,key,start,end,value",
    )
  })
})
