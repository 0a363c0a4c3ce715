import { describe, expect, it } from "vitest"
import { fitHints } from "../src/components/KeyHints.tsx"
import { visibleWindow } from "../src/components/TextField.tsx"
import * as Format from "../src/view/Format.ts"
import * as ResultsView from "../src/view/ResultsView.ts"

describe("Format.wrap", () => {
  it("breaks between words, never past the width", () => {
    const text = "Could not write /tmp/out.csv: EACCES: permission denied, open '/tmp/out.csv'"
    const lines = Format.wrap(text, 30)
    expect(lines).toEqual([
      "Could not write /tmp/out.csv:",
      "EACCES: permission denied,",
      "open '/tmp/out.csv'",
    ])
    expect(lines.join(" ")).toBe(text)
  })

  it("breaks a word longer than a line where the line ends", () => {
    expect(Format.wrap("at /a/very/long/path/name.csv now", 10)).toEqual([
      "at",
      "/a/very/lo",
      "ng/path/na",
      "me.csv now",
    ])
  })

  it("keeps a short text on one line, and an empty one as one empty line", () => {
    expect(Format.wrap("✓ Wrote 30 buckets", 80)).toEqual(["✓ Wrote 30 buckets"])
    expect(Format.wrap("", 80)).toEqual([""])
  })
})

describe("Format.fitMiddle", () => {
  it("keeps both ends of a cut text", () => {
    expect(Format.fitMiddle("revenue in EUR by day", 11)).toBe("reven…y day")
    expect(Format.fitMiddle("short", 11)).toBe("short")
    expect(Format.fitMiddle("abc", 1)).toBe("…")
  })
})

describe("ResultsView.tabLabels", () => {
  // A tab is its label with a space either side; tabs are a space apart.
  const widthOf = (labels: ReadonlyArray<string>) =>
    labels.reduce((sum, label) => sum + label.length + 2, 0) + labels.length - 1

  it("leaves names that fit alone", () => {
    expect(ResultsView.tabLabels(["days", "weeks"], 0, 40)).toEqual(["days", "weeks"])
  })

  it("cuts the longest names first, in the middle, until every tab fits", () => {
    const names = [
      "daily",
      "revenue from the spring campaign, by day",
      "revenue from the spring campaign, by week",
    ]
    const labels = ResultsView.tabLabels(names, 0, 50)
    expect(widthOf(labels)).toBeLessThanOrEqual(50)
    expect(labels[0]).toBe("daily")
    // Names alike at the start stay apart by their ends.
    expect(labels[1]).toMatch(/^revenue.*….*by day$/)
    expect(labels[2]).toMatch(/^revenue.*….*by week$/)
  })

  it("gives the selected tab the columns left over", () => {
    const names = ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"]
    const width = 2 * 2 + 1 + 21 // one column more than two tabs of 10 characters need
    const labels = ResultsView.tabLabels(names, 1, width)
    expect(labels.map((label) => label.length)).toEqual([10, 11])
  })
})

describe("TextField's visibleWindow", () => {
  const shown = (text: string, cursor: number, width: number) => {
    const window = visibleWindow(text, cursor, width)
    const visible = `${window.cutStart ? "…" : ""}${text.slice(window.start, window.end)}`
    // The cursor's cell: a character of the text, or the one after its end.
    const cells = visible.length + (cursor === text.length && !window.cutEnd ? 1 : 0)
    expect(cells + (window.cutEnd ? 1 : 0)).toBeLessThanOrEqual(width)
    expect(cursor).toBeGreaterThanOrEqual(window.start)
    expect(cursor <= window.end).toBe(true)
    return `${visible}${window.cutEnd ? "…" : ""}`
  }

  it("shows a text that fits, and the cursor cell after it", () => {
    expect(shown("daily", 5, 10)).toBe("daily")
  })

  it("keeps the cursor in view of a long text: at its end, its start, its middle", () => {
    const text = "abcdefghijklmnopqrstuvwxyz"
    expect(shown(text, 26, 10)).toBe("…stuvwxyz")
    expect(shown(text, 0, 10)).toBe("abcdefghi…")
    expect(shown(text, 25, 10)).toBe("…rstuvwxyz")
    expect(shown(text, 12, 10)).toBe("…fghijklm…")
  })

  it("holds the cursor for every position and width", () => {
    const text = "revenue from returning customers"
    for (let width = 3; width < 40; width++) {
      for (let cursor = 0; cursor <= text.length; cursor++) shown(text, cursor, width)
    }
  })
})

describe("fitHints", () => {
  const hints = [
    ["Enter", "run"],
    ["↑↓", "fields"],
    ["Esc", "stop typing"],
    ["?", "help"],
    ["Ctrl+Q", "quit"],
  ] as const

  it("keeps every hint that fits", () => {
    expect(fitHints(hints, 80)).toEqual(hints)
  })

  it("drops the hints before the last until the line fits, keeping how to quit", () => {
    expect(fitHints(hints, 40)).toEqual([
      ["Enter", "run"],
      ["↑↓", "fields"],
      ["Ctrl+Q", "quit"],
    ])
    expect(fitHints(hints, 10).at(-1)).toEqual(["Ctrl+Q", "quit"])
  })
})
