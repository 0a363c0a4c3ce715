/**
 * Core's request issues in the words of the command line. Core judges the wire body and
 * names its fields (`to`, `groups.x.trend_type`, `sum_event_prop`) and how to fix the JSON
 * (`set "to" to 20261027`); the user typed flags (`--last 400`), so each issue is said again
 * in terms of the flags given, with core's limit. An issue this module does not know is
 * kept, its field replaced by its flag.
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Either from "effect/Either"
import * as QueryOptions from "./QueryOptions.ts"

/** One of core's issues: `{ path: "groups.x.trend_type", message: "must be …" }`. */
export interface Issue {
  readonly path: string
  readonly message: string
}

/** What the issues are about besides the flags. */
export interface Context {
  /** The last day of `--last`, in the account's zone. */
  readonly today: Calendar.Day
  /** Core's `Limits.maxRangeDays`, when the issue does not say it. */
  readonly maxRangeDays: number
}

// Wire names in core's messages, and the flag that sets each.
const wireToFlag: ReadonlyArray<readonly [RegExp, string]> = [
  [/"unique": true/g, "--unique"],
  [/"totals"(: true)?/g, "--totals"],
  [/"bucket_meta"(: true)?/g, "--bucket-meta"],
  [/"compare"/g, "--compare"],
  [/"rolling"/g, "--rolling"],
  [/"sum_event_prop"/g, "--sum"],
  [/"event_name"/g, "--event"],
  [/"groups"/g, "--group"],
  [/"trend_type"/g, "TYPE"],
  [/"from"/g, "--from"],
  [/"to"/g, "--to"],
]

const inFlags = (message: string): string =>
  wireToFlag.reduce((text, [wire, flag]) => text.replace(wire, flag), message)

const dayOf = (text: string | undefined): Calendar.Day | undefined =>
  text === undefined ? undefined : Either.getOrUndefined(Calendar.parseDay(text))

const key = (day: Calendar.Day): number => Calendar.toDateInt(day)

// Core's message states the limit it applied (a server may have its own).
const limitIn = (message: string, fallback: number): number => {
  const stated = /at most (\d+)/.exec(message)?.[1]
  return stated === undefined ? fallback : Number(stated)
}

const lastLine = (days: number, issue: Issue, context: Context): string => {
  const limit = limitIn(issue.message, context.maxRangeDays)
  if (days <= limit) return `--last ${days}: ${inFlags(issue.message)}`
  const oldest = key(context.today - limit + 1)
  return `--last ${days} reaches before the oldest allowed day, ${oldest}: a query covers at most ${limit} days, today included; give --last ${limit} or less, or --from and --to for older days`
}

// Core's issue with a range too long for hourly groups: it names the group and its limit.
const isHourlyRange = (issue: Issue): boolean => /an hourly group/.test(issue.message)

// A range too long for an hourly group, said of the flags that set the range and the group.
const hourlyLine = (options: QueryOptions.Options, issue: Issue): string => {
  const limit = limitIn(issue.message, Number.POSITIVE_INFINITY)
  const hourly = options.groups.find((group) => group.trendType === "hourly")
  const group = hourly === undefined ? "an hourly group" : `--group ${hourly.name}=hourly`
  const range = options.range
  if (range._tag === "Last")
    return `--last ${range.days} with ${group}: a range with an hourly group covers at most ${limit} days; give --last ${limit} or less, or make the group daily`
  const from = dayOf(range.from)
  const to = dayOf(range.to)
  if (from === undefined || to === undefined || !Number.isFinite(limit))
    return `--to ${range.to ?? ""}: ${inFlags(issue.message)}`
  return `--from ${range.from} --to ${range.to} covers ${to - from + 1} days but a range with ${group} covers at most ${limit}; give --to ${key(from + limit - 1)} or earlier, or make the group daily`
}

const datesLine = (
  field: "from" | "to",
  range: { readonly from: string | undefined; readonly to: string | undefined },
  issue: Issue,
): string => {
  const typed = range[field]
  if (typed === undefined) {
    return field === "from"
      ? "--from is missing: give the first day, e.g. --from 20250101, or --last DAYS for the days ending today"
      : "--to is missing: give the last day, e.g. --to 20250131, or --last DAYS for the days ending today"
  }
  const parsed = Calendar.parseDay(typed)
  // Core's message would say what the JSON should hold, not what to type.
  if (Either.isLeft(parsed)) return `--${field}: ${parsed.left.message}`
  const from = dayOf(range.from)
  const to = dayOf(range.to)
  if (from !== undefined && to !== undefined) {
    if (from > to) {
      return `--from ${range.from} is after --to ${range.to}: the range must start on or before its last day; swap the two dates`
    }
    const limit = limitIn(issue.message, Number.POSITIVE_INFINITY)
    if (to - from + 1 > limit) {
      return `--from ${range.from} --to ${range.to} covers ${to - from + 1} days (both ends count) but a query covers at most ${limit}; give --to ${key(from + limit - 1)} or earlier, or split the range into several queries`
    }
  }
  return `--${field} ${typed}: ${inFlags(issue.message)}`
}

// An issue of a group's breakdown (`groups.days.breakdown.top_n`), said of `--breakdown`.
const breakdownLine = (
  path: ReadonlyArray<string>,
  options: QueryOptions.Options,
  issue: Issue,
) => {
  const breakdown = options.breakdown
  if (breakdown === undefined) return `--breakdown: ${inFlags(issue.message)}`
  const flag = breakdown.propertyType === "profile_fields" ? "--breakdown-profile" : "--breakdown"
  return path[3] === "top_n"
    ? `--breakdown-n ${breakdown.topN}: ${inFlags(issue.message)}`
    : `${flag} ${JSON.stringify(breakdown.property)}: ${inFlags(issue.message)}`
}

const groupLine = (path: ReadonlyArray<string>, options: QueryOptions.Options, issue: Issue) => {
  if (path[2] === "breakdown") return breakdownLine(path, options, issue)
  if (path[2] === "rolling") return `--rolling ${options.rolling ?? ""}: ${inFlags(issue.message)}`
  const group = options.groups.find((candidate) => candidate.name === path[1])
  if (group === undefined) return `--group: ${inFlags(issue.message)}`
  const given = `--group ${group.name}=${group.trendType}`
  return path[2] === "trend_type"
    ? `${given}: TYPE must be ${QueryOptions.trendTypeWords}`
    : `${given}: ${inFlags(issue.message)}`
}

const sumLine = (options: QueryOptions.Options, issue: Issue): string => {
  if (options.sum !== undefined && options.sum.trim() === "") {
    return "--sum is empty: give the integer property to sum, e.g. --sum Amount, or leave --sum out to count events"
  }
  if (options.unique) {
    return "--sum and --unique cannot be combined: --unique counts distinct profiles, --sum adds up a property; give one of them"
  }
  return `--sum ${JSON.stringify(options.sum)}: ${inFlags(issue.message)}`
}

const eventLine = (options: QueryOptions.Options, issue: Issue): string => {
  if (options.event === undefined) {
    return "--event is missing: give the event to count, e.g. --event Charged"
  }
  if (options.event.trim() === "") {
    return "--event is empty: give the event to count, e.g. --event Charged"
  }
  return `--event: ${inFlags(issue.message)}`
}

// An issue of a filter entry (`event_properties[1].value`), said of the flag that gave it.
const filterLine = (issue: Issue, options: QueryOptions.Options): string | undefined => {
  const found = /^(event_properties|common_profile_properties)(?:\[(\d+)\])?/.exec(issue.path)
  if (found === null) return undefined
  const [flag, filters] =
    found[1] === "event_properties"
      ? ["--where", options.filters?.event ?? []]
      : ["--profile-where", options.filters?.profile ?? []]
  const given = found[2] === undefined ? undefined : filters[Number(found[2])]
  return given === undefined
    ? `${flag}: ${inFlags(issue.message)}`
    : `${flag} ${JSON.stringify(given.text)}: ${inFlags(issue.message)}`
}

/** One issue as a line about the flags the user gave. */
export const line = (issue: Issue, options: QueryOptions.Options, context: Context): string => {
  const filter = filterLine(issue, options)
  if (filter !== undefined) return filter
  const path = issue.path.split(".")
  switch (path[0]) {
    case "":
      return inFlags(issue.message)
    case "event_name":
      return eventLine(options, issue)
    case "from":
    case "to":
      if (isHourlyRange(issue)) return hourlyLine(options, issue)
      return options.range._tag === "Last"
        ? lastLine(options.range.days, issue, context)
        : datesLine(path[0], options.range, issue)
    case "groups": {
      const top = options.top?.groups.find((group) => group.name === path[1])
      if (top !== undefined) {
        const flag = top.propertyType === "profile_fields" ? "--top-profile" : "--top"
        return `${flag} ${JSON.stringify(top.property)}: ${path[2] === "top_n" ? `--top-n ${inFlags(issue.message)}` : inFlags(issue.message)}`
      }
      return groupLine(path, options, issue)
    }
    case "unique":
      return `--unique: ${inFlags(issue.message)}`
    // A server with rules of its own about Trendline's extensions.
    case "totals":
      return `--totals: ${inFlags(issue.message)}`
    case "bucket_meta":
      return `--bucket-meta: ${inFlags(issue.message)}`
    case "compare":
      return `--compare ${options.compare ?? ""}: ${inFlags(issue.message)}`
    case "sum_event_prop":
      return sumLine(options, issue)
    default:
      return `${issue.path}: ${inFlags(issue.message)}`
  }
}

/**
 * Every issue as a line about the flags, without repeats (both ends of a range may be
 * refused for the same reason).
 */
export const lines = (
  issues: ReadonlyArray<Issue>,
  options: QueryOptions.Options,
  context: Context,
): ReadonlyArray<string> => [...new Set(issues.map((issue) => line(issue, options, context)))]
