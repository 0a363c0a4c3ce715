/**
 * What the query form suggests while a field is typed: event names in Event; the event's
 * property names in Where, in Breakdown and in the property fields (profile field names in
 * Profile, and in top values' Property when its Source is a profile field); core's
 * operators once a condition's name is followed by a space. Names match as event names
 * always have: prefix matches first, then names that hold the text, none once the text is a
 * name.
 *
 * A suggestion replaces a part of the field's text (`Open.start` to `Open.end`): the whole
 * text of a one-name field, or the name or operator of the condition under the cursor. A
 * condition's name is written as `Conditions` reads it: bare, or as a JSON string when it
 * has a space, a quote, a `;` or a control character.
 */
import type * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import type { FieldId, FormState } from "./Draft.ts"
import { textOf, withText } from "./Fields.ts"

/** The names the backend gave when asked about one event. */
export interface PropertyNamesOf {
  readonly eventName: string
  readonly names: EventStore.PropertyNames
}

/** What suggestions are drawn from. */
export interface Vocabulary {
  readonly eventNames: ReadonlyArray<string>
  /** The latest answer about property names; its event's names show for that event only. */
  readonly propertyNames?: PropertyNamesOf | undefined
}

/** What is suggested: event names, event property names, profile field names, operators. */
export type Kind = "event" | "property" | "profile" | "operator"

/** The suggestions under the focused field, and the part of its text they replace. */
export interface Open {
  readonly kind: Kind
  /** Never empty: no suggestions are no `Open`. */
  readonly names: ReadonlyArray<string>
  readonly start: number
  readonly end: number
  /** A condition's part (Where, Profile): names are quoted, and a space follows. */
  readonly inCondition: boolean
}

/** Whether a field suggests property or profile field names (they are asked for on focus). */
export const usesPropertyNames = (field: FieldId): boolean =>
  field === "where" ||
  field === "profileWhere" ||
  field === "property" ||
  field === "topProperty" ||
  field === "breakdown"

/**
 * The names matching the typed text: prefix matches first, then names that hold it (any
 * case); none when the text is one of the names.
 *
 * @example matching("am", ["Amount", "Category", "Name"]) // ["Amount", "Name"]
 */
export const matching = (typed: string, names: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (names.includes(typed)) return []
  const wanted = typed.trim().toLowerCase()
  const prefix = names.filter((name) => name.toLowerCase().startsWith(wanted))
  const inside = names.filter(
    (name) => !name.toLowerCase().startsWith(wanted) && name.toLowerCase().includes(wanted),
  )
  return [...prefix, ...inside]
}

/** Known event names matching the typed text (`matching`). */
export const suggestionsFor = matching

// ---------------------------------------------------------------------------------------
// The part of a condition list under the cursor

/** A condition's name or operator, as typed: `text.slice(start, end)`, read as `typed`. */
export interface Part {
  readonly _tag: "Name" | "Operator"
  readonly start: number
  readonly end: number
  /** The name as `Conditions` reads it (a JSON string decoded, even unclosed). */
  readonly typed: string
}

const isSpace = (char: string | undefined): boolean => char !== undefined && /\s/.test(char)

// The bounds of the condition holding the cursor: `;` splits as in `Conditions.conditionsOf`
// (not inside a JSON string).
const conditionAt = (text: string, cursor: number): { start: number; end: number } => {
  let start = 0
  let end = text.length
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted && char === "\\") {
      i++
      continue
    }
    if (char === '"') quoted = !quoted
    else if (char === ";" && !quoted) {
      if (i < cursor) start = i + 1
      else {
        end = i
        break
      }
    }
  }
  return { start, end }
}

const decoded = (json: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(json)
    return typeof value === "string" ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The part of a Where or Profile text the cursor is in: the name of its condition (from its
 * first character to the end of the name, or of the text while a quoted name is open) or
 * its operator (the word after the name; empty right after the name's space); none in a
 * value, or before a condition.
 *
 * @example partAt("Amount greater_than 5; Pla", 26) // { _tag: "Name", start: 23, end: 26, typed: "Pla" }
 */
export const partAt = (text: string, cursor: number): Part | undefined => {
  const condition = conditionAt(text, cursor)
  let nameStart = condition.start
  while (nameStart < condition.end && isSpace(text[nameStart])) nameStart++
  if (cursor < nameStart) return undefined
  let nameEnd: number
  let typed: string
  const rest = text.slice(nameStart, condition.end)
  if (rest.startsWith('"')) {
    const closed = /^"(?:[^"\\]|\\.)*"/.exec(rest)
    nameEnd = closed === null ? condition.end : nameStart + closed[0].length
    typed =
      closed === null
        ? (decoded(`${rest}"`) ?? rest.slice(1))
        : (decoded(closed[0]) ?? closed[0].slice(1, -1))
  } else {
    const space = rest.search(/\s/)
    nameEnd = space === -1 ? condition.end : nameStart + space
    typed = text.slice(nameStart, nameEnd)
  }
  if (cursor <= nameEnd) return { _tag: "Name", start: nameStart, end: nameEnd, typed }
  let operatorStart = nameEnd
  while (operatorStart < condition.end && isSpace(text[operatorStart])) operatorStart++
  if (cursor < operatorStart) return undefined
  const word = text.slice(operatorStart, condition.end)
  const space = word.search(/\s/)
  const operatorEnd = space === -1 ? condition.end : operatorStart + space
  if (cursor > operatorEnd) return undefined
  return {
    _tag: "Operator",
    start: operatorStart,
    end: operatorEnd,
    typed: text.slice(operatorStart, operatorEnd),
  }
}

/**
 * A name as a condition needs it: bare when `Conditions` reads it back as one word, else
 * a JSON string.
 *
 * @example quoteName("Shoe size") // "\"Shoe size\""
 */
export const quoteName = (name: string): string =>
  name === "" || /[\s";\p{Cc}]/u.test(name) ? JSON.stringify(name) : name

/** Core's operators, in the documentation's order. */
export const operatorNames: ReadonlyArray<string> = Object.keys(Filter.operators)

/** What an operator's value must be, for the list: `number`, `text`, …, `no value`. */
export const operatorNote = (operator: string): string | undefined => {
  const value = (Filter.operators as Record<string, string>)[operator]
  return value === "none" ? "no value" : value
}

// ---------------------------------------------------------------------------------------
// The suggestions of the focused field

const eventPropertiesOf = (state: FormState, vocabulary: Vocabulary): ReadonlyArray<string> => {
  const answer = vocabulary.propertyNames
  // An answer about another event (the one typed before) is not this event's.
  return answer !== undefined && answer.eventName === state.draft.eventName.trim()
    ? answer.names.event
    : []
}

// Profile fields are the account's, whatever the event.
const profileFieldsOf = (vocabulary: Vocabulary): ReadonlyArray<string> =>
  vocabulary.propertyNames?.names.profile ?? []

const whole = (kind: Kind, text: string, names: ReadonlyArray<string>): Open | undefined => {
  const shown = matching(text, names)
  return shown.length === 0
    ? undefined
    : { kind, names: shown, start: 0, end: text.length, inCondition: false }
}

const ofCondition = (
  kind: Kind,
  text: string,
  cursor: number,
  names: ReadonlyArray<string>,
): Open | undefined => {
  const part = partAt(text, cursor)
  if (part === undefined) return undefined
  // A condition's name is suggested once it is begun: an empty Where is passed through.
  if (part._tag === "Name" && part.typed.trim() === "") return undefined
  const shown =
    part._tag === "Name" ? matching(part.typed, names) : matching(part.typed, operatorNames)
  return shown.length === 0
    ? undefined
    : {
        kind: part._tag === "Name" ? kind : "operator",
        names: shown,
        start: part.start,
        end: part.end,
        inCondition: true,
      }
}

/** The suggestions shown now: only while typing in a field that has some. */
export const openSuggestions = (state: FormState, vocabulary: Vocabulary): Open | undefined => {
  if (!state.typing) return undefined
  const text = textOf(state.draft, state.focus)
  switch (state.focus) {
    case "event":
      return whole("event", text, vocabulary.eventNames)
    case "property":
    case "breakdown":
      return whole("property", text, eventPropertiesOf(state, vocabulary))
    case "topProperty":
      return state.draft.topSource === "profile"
        ? whole("profile", text, profileFieldsOf(vocabulary))
        : whole("property", text, eventPropertiesOf(state, vocabulary))
    case "where":
      return ofCondition("property", text, state.cursor, eventPropertiesOf(state, vocabulary))
    case "profileWhere":
      return ofCondition("profile", text, state.cursor, profileFieldsOf(vocabulary))
    default:
      return undefined
  }
}

/** The position of the highlighted suggestion in `open.names`. */
export const highlightedIndex = (state: FormState, open: Open): number =>
  state.suggestion % open.names.length

// A suggestion as it goes into the text: a condition's name quoted and followed by a space,
// an operator followed by one unless it takes no value.
const insertionOf = (open: Open, name: string): string => {
  if (!open.inCondition) return name
  if (open.kind === "operator") return operatorNote(name) === "no value" ? name : `${name} `
  return `${quoteName(name)} `
}

/**
 * Takes a suggestion: it replaces its part of the text, and the cursor goes after it, past
 * the space that follows a condition's name or operator (the text's own, if it has one).
 */
export const accept = (state: FormState, open: Open, name: string): FormState => {
  const text = textOf(state.draft, state.focus)
  let inserted = insertionOf(open, name)
  let cursor = open.start + inserted.length
  if (inserted.endsWith(" ") && isSpace(text[open.end])) {
    inserted = inserted.slice(0, -1)
    cursor = open.start + inserted.length + 1
  }
  const next = text.slice(0, open.start) + inserted + text.slice(open.end)
  return {
    ...state,
    draft: withText(state.draft, state.focus, next),
    cursor,
    suggestion: 0,
  }
}

/**
 * The rest of the highlighted suggestion, shown dim after the cursor when the cursor ends
 * the text and the suggestion goes on from what was typed (any case).
 */
export const ghostOf = (state: FormState, open: Open, name: string): string | undefined => {
  const text = textOf(state.draft, state.focus)
  if (text === "" || state.cursor < text.length || open.end !== text.length) return undefined
  const typed = text.slice(open.start, open.end)
  const inserted = insertionOf(open, name).trimEnd()
  return inserted.toLowerCase().startsWith(typed.toLowerCase())
    ? inserted.slice(typed.length)
    : undefined
}
