/**
 * An answer as a file or a command: JSON (the wire form), CSV (one row a trends bucket or a
 * top value), and the `curl` command that asks the same question of a server. The UI's
 * export and `trendline query --json/--csv` write the same text.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as TopCounts from "@trendline/core/TopCounts"

const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

/** The wire `success` body, pretty-printed. */
export const toJson = (answer: TrendsClient.TrendsAnswer): string =>
  `${JSON.stringify(answer.body, null, 2)}\n`

const csvField = (value: string): string =>
  /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value

/** One row a bucket: `group,trend_type,key,start,end,value`, groups in request order. */
export const toCsv = (answer: TrendsClient.TrendsAnswer): string => {
  const rows = [["group", "trend_type", "key", "start", "end", "value"]]
  for (const [name, group] of Object.entries(answer.groups)) {
    for (const bucket of group.buckets) {
      rows.push([
        name,
        group.trendType,
        bucket.key,
        isoDate(bucket.start),
        isoDate(bucket.end),
        String(bucket.value),
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
