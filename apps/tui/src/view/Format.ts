/** How numbers, dates and requests read on screen. */
import type * as TrendsClient from "@trendline/client/TrendsClient"

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 })

/** `12,345`, or `411.52` for a fraction. */
export const number = (value: number): string =>
  Number.isInteger(value) ? integer.format(value) : decimal.format(value)

/** `2026-11-26` of a bucket date (UTC midnight). */
export const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

/** A bucket's days: one date, or `first – last`. */
export const bucketDates = (
  bucket: TrendsClient.TrendsAnswer["groups"][string]["buckets"][number],
) =>
  bucket.start.getTime() === bucket.end.getTime()
    ? isoDate(bucket.start)
    : `${isoDate(bucket.start)} – ${isoDate(bucket.end)}`

/** `20261126` as `2026-11-26`; anything else as it is. */
export const dateKey = (key: unknown): string => {
  const text = String(key)
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}` : text
}

/** What a request measures, in words. */
export const measureOf = (request: Readonly<Record<string, unknown>>): string =>
  typeof request.sum_event_prop === "string"
    ? `sum of ${request.sum_event_prop}`
    : request.unique === true
      ? "unique profiles"
      : "events"

/** One line about a request: `"Charged" · events · 2026-10-28 → 2026-11-26`. */
export const request = (body: Readonly<Record<string, unknown>>): string =>
  `${JSON.stringify(body.event_name)} · ${measureOf(body)} · ${dateKey(body.from)} → ${dateKey(body.to)}`

/** Fits `text` in `width` columns, with an ellipsis when cut. */
export const fit = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 0))}…`
