/**
 * `trendline query`'s flags read into the query the user asked for, with the problems a
 * flag alone shows (`--last` with `--from`, `--json` with `--csv`). The request's own rules
 * are core's, checked when the query runs (`Query.run`). Free of Effect and core, for the
 * parser.
 */
import { type Checked, invalid, valid } from "./Usage.ts"

/** The query's flags, as `util.parseArgs` returns them. */
export interface Flags {
  readonly event?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly last?: string | undefined
  readonly group?: ReadonlyArray<string> | undefined
  readonly unique?: boolean | undefined
  readonly sum?: string | undefined
  readonly where?: ReadonlyArray<string> | undefined
  readonly "profile-where"?: ReadonlyArray<string> | undefined
  readonly top?: ReadonlyArray<string> | undefined
  readonly "top-profile"?: ReadonlyArray<string> | undefined
  readonly "top-n"?: string | undefined
  readonly asc?: boolean | undefined
  readonly totals?: boolean | undefined
  readonly "bucket-meta"?: boolean | undefined
  readonly compare?: string | undefined
  readonly breakdown?: string | undefined
  readonly "breakdown-profile"?: string | undefined
  readonly "breakdown-n"?: string | undefined
  readonly rolling?: string | undefined
  readonly json?: boolean | undefined
  readonly csv?: boolean | undefined
}

/** How the answer is printed. */
export type Format = "table" | "json" | "csv"

/** A query as the user asked for it; `Query.requestOf` turns it into the wire body. */
export interface Options {
  readonly event: string | undefined
  /** `--from`/`--to` as typed, or `--last DAYS` (the days ending today). */
  readonly range:
    | { readonly _tag: "Dates"; readonly from: string | undefined; readonly to: string | undefined }
    | { readonly _tag: "Last"; readonly days: number }
  readonly groups: ReadonlyArray<{ readonly name: string; readonly trendType: string }>
  readonly unique: boolean
  readonly sum: string | undefined
  /** `--where` and `--profile-where`, in order: the text typed and the entry it reads as. */
  readonly filters?: Filters
  /** `--top` and `--top-profile`: a top values query instead of trends. */
  readonly top?: Top
  /**
   * `--totals` and `--bucket-meta`: Trendline's extensions of the trends answer (each
   * group's total; each bucket's instants, completeness and days), sent only when given.
   */
  readonly totals: boolean
  readonly bucketMeta: boolean
  /** `--compare`: each bucket beside its counterpart in the earlier period. */
  readonly compare?: CompareTo | undefined
  /** `--breakdown` or `--breakdown-profile`: every group broken down by a property's values. */
  readonly breakdown?: Breakdown | undefined
  /** `--rolling`: on every daily group, each day's measure over the days ending that day. */
  readonly rolling?: number | undefined
  readonly format: Format
}

/** The earlier periods `--compare` takes (core's `Extensions.CompareTo`). */
export const compareChoices = ["previous_period", "previous_year"] as const
export type CompareTo = (typeof compareChoices)[number]

/** The most series `--breakdown-n` asks for: core's `TrendsRequest.maxBreakdownValues`. */
export const maxBreakdownValues = 20

/** A breakdown of every group: whose property, which, and how many top values (`--breakdown-n`). */
export interface Breakdown {
  readonly propertyType: "event_properties" | "profile_fields"
  readonly property: string
  readonly topN: number | undefined
}

const compareOf = (flags: Flags, problems: Array<string>): CompareTo | undefined => {
  const text = flags.compare
  if (text === undefined) return undefined
  const choice = compareChoices.find((each) => each === text)
  if (choice === undefined)
    problems.push(
      `--compare ${JSON.stringify(text)}: give previous_period (the days of equal length just before the range) or previous_year (the same dates a year earlier)`,
    )
  return choice
}

const breakdownOf = (flags: Flags, problems: Array<string>): Breakdown | undefined => {
  const event = flags.breakdown
  const profile = flags["breakdown-profile"]
  const nText = flags["breakdown-n"]
  if (event === undefined && profile === undefined) {
    if (nText !== undefined)
      problems.push(
        "--breakdown-n goes with --breakdown or --breakdown-profile: give the property to break down by",
      )
    return undefined
  }
  if (event !== undefined && profile !== undefined)
    problems.push(
      "--breakdown and --breakdown-profile: pick one, an event property or a profile field",
    )
  const topN = nText === undefined ? undefined : /^\d{1,4}$/.test(nText) ? Number(nText) : 0
  if (topN !== undefined && (topN < 1 || topN > maxBreakdownValues))
    problems.push(
      `--breakdown-n: give a number of values from 1 to ${maxBreakdownValues} (each is a series); got ${nText}`,
    )
  return event !== undefined
    ? { propertyType: "event_properties", property: event, topN }
    : { propertyType: "profile_fields", property: profile!, topN }
}

/** The longest window `--rolling` takes, in days: core's `TrendsRequest.maxRollingDays`. */
export const maxRollingDays = 90

// `--rolling N`: a whole number of days in core's bounds, for the daily groups there are.
const rollingOf = (
  flags: Flags,
  groups: Options["groups"],
  problems: Array<string>,
): number | undefined => {
  const text = flags.rolling
  if (text === undefined) return undefined
  const days = /^\d{1,4}$/.test(text) ? Number(text) : 0
  if (days < 1 || days > maxRollingDays)
    problems.push(
      `--rolling: give a number of days from 1 to ${maxRollingDays}, e.g. 7 (with --unique, weekly active profiles) or 30 (monthly); got ${text}`,
    )
  else if (!groups.some((group) => group.trendType === "daily"))
    problems.push(
      `--rolling ${text} needs a daily group (a window ends on each day): add --group daily, or leave --rolling out`,
    )
  return days
}

/** A top values query: a group a property, `--top-n` values each, most or least first. */
export interface Top {
  readonly groups: ReadonlyArray<{
    readonly name: string
    readonly propertyType: "event_properties" | "profile_fields"
    readonly property: string
  }>
  readonly topN: number | undefined
  readonly order: "desc" | "asc"
}

const topOf = (flags: Flags, problems: Array<string>): Top | undefined => {
  const events = flags.top ?? []
  const profiles = flags["top-profile"] ?? []
  if (events.length === 0 && profiles.length === 0) {
    for (const flag of ["top-n", "asc"] as const)
      if (flags[flag] !== undefined)
        problems.push(`--${flag} goes with --top or --top-profile: give the property to rank`)
    return undefined
  }
  if ((flags.group ?? []).length > 0 || flags.unique === true || flags.sum !== undefined)
    problems.push(
      "--top and --top-profile rank a property's values: they take no --group, --unique or --sum",
    )
  if (flags.totals === true || flags["bucket-meta"] === true)
    problems.push(
      "--totals and --bucket-meta extend a trends answer: a top values query (--top, --top-profile) takes neither",
    )
  if (
    flags.compare !== undefined ||
    flags.breakdown !== undefined ||
    flags["breakdown-profile"] !== undefined ||
    flags.rolling !== undefined
  )
    problems.push(
      "--compare, --breakdown and --rolling extend a trends answer: a top values query (--top, --top-profile) takes none of them",
    )
  const groups: Array<Top["groups"][number]> = []
  for (const [propertyType, texts] of [
    ["event_properties", events],
    ["profile_fields", profiles],
  ] as const) {
    for (const property of texts) {
      // A group a property, named after it (a profile field after "profile ", if both).
      const taken = groups.some((group) => group.name === property)
      groups.push({ name: taken ? `profile ${property}` : property, propertyType, property })
    }
  }
  const topNText = flags["top-n"]
  const topN =
    topNText === undefined ? undefined : /^\d{1,4}$/.test(topNText) ? Number(topNText) : Number.NaN
  if (Number.isNaN(topN))
    problems.push(`--top-n: give a number of values such as 5; got ${topNText}`)
  return { groups, topN, order: flags.asc === true ? "asc" : "desc" }
}

/** A filter entry as the wire body has it: `{"name", "operator", "value"}`. */
export interface Entry {
  readonly name: string
  readonly operator: string
  readonly value?: unknown
}

/** The filters of `--where` (the event's properties) and `--profile-where` (its profile's fields). */
export interface Filters {
  readonly event: ReadonlyArray<{ readonly text: string; readonly entry: Entry }>
  readonly profile: ReadonlyArray<{ readonly text: string; readonly entry: Entry }>
}

/**
 * A `--where` text, `NAME OPERATOR [VALUE]`: the name is the first word (or a JSON string,
 * for a name with spaces), the operator the next; the rest is the value, read as JSON when
 * it is (a number, "text", true, a list) and as text otherwise. Core judges the entry.
 *
 * @example entryOf('Plan equals ["pro","team"]') // { name: "Plan", operator: "equals", value: ["pro", "team"] }
 */
export const entryOf = (text: string): Entry | undefined => {
  const trimmed = text.trim()
  let name: string
  let rest: string
  if (trimmed.startsWith('"')) {
    const close = /^"(?:[^"\\]|\\.)*"/.exec(trimmed)
    if (close === null) return undefined
    name = JSON.parse(close[0]) as string
    rest = trimmed.slice(close[0].length).trim()
  } else {
    const space = trimmed.search(/\s/)
    if (space === -1) return undefined
    name = trimmed.slice(0, space)
    rest = trimmed.slice(space).trim()
  }
  const space = rest.search(/\s/)
  const operator = space === -1 ? rest : rest.slice(0, space)
  if (operator === "") return undefined
  const valueText = space === -1 ? "" : rest.slice(space).trim()
  if (valueText === "") return { name, operator }
  let value: unknown = valueText
  try {
    const parsed: unknown = JSON.parse(valueText)
    if (parsed !== null && typeof parsed !== "object") value = parsed
    else if (Array.isArray(parsed)) value = parsed
  } catch {
    // Not JSON: the text as typed.
  }
  return { name, operator, value }
}

const filtersOf = (
  flag: "--where" | "--profile-where",
  texts: ReadonlyArray<string>,
  problems: Array<string>,
) =>
  texts.flatMap((text) => {
    const entry = entryOf(text)
    if (entry === undefined) {
      problems.push(
        `${flag} ${JSON.stringify(text)}: give NAME OPERATOR VALUE, e.g. ${flag} 'Amount greater_than 50' or ${flag} 'Plan equals ["pro","team"]'`,
      )
      return []
    }
    return [{ text, entry }]
  })

const trendTypes: ReadonlyArray<string> = [
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "quarterly",
  "yearly",
]

/** The types a `--group` takes, in words, for messages. */
export const trendTypeWords = "hourly, daily, weekly, monthly, quarterly or yearly"

/** The group when no `--group` is given. */
export const defaultGroups: Options["groups"] = [{ name: "daily", trendType: "daily" }]

const groupsOf = (texts: ReadonlyArray<string>, problems: Array<string>): Options["groups"] => {
  if (texts.length === 0) return defaultGroups
  const groups: Array<{ name: string; trendType: string }> = []
  for (const text of texts) {
    const equals = text.indexOf("=")
    const group =
      equals === -1
        ? { name: text, trendType: text }
        : { name: text.slice(0, equals), trendType: text.slice(equals + 1) }
    if (equals === -1 && !trendTypes.includes(text)) {
      problems.push(
        `--group ${JSON.stringify(text)}: give NAME=TYPE, e.g. --group days=daily, or only the type: ${trendTypeWords}`,
      )
    } else if (groups.some((other) => other.name === group.name)) {
      problems.push(`--group: two groups are named ${JSON.stringify(group.name)}; rename one`)
    } else {
      groups.push(group)
    }
  }
  return groups
}

/** The query of the flags, or the problems the flags show on their own. */
export const options = (flags: Flags): Checked<Options> => {
  const problems: Array<string> = []
  let range: Options["range"] = { _tag: "Dates", from: flags.from, to: flags.to }
  if (flags.last !== undefined) {
    const days = /^\d{1,4}$/.test(flags.last) ? Number(flags.last) : 0
    if (flags.from !== undefined || flags.to !== undefined) {
      problems.push("--last replaces --from and --to: give either --last or both dates")
    } else if (days < 1) {
      problems.push(`--last: give a number of days such as 7 or 30; got ${flags.last}`)
    }
    range = { _tag: "Last", days }
  }
  if (flags.json === true && flags.csv === true) {
    problems.push("--json and --csv: pick one output format")
  }
  const groups = groupsOf(flags.group ?? [], problems)
  const filters = {
    event: filtersOf("--where", flags.where ?? [], problems),
    profile: filtersOf("--profile-where", flags["profile-where"] ?? [], problems),
  }
  const top = topOf(flags, problems)
  const compare = compareOf(flags, problems)
  const breakdown = breakdownOf(flags, problems)
  const rolling = top === undefined ? rollingOf(flags, groups, problems) : undefined
  // The long form has a row a series value, where the group's figures have no place.
  if (
    flags.csv === true &&
    breakdown !== undefined &&
    (flags.totals === true ||
      flags["bucket-meta"] === true ||
      compare !== undefined ||
      flags.rolling !== undefined)
  )
    problems.push(
      "--csv with --breakdown is the long form group,bucket,series,value, with no room for --totals, --bucket-meta, --compare or --rolling: drop them or --csv (the table and --json show them all)",
    )
  if (problems.length > 0) return invalid(problems)
  return valid({
    ...(top === undefined ? {} : { top }),
    event: flags.event,
    range,
    groups,
    unique: flags.unique === true,
    sum: flags.sum,
    filters,
    totals: flags.totals === true,
    bucketMeta: flags["bucket-meta"] === true,
    ...(compare === undefined ? {} : { compare }),
    ...(breakdown === undefined ? {} : { breakdown }),
    ...(rolling === undefined ? {} : { rolling }),
    format: flags.json === true ? "json" : flags.csv === true ? "csv" : "table",
  })
}
