/**
 * An answer as a file or a command: JSON (the wire form, with Trendline's extensions under
 * `trendline` when asked for), CSV (one row a trends bucket or a top value), and the `curl`
 * command that asks the same question of a server. The UI's export and `trendline query
 * --json/--csv` write the same text.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Extras from "./Extras.ts"

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
 * and for a bucket the range cuts its days and those of the whole bucket). An answer without
 * them (a server that does not know them) gives the first six columns only.
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
      ])
    }
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
