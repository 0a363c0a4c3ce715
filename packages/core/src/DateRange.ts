/**
 * Ranges of calendar days counted from today: the presets every client offers ("last 7
 * days", "this month", "last month", "this year"), worked out one way. Pure: `today` is a
 * `Calendar.Day` the caller gets from `Calendar.today(nowMillis, zone)` in the account's
 * time zone, so "this month" is the account's month, not the machine's.
 *
 * @since 0.1.0
 */
import * as Calendar from "./Calendar.ts"

/** The days from `from` to `to`, both included (the wire's `from`/`to`). */
export interface DateRange {
  readonly from: Calendar.Day
  readonly to: Calendar.Day
}

/** A range relative to today. */
export type Preset =
  | { readonly _tag: "LastDays"; readonly days: number }
  | { readonly _tag: "ThisMonth" }
  | { readonly _tag: "LastMonth" }
  | { readonly _tag: "ThisYear" }

/** How many days a range covers, both ends counted (`0` when `from` is after `to`). */
export const length = (range: DateRange): number => Math.max(range.to - range.from + 1, 0)

/**
 * The `days` days ending today, today included: `lastDays(7, today)` is a week. Throws a
 * `RangeError` unless `days` is a positive integer.
 */
export const lastDays = (days: number, today: Calendar.Day): DateRange => {
  if (!Number.isInteger(days) || days < 1) {
    throw new RangeError(`lastDays: days must be a positive integer; got ${days}`)
  }
  return { from: today - days + 1, to: today }
}

/** The first of today's month to today. */
export const thisMonth = (today: Calendar.Day): DateRange => {
  const { year, month } = Calendar.toCivil(today)
  return { from: Calendar.unsafeMakeDay(year, month, 1), to: today }
}

/** The whole month before today's, first to last day (December of last year in January). */
export const lastMonth = (today: Calendar.Day): DateRange => {
  const { year, month } = Calendar.toCivil(today)
  const firstOfThisMonth = Calendar.unsafeMakeDay(year, month, 1)
  const last = firstOfThisMonth - 1
  const previous = Calendar.toCivil(last)
  return { from: Calendar.unsafeMakeDay(previous.year, previous.month, 1), to: last }
}

/** January 1st of today's year to today. */
export const thisYear = (today: Calendar.Day): DateRange => ({
  from: Calendar.unsafeMakeDay(Calendar.toCivil(today).year, 1, 1),
  to: today,
})

/** The range of a preset relative to `today`. */
export const ofPreset = (preset: Preset, today: Calendar.Day): DateRange => {
  switch (preset._tag) {
    case "LastDays":
      return lastDays(preset.days, today)
    case "ThisMonth":
      return thisMonth(today)
    case "LastMonth":
      return lastMonth(today)
    case "ThisYear":
      return thisYear(today)
  }
}
