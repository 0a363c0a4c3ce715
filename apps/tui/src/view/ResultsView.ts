/**
 * The results screens as data (trends and top values alike): which group is shown and
 * which of its series (`SeriesView`: a breakdown's values, rolling windows), the selected
 * row (a bucket or a value) and the table's scroll, the export and curl panels, and
 * `onKey`, their keyboard behaviour as a pure function.
 *
 * Tab steps through every view in order, each series of a group then the next group;
 * ← and → step through the groups alone. A group of one series is one stop, so without
 * breakdowns or rolling windows Tab goes from group to group, as ← and → do.
 */
import type { Key } from "ink"
import * as TextEdit from "../form/TextEdit.ts"
import * as Format from "./Format.ts"

export type ExportFormat = "csv" | "json"

export type Panel = "none" | "export" | "curl"

export interface ResultsState {
  readonly group: number
  /** The shown series of the group (`SeriesView.seriesOf`); 0 is the group itself. */
  readonly series: number
  readonly selected: number
  /** The first bucket row shown in the table. */
  readonly offset: number
  readonly panel: Panel
  readonly format: ExportFormat
  readonly fileName: string
  readonly cursor: number
  /** The file exists: the next Enter overwrites it. */
  readonly confirmOverwrite: boolean
  /** What the last export did, until the next key. */
  readonly message: { readonly ok: boolean; readonly text: string } | undefined
}

export type Command =
  | { readonly _tag: "Back" }
  | { readonly _tag: "Quit" }
  | { readonly _tag: "Help" }
  | { readonly _tag: "Write"; readonly format: ExportFormat; readonly fileName: string }

/** The wire fields the export file name is made of. */
export interface RequestSummary {
  readonly event_name?: unknown
  readonly from?: unknown
  readonly to?: unknown
}

/** Which answer is exported, the start of its file name: `trends-…`, `top-…`. */
export type AnswerKind = "trends" | "top"

/** A file name for the export: `trends-Charged-20260101-20261126.csv`, `top-Charged-….csv`. */
export const proposedFileName = (
  request: RequestSummary,
  format: ExportFormat,
  kind: AnswerKind = "trends",
): string => {
  const event = String(request.event_name ?? "query")
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "")
  return `${kind}-${event === "" ? "query" : event}-${String(request.from)}-${String(request.to)}.${format}`
}

/**
 * The group tabs' labels for `width` columns, where a tab is its label with a space either
 * side and tabs are a space apart. When the names do not fit, the longest are cut first (in
 * the middle, with an ellipsis, so that names alike at one end stay apart), down to what
 * fits or to 3 characters; the selected tab takes any column left over.
 */
export const tabLabels = (
  names: ReadonlyArray<string>,
  selected: number,
  width: number,
): ReadonlyArray<string> => {
  const room = width - (names.length * 3 - 1)
  const used = (cap: number) => names.reduce((sum, name) => sum + Math.min(name.length, cap), 0)
  let cap = Math.max(0, ...names.map((name) => name.length))
  if (used(cap) <= room) return names
  while (cap > 3 && used(cap) > room) cap--
  const spare = Math.max(room - used(cap), 0)
  return names.map((name, index) =>
    Format.fitMiddle(name, Math.min(name.length, cap + (index === selected ? spare : 0))),
  )
}

const withExtension = (fileName: string, format: ExportFormat): string =>
  /\.(csv|json)$/i.test(fileName) ? fileName.replace(/\.(csv|json)$/i, `.${format}`) : fileName

export const initialState = (
  request: RequestSummary,
  kind: AnswerKind = "trends",
): ResultsState => {
  const fileName = proposedFileName(request, "csv", kind)
  return {
    group: 0,
    series: 0,
    selected: 0,
    offset: 0,
    panel: "none",
    format: "csv",
    fileName,
    cursor: fileName.length,
    confirmOverwrite: false,
    message: undefined,
  }
}

export interface KeyContext {
  readonly groupCount: number
  /** Rows of each group's table: its buckets, or its values. */
  readonly rowCounts: ReadonlyArray<number>
  /** Table rows that fit on screen. */
  readonly pageSize: number
  /** Series of each group (default: one each). */
  readonly seriesCounts?: ReadonlyArray<number> | undefined
}

const seriesCountOf = (context: KeyContext, group: number): number =>
  Math.max(context.seriesCounts?.[group] ?? 1, 1)

/** The offset that keeps `selected` on a page of `pageSize` rows, moving as little as possible. */
export const scrollTo = (offset: number, selected: number, pageSize: number): number => {
  const size = Math.max(pageSize, 1)
  if (selected < offset) return selected
  if (selected >= offset + size) return selected - size + 1
  return offset
}

const select = (state: ResultsState, selected: number, context: KeyContext): ResultsState => {
  const count = context.rowCounts[state.group] ?? 0
  const clamped = Math.min(Math.max(selected, 0), Math.max(count - 1, 0))
  return { ...state, selected: clamped, offset: scrollTo(state.offset, clamped, context.pageSize) }
}

const switchGroup = (state: ResultsState, by: number, context: KeyContext): ResultsState => {
  if (context.groupCount <= 1) return state
  const group = (state.group + by + context.groupCount) % context.groupCount
  return { ...state, group, series: 0, selected: 0, offset: 0 }
}

// The next or previous view: a series of the same group (the row stays: the buckets are the
// same), else the first or last series of the next or previous group.
const step = (state: ResultsState, by: 1 | -1, context: KeyContext): ResultsState => {
  const series = state.series + by
  if (series >= 0 && series < seriesCountOf(context, state.group)) return { ...state, series }
  if (context.groupCount <= 1) {
    const count = seriesCountOf(context, state.group)
    return count <= 1 ? state : { ...state, series: by > 0 ? 0 : count - 1 }
  }
  const next = switchGroup(state, by, context)
  return by > 0 ? next : { ...next, series: seriesCountOf(context, next.group) - 1 }
}

/**
 * The key hints of a results screen now: the open panel's keys, or the table's; Tab names
 * series when the shown group has several (`seriesCount`), first, and ←→ the groups then.
 */
export const hintsFor = (
  state: ResultsState,
  groupCount: number,
  seriesCount = 1,
): ReadonlyArray<readonly [string, string]> =>
  state.panel === "export"
    ? [
        ["Enter", state.confirmOverwrite ? "replace the file" : "write"],
        ["Tab", "CSV/JSON"],
        ["Esc", "cancel"],
        ["Ctrl+Q", "quit"],
      ]
    : state.panel === "curl"
      ? [
          ["Esc/c", "close"],
          ["?", "help"],
          ["q", "quit"],
        ]
      : seriesCount > 1
        ? [
            // Series are what a narrow line keeps first: nothing else tells of them.
            ["Tab", "series"],
            ...(groupCount > 1 ? ([["←→", "group"]] as const) : []),
            ["↑↓ PgUp PgDn", "scroll"],
            ["e", "export"],
            ["c", "curl"],
            ["Esc/n", "new query"],
            ["?", "help"],
            ["q", "quit"],
          ]
        : [
            ["↑↓ PgUp PgDn", "scroll"],
            ...(groupCount > 1 ? ([["Tab", "group"]] as const) : []),
            ["e", "export"],
            ["c", "curl"],
            ["Esc/n", "new query"],
            ["?", "help"],
            ["q", "quit"],
          ]

/**
 * The last export's message as lines of `width`, whole (a path cut short would hide what
 * went wrong); one blank line when there is none, so the screen does not jump.
 */
export const messageLines = (state: ResultsState, width: number): ReadonlyArray<string> =>
  state.message === undefined
    ? [" "]
    : Format.wrap(`${state.message.ok ? "✓" : "!"} ${state.message.text}`, width)

/** The results screen's answer to a keypress. */
export const onKey = (
  previous: ResultsState,
  input: string,
  key: Key,
  context: KeyContext,
): { readonly state: ResultsState; readonly command?: Command } => {
  const state = { ...previous, message: undefined }
  if (input === "?" && !key.ctrl && !key.meta) return { state: previous, command: { _tag: "Help" } }

  if (state.panel === "export") {
    if (key.escape) return { state: { ...state, panel: "none", confirmOverwrite: false } }
    if (key.return) {
      return {
        state: previous,
        command: { _tag: "Write", format: state.format, fileName: state.fileName.trim() },
      }
    }
    if (key.tab) {
      const format = state.format === "csv" ? "json" : "csv"
      const fileName = withExtension(state.fileName, format)
      return {
        state: { ...state, format, fileName, cursor: fileName.length, confirmOverwrite: false },
      }
    }
    const edited = TextEdit.edit({ text: state.fileName, cursor: state.cursor }, input, key)
    if (edited === undefined) return { state }
    return {
      state: {
        ...state,
        fileName: edited.text,
        cursor: edited.cursor,
        confirmOverwrite: edited.text === state.fileName && state.confirmOverwrite,
      },
    }
  }

  if (input === "q" && !key.ctrl) return { state, command: { _tag: "Quit" } }

  if (state.panel === "curl") {
    if (key.escape || key.return || input === "c") return { state: { ...state, panel: "none" } }
    return { state }
  }

  if (key.escape || input === "n") return { state, command: { _tag: "Back" } }
  if (input === "e") return { state: { ...state, panel: "export", confirmOverwrite: false } }
  if (input === "c") return { state: { ...state, panel: "curl" } }
  if (key.tab) return { state: step(state, key.shift ? -1 : 1, context) }
  if (key.rightArrow || key.leftArrow) {
    return { state: switchGroup(state, key.leftArrow ? -1 : 1, context) }
  }
  const page = Math.max(context.pageSize - 1, 1)
  if (key.upArrow || input === "k") return { state: select(state, state.selected - 1, context) }
  if (key.downArrow || input === "j") return { state: select(state, state.selected + 1, context) }
  if (key.pageUp) return { state: select(state, state.selected - page, context) }
  if (key.pageDown || input === " ") return { state: select(state, state.selected + page, context) }
  if (key.home || input === "g") return { state: select(state, 0, context) }
  if (key.end || input === "G") return { state: select(state, Number.MAX_SAFE_INTEGER, context) }
  return { state }
}
