import { describe, expect, it } from "vitest"
import { fitCommand } from "../src/components/CurlPanel.tsx"
import * as Export from "../src/Export.ts"
import * as ChartLayout from "../src/view/ChartLayout.ts"

const keys = (count: number) => Array.from({ length: count }, (_, i) => String(20260101 + i))

describe("ChartLayout.layout", () => {
  it("draws a bar with a gap per bucket when they fit, scaled to the largest", () => {
    const chart = ChartLayout.layout({
      values: [0, 5, 10],
      keys: keys(3),
      width: 30,
      height: 2,
      selected: 1,
    })
    expect(chart.mode).toBe("bars")
    expect(chart.axis).toEqual(["10 ┤", " 0 ┤"])
    const width = 30 - "10 ┤".length
    expect(chart.rows.every((row) => row.length === width)).toBe(true)
    // 5 of 10 on two rows is one full row: the bottom.
    expect(chart.rows[0]!.trim()).toMatch(/^█+$/)
    expect(chart.rows[1]!.replaceAll(" ", "")).toMatch(/^█+$/)
    const [start, end] = chart.selected!
    expect(chart.rows[1]!.slice(start, end)).toMatch(/^█+$/)
    expect(chart.keys).toContain("20260101")
    expect(chart.keys).toContain("20260103")
  })

  it("becomes a sparkline, a column per bucket, when bars with gaps do not fit", () => {
    const chart = ChartLayout.layout({
      values: keys(50).map(Number),
      keys: keys(50),
      width: 80,
      height: 3,
    })
    expect(chart.mode).toBe("sparkline")
    expect(chart.perColumn).toBe(1)
    expect(chart.rows[2]!.trimEnd()).toHaveLength(50)
  })

  it("shows the max of its buckets in a column when there are more buckets than columns", () => {
    const values = Array.from({ length: 365 }, (_, i) => i)
    const chart = ChartLayout.layout({ values, keys: keys(365), width: 80, height: 4 })
    const width = 80 - "364 ┤".length
    expect(chart.perColumn).toBe(Math.ceil(365 / width))
    expect(chart.fewestPerColumn).toBe(Math.floor(365 / width))
    // The columns fill the width: no empty space on the right of a bottom row.
    expect(chart.rows.at(-1)!.slice(1)).toMatch(/^[▁▂▃▄▅▆▇█]+$/)
    expect(chart.rows.every((row) => row.length === width)).toBe(true)
    expect(chart.axis[0]).toBe("364 ┤")
  })

  it("keeps a one-day spike at full height, the axis topped by it", () => {
    const values = Array.from({ length: 330 }, (_, i) => (i === 200 ? 8_084 : 100))
    const chart = ChartLayout.layout({ values, keys: keys(330), width: 80, height: 6 })
    expect(chart.axis[0]).toBe("8,084 ┤")
    expect(chart.rows[0]!.trim()).toBe("█")
    // A mean of 4 or 5 days would have drawn the spike at most a quarter as high.
    expect(chart.rows[0]!.indexOf("█")).toBe(Math.floor((200 * chart.rows[0]!.length) / 330))
  })

  it("says what a column stands for on a row of its own, fitted to the width", () => {
    const values = Array.from({ length: 330 }, (_, i) => i + 1)
    const chart = ChartLayout.layout({
      values,
      keys: keys(330),
      width: 80,
      height: 6,
      unit: "days",
    })
    expect(chart.note).toBe(`${" ".repeat("330 ┤".length)}each column is the max of 4–5 days`)
    // The note takes a row of the height: the plot has one fewer.
    expect(chart.rows).toHaveLength(5)
    expect(chart.axis).toHaveLength(5)
    for (const width of [40, 30, 20, 12]) {
      const narrow = ChartLayout.layout({ values, keys: keys(330), width, height: 6, unit: "days" })
      expect(narrow.note!.length).toBeLessThanOrEqual(width)
      expect(narrow.note).toMatch(/max/)
    }
    expect(ChartLayout.columnNote(7, 7, "weeks", 4, 40)).toBe(
      "    each column is the max of 7 weeks",
    )
    expect(ChartLayout.columnNote(4, 5, "days", 7, 31)).toBe("       column = max of 4–5 days")
    expect(ChartLayout.columnNote(4, 5, "days", 7, 30)).toBe("       max of 4–5 days")
    expect(ChartLayout.columnNote(4, 5, "days", 7, 10)).toBe("max of 4–…")
  })

  it("has no note when every bucket has a column, or there are no buckets", () => {
    const chart = ChartLayout.layout({ values: [1, 2, 3], keys: keys(3), width: 40, height: 3 })
    expect(chart.note).toBeUndefined()
    expect(chart.rows).toHaveLength(3)
    const empty = ChartLayout.layout({ values: [], keys: [], width: 40, height: 3 })
    expect([empty.note, empty.perColumn, empty.fewestPerColumn]).toEqual([undefined, 1, 1])
  })

  it("labels the axis with the largest value as the figures show it", () => {
    const chart = ChartLayout.layout({
      values: [0.25, 411.52],
      keys: keys(2),
      width: 30,
      height: 2,
    })
    expect(chart.axis[0]).toBe("411.52 ┤")
  })

  it("draws nothing above the axis when every value is zero", () => {
    const chart = ChartLayout.layout({ values: [0, 0], keys: keys(2), width: 20, height: 2 })
    expect(chart.rows.join("").trim()).toBe("")
  })
})

describe("fitCommand", () => {
  it("breaks a long body between JSON values only, keeping the request the same", () => {
    const request = {
      event_name: "Charged, refunded",
      from: 20260101,
      to: 20261126,
      groups: { a: { trend_type: "daily" } },
    }
    const lines = fitCommand(Export.curl(request), 40)
    const body = lines.slice(lines.findIndex((line) => line.startsWith("  -d "))).join("\n")
    expect(lines.length).toBeGreaterThan(5)
    expect(JSON.parse(body.slice(body.indexOf("'") + 1, body.lastIndexOf("'")))).toEqual(request)
  })
})
