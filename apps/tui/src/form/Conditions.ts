/**
 * The form's filters: the "Where" (event property) and "Profile" (profile field) fields
 * take conditions in the CLI's syntax (`QueryOptions.entryOf`: `NAME OPERATOR [VALUE]`),
 * separated by `;`. Core judges the entries; this module only splits and reads the text.
 */
import { type Entry, entryOf } from "../commands/QueryOptions.ts"

/** One condition as typed, and the entry it reads as (none: not `NAME OPERATOR [VALUE]`). */
export interface Condition {
  readonly text: string
  readonly entry: Entry | undefined
}

/**
 * The conditions of a field's text: split at each `;` outside a JSON string (a value such
 * as `"a;b"` keeps its `;`), blank parts left out.
 *
 * @example conditionsOf('Amount greater_than 200; Category equals "a;b"').length // 2
 */
export const conditionsOf = (text: string): ReadonlyArray<Condition> => {
  const parts: Array<string> = []
  let current = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted && char === "\\" && i + 1 < text.length) {
      current += char + text[i + 1]!
      i++
      continue
    }
    if (char === '"') quoted = !quoted
    if (char === ";" && !quoted) {
      parts.push(current)
      current = ""
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => ({ text: part, entry: entryOf(part) }))
}

/** What to do with a condition that is not `NAME OPERATOR [VALUE]`. */
export const syntaxProblem = (condition: Condition): string =>
  `"${condition.text}": give NAME OPERATOR VALUE, e.g. Amount greater_than 50 or Plan equals ["pro","team"]; separate conditions with ;`

/**
 * The wire list of a field's conditions; none: no field. A condition that does not read as
 * an entry goes as its text, for core to refuse (the form shows `syntaxProblem` instead).
 */
export const wireList = (text: string): ReadonlyArray<unknown> | undefined => {
  const conditions = conditionsOf(text)
  return conditions.length === 0
    ? undefined
    : conditions.map((condition) => condition.entry ?? condition.text)
}
