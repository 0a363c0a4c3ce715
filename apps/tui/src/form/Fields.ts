/**
 * The query form's fields: their order on screen, their text, and which one has the
 * keyboard. What a field suggests while it is typed is in `Suggestions.ts`.
 */
import type { Draft, FieldId, FormState, Group } from "./Draft.ts"

/**
 * The focusable fields in screen order; top values have no trend groups, trends no top
 * fields. A trends query's breakdown follows the filters; Extras, Compare and Rolling,
 * choices about the answer rather than the question, come last.
 */
export const fieldsOf = (draft: Draft): ReadonlyArray<FieldId> => [
  "event",
  "preset",
  "from",
  "to",
  "measure",
  ...(draft.measure === "sum" ? (["property"] as const) : []),
  ...(draft.measure === "top" ? (["topProperty", "topSource", "topN", "topOrder"] as const) : []),
  "where",
  "profileWhere",
  ...(draft.measure === "top"
    ? []
    : [
        "breakdown" as const,
        ...draft.groups.flatMap(
          (group) => [`group:${group.id}:name`, `group:${group.id}:type`] as const,
        ),
        ...(["extras", "compare", "rolling"] as const),
      ]),
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
  field === "topProperty" ||
  field === "topN" ||
  field === "where" ||
  field === "profileWhere" ||
  field === "breakdown" ||
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
    case "topProperty":
      return draft.topProperty
    case "topN":
      return draft.topN
    case "where":
      return draft.where
    case "profileWhere":
      return draft.profileWhere
    case "breakdown":
      return draft.breakdown
    default:
      return groupOf(draft, field)?.name ?? ""
  }
}

/** The draft with a text field's new text; typing a date makes the range `custom`. */
export const withText = (draft: Draft, field: FieldId, text: string): Draft => {
  switch (field) {
    case "event":
      return { ...draft, eventName: text }
    case "from":
      return { ...draft, from: text, preset: "custom" }
    case "to":
      return { ...draft, to: text, preset: "custom" }
    case "property":
      return { ...draft, property: text }
    case "topProperty":
      return { ...draft, topProperty: text }
    case "topN":
      return { ...draft, topN: text }
    case "where":
      return { ...draft, where: text }
    case "profileWhere":
      return { ...draft, profileWhere: text }
    case "breakdown":
      return { ...draft, breakdown: text }
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

/** Moves the keyboard to a field; the field left counts as touched (its issues show). */
export const focusOn = (state: FormState, field: FieldId): FormState => {
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

/** Moves the keyboard `by` fields in screen order, stopping at the first and last. */
export const move = (state: FormState, by: number): FormState => {
  const fields = fieldsOf(state.draft)
  const index = fields.indexOf(state.focus)
  const next = fields[Math.min(Math.max(index + by, 0), fields.length - 1)]!
  return focusOn(state, next)
}

/** The state with a new draft, keeping focus on a field that still exists in it. */
export const withDraft = (state: FormState, draft: Draft): FormState => {
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
