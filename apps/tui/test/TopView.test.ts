/**
 * The top values screen's pure parts: how a value reads (text unquoted unless it would read
 * as something else), the table's columns and bars for a width, the lines about a group,
 * the title line of a top request, and the export's CSV and JSON.
 */
import type * as TopCounts from "@trendline/core/TopCounts"
import { describe, expect, it } from "vitest"
import * as Export from "../src/Export.ts"
import * as QueryRequest from "../src/QueryRequest.ts"
import * as Format from "../src/view/Format.ts"
import * as TopView from "../src/view/TopView.ts"

describe("TopView.displayValue", () => {
  it("tells the text from the number or boolean it looks like", () => {
    expect(TopView.displayValue("5")).toBe('"5"')
    expect(TopView.displayValue(5)).toBe("5")
    expect(TopView.displayValue("true")).toBe('"true"')
    expect(TopView.displayValue(true)).toBe("true")
    expect(TopView.displayValue(false)).toBe("false")
    expect(TopView.displayValue("-0.5e3")).toBe('"-0.5e3"')
    expect(TopView.displayValue(4.5)).toBe("4.5")
    expect(TopView.displayValue("null")).toBe('"null"')
  })

  it("shows plain text as it is, and quotes what would not show or would read as quoted", () => {
    expect(TopView.displayValue("pro")).toBe("pro")
    expect(TopView.displayValue("Books & more, 2nd ed.")).toBe("Books & more, 2nd ed.")
    expect(TopView.displayValue('"pro')).toBe('"pro') // not JSON: nothing else reads so
    expect(TopView.displayValue("")).toBe('""')
    expect(TopView.displayValue(" pro")).toBe('" pro"')
    expect(TopView.displayValue("a\nb")).toBe('"a\\nb"')
    expect(TopView.displayValue('"5"')).toBe('"\\"5\\""')
  })

  it("never shows two different values the same way", () => {
    const values: ReadonlyArray<TopCounts.Value> = [
      "5",
      5,
      '"5"',
      "true",
      true,
      "false",
      false,
      "",
      " ",
      "pro",
      '"pro"',
      "4.5",
      4.5,
      "null",
      "[1]",
    ]
    const shown = values.map(TopView.displayValue)
    expect(new Set(shown).size).toBe(values.length)
  })
})

const entries = (counts: ReadonlyArray<number>, value = (i: number): TopCounts.Value => `v${i}`) =>
  counts.map((count, i) => ({ value: value(i), count }))

describe("TopView table", () => {
  const long = "a very long text value that goes on and on, far past what a column holds"

  it("fits every row in the width, cutting a long value with an ellipsis", () => {
    for (const width of [40, 60, 80, 120]) {
      const group = entries([1200, 800, 5], (i) => (i === 1 ? long : `v${i}`))
      const columns = TopView.columnsOf(group, width)
      const rows = TopView.rowsOf(group, columns)
      for (const row of [TopView.headerOf(columns), ...rows]) {
        const line = `› ${row.rank}  ${row.value}  ${row.count}${row.bar === "" ? "" : `  ${row.bar}`}`
        expect(line.length).toBeLessThanOrEqual(width)
      }
      expect(rows[1]!.value.trimEnd()).toMatch(/^a very long.*…$/)
      expect(rows[0]!.count.trim()).toBe("1,200")
    }
  })

  it("scales the bars to the group's largest count, every counted value at least one cell", () => {
    const group = entries([1000, 500, 1])
    const columns = TopView.columnsOf(group, 80)
    const bars = TopView.rowsOf(group, columns).map((row) => row.bar.length)
    expect(columns.bar).toBeGreaterThanOrEqual(8)
    expect(bars[0]).toBe(columns.bar)
    expect(bars[1]).toBe(Math.round(columns.bar / 2))
    expect(bars[2]).toBe(1)
  })

  it("ranks from 1 in the answer's order, right-aligned", () => {
    const group = entries(Array.from({ length: 12 }, (_, i) => 12 - i))
    const rows = TopView.rowsOf(group, TopView.columnsOf(group, 80))
    expect(rows.map((row) => row.rank).slice(0, 2)).toEqual([" 1", " 2"])
    expect(rows.at(-1)!.rank).toBe("12")
  })
})

describe("TopView lines", () => {
  const body = {
    event_name: "Charged",
    from: 20261028,
    to: 20261126,
    groups: { Plan: { property_type: "profile_fields", name: "Plan", top_n: 5, order: "asc" } },
  }

  it("read the request's group, with core's defaults for what it leaves out", () => {
    expect(TopView.groupOf(body, "Plan")).toEqual({
      property: "Plan",
      source: "profile",
      topN: 5,
      order: "asc",
    })
    expect(
      TopView.groupOf(
        { groups: { x: { property_type: "event_properties", name: "Category" } } },
        "x",
      ),
    ).toEqual({ property: "Category", source: "event", topN: 10, order: "desc" })
  })

  it("say how many values there are, and when that is all of them", () => {
    const plan = TopView.groupOf(body, "Plan")
    expect(TopView.status(entries([3, 2, 1]), plan)).toBe(
      "3 values, all there are · profile field · least frequent first",
    )
    expect(TopView.status(entries([5, 4, 3, 2, 1]), plan)).toBe(
      "5 values · profile field · least frequent first",
    )
    expect(TopView.status([], plan)).toBe("0 values · profile field · least frequent first")
    // In less room: without whose, then the count alone.
    expect(TopView.status(entries([3, 2, 1]), plan, 46)).toBe(
      "3 values, all there are · least frequent first",
    )
    expect(TopView.status(entries([3, 2, 1]), plan, 20)).toBe("3 values")
  })

  it("say what an empty group means, naming the event meant", () => {
    const plan = TopView.groupOf(body, "Plan")
    expect(TopView.emptyHint(body, plan, ["Charged", "App Opened"])).toEqual([
      'No "Charged" event in this range (2026-10-28 → 2026-11-26) has "Plan", a profile field.',
      "Check the name (letter case counts), or look for it as an event property, or try a wider range.",
    ])
    expect(TopView.emptyHint({ ...body, event_name: "Chargd" }, plan, ["Charged"])[1]).toBe(
      'The data has no event named "Chargd": did you mean "Charged"?',
    )
  })

  it("title a top request by what it asks", () => {
    expect(Format.request(QueryRequest.top(body))).toBe(
      '"Charged" · 5 least frequent values of profile field Plan · 2026-10-28 → 2026-11-26',
    )
    expect(
      Format.request(
        QueryRequest.top({
          ...body,
          groups: { Category: { property_type: "event_properties", name: "Category" } },
          event_properties: [{ name: "Amount", operator: "greater_than", value: 5 }],
        }),
      ),
    ).toBe(
      '"Charged" · 10 most frequent values of Category · 2026-10-28 → 2026-11-26 · 1 condition',
    )
  })
})

describe("the top values export", () => {
  const answer = {
    Score: [
      { value: "5", count: 4 },
      { value: 5, count: 2 },
      { value: "a, b", count: 1 },
    ],
  }

  it("is CSV, a row a value, group,value,count, quoted where CSV needs it", () => {
    expect(Export.topToCsv(answer)).toBe(
      'group,value,count\nScore,5,4\nScore,5,2\nScore,"a, b",1\n',
    )
  })

  it("is the wire body as JSON, keeping text and numbers apart", () => {
    expect(JSON.parse(Export.topToJson(answer))).toEqual({ status: "success", ...answer })
    expect(Export.topToJson(answer)).toContain('{"value":"5","count":4},{"value":5,"count":2}')
  })
})
