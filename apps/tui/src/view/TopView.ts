/**
 * The top values screen as data: how a value reads (text unquoted unless it would read as a
 * number or `true`/`false`), the ranked table's columns and bars for a width, the line
 * about a group, and what to say when a group has no values. The keyboard is the results
 * screen's (`ResultsView.onKey`): the same tabs, scrolling, export and curl.
 *
 * The answer gives each value's count, not how many events matched: a share of the
 * group's events cannot be told from it, so the table shows none.
 */
import * as TopCounts from "@trendline/core/TopCounts"
import * as EmptyAnswer from "./EmptyAnswer.ts"
import * as Format from "./Format.ts"

/**
 * A value as shown: a number or boolean as JSON (`5`, `true`); a text as it is, unless it
 * would read as something else, then as a JSON string: `"5"`, `"true"`, `""`, `" pro"`,
 * `"\"x\""`. So two different values never look the same.
 *
 * @example displayValue("5") // '"5"', while displayValue(5) is '5'
 */
export const displayValue = (value: TopCounts.Value): string => {
  if (typeof value !== "string") return JSON.stringify(value)
  // Any text that parses as JSON (`5`, `true`, `"x"`, `null`) could be taken for another
  // value; an empty text, spaces at its edges or a control character in it would not show.
  const hidden =
    value === "" ||
    value.trim() !== value ||
    Array.from(value).some((char) => char.charCodeAt(0) < 32 || char === "\u007f")
  return hidden || parsesAsJson(value) ? JSON.stringify(value) : value
}

const parsesAsJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The request's group as the screen describes it. */
export interface GroupSummary {
  readonly property: string
  readonly source: "event" | "profile"
  readonly topN: number
  readonly order: "desc" | "asc"
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The group `name` of a top values wire body, with core's defaults for what it leaves out. */
export const groupOf = (body: Readonly<Record<string, unknown>>, name: string): GroupSummary => {
  const groups = isRecord(body.groups) ? body.groups : {}
  const group = Object.hasOwn(groups, name) && isRecord(groups[name]) ? groups[name] : {}
  return {
    property: typeof group.name === "string" ? group.name : name,
    source: group.property_type === "profile_fields" ? "profile" : "event",
    topN: typeof group.top_n === "number" ? group.top_n : TopCounts.defaultTopN,
    order: group.order === "asc" ? "asc" : "desc",
  }
}

/**
 * The line beside the tabs: how many values, whose, in which order; fewer values than
 * asked for are all the values there are. In `room` columns it drops whose, then the order,
 * rather than be cut.
 */
export const status = (
  entries: ReadonlyArray<TopCounts.Entry>,
  group: GroupSummary,
  room = Number.POSITIVE_INFINITY,
): string => {
  const count = `${entries.length} value${entries.length === 1 ? "" : "s"}`
  const all = entries.length > 0 && entries.length < group.topN ? ", all there are" : ""
  const whose = group.source === "profile" ? "profile field" : "event property"
  const order = group.order === "asc" ? "least frequent first" : "most frequent first"
  const candidates = [`${count}${all} · ${whose} · ${order}`, `${count}${all} · ${order}`, count]
  return candidates.find((text) => text.length <= room) ?? count
}

/** The table's columns for `width`: rank, value, count and bar widths (0: no bar). */
export interface Columns {
  readonly rank: number
  readonly value: number
  readonly count: number
  readonly bar: number
}

// The row's marker (`› `) and the gaps between the four columns.
const marker = 2
const gap = 2
const minValue = 5
const minBar = 8
const maxBar = 50

/**
 * The columns of a group's table `width` wide: the value column as wide as the longest
 * value but at most half the room (longer values are cut with an ellipsis), so the bars
 * keep the rest, `maxBar` at most; no bar when fewer than `minBar` columns are left.
 */
export const columnsOf = (entries: ReadonlyArray<TopCounts.Entry>, width: number): Columns => {
  const rank = Math.max(1, String(entries.length).length)
  const count = Math.max(6, ...entries.map((entry) => Format.number(entry.count).length))
  const room = width - (marker + rank + gap + gap + count)
  const longest = Math.max(minValue, ...entries.map((entry) => displayValue(entry.value).length))
  const value = Math.max(Math.min(longest, Math.floor(room / 2)), Math.min(minValue, room))
  const left = room - value - gap
  return { rank, value, count, bar: left >= minBar ? Math.min(left, maxBar) : 0 }
}

/** One row of the table as text cells, already fitted to `columns`. */
export interface Row {
  readonly rank: string
  readonly value: string
  readonly count: string
  readonly bar: string
}

/**
 * The rows of a group's table: rank (1 first, in the answer's order), the value cut to its
 * column with an ellipsis, the count, and a bar scaled to the group's largest count (a
 * value that counts gets at least one cell).
 */
export const rowsOf = (entries: ReadonlyArray<TopCounts.Entry>, columns: Columns): Array<Row> => {
  const max = Math.max(0, ...entries.map((entry) => entry.count))
  return entries.map((entry, index) => ({
    rank: String(index + 1).padStart(columns.rank),
    value: Format.fit(displayValue(entry.value), columns.value).padEnd(columns.value),
    count: Format.number(entry.count).padStart(columns.count),
    bar:
      columns.bar === 0 || max === 0 || entry.count === 0
        ? ""
        : "▇".repeat(Math.max(1, Math.round((entry.count / max) * columns.bar))),
  }))
}

/** The table's header cells for `columns`. */
export const headerOf = (columns: Columns): Row => ({
  rank: "#".padStart(columns.rank),
  value: "VALUE".padEnd(columns.value),
  count: "EVENTS".padStart(columns.count),
  bar: "",
})

/**
 * What to say about a group without values: the first line states it, the second says what
 * to check. `eventNames` are the store's names (empty when unknown, as remote).
 */
export const emptyHint = (
  body: Readonly<Record<string, unknown>>,
  group: GroupSummary,
  eventNames: ReadonlyArray<string>,
): readonly [string, string] => {
  const name = String(body.event_name ?? "")
  const range = `${Format.dateKey(body.from)} → ${Format.dateKey(body.to)}`
  const whose = group.source === "profile" ? "a profile field" : "an event property"
  const first = `No ${JSON.stringify(name)} event in this range (${range}) has ${JSON.stringify(group.property)}, ${whose}.`
  const other =
    group.source === "profile"
      ? "or look for it as an event property"
      : "or look for it as a profile field"
  const advice = `Check the name (letter case counts), ${other}, or try a wider range.`
  if (eventNames.length === 0 || eventNames.includes(name)) return [first, advice]
  const meant = EmptyAnswer.closestName(name, eventNames)
  return [
    first,
    `The data has no event named ${JSON.stringify(name)}: ${
      meant === undefined ? "check the name." : `did you mean ${JSON.stringify(meant)}?`
    }`,
  ]
}
