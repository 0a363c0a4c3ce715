/**
 * `trendline query`: one trends query from flags, checked by core's `TrendsRequest.decode`
 * before anything is opened or sent, answered as a table a group, the wire JSON, or CSV.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Backend from "../Backend.ts"
import * as Export from "../Export.ts"
import { complain, ExitCode, execute, type Io } from "./ExitCode.ts"
import * as Target from "./Target.ts"

/** The query's flags, as `util.parseArgs` returns them. */
export interface Flags {
  readonly event?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly last?: string | undefined
  readonly group?: ReadonlyArray<string> | undefined
  readonly unique?: boolean | undefined
  readonly sum?: string | undefined
  readonly json?: boolean | undefined
  readonly csv?: boolean | undefined
}

/** How the answer is printed. */
export type Format = "table" | "json" | "csv"

/** A query as the user asked for it; `requestOf` turns it into the wire body. */
export interface Options {
  readonly event: string | undefined
  /** `--from`/`--to` as typed, or `--last DAYS` (the days ending today). */
  readonly range:
    | { readonly _tag: "Dates"; readonly from: string | undefined; readonly to: string | undefined }
    | { readonly _tag: "Last"; readonly days: number }
  readonly groups: ReadonlyArray<{ readonly name: string; readonly trendType: string }>
  readonly unique: boolean
  readonly sum: string | undefined
  readonly format: Format
}

const trendTypes: ReadonlyArray<string> = ["daily", "weekly", "monthly"]

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
        `--group ${JSON.stringify(text)}: give NAME=TYPE, e.g. --group days=daily, or only the type: daily, weekly or monthly`,
      )
    } else if (groups.some((other) => other.name === group.name)) {
      problems.push(`--group: two groups are named ${JSON.stringify(group.name)}; rename one`)
    } else {
      groups.push(group)
    }
  }
  return groups
}

/**
 * The query of the flags, or the problems a flag alone shows (`--last` with `--from`,
 * `--json` with `--csv`); the request's own rules are core's, checked when it runs.
 */
export const options = (flags: Flags): Either.Either<Options, ReadonlyArray<string>> => {
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
  if (problems.length > 0) return Either.left(problems)
  return Either.right({
    event: flags.event,
    range,
    groups,
    unique: flags.unique === true,
    sum: flags.sum,
    format: flags.json === true ? "json" : flags.csv === true ? "csv" : "table",
  })
}

// A typed date is the integer the wire wants when core's `Calendar.parseDay` reads it
// (`20250131` or `2025-01-31`); anything else goes through as typed, for core to refuse.
const dateKey = (text: string | undefined): unknown =>
  text === undefined
    ? undefined
    : Either.match(Calendar.parseDay(text), { onLeft: () => text, onRight: Calendar.toDateInt })

// The wire dates of the range: `--from`/`--to` as typed, or core's last DAYS days ending today.
const datesOf = (range: Options["range"], today: Calendar.Day) => {
  if (range._tag === "Dates") return { from: dateKey(range.from), to: dateKey(range.to) }
  const days = DateRange.lastDays(range.days, today)
  return { from: Calendar.toDateInt(days.from), to: Calendar.toDateInt(days.to) }
}

// Why a typed `--from`/`--to` is not a date, in `Calendar.parseDay`'s words (core's wire
// message would say what the JSON should hold, not what to type).
const dateProblem = (path: string, range: Options["range"]): string | undefined => {
  if (range._tag !== "Dates" || (path !== "from" && path !== "to")) return undefined
  const text = range[path]
  return text === undefined
    ? undefined
    : Either.match(Calendar.parseDay(text), {
        onLeft: (error) => error.message,
        onRight: () => undefined,
      })
}

/** The wire body of a query; `today` (in the account's zone) is the last day of `--last`. */
export const requestOf = (options: Options, today: Calendar.Day): Record<string, unknown> => {
  return Object.fromEntries(
    Object.entries({
      event_name: options.event,
      ...datesOf(options.range, today),
      groups: Object.fromEntries(
        options.groups.map((group) => [group.name, { trend_type: group.trendType }]),
      ),
      unique: options.unique ? true : undefined,
      sum_event_prop: options.sum,
    }).filter(([, value]) => value !== undefined),
  )
}

// Core's issues name wire fields; the flag beside it says what to change on the command line.
const flagOf = (path: string, range: Options["range"]): string | undefined => {
  switch (path.split(".")[0]) {
    case "event_name":
      return "--event"
    case "from":
    case "to":
      return range._tag === "Last" ? "--last" : `--${path}`
    case "groups":
      return "--group"
    case "unique":
      return "--unique"
    case "sum_event_prop":
      return "--sum"
    default:
      return undefined
  }
}

const issueLine =
  (range: Options["range"]) =>
  (issue: { readonly path: string; readonly message: string }): string => {
    if (issue.path === "") return issue.message
    const flag = flagOf(issue.path, range)
    const message = dateProblem(issue.path, range) ?? issue.message
    return `${issue.path}${flag === undefined ? "" : ` (${flag})`}: ${message}`
  }

const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

const measureOf = (request: TrendsRequest.TrendsRequest): string =>
  request.sum_event_prop !== undefined
    ? `sum of ${request.sum_event_prop}`
    : request.unique === true
      ? "profiles"
      : "events"

/**
 * The answer as one table a group: bucket key, its days, the value, and the total (not
 * for distinct profiles, which do not add up across buckets).
 */
export const table = (
  answer: TrendsClient.TrendsAnswer,
  request: TrendsRequest.TrendsRequest,
): string => {
  const measure = measureOf(request)
  const range = `${Calendar.formatIsoDate(request.from)} to ${Calendar.formatIsoDate(request.to)}`
  return Object.entries(answer.groups)
    .map(([name, group]) => {
      const rows = [
        ["bucket", "days", measure],
        ...group.buckets.map((bucket) => {
          const start = isoDate(bucket.start)
          const end = isoDate(bucket.end)
          return [bucket.key, start === end ? start : `${start}..${end}`, String(bucket.value)]
        }),
        ...(request.unique === true ? [] : [["total", "", String(group.total)]]),
      ]
      const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
      const lines = rows.map(([key, days, value]) =>
        `${key!.padEnd(widths[0]!)}  ${days!.padEnd(widths[1]!)}  ${value!.padStart(widths[2]!)}`.trimEnd(),
      )
      const title = `${name}: ${group.trendType} ${measure} of ${JSON.stringify(request.event_name)}, ${range}`
      return `${title}\n${lines.join("\n")}\n`
    })
    .join("\n")
}

/**
 * Runs the query against the target (a new local database is filled with the demo data
 * first, so `trendline query --event "App Opened" --last 7` works out of the box).
 */
export const run =
  (target: Target.Target, options: Options) =>
  (io: Io): Promise<number> =>
    execute(
      Effect.gen(function* () {
        const today = Calendar.today(yield* Clock.currentTimeMillis, Target.todayZone(target))
        const body = requestOf(options, today)
        const decoded = yield* Effect.either(TrendsRequest.decode(body))
        if (Either.isLeft(decoded)) {
          complain(io, decoded.left.issues.map(issueLine(options.range)))
          return ExitCode.Usage
        }
        const answer = yield* Effect.flatMap(Backend.Backend, (backend) =>
          backend.trends(body),
        ).pipe(Effect.provide(Target.layer(target, { seedDemo: true })))
        io.stdout(
          options.format === "json"
            ? Export.toJson(answer)
            : options.format === "csv"
              ? Export.toCsv(answer)
              : table(answer, decoded.right),
        )
        return ExitCode.Success
      }),
      io,
    )
