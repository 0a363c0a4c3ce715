/**
 * The query form as data: what the user typed (`Draft`), which field has the keyboard,
 * the wire body the draft stands for, core's issues with it by field, and `onKey`, the
 * whole keyboard behaviour of the form as a pure function. The parts live beside this
 * module (`Draft.ts`, `Fields.ts`, `Issues.ts`, `Suggestions.ts`); this one is the form's
 * surface and its keys.
 */
import type * as Calendar from "@trendline/core/Calendar"
import type { Key } from "ink"
import {
  addedTrendTypes,
  autoName,
  type Command,
  compareChoices,
  extrasOn,
  type FieldId,
  type FormState,
  type Group,
  type IssueTarget,
  measures,
  presets,
  rollingChoices,
  topOrders,
  topSources,
  trendTypes,
  withPreset,
} from "./Draft.ts"
import {
  fieldsOf,
  focusOn,
  groupOf,
  isTextField,
  move,
  textOf,
  withDraft,
  withText,
} from "./Fields.ts"
import { issuesOf } from "./Issues.ts"
import { accept, highlightedIndex, openSuggestions, type Vocabulary } from "./Suggestions.ts"
import * as TextEdit from "./TextEdit.ts"

export {
  addedTrendTypes,
  type Command,
  type Compare,
  compareChoices,
  type Draft,
  dateProblem,
  dateValue,
  extrasLabels,
  extrasOn,
  type FieldId,
  type FormState,
  type Group,
  type IssueTarget,
  initialDraft,
  initialState,
  type Measure,
  measures,
  type Preset,
  parseDate,
  presetRange,
  presets,
  rollingChoices,
  rollingLabel,
  type TopOrder,
  type TopSource,
  type TrendType,
  topGroupName,
  topOrders,
  topSources,
  toRequest,
  toWireBody,
  trendTypes,
} from "./Draft.ts"
export { fieldsOf, groupOf, isTextField, textOf } from "./Fields.ts"
export { isShown, issuesOf } from "./Issues.ts"
export {
  ghostOf,
  highlightedIndex,
  type Open as Suggestions,
  openSuggestions,
  operatorNote,
  type PropertyNamesOf,
  suggestionsFor,
  usesPropertyNames,
  type Vocabulary,
} from "./Suggestions.ts"

// ---------------------------------------------------------------------------------------
// Changes

const cycle = <A>(values: ReadonlyArray<A>, current: A, by: number): A =>
  values[(values.indexOf(current) + by + values.length) % values.length]!

const choose = (state: FormState, by: number, context: KeyContext): FormState => {
  const { draft } = state
  const { today } = context
  if (state.focus === "extras") {
    return {
      ...state,
      draft: { ...draft, extras: !extrasOn(draft, context.extrasByDefault ?? false) },
    }
  }
  if (state.focus === "compare") {
    const compare = cycle(
      compareChoices.map((c) => c.id),
      draft.compare,
      by,
    )
    return { ...state, draft: { ...draft, compare } }
  }
  if (state.focus === "rolling") {
    return { ...state, draft: { ...draft, rolling: cycle(rollingChoices, draft.rolling, by) } }
  }
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
  if (state.focus === "topSource") {
    const topSource = cycle(
      topSources.map((s) => s.id),
      draft.topSource,
      by,
    )
    return { ...state, draft: { ...draft, topSource } }
  }
  if (state.focus === "topOrder") {
    const topOrder = cycle(
      topOrders.map((o) => o.id),
      draft.topOrder,
      by,
    )
    return { ...state, draft: { ...draft, topOrder } }
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

/**
 * Adds a group (the next unused trend type of whole days) and focuses its name; top values
 * have none.
 */
export const addGroup = (state: FormState): FormState => {
  const { draft } = state
  if (draft.measure === "top") return state
  const trendType = addedTrendTypes.find((type) => !draft.groups.some((g) => g.trendType === type))
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

const firstInvalid = (
  state: FormState,
  issues: ReadonlyMap<IssueTarget, ReadonlyArray<string>>,
): FieldId | undefined =>
  fieldsOf(state.draft).find((field) => issues.has(field)) ??
  (issues.has("groups") ? `group:${state.draft.groups[0]!.id}:name` : undefined)

/**
 * What a keypress depends on besides the state: what to suggest, the day presets count
 * from, and whether the backend's default is to ask for the extensions (off unless given).
 */
export interface KeyContext extends Vocabulary {
  readonly today: Calendar.Day
  readonly extrasByDefault?: boolean
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
  const suggestions = openSuggestions(state, context)
  // Takes the highlighted suggestion (Enter, Tab, and → at the end of the text).
  const take =
    suggestions === undefined
      ? undefined
      : () => accept(state, suggestions, suggestions.names[highlightedIndex(state, suggestions)]!)
  const text = isTextField(state.focus)

  if (input === "?" && !key.ctrl && !key.meta) return { state, command: "help" }
  if (key.ctrl && input === "n") return { state: addGroup(state) }
  if (key.ctrl && input === "x") return { state: removeGroup(state) }

  if (key.return) {
    if (take !== undefined) return { state: take() }
    const issues = issuesOf(state.draft)
    const attempted = { ...state, attempted: true }
    if (issues.size === 0) return { state: attempted, command: "submit" }
    const invalid = firstInvalid(state, issues)
    return { state: invalid === undefined ? attempted : focusOn(attempted, invalid) }
  }
  if (key.escape) return { state: text && state.typing ? { ...state, typing: false } : state }
  if (key.tab) {
    if (!key.shift && take !== undefined) return { state: take() }
    return { state: move(state, key.shift ? -1 : 1) }
  }
  if (key.upArrow || key.downArrow) {
    if (suggestions !== undefined) {
      if (key.downArrow && state.suggestion < suggestions.names.length - 1) {
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
    if (key.leftArrow) return { state: choose(state, -1, context) }
    if (key.rightArrow || input === " ") return { state: choose(state, 1, context) }
    if (input === "+") return { state: addGroup(state) }
    if (input === "-" || key.delete || key.backspace) return { state: removeGroup(state) }
    return { state }
  }

  // A text field takes `q` as a letter, typing or not: Ctrl+Q quits from here (App).
  // → at the end of the text takes the highlighted suggestion, like a shell.
  const current = textOf(state.draft, state.focus)
  if (key.rightArrow && take !== undefined && state.cursor >= current.length) {
    return { state: take() }
  }
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
