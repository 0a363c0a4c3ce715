/**
 * The trends table's columns for a width: each bucket's key, its days, its value, and the
 * room left for a bar. With Trendline's bucket metadata, a bucket not over yet has `*`
 * after its value (values keep a column for it, so that numbers line up), and a bucket the
 * range cuts says how many of its days are in the range (`(5 of 7 days)`) where the row
 * still fits; the value is never pushed off the row for it. An hour's days are its day and
 * hour (`2025-11-02 01h`). Columns after the value (`SeriesView.columnsOf`: the earlier
 * period, the change, the rolling window) come before the bar, which gets what is left.
 */
import type * as Results from "@trendline/client/Results"
import * as Extras from "../Extras.ts"
import * as Format from "./Format.ts"

export interface Columns {
  readonly keyWidth: number
  readonly daysWidth: number
  readonly valueWidth: number
  /** Columns of the bar after the value; 0 when the terminal is too narrow for one. */
  readonly barWidth: number
  readonly days: (bucket: Results.BucketValue) => string
  /** The value as shown, with its mark (or a space where a mark could be). */
  readonly value: (bucket: Results.BucketValue) => string
  /** The columns after the value, each as wide as its widest cell or heading. */
  readonly extra: ReadonlyArray<{
    readonly title: string
    readonly width: number
    readonly cell: (bucket: Results.BucketValue) => string
  }>
}

/** A column after the value: its heading, and its cell a bucket. */
export interface ExtraColumn {
  readonly title: string
  readonly cell: (bucket: Results.BucketValue) => string
}

// The selection marker, and the two spaces between columns.
const indent = 2
const gap = 2

/**
 * The columns of `group`'s table, `width` columns wide, with the marks of `marks` and the
 * columns `extra` after the value.
 */
export const columnsOf = (
  group: Results.GroupResult,
  marks: Extras.GroupMarks,
  width: number,
  extraColumns: ReadonlyArray<ExtraColumn> = [],
): Columns => {
  const { buckets } = group
  const marked = marks.buckets !== undefined
  const value = (bucket: Results.BucketValue) =>
    marked
      ? `${Format.number(bucket.value)}${Extras.isIncomplete(marks, bucket.key) ? Extras.incompleteMark : " "}`
      : Format.number(bucket.value)
  const keyWidth = Math.max(3, ...buckets.map((bucket) => bucket.key.length))
  // The heading (VALUE) is over the values and their marks: "3*" and "12 " line up under it.
  const valueWidth = Math.max(5, ...buckets.map((bucket) => value(bucket).length))
  const extra = extraColumns.map((column) => ({
    ...column,
    width: Math.max(column.title.length, ...buckets.map((bucket) => column.cell(bucket).length)),
  }))
  const extraWidth = extra.reduce((sum, column) => sum + gap + column.width, 0)
  const widthWith = (days: (bucket: Results.BucketValue) => string) => {
    const daysWidth = Math.max(4, ...buckets.map((bucket) => days(bucket).length))
    return { daysWidth, used: indent + keyWidth + gap + daysWidth + gap + valueWidth + extraWidth }
  }
  const dates = (bucket: Results.BucketValue) => Format.bucketDates(bucket, group.trendType)
  const withCut = (bucket: Results.BucketValue) => {
    const cut = Extras.cutOf(marks, bucket.key)
    return cut === undefined ? dates(bucket) : `${dates(bucket)} (${Extras.cutText(cut)})`
  }
  const cutFits = widthWith(withCut).used <= width
  const days = cutFits ? withCut : dates
  const { daysWidth, used } = widthWith(days)
  const room = width - used - gap
  return {
    keyWidth,
    daysWidth,
    valueWidth,
    barWidth: room >= 12 ? Math.min(room, 60) : 0,
    days,
    value,
    extra,
  }
}
