// The event log (`event_log`): every stored event of an account, in rows of JSON arrays of
// entries, from which a rebuild folds the account's rollups again in another time zone.
import type * as Aggregator from "@trendline/core/Aggregator"

/** One stored event, as `event_log` keeps it: [event id, ts, profile number, properties]. */
export type LogEntry = readonly [
  event: number,
  ts: number,
  profile: number,
  properties: Aggregator.Event["properties"],
]

// Durable Objects cap a row at 2 MB; a batch of large events is logged in several rows,
// each well under the cap even when every character takes three bytes in UTF-8.
const maxLogChunkChars = 500_000

/** The rows (JSON arrays) that log `entries`, each at most about `maxLogChunkChars` long. */
export const logChunks = (entries: ReadonlyArray<LogEntry>): Array<string> => {
  if (entries.length === 0) return []
  // Most batches fit one row: one `JSON.stringify` call, not one an entry.
  const whole = JSON.stringify(entries)
  if (whole.length <= maxLogChunkChars) return [whole]
  const chunks: Array<string> = []
  let parts: Array<string> = []
  let chars = 0
  for (const entry of entries) {
    const json = JSON.stringify(entry)
    if (parts.length > 0 && chars + json.length > maxLogChunkChars) {
      chunks.push(`[${parts.join(",")}]`)
      parts = []
      chars = 0
    }
    parts.push(json)
    chars += json.length + 1
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`)
  return chunks
}

/** The entries of one row of the log, as `logChunks` wrote them. */
export const parseLogChunk = (chunk: string): Array<LogEntry> =>
  JSON.parse(chunk) as Array<LogEntry>
