// Untrusted JSON as an upload sends it: reads that never touch a prototype, short
// descriptions of a value for error texts, and the bounded echo of a rejected record
// (re-exported as `Upload.echo`).

/** Whether `u` is a JSON object (not an array, not a class instance). */
export const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/** Own properties only, so a key such as "toString" or "__proto__" never reads the prototype. */
export const field = (object: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined

/** JSON `null` counts as absent, as `undefined` does. */
export const isAbsent = (u: unknown): u is null | undefined => u === undefined || u === null

/** A value as an error text names it, e.g. `"an object"`, `number 42`, or a string cut at 40. */
export const describe = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return "an array"
  if (typeof u === "object") return "an object"
  if (typeof u === "string") return JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)
  return `${typeof u} ${String(u)}`
}

const echoDepth = 8
const echoStringChars = 1024
const echoChars = 65_536

/**
 * A rejected record as the answer echoes it: a copy of what was sent, cut where it is
 * deeper, longer or larger than an answer should carry (see the module comment of `Upload`). Never
 * throws, and its result always serializes.
 */
export const echo = (record: unknown): unknown => {
  let budget = echoChars
  const copy = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value === "boolean") return value
    if (typeof value === "number") {
      budget -= 8
      return Number.isFinite(value) ? value : String(value)
    }
    if (typeof value === "string") {
      const cut = value.length > echoStringChars ? `${value.slice(0, echoStringChars)}…` : value
      budget -= cut.length
      return cut.toWellFormed()
    }
    if (typeof value !== "object") return String(value)
    if (depth >= echoDepth) return "…"
    if (Array.isArray(value)) {
      const out: Array<unknown> = []
      for (const item of value) {
        if (budget <= 0) {
          out.push("…")
          break
        }
        out.push(copy(item, depth + 1))
      }
      return out
    }
    const entries: Array<[string, unknown]> = []
    for (const key of Object.keys(value)) {
      if (budget <= 0) {
        entries.push(["…", "…"])
        break
      }
      budget -= key.length
      entries.push([
        key.length > echoStringChars
          ? `${key.slice(0, echoStringChars)}…`.toWellFormed()
          : key.toWellFormed(),
        copy((value as Record<string, unknown>)[key], depth + 1),
      ])
    }
    return Object.fromEntries(entries)
  }
  try {
    return copy(record, 0)
  } catch {
    return "…"
  }
}
