/**
 * An answer that is 0 everywhere, and what to say about it. The API answers an event name
 * it has never seen with zeros, not an error, so a misspelt name looks like a quiet week;
 * the UI says which it is as far as it can tell: local mode knows every event name of the
 * store, a remote server tells nothing.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Format from "./Format.ts"

/** Whether every bucket of every group is 0. */
export const isEmpty = (answer: TrendsClient.TrendsAnswer): boolean =>
  Object.values(answer.groups).every((group) => group.buckets.every((bucket) => bucket.value === 0))

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The known name `name` was most likely meant to be: the same letters in another case, or
 * the nearest within a typo or two (a third of the name's length at most).
 */
export const closestName = (name: string, names: ReadonlyArray<string>): string | undefined => {
  const wanted = name.trim().toLowerCase()
  const sameLetters = names.find((known) => known.toLowerCase() === wanted)
  if (sameLetters !== undefined) return sameLetters
  const limit = Math.max(1, Math.min(2, Math.floor(wanted.length / 3)))
  let best: { readonly name: string; readonly distance: number } | undefined
  for (const known of names) {
    const d = distance(wanted, known.toLowerCase())
    if (d <= limit && (best === undefined || d < best.distance)) best = { name: known, distance: d }
  }
  return best?.name
}

/**
 * What to say about an answer that is 0 everywhere: its first line states it, the second
 * says what to check. `eventNames` are the store's names (empty when unknown, as remote).
 */
export const hint = (
  request: Readonly<Record<string, unknown>>,
  eventNames: ReadonlyArray<string>,
): readonly [string, string] => {
  const name = String(request.event_name ?? "")
  const range = `${Format.dateKey(request.from)} → ${Format.dateKey(request.to)}`
  const property = request.sum_event_prop
  const first =
    typeof property === "string"
      ? `No ${JSON.stringify(name)} events with a nonzero ${property} in this range (${range}).`
      : `No ${JSON.stringify(name)} events in this range (${range}).`
  if (eventNames.length === 0) return [first, "Check the event name, or try a wider range."]
  if (eventNames.includes(name)) {
    return [
      first,
      typeof property === "string"
        ? "Check the property name, or try a wider range."
        : `There are ${JSON.stringify(name)} events at other dates: try a wider range.`,
    ]
  }
  const meant = closestName(name, eventNames)
  return [
    first,
    `The data has no event named ${JSON.stringify(name)}: ${
      meant === undefined ? "check the name." : `did you mean ${JSON.stringify(meant)}?`
    }`,
  ]
}
