/**
 * `trendline query`: one trends query from flags (read by `QueryOptions`), checked by core's
 * `TrendsRequest.decode` before anything is opened or sent, answered as a table a group, the
 * wire JSON, or CSV. Core's issues are said in the words of the flags (`QueryIssues`).
 *
 * `--totals`, `--bucket-meta`, `--compare` and `--breakdown` ask for Trendline's extensions
 * (`Extras`): the table's total row is then the server's (for distinct profiles, those of
 * the whole range), buckets not over yet are marked, each bucket is set beside the earlier
 * period's, and each group gets a column a top value of a property. A server that answers
 * without them (a hosted API) is said to on stderr, once, and the answer is printed as
 * without the flags.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import type * as Extensions from "@trendline/core/Extensions"
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
          { trend_type: group.trendType, ...breakdownField(options.breakdown) },
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

const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

const measureOf = (request: TrendsRequest.TrendsRequest): string =>
  request.sum_event_prop !== undefined
    ? `sum of ${request.sum_event_prop}`
    : request.unique === true
      ? "profiles"
      : "events"

/** The legend under a table that marks buckets not over yet. */
export const incompleteLegend = `${Extras.incompleteMark} not complete: the bucket had not ended when the answer was computed`

/** The note under a table whose total row is the server's count of distinct profiles. */
export const distinctLegend =
  "distinct: each profile counted once over the whole range, not the sum of the buckets"

const signed = (value: number, unit = ""): string => `${value > 0 ? "+" : ""}${value}${unit}`

/**
 * A bucket's change as the table shows it: signed, with its ratio as a percentage when there
 * is one (`+2 (+50%)`, `-1 (-33.3%)`) and `—` when there is none (`+2 (—)`: the previous
 * value was 0); `—` alone for a bucket with no counterpart in the earlier period.
 */
export const changeText = (change: {
  readonly change: number | null
  readonly change_ratio: number | null
}): string => {
  if (change.change === null) return "—"
  const ratio =
    change.change_ratio === null ? "—" : signed(Number((change.change_ratio * 100).toFixed(1)), "%")
  return `${signed(change.change)} (${ratio})`
}

// A wire date, 20250131, as 2025-01-31.
const wireDate = (key: number): string => String(key).replace(/^(\d{4})(\d{2})(\d{2})$/, "$1-$2-$3")

const compareWords = (comparison: Extensions.Comparison): string =>
  `${comparison.kind === "previous_year" ? "the year before" : "the period before"}, ${wireDate(comparison.from)} to ${wireDate(comparison.to)}`

// A column of a table: its title, its cell a bucket and in the total row, and its side.
interface Column {
  readonly title: string
  readonly cell: (bucket: TrendsClient.TrendsAnswer["groups"][string]["buckets"][number]) => string
  readonly total: string
  readonly align: "left" | "right"
}

/**
 * The answer as one table a group: bucket key, its days, the value, and the total (not
 * for distinct profiles, which do not add up across buckets). With the extensions `shown`
 * (`Extras.answered`): the total row is the server's, for distinct profiles too (labelled
 * so, with a note); a bucket not over yet has `*` after its value (with a legend), and a
 * bucket the range cuts says how many of its days are in the range. With a comparison,
 * `previous` (the earlier bucket's key and value) and `change` (`changeText`); with a
 * breakdown, a column a top value (`Export.seriesName`) and `other` for the rest when the
 * measure adds up.
 */
export const table = (
  answer: TrendsClient.TrendsAnswer,
  request: TrendsRequest.TrendsRequest,
  shown: Extras.Wanted = Extras.none,
): string => {
  const measure = measureOf(request)
  const range = `${Calendar.formatIsoDate(request.from)} to ${Calendar.formatIsoDate(request.to)}`
  const unique = request.unique === true
  return Object.entries(answer.groups)
    .map(([name, group]) => {
      const marks = Extras.groupOf(answer, name, shown)
      // With bucket metadata, values keep a column for the mark, so that numbers line up.
      const markColumn = marks.buckets !== undefined
      const cell = (value: string, incomplete = false) =>
        markColumn ? `${value}${incomplete ? Extras.incompleteMark : " "}` : value
      const hasTotal = marks.total !== undefined || !unique
      const total = marks.total ?? group.total
      const columns: Array<Column> = [
        {
          title: "bucket",
          cell: (bucket) => bucket.key,
          total: unique ? "distinct" : "total",
          align: "left",
        },
        {
          title: "days",
          cell: (bucket) => {
            const start = isoDate(bucket.start)
            const end = isoDate(bucket.end)
            const cut = Extras.cutOf(marks, bucket.key)
            const days = start === end ? start : `${start}..${end}`
            return cut === undefined ? days : `${days} (${Extras.cutText(cut)})`
          },
          total: unique ? "whole range" : "",
          align: "left",
        },
        {
          title: cell(measure),
          cell: (bucket) => cell(String(bucket.value), Extras.isIncomplete(marks, bucket.key)),
          total: cell(String(total)),
          align: "right",
        },
      ]
      const comparison = marks.compare
      if (comparison !== undefined) {
        const changes = comparison.buckets
        const before = (key: string) => (Object.hasOwn(changes, key) ? changes[key] : undefined)
        const width = Math.max(
          0,
          ...Object.values(changes).map((change) => String(change.previous ?? "").length),
        )
        const previousTotal = comparison.previous_total
        columns.push(
          {
            title: "previous",
            cell: (bucket) => {
              const change = before(bucket.key)
              return change?.previous == null || change.previous_key === null
                ? "—"
                : `${change.previous_key} ${String(change.previous).padStart(width)}`
            },
            total: previousTotal === undefined ? "" : String(previousTotal),
            align: "right",
          },
          {
            title: "change",
            cell: (bucket) => {
              const change = before(bucket.key)
              return change === undefined ? "—" : changeText(change)
            },
            total:
              previousTotal === undefined
                ? ""
                : changeText({
                    change: total - previousTotal,
                    change_ratio:
                      previousTotal === 0
                        ? null
                        : (total - previousTotal) / Math.abs(previousTotal),
                  }),
            align: "right",
          },
        )
      }
      const breakdown = marks.breakdown
      if (breakdown !== undefined) {
        const seriesColumn = (
          title: string,
          buckets: { readonly [key: string]: number },
        ): Column => {
          const at = (key: string) => (Object.hasOwn(buckets, key) ? buckets[key]! : 0)
          return {
            title,
            cell: (bucket) => String(at(bucket.key)),
            // Distinct profiles do not add up across buckets.
            total: unique
              ? ""
              : String(group.buckets.reduce((sum, bucket) => sum + at(bucket.key), 0)),
            align: "right",
          }
        }
        columns.push(
          ...breakdown.series.map((series) =>
            seriesColumn(Export.seriesName(series.value), series.buckets),
          ),
          ...(breakdown.other === undefined
            ? []
            : [seriesColumn(Extras.otherSeries, breakdown.other.buckets)]),
        )
      }
      const rows = [
        columns.map((column) => column.title),
        ...group.buckets.map((bucket) => columns.map((column) => column.cell(bucket))),
        ...(hasTotal ? [columns.map((column) => column.total)] : []),
      ]
      const widths = columns.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
      const lines = rows.map((row) =>
        row
          .map((text, c) =>
            columns[c]!.align === "left" ? text.padEnd(widths[c]!) : text.padStart(widths[c]!),
          )
          .join("  ")
          .trimEnd(),
      )
      const legends = [
        ...(Extras.anyIncomplete(marks) ? [incompleteLegend] : []),
        ...(unique && marks.total !== undefined ? [distinctLegend] : []),
      ]
      const by =
        breakdown === undefined
          ? ""
          : `, by the ${breakdown.property_type === "profile_fields" ? "profile field" : "property"} ${JSON.stringify(breakdown.name)}`
      const beside = comparison === undefined ? "" : `; previous: ${compareWords(comparison)}`
      const title = `${name}: ${group.trendType} ${measure} of ${JSON.stringify(request.event_name)}, ${range}${by}${beside}`
      return `${title}\n${[...lines, ...legends].join("\n")}\n`
    })
    .join("\n")
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
              : table(answer.right, decoded.right, shown),
        )
        return ExitCode.Success
      }),
      io,
    )
  }
