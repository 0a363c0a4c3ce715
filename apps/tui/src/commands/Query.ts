/**
 * `trendline query`: one trends query from flags (read by `QueryOptions`), checked by core's
 * `TrendsRequest.decode` before anything is opened or sent, answered as a table a group, the
 * wire JSON, or CSV. Core's issues are said in the words of the flags (`QueryIssues`).
 *
 * `--totals`, `--bucket-meta`, `--compare`, `--breakdown` and `--rolling` ask for Trendline's
 * extensions (`Extras`): the table's total row is then the server's (for distinct profiles,
 * those of the whole range), buckets not over yet are marked, each bucket is set beside the
 * earlier period's, each group gets a column a top value of a property, and each day of a
 * daily group its rolling window (`QueryTable`). A server that answers without them (a
 * hosted API) is said to on stderr, once, and the answer is printed as without the flags.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import * as Limits from "@trendline/core/Limits"
import * as TopCounts from "@trendline/core/TopCounts"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Backend from "../Backend.ts"
import * as Export from "../Export.ts"
import * as Extras from "../Extras.ts"
import { execute } from "./Execute.ts"
import { complain, ExitCode, type Io } from "./ExitCode.ts"
import * as QueryIssues from "./QueryIssues.ts"
import type { Entry, Options } from "./QueryOptions.ts"
import * as QueryTable from "./QueryTable.ts"
import * as Target from "./Target.ts"
import * as Zone from "./Zone.ts"

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

// The entries of `--where` or `--profile-where`; none: no field.
const entriesOf = (
  filters: ReadonlyArray<{ readonly entry: Entry }> | undefined,
): ReadonlyArray<Entry> | undefined =>
  filters === undefined || filters.length === 0 ? undefined : filters.map(({ entry }) => entry)

// A group's `"breakdown"` (`--breakdown`, on every group), only when asked.
const breakdownField = (breakdown: Options["breakdown"]) =>
  breakdown === undefined
    ? {}
    : {
        breakdown: {
          property_type: breakdown.propertyType,
          name: breakdown.property,
          ...(breakdown.topN === undefined ? {} : { top_n: breakdown.topN }),
        },
      }

// A group's `"rolling"` (`--rolling`, on every daily group), only when asked.
const rollingField = (rolling: Options["rolling"], trendType: string) =>
  rolling === undefined || trendType !== "daily" ? {} : { rolling }

/** The wire body of a query; `today` (in the account's zone) is the last day of `--last`. */
export const requestOf = (options: Options, today: Calendar.Day): Record<string, unknown> => {
  const top = options.top
  if (top !== undefined)
    return Object.fromEntries(
      Object.entries({
        event_name: options.event,
        ...datesOf(options.range, today),
        groups: Object.fromEntries(
          top.groups.map((group) => [
            group.name,
            {
              property_type: group.propertyType,
              name: group.property,
              ...(top.topN === undefined ? {} : { top_n: top.topN }),
              ...(top.order === "asc" ? { order: "asc" } : {}),
            },
          ]),
        ),
        event_properties: entriesOf(options.filters?.event),
        common_profile_properties: entriesOf(options.filters?.profile),
      }).filter(([, value]) => value !== undefined),
    )
  return Object.fromEntries(
    Object.entries({
      event_name: options.event,
      ...datesOf(options.range, today),
      groups: Object.fromEntries(
        options.groups.map((group) => [
          group.name,
          {
            trend_type: group.trendType,
            ...breakdownField(options.breakdown),
            ...rollingField(options.rolling, group.trendType),
          },
        ]),
      ),
      unique: options.unique ? true : undefined,
      sum_event_prop: options.sum,
      event_properties: entriesOf(options.filters?.event),
      common_profile_properties: entriesOf(options.filters?.profile),
      // Only when asked: a hosted API does not know them.
      ...Extras.fieldsOf({
        totals: options.totals,
        bucketMeta: options.bucketMeta,
        compare: options.compare,
      }),
    }).filter(([, value]) => value !== undefined),
  )
}

/**
 * What to say when the server answered without the extensions asked for: it does not know
 * them (a hosted API ignores the fields), and the answer follows without them.
 */
export const ignoredLine = (wanted: Extras.Wanted): string => {
  const flags = [
    ...(wanted.totals ? ["--totals"] : []),
    ...(wanted.bucketMeta ? ["--bucket-meta"] : []),
    ...(wanted.compare === undefined ? [] : ["--compare"]),
    ...(wanted.breakdown === true ? ["--breakdown"] : []),
    ...(wanted.rolling === true ? ["--rolling"] : []),
  ]
  const named =
    flags.length < 2 ? flags.join("") : `${flags.slice(0, -1).join(", ")} and ${flags.at(-1)}`
  return `the server answered without what ${named} asked for: it does not know Trendline's extensions (a hosted API ignores them); the answer follows without them`
}

/** A top values answer as one table a group, or CSV (`group,value,count`), or its wire JSON. */
export const topText = (
  answer: TrendsClient.TopAnswer,
  request: TopCounts.TopRequest,
  format: Options["format"],
): string => {
  if (format === "json") return Export.topToJson(answer)
  if (format === "csv") return Export.topToCsv(answer)
  const range = `${Calendar.formatIsoDate(request.from)} to ${Calendar.formatIsoDate(request.to)}`
  return Object.entries(answer)
    .map(([name, entries]) => {
      const group = request.groups[name]!
      const rows = [
        ["value", "events"],
        ...entries.map((e) => [JSON.stringify(e.value), String(e.count)]),
      ]
      const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
      const lines = rows.map(
        ([value, count]) => `${value!.padEnd(widths[0]!)}  ${count!.padStart(widths[1]!)}`,
      )
      const whose = group.property_type === "profile_fields" ? "profile field" : "property"
      const which = group.order === "asc" ? "least" : "most"
      const title = `${name}: the ${which} frequent values of the ${whose} ${JSON.stringify(group.name)} on ${JSON.stringify(request.event_name)} events, ${range}`
      return `${title}\n${entries.length === 0 ? "(no event has it)" : lines.join("\n")}\n`
    })
    .join("\n")
}

/**
 * Runs the query against the target (a new local database is filled with the demo data
 * first, so `trendline query --event "App Opened" --last 7` works out of the box).
 */
export const run =
  (target: Target.Target, options: Options) =>
  (io: Io): Promise<number> => {
    const stop = Zone.check(target, io)
    if (stop !== undefined) return Promise.resolve(stop)
    return execute(
      Effect.gen(function* () {
        const today = Calendar.today(yield* Clock.currentTimeMillis, Target.todayZone(target))
        const explain = (issues: ReadonlyArray<QueryIssues.Issue>) => {
          const context = { today, maxRangeDays: Limits.defaults.maxRangeDays }
          complain(io, QueryIssues.lines(issues, options, context))
          return ExitCode.Usage
        }
        const body = requestOf(options, today)
        if (options.top !== undefined) {
          const request = yield* Effect.either(TopCounts.decode(body))
          if (Either.isLeft(request)) return explain(request.left.issues)
          const answer = yield* Effect.flatMap(Backend.Backend, (backend) =>
            backend.top(body),
          ).pipe(Effect.provide(Backend.layerOf(target, { seedDemo: true })), Effect.either)
          if (Either.isLeft(answer)) {
            const error = answer.left
            return error._tag === "InvalidRequest"
              ? explain(error.issues)
              : yield* Effect.fail(error)
          }
          io.stdout(topText(answer.right, request.right, options.format))
          return ExitCode.Success
        }
        const decoded = yield* Effect.either(TrendsRequest.decode(body))
        if (Either.isLeft(decoded)) return explain(decoded.left.issues)
        const answer = yield* Effect.flatMap(Backend.Backend, (backend) =>
          backend.trends(body),
        ).pipe(Effect.provide(Backend.layerOf(target, { seedDemo: true })), Effect.either)
        // A server with limits of its own may refuse what core's defaults accept.
        if (Either.isLeft(answer)) {
          const error = answer.left
          return error._tag === "InvalidRequest" ? explain(error.issues) : yield* Effect.fail(error)
        }
        const wanted = Extras.wantedOf(decoded.right)
        if (Extras.ignored(wanted, answer.right)) complain(io, [ignoredLine(wanted)])
        const shown = Extras.answered(wanted, answer.right)
        io.stdout(
          options.format === "json"
            ? Export.toJson(answer.right)
            : options.format === "csv"
              ? shown.breakdown === true
                ? Export.toBreakdownCsv(answer.right)
                : Export.toCsv(answer.right, shown)
              : QueryTable.table(answer.right, decoded.right, shown),
        )
        return ExitCode.Success
      }),
      io,
    )
  }
