/**
 * A trends answer as a file or a command: JSON (the wire form), CSV (one row a bucket),
 * and the `curl` command that asks the same question of a server.
 */
import type * as TrendsClient from "@trendline/client/TrendsClient"

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

const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`

/**
 * The same query as a curl command, ready to paste. The passcode is left as a variable
 * (`$TRENDLINE_PASSCODE`) so it never lands in a file or a terminal's scrollback.
 */
export const curl = (
  request: unknown,
  endpoint: { readonly baseUrl: string; readonly accountId: string } = {
    baseUrl: "http://127.0.0.1:8787",
    accountId: "ACCOUNT_ID",
  },
): string =>
  [
    `curl -s -X POST ${shellQuote(`${endpoint.baseUrl}/1/counts/trends.json`)}`,
    `  -H ${shellQuote(`X-CleverTap-Account-Id: ${endpoint.accountId}`)}`,
    `  -H "X-CleverTap-Passcode: $TRENDLINE_PASSCODE"`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(request))}`,
  ].join(" \\\n")
