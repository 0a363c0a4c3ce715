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

/** One row of the log: its JSON, and the first and last time of its entries (its span). */
export interface LogChunk {
  readonly json: string
  readonly firstTs: number
  readonly lastTs: number
}

// The span of entries `from`..`to` (excluded).
const spanOf = (entries: ReadonlyArray<LogEntry>, from: number, to: number) => {
  let firstTs = Number.POSITIVE_INFINITY
  let lastTs = Number.NEGATIVE_INFINITY
  for (let i = from; i < to; i++) {
    const ts = entries[i]![1]
    if (ts < firstTs) firstTs = ts
    if (ts > lastTs) lastTs = ts
  }
  return { firstTs, lastTs }
}

/** The rows that log `entries`, each at most about `maxLogChunkChars` long, with spans. */
export const logChunks = (entries: ReadonlyArray<LogEntry>): Array<LogChunk> => {
  if (entries.length === 0) return []
  // Most batches fit one row: one `JSON.stringify` call, not one an entry.
  const whole = JSON.stringify(entries)
  if (whole.length <= maxLogChunkChars)
    return [{ json: whole, ...spanOf(entries, 0, entries.length) }]
  const chunks: Array<LogChunk> = []
  let parts: Array<string> = []
  let chars = 0
  let first = 0
  const cut = (end: number) => {
    chunks.push({ json: `[${parts.join(",")}]`, ...spanOf(entries, first, end) })
    parts = []
    chars = 0
    first = end
  }
  for (const [i, entry] of entries.entries()) {
    const json = JSON.stringify(entry)
    if (parts.length > 0 && chars + json.length > maxLogChunkChars) cut(i)
    parts.push(json)
    chars += json.length + 1
  }
  if (parts.length > 0) cut(entries.length)
  return chunks
}

/** The entries of one row of the log, as `logChunks` wrote them. */
export const parseLogChunk = (chunk: string): Array<LogEntry> =>
  JSON.parse(chunk) as Array<LogEntry>
