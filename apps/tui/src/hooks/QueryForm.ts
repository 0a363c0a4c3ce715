/**
 * The query form as data: what the user typed (`Draft`), which field has the keyboard,
 * the wire body the draft stands for, core's issues with it by field, and `onKey`, the
 * whole keyboard behaviour of the form as a pure function.
 */
import type * as ApiError from "@trendline/core/ApiError"
import * as Calendar from "@trendline/core/Calendar"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Key } from "ink"
import * as TextEdit from "./TextEdit.ts"

export type TrendType = TrendsRequest.TrendType
export const trendTypes: ReadonlyArray<TrendType> = ["daily", "weekly", "monthly"]

export type Measure = "events" | "profiles" | "sum"
export const measures: ReadonlyArray<{ readonly id: Measure; readonly label: string }> = [
  { id: "events", label: "count events" },
  { id: "profiles", label: "unique profiles" },
  { id: "sum", label: "sum of a property" },
]

export type Preset =
  | "last7"
  | "last30"
  | "last90"
  | "thisMonth"
  | "lastMonth"
  | "thisYear"
  | "custom"
export const presets: ReadonlyArray<{ readonly id: Preset; readonly label: string }> = [
  { id: "last7", label: "last 7 days" },
  { id: "last30", label: "last 30 days" },
  { id: "last90", label: "last 90 days" },
  { id: "thisMonth", label: "this month" },
  { id: "lastMonth", label: "last month" },
  { id: "thisYear", label: "this year" },
  { id: "custom", label: "custom" },
]

export interface Group {
  readonly id: number
  readonly name: string
  readonly trendType: TrendType
  /** False while the name follows the trend type ("daily"); true once the user typed one. */
  readonly named: boolean
}

/** What the form holds, as typed. */
export interface Draft {
  readonly eventName: string
  readonly preset: Preset
  readonly from: string
  readonly to: string
  readonly measure: Measure
  readonly property: string
  readonly groups: ReadonlyArray<Group>
}

/** A focusable field: `event`, `preset`, …, or a group's `group:<id>:name` / `group:<id>:type`. */
export type FieldId =
  | "event"
  | "preset"
  | "from"
  | "to"
  | "measure"
  | "property"
  | `group:${number}:name`
  | `group:${number}:type`

/** Where an issue is shown: a field, the groups as a whole, or the form. */
export type IssueTarget = FieldId | "groups" | "form"

export interface FormState {
  readonly draft: Draft
  readonly focus: FieldId
  readonly cursor: number
  /** Keys go into the focused text field; Esc stops typing (then `q` quits). */
  readonly typing: boolean
  /** The highlighted event-name suggestion. */
  readonly suggestion: number
  /** Fields the user has left: their issues show before the first run. */
  readonly touched: ReadonlySet<IssueTarget>
  /** Enter was pressed once: every issue shows. */
  readonly attempted: boolean
  readonly nextGroupId: number
}

export type Command = "submit" | "quit" | "help"

// ---------------------------------------------------------------------------------------
// Dates

/** Today on this machine's calendar: what "last 7 days" means to the person typing. */
export const localToday = (now: Date = new Date()): Calendar.Day =>
  Calendar.unsafeMakeDay(now.getFullYear(), now.getMonth() + 1, now.getDate())

/** The first and last day of a preset, relative to `today`; `custom` has none. */
export const presetRange = (
  preset: Preset,
  today: Calendar.Day,
): readonly [Calendar.Day, Calendar.Day] | undefined => {
  const { year, month } = Calendar.toCivil(today)
  switch (preset) {
    case "last7":
      return [today - 6, today]
    case "last30":
      return [today - 29, today]
    case "last90":
      return [today - 89, today]
    case "thisMonth":
      return [Calendar.unsafeMakeDay(year, month, 1), today]
    case "lastMonth": {
      const first = Calendar.unsafeMakeDay(
        month === 1 ? year - 1 : year,
        month === 1 ? 12 : month - 1,
        1,
      )
      return [first, Calendar.unsafeMakeDay(year, month, 1) - 1]
    }
    case "thisYear":
      return [Calendar.unsafeMakeDay(year, 1, 1), today]
    case "custom":
      return undefined
  }
}

/** A typed date as the wire value: digits (dashes allowed) as a number, blank as missing. */
export const dateValue = (text: string): unknown => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  const digits = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? trimmed.replaceAll("-", "") : trimmed
  return /^\d+$/.test(digits) ? Number(digits) : trimmed
}

/** A typed date as a day, when it is one. */
export const parseDate = (text: string): Option.Option<Calendar.Day> => {
  const value = dateValue(text)
  return typeof value === "number" ? Calendar.parseDateKey(value) : Option.none()
}

// ---------------------------------------------------------------------------------------
// Draft and wire body

const autoName = (trendType: TrendType, groups: ReadonlyArray<Group>, self?: number): string => {
  const taken = new Set(groups.filter((group) => group.id !== self).map((group) => group.name))
  if (!taken.has(trendType)) return trendType
  for (let n = 2; ; n++) if (!taken.has(`${trendType}${n}`)) return `${trendType}${n}`
}

export const initialDraft = (today: Calendar.Day): Draft => {
  const [from, to] = presetRange("last30", today)!
  return {
    eventName: "",
    preset: "last30",
    from: Calendar.formatDateKey(from),
    to: Calendar.formatDateKey(to),
    measure: "events",
    property: "Amount",
    groups: [{ id: 0, name: "daily", trendType: "daily", named: false }],
  }
}

export const initialState = (today: Calendar.Day): FormState => ({
  draft: initialDraft(today),
  focus: "event",
  cursor: 0,
  typing: true,
  suggestion: 0,
  touched: new Set(),
  attempted: false,
  nextGroupId: 1,
})

/** The wire body the draft stands for, exactly what would be sent. */
export const toWireBody = (draft: Draft): Record<string, unknown> => {
  const body: Record<string, unknown> = { event_name: draft.eventName.trim() }
  const from = dateValue(draft.from)
  const to = dateValue(draft.to)
  if (from !== undefined) body.from = from
  if (to !== undefined) body.to = to
  if (draft.measure === "profiles") body.unique = true
  if (draft.measure === "sum") body.sum_event_prop = draft.property.trim()
  body.groups = Object.fromEntries(
    draft.groups.map((group) => [group.name, { trend_type: group.trendType }]),
  )
  return body
}

const decodeIssues = (body: unknown): ReadonlyArray<ApiError.Issue> => {
  const decoded = Effect.runSync(Effect.either(TrendsRequest.decode(body)))
  return Either.isLeft(decoded) ? decoded.left.issues : []
}

// A `groups` issue about one group (an empty or reserved name) is shown under that group:
// it is the group whose request alone has the same issue.
const groupWith = (draft: Draft, issue: ApiError.Issue): Group | undefined =>
  draft.groups.find(
    (group) =>
      issue.path === `groups.${group.name}` ||
      issue.path.startsWith(`groups.${group.name}.`) ||
      (issue.path === "groups" &&
        decodeIssues(toWireBody({ ...draft, groups: [group] })).some(
          (alone) => alone.path === issue.path && alone.message === issue.message,
        )),
  )

const targetOf = (issue: ApiError.Issue, draft: Draft): IssueTarget => {
  const { path } = issue
  if (path === "event_name") return "event"
  if (path === "from" || path === "to") return path
  if (path === "sum_event_prop") return "property"
  if (path === "unique") return "measure"
  if (path === "groups" || path.startsWith("groups.")) {
    const group = groupWith(draft, issue)
    return group === undefined ? "groups" : `group:${group.id}:name`
  }
  return "form"
}

/**
 * Core's issues with the draft by where they are shown, plus the one core cannot see: two
 * groups with the same name would become one key of the wire `groups` object.
 */
export const issuesOf = (draft: Draft): ReadonlyMap<IssueTarget, ReadonlyArray<string>> => {
  const issues = new Map<IssueTarget, Array<string>>()
  const add = (target: IssueTarget, message: string) => {
    const list = issues.get(target)
    if (list === undefined) issues.set(target, [message])
    else if (!list.includes(message)) list.push(message)
  }
  const seen = new Set<string>()
  for (const group of draft.groups) {
    if (seen.has(group.name)) {
      add(
        `group:${group.id}:name`,
        `"${group.name}" names another group too; give each group its own name`,
      )
    }
    seen.add(group.name)
  }
  for (const issue of decodeIssues(toWireBody(draft))) add(targetOf(issue, draft), issue.message)
  return issues
}

// ---------------------------------------------------------------------------------------
// Fields and focus

/** The focusable fields in screen order. */
export const fieldsOf = (draft: Draft): ReadonlyArray<FieldId> => [
  "event",
  "preset",
  "from",
  "to",
  "measure",
  ...(draft.measure === "sum" ? (["property"] as const) : []),
  ...draft.groups.flatMap((group) => [`group:${group.id}:name`, `group:${group.id}:type`] as const),
]

const groupField = /^group:(\d+):(name|type)$/

/** The group a field belongs to, if any. */
export const groupOf = (draft: Draft, field: FieldId): Group | undefined => {
  const match = groupField.exec(field)
  return match === null ? undefined : draft.groups.find((group) => group.id === Number(match[1]))
}

/** Whether a field takes typed text (the others are choices changed with ←/→). */
export const isTextField = (field: FieldId): boolean =>
  field === "event" ||
  field === "from" ||
  field === "to" ||
  field === "property" ||
  field.endsWith(":name")

/** The text of a text field. */
export const textOf = (draft: Draft, field: FieldId): string => {
  switch (field) {
    case "event":
      return draft.eventName
    case "from":
      return draft.from
    case "to":
      return draft.to
    case "property":
      return draft.property
    default:
      return groupOf(draft, field)?.name ?? ""
  }
}

const withText = (draft: Draft, field: FieldId, text: string): Draft => {
  switch (field) {
    case "event":
      return { ...draft, eventName: text }
    case "from":
      return { ...draft, from: text, preset: "custom" }
    case "to":
      return { ...draft, to: text, preset: "custom" }
    case "property":
      return { ...draft, property: text }
    default: {
      const target = groupOf(draft, field)
      return {
        ...draft,
        groups: draft.groups.map((group) =>
          group === target ? { ...group, name: text, named: true } : group,
        ),
      }
    }
  }
}

const focusOn = (state: FormState, field: FieldId): FormState => {
  if (field === state.focus) return state
  const touched = new Set(state.touched)
  touched.add(state.focus)
  return {
    ...state,
    focus: field,
    cursor: textOf(state.draft, field).length,
    typing: isTextField(field),
    suggestion: 0,
    touched,
  }
}

const move = (state: FormState, by: number): FormState => {
  const fields = fieldsOf(state.draft)
  const index = fields.indexOf(state.focus)
  const next = fields[Math.min(Math.max(index + by, 0), fields.length - 1)]!
  return focusOn(state, next)
}

// Keeps focus on a field that still exists after the draft changed shape.
const withDraft = (state: FormState, draft: Draft): FormState => {
  const fields = fieldsOf(draft)
  if (fields.includes(state.focus)) return { ...state, draft }
  const before = fieldsOf(state.draft)
  const index = Math.min(before.indexOf(state.focus), fields.length - 1)
  const focus = fields[Math.max(index, 0)]!
  return {
    ...state,
    draft,
    focus,
    cursor: textOf(draft, focus).length,
    typing: isTextField(focus),
  }
}

// ---------------------------------------------------------------------------------------
// Suggestions

/** Known event names matching the typed text: prefix matches first, then substrings. */
export const suggestionsFor = (
  text: string,
  eventNames: ReadonlyArray<string>,
): ReadonlyArray<string> => {
  if (eventNames.includes(text)) return []
  const wanted = text.trim().toLowerCase()
  const prefix = eventNames.filter((name) => name.toLowerCase().startsWith(wanted))
  const inside = eventNames.filter(
    (name) => !name.toLowerCase().startsWith(wanted) && name.toLowerCase().includes(wanted),
  )
  return [...prefix, ...inside]
}

/** The suggestions shown now: only while typing in the event field. */
export const openSuggestions = (
  state: FormState,
  eventNames: ReadonlyArray<string>,
): ReadonlyArray<string> =>
  state.focus === "event" && state.typing ? suggestionsFor(state.draft.eventName, eventNames) : []

const accept = (state: FormState, name: string): FormState => ({
  ...state,
  draft: { ...state.draft, eventName: name },
  cursor: name.length,
  suggestion: 0,
})

// ---------------------------------------------------------------------------------------
// Changes

const cycle = <A>(values: ReadonlyArray<A>, current: A, by: number): A =>
  values[(values.indexOf(current) + by + values.length) % values.length]!

const choose = (state: FormState, by: number, today: Calendar.Day): FormState => {
  const { draft } = state
  if (state.focus === "preset") {
    const preset = cycle(
      presets.map((p) => p.id),
      draft.preset,
      by,
    )
    return { ...state, draft: withPreset(draft, preset, today) }
  }
  if (state.focus === "measure") {
    const measure = cycle(
      measures.map((m) => m.id),
      draft.measure,
      by,
    )
    return withDraft(state, { ...draft, measure })
  }
  const target = groupOf(draft, state.focus)
  if (target === undefined) return state
  const trendType = cycle(trendTypes, target.trendType, by)
  return {
    ...state,
    draft: {
      ...draft,
      groups: draft.groups.map((group) =>
        group === target
          ? {
              ...group,
              trendType,
              name: group.named ? group.name : autoName(trendType, draft.groups, group.id),
            }
          : group,
      ),
    },
  }
}

const withPreset = (draft: Draft, preset: Preset, today: Calendar.Day): Draft => {
  const range = presetRange(preset, today)
  return range === undefined
    ? { ...draft, preset }
    : {
        ...draft,
        preset,
        from: Calendar.formatDateKey(range[0]),
        to: Calendar.formatDateKey(range[1]),
      }
}

/** Adds a group (the next unused trend type) and focuses its name. */
export const addGroup = (state: FormState): FormState => {
  const { draft } = state
  const trendType = trendTypes.find((type) => !draft.groups.some((g) => g.trendType === type))
  const type = trendType ?? "daily"
  const group: Group = {
    id: state.nextGroupId,
    name: autoName(type, draft.groups),
    trendType: type,
    named: false,
  }
  const next = {
    ...state,
    draft: { ...draft, groups: [...draft.groups, group] },
    nextGroupId: group.id + 1,
  }
  return focusOn(next, `group:${group.id}:name`)
}

/** Removes the focused group, keeping at least one. */
export const removeGroup = (state: FormState): FormState => {
  const target = groupOf(state.draft, state.focus)
  if (target === undefined || state.draft.groups.length === 1) return state
  return withDraft(state, {
    ...state.draft,
    groups: state.draft.groups.filter((group) => group !== target),
  })
}

/** Whether a target's issues are shown: after a run was attempted, or once the user left it. */
export const isShown = (state: FormState, target: IssueTarget): boolean =>
  state.attempted ||
  state.touched.has(target) ||
  (target === "groups" && [...state.touched].some((field) => field.startsWith("group:")))

const firstInvalid = (
  state: FormState,
  issues: ReadonlyMap<IssueTarget, ReadonlyArray<string>>,
): FieldId | undefined =>
  fieldsOf(state.draft).find((field) => issues.has(field)) ??
  (issues.has("groups") ? `group:${state.draft.groups[0]!.id}:name` : undefined)

export interface KeyContext {
  readonly eventNames: ReadonlyArray<string>
  readonly today: Calendar.Day
}

/**
 * The form's answer to a keypress: the next state, and what the screen around it should
 * do (run the query, quit, show help).
 */
export const onKey = (
  state: FormState,
  input: string,
  key: Key,
  context: KeyContext,
): { readonly state: FormState; readonly command?: Command } => {
  const suggestions = openSuggestions(state, context.eventNames)
  const highlighted = suggestions[state.suggestion % Math.max(suggestions.length, 1)]
  const text = isTextField(state.focus)

  if (input === "?" && !key.ctrl && !key.meta) return { state, command: "help" }
  if (key.ctrl && input === "n") return { state: addGroup(state) }
  if (key.ctrl && input === "x") return { state: removeGroup(state) }

  if (key.return) {
    if (highlighted !== undefined) return { state: accept(state, highlighted) }
    const issues = issuesOf(state.draft)
    const attempted = { ...state, attempted: true }
    if (issues.size === 0) return { state: attempted, command: "submit" }
    const invalid = firstInvalid(state, issues)
    return { state: invalid === undefined ? attempted : focusOn(attempted, invalid) }
  }
  if (key.escape) return { state: text && state.typing ? { ...state, typing: false } : state }
  if (key.tab) {
    if (!key.shift && highlighted !== undefined) return { state: accept(state, highlighted) }
    return { state: move(state, key.shift ? -1 : 1) }
  }
  if (key.upArrow || key.downArrow) {
    if (suggestions.length > 0) {
      if (key.downArrow && state.suggestion < suggestions.length - 1) {
        return { state: { ...state, suggestion: state.suggestion + 1 } }
      }
      if (key.upArrow && state.suggestion > 0) {
        return { state: { ...state, suggestion: state.suggestion - 1 } }
      }
    }
    return { state: move(state, key.upArrow ? -1 : 1) }
  }

  if (!text) {
    if (input === "q" && !key.ctrl) return { state, command: "quit" }
    if (key.leftArrow) return { state: choose(state, -1, context.today) }
    if (key.rightArrow || input === " ") return { state: choose(state, 1, context.today) }
    if (input === "+") return { state: addGroup(state) }
    if (input === "-" || key.delete || key.backspace) return { state: removeGroup(state) }
    return { state }
  }

  if (!state.typing && input === "q" && !key.ctrl) return { state, command: "quit" }
  // → at the end of the event name takes the highlighted suggestion, like a shell.
  if (key.rightArrow && highlighted !== undefined && state.cursor >= state.draft.eventName.length) {
    return { state: accept(state, highlighted) }
  }
  const current = textOf(state.draft, state.focus)
  const edited = TextEdit.edit({ text: current, cursor: state.cursor }, input, key)
  if (edited === undefined) return { state }
  return {
    state: {
      ...state,
      draft:
        edited.text === current ? state.draft : withText(state.draft, state.focus, edited.text),
      cursor: edited.cursor,
      typing: true,
      suggestion: edited.text === current ? state.suggestion : 0,
    },
  }
}
