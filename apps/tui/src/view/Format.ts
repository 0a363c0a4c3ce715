/** How numbers, dates and requests read on screen. */
import type * as TrendsClient from "@trendline/client/TrendsClient"
import type * as QueryRequest from "../QueryRequest.ts"

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 })

/** `12,345`, or `411.52` for a fraction. */
export const number = (value: number): string =>
  Number.isInteger(value) ? integer.format(value) : decimal.format(value)

/** `2026-11-26` of a bucket date (UTC midnight). */
export const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

/**
 * An hourly bucket's key as its day and hour, `2025110201` as `2025-11-02 01h`: hour 01 of
 * the local day, counted from its first instant (on a DST day not the clock's hour); none
 * for the keys of other trend types.
 */
export const hourOf = (key: string, trendType: string): string | undefined =>
  trendType === "hourly" && /^\d{10}$/.test(key)
    ? `${dateKey(key.slice(0, 8))} ${key.slice(8)}h`
    : undefined

/** A bucket's days: one date, or `first – last`; an hour's day and hour (`hourOf`). */
export const bucketDates = (
  bucket: TrendsClient.TrendsAnswer["groups"][string]["buckets"][number],
  trendType = "",
) =>
  hourOf(bucket.key, trendType) ??
  (bucket.start.getTime() === bucket.end.getTime()
    ? isoDate(bucket.start)
    : `${isoDate(bucket.start)} – ${isoDate(bucket.end)}`)

/** `20261126` as `2026-11-26`; anything else as it is. */
export const dateKey = (key: unknown): string => {
  const text = String(key)
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text
}

/** What a trends request measures, in words. */
export const measureOf = (request: Readonly<Record<string, unknown>>): string =>
  typeof request.sum_event_prop === "string"
    ? `sum of ${request.sum_event_prop}`
    : request.unique === true
      ? "unique profiles"
      : "events"

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * What a top values request asks, in words: `10 most frequent values of Category`, or
 * `5 least frequent values of profile field Plan`; several groups are counted.
 */
export const topMeasureOf = (body: Readonly<Record<string, unknown>>): string => {
  const groups = isRecord(body.groups) ? Object.values(body.groups).filter(isRecord) : []
  const group = groups[0]
  if (group === undefined) return "top values"
  if (groups.length > 1) return `top values of ${groups.length} properties`
  const count = typeof group.top_n === "number" ? group.top_n : 10
  const which = group.order === "asc" ? "least" : "most"
  const whose = group.property_type === "profile_fields" ? "profile field " : ""
  return `${count} ${which} frequent values of ${whose}${String(group.name)}`
}

// How many filter conditions a request has (`event_properties` and `common_profile_properties`).
const conditionCount = (body: Readonly<Record<string, unknown>>): number =>
  [body.event_properties, body.common_profile_properties].reduce<number>(
    (count, list) => count + (Array.isArray(list) ? list.length : 0),
    0,
  )

/**
 * One line about a request: `"Charged" · events · 2026-10-28 → 2026-11-26` (or
 * `"Charged" · 10 most frequent values of Category · …`), and ` · 2 conditions` when it
 * has filters.
 */
export const request = (request: QueryRequest.QueryRequest): string => {
  const { body } = request
  const conditions = conditionCount(body)
  const filters = conditions === 0 ? "" : ` · ${conditions} condition${conditions === 1 ? "" : "s"}`
  const measure = request._tag === "Top" ? topMeasureOf(body) : measureOf(body)
  return `${JSON.stringify(body.event_name)} · ${measure} · ${dateKey(body.from)} → ${dateKey(body.to)}${filters}`
}

/** Fits `text` in `width` columns, with an ellipsis when cut. */
export const fit = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 0))}…`

/** `text` cut to `width` columns with an ellipsis in the middle, so both ends still show. */
export const fitMiddle = (text: string, width: number): string => {
  if (text.length <= width) return text
  if (width <= 1) return "…".slice(0, Math.max(width, 0))
  const head = Math.ceil((width - 1) / 2)
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`
}

/**
 * `text` as lines of at most `width` columns, broken between words; a word longer than a
 * line (a path) is broken where the line ends.
 */
export const wrap = (text: string, width: number): ReadonlyArray<string> => {
  const size = Math.max(Math.floor(width), 1)
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    if (word === "") continue
    if (line !== "" && line.length + 1 + word.length <= size) {
      line += ` ${word}`
      continue
    }
    if (line !== "") lines.push(line)
    let rest = word
    while (rest.length > size) {
      lines.push(rest.slice(0, size))
      rest = rest.slice(size)
    }
    line = rest
  }
  lines.push(line)
  return lines
}
