/**
 * An answer as a file or a command: JSON (the wire form, with Trendline's extensions under
 * `trendline` when asked for), CSV (one row a trends bucket, a breakdown's bucket and
 * value, or a top value), and the `curl`
 * command that asks the same question of a server. The UI's export and `trendline query
 * --json/--csv` write the same text.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import type * as Extensions from "@trendline/core/Extensions"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Extras from "./Extras.ts"
import * as TopView from "./view/TopView.ts"

const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

/** The wire `success` body, pretty-printed. */
export const toJson = (answer: TrendsClient.TrendsAnswer): string =>
  `${JSON.stringify(answer.body, null, 2)}\n`

const csvField = (value: string): string =>
  /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value

/**
 * One row a bucket: `group,trend_type,key,start,end,value`, groups in request order; then,
 * for the extensions `wanted` that the answer carries, `group_total` (the server's total of
 * the group, repeated on each of its rows; distinct profiles of the whole range for unique)
 * and `first,last,complete,days,whole_days` (the bucket's instants, whether it had ended,
 * and for a bucket the range cuts its days and those of the whole bucket), and
 * `previous_key,previous,change,change_ratio` (the earlier period's bucket beside it; empty
 * when none, or no ratio), and `rolling` (a daily group's window ending that day; empty for
 * other groups). An answer without them (a server that does not know them) gives
 * the first six columns only.
 */
export const toCsv = (
  answer: TrendsClient.TrendsAnswer,
  wanted: Extras.Wanted = Extras.none,
): string => {
  const shown = Extras.answered(wanted, answer)
  const rows = [
    [
      "group",
      "trend_type",
      "key",
      "start",
      "end",
      "value",
      ...(shown.totals ? ["group_total"] : []),
      ...(shown.bucketMeta ? ["first", "last", "complete", "days", "whole_days"] : []),
      ...(shown.compare === undefined
        ? []
        : ["previous_key", "previous", "change", "change_ratio"]),
      ...(shown.rolling === true ? ["rolling"] : []),
    ],
  ]
  for (const [name, group] of Object.entries(answer.groups)) {
    const marks = Extras.groupOf(answer, name, shown)
    for (const bucket of group.buckets) {
      const meta = marks.buckets?.get(bucket.key)
      rows.push([
        name,
        group.trendType,
        bucket.key,
        isoDate(bucket.start),
        isoDate(bucket.end),
        String(bucket.value),
        ...(shown.totals ? [marks.total === undefined ? "" : String(marks.total)] : []),
        ...(shown.bucketMeta
          ? [
              meta?.first ?? "",
              meta?.last ?? "",
              meta === undefined ? "" : String(meta.complete),
              meta?.days === undefined ? "" : String(meta.days),
              meta?.whole_days === undefined ? "" : String(meta.whole_days),
            ]
          : []),
        ...(shown.compare === undefined ? [] : compareCells(marks.compare, bucket.key)),
        ...(shown.rolling === true ? [String(Extras.rollingAt(marks, bucket.key) ?? "")] : []),
      ])
    }
  }
  return `${rows.map((row) => row.map(csvField).join(",")).join("\n")}\n`
}

// A bucket's comparison cells; empty for what is null or missing.
const compareCells = (
  comparison: Extensions.Comparison | undefined,
  key: string,
): ReadonlyArray<string> => {
  const change =
    comparison !== undefined && Object.hasOwn(comparison.buckets, key)
      ? comparison.buckets[key]
      : undefined
  return [change?.previous_key, change?.previous, change?.change, change?.change_ratio].map(
    (value) => (value == null ? "" : String(value)),
  )
}

/**
 * A breakdown's value as a table's column and a CSV row's series: the top values view's
 * `displayValue` (`"5"` apart from `5`), and the text `other` quoted, apart from the rest.
 */
export const seriesName = (value: string | number | boolean): string =>
  value === Extras.otherSeries ? JSON.stringify(value) : TopView.displayValue(value)

/**
 * A breakdown's long form: `group,bucket,series,value`, one row a bucket of each series in
 * rank order, then the rest (series `other`, when the measure adds up), groups in request
 * order. A value is named by `seriesName` (`pro`, `5`, `"5"`, `true`), so that the series
 * of `5` and of `"5"` stay apart; the JSON keeps the types. An answer without breakdowns
 * gives the header alone.
 */
export const toBreakdownCsv = (answer: TrendsClient.TrendsAnswer): string => {
  const rows = [["group", "bucket", "series", "value"]]
  for (const [name, group] of Object.entries(answer.groups)) {
    const breakdown = Extras.groupOf(answer, name, {
      totals: false,
      bucketMeta: false,
      breakdown: true,
    }).breakdown
    if (breakdown === undefined) continue
    const series = [
      ...breakdown.series.map((each) => [seriesName(each.value), each.buckets] as const),
      ...(breakdown.other === undefined
        ? []
        : [[Extras.otherSeries, breakdown.other.buckets] as const]),
    ]
    for (const bucket of group.buckets)
      for (const [title, buckets] of series)
        rows.push([
          name,
          bucket.key,
          title,
          String(Object.hasOwn(buckets, bucket.key) ? buckets[bucket.key] : 0),
        ])
  }
  return `${rows.map((row) => row.map(csvField).join(",")).join("\n")}\n`
}

/** A top values answer's wire `success` body on one line, e.g. `{"status":"success","Plan":[…]}`. */
export const topToJson = (answer: TrendsClient.TopAnswer): string =>
  `${JSON.stringify(TopCounts.toWire(answer))}\n`

/**
 * One row a value: `group,value,count`, groups in request order and values in rank order.
 * A value is its text (`pro`, `5`, `true`): CSV has no types; the JSON keeps them.
 */
export const topToCsv = (answer: TrendsClient.TopAnswer): string =>
  `${[
    "group,value,count",
    ...Object.entries(answer).flatMap(([name, entries]) =>
      entries.map((entry) =>
        [name, String(entry.value), String(entry.count)].map(csvField).join(","),
      ),
    ),
  ].join("\n")}\n`

const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`

/**
 * The same query as a curl command, ready to paste; `path` is the API's (trends by default,
 * `/1/counts/top.json` for top values). The passcode is left as a variable
 * (`$TRENDLINE_PASSCODE`) so it never lands in a file or a terminal's scrollback.
 */
export const curl = (
  request: unknown,
  endpoint: { readonly baseUrl: string; readonly accountId: string } = {
    baseUrl: "http://127.0.0.1:8787",
    accountId: "ACCOUNT_ID",
  },
  path = "/1/counts/trends.json",
): string =>
  [
    `curl -s -X POST ${shellQuote(`${endpoint.baseUrl}${path}`)}`,
    `  -H ${shellQuote(`X-CleverTap-Account-Id: ${endpoint.accountId}`)}`,
    `  -H "X-CleverTap-Passcode: $TRENDLINE_PASSCODE"`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(request))}`,
  ].join(" \\\n")
