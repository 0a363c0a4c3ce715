/**
 * `trendline query`'s table: one a group, a row a bucket with its days and value, the total
 * row, and the columns and legends of Trendline's extensions as the answer carries them. An
 * hourly bucket's days read `2025-01-01 10h`: hour 10 of the local day (`Format.hourOf`).
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Calendar from "@trendline/core/Calendar"
import type * as Extensions from "@trendline/core/Extensions"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Export from "../Export.ts"
import * as Extras from "../Extras.ts"
import * as Format from "../view/Format.ts"

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

/** A bucket's change as the table shows it (`Extras.changeText`): `+2 (+50%)`. */
export const changeText = Extras.changeText

/**
 * The note under a table with rolling windows: what a day's window holds (`rolling 7d:
 * each day's distinct profiles over the 7 days ending that day`).
 */
export const rollingLegend = (days: number, measure: string): string =>
  `rolling ${days}d: each day's ${measure === "profiles" ? "distinct profiles" : measure} over the ${days} days ending that day`

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
 * `previous` (the earlier bucket's key and value) and `change` (`changeText`); with rolling
 * windows, `rolling Nd` (each day's window, no total: windows overlap) and a legend; with a
 * breakdown, a column a top value (`Export.seriesName`) and `other` for the rest when the
 * measure adds up. An hour's days are its day and hour (`Format.hourOf`).
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
            const hour = Format.hourOf(bucket.key, group.trendType)
            const start = hour ?? isoDate(bucket.start)
            const end = hour ?? isoDate(bucket.end)
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
              previousTotal === undefined ? "" : changeText(Extras.changeOf(total, previousTotal)),
            align: "right",
          },
        )
      }
      const rolling = marks.rolling
      if (rolling !== undefined)
        columns.push({
          title: `rolling ${rolling.days}d`,
          cell: (bucket) => String(Extras.rollingAt(marks, bucket.key) ?? ""),
          // Windows overlap: their sum counts a day once a window it is in.
          total: "",
          align: "right",
        })
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
        ...(rolling === undefined ? [] : [rollingLegend(rolling.days, measure)]),
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
