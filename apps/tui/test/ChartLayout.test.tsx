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

  it("averages buckets into columns when there are more buckets than columns", () => {
    const values = Array.from({ length: 365 }, (_, i) => i)
    const chart = ChartLayout.layout({ values, keys: keys(365), width: 80, height: 4 })
    const width = 80 - "364 ┤".length
    expect(chart.perColumn).toBe(Math.ceil(365 / width))
    // The columns fill the width: no empty space on the right of a bottom row.
    expect(chart.rows.at(-1)!.slice(1)).toMatch(/^[▁▂▃▄▅▆▇█]+$/)
    expect(chart.rows.every((row) => row.length === width)).toBe(true)
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
