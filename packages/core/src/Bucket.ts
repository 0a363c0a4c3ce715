/**
 * Bucket keys of a trend: daily `YYYYMMDD`, weekly `YYYYWW`, monthly `YYYYMM`, and
 * Trendline's extensions hourly `YYYYMMDDHH`, quarterly `YYYYQn` (`2025Q1`: January to
 * March) and yearly `YYYY`; the ordered buckets of a date range; and a key back to its dates.
 *
 * Hours (`YYYYMMDDHH`) are the hours of a local day counted from its first instant: `HH` is
 * `00` for the hour that starts at the day's first instant (local midnight, or the first
 * instant that exists when a DST change skips midnight), `01` for the next, and so on. A
 * day has as many hours as it is long: 24, or 23 and 25 on DST days, the last hour shorter
 * when the day is not a whole number of hours long (Lord Howe Island's 30-minute DST). On a
 * 24-hour day `HH` is the hour on the clock; on a DST day it is not after the change: in
 * New York, 2025-11-02 (25 hours) has `2025110201` for 01:00-01:59 EDT, `2025110202` for
 * 01:00-01:59 EST and `2025110224` for 23:00-23:59; 2025-03-09 (23 hours) has `2025030902`
 * for 03:00-03:59 EDT and ends with `2025030922`. Bucket metadata (`Extensions`) gives every
 * hour's instants with their offsets.
 *
 * Weeks (`YYYYWW`):
 * - `"monday"` (the default) is ISO 8601: weeks run Monday to Sunday; a week belongs to the
 *   year that holds its Thursday, so week 01 is the week with January 4th and a year has 52
 *   or 53 weeks. 2020-12-31 and 2021-01-01 are in `202053`, 2021-01-04 starts `202101`.
 * - `"sunday"`: weeks run Sunday to Saturday, and the same majority rule picks the year: a
 *   week belongs to the year that holds its Wednesday (four or more of its seven days), so
 *   week 01 is again the week with January 4th. This is MySQL's and ClickHouse's week
 *   mode 6 (`toYearWeek(d, 6)`). Example: Sunday 2017-01-01 starts `201701`; Saturday
 *   2016-12-31 is in `201652`.
 *
 * A week, month, quarter or year cut by the range's `from` or `to` keeps its key and covers
 * only the days inside the range.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Calendar from "./Calendar.ts"

/** The trend types whose buckets are whole days: all but `hourly`. */
export const DayTrendType = Schema.Literal("daily", "weekly", "monthly", "quarterly", "yearly")
export type DayTrendType = typeof DayTrendType.Type

/**
 * How a group is broken down: one bucket per day, week or month (the hosted API's), or per
 * hour, quarter or year (Trendline's).
 */
export const TrendType = Schema.Literal(
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "quarterly",
  "yearly",
)
export type TrendType = typeof TrendType.Type

/** Whether a trend type's buckets are whole days (every one but `hourly`). */
export const isDayTrendType = (trendType: TrendType): trendType is DayTrendType =>
  trendType !== "hourly"

/** The first day of a week: `"monday"` (ISO 8601, default) or `"sunday"`. */
export const WeekStart = Schema.Literal("monday", "sunday")
export type WeekStart = typeof WeekStart.Type

/** The week convention of an account that names none: ISO 8601, weeks from Monday. */
export const defaultWeekStart: WeekStart = "monday"

/**
 * One bucket of a trend: its key and the days it covers, both ends included; an hour also
 * has the instants it covers, `start` (its first epoch second) to `end` (excluded), and its
 * day as both `first` and `last`.
 */
export interface Bucket {
  readonly key: string
  readonly first: Calendar.Day
  readonly last: Calendar.Day
  readonly start?: number
  readonly end?: number
}

/** A week's number and the year it belongs to, e.g. `{ year: 2020, week: 53 }`. */
export interface YearWeek {
  readonly year: number
  readonly week: number
}

const pad2 = (n: number): string => String(n).padStart(2, "0")

// Days from the start of the day's week: 0 on the week's first day, 6 on its last.
const daysIntoWeek = (day: Calendar.Day, weekStart: WeekStart): number =>
  weekStart === "monday" ? Calendar.isoWeekday(day) - 1 : Calendar.isoWeekday(day) % 7

/** The first day of the week that holds `day`. */
export const startOfWeek = (
  day: Calendar.Day,
  weekStart: WeekStart = defaultWeekStart,
): Calendar.Day => day - daysIntoWeek(day, weekStart)

const firstWeekStart = (year: number, weekStart: WeekStart): Calendar.Day =>
  startOfWeek(Calendar.unsafeMakeDay(year, 1, 4), weekStart)

/** The week of a day and the year that week belongs to (see the module doc for the rule). */
export const yearWeek = (day: Calendar.Day, weekStart: WeekStart = defaultWeekStart): YearWeek => {
  // The fourth day of a week decides its year: it is in the year that has most of the week.
  const middle = startOfWeek(day, weekStart) + 3
  const year = Calendar.toCivil(middle).year
  return { year, week: Math.floor((middle - Calendar.unsafeMakeDay(year, 1, 1)) / 7) + 1 }
}

/** How many weeks a week-numbering year has: 52 or 53. */
export const weeksInYear = (year: number, weekStart: WeekStart = defaultWeekStart): number =>
  (firstWeekStart(year + 1, weekStart) - firstWeekStart(year, weekStart)) / 7

/**
 * The key of the bucket that holds a day, e.g. `keyOf("weekly", day)` is `"202053"` for
 * 2021-01-01.
 */
export const keyOf = (
  trendType: DayTrendType,
  day: Calendar.Day,
  weekStart: WeekStart = defaultWeekStart,
): string => {
  switch (trendType) {
    case "daily":
      return Calendar.formatDateKey(day)
    case "weekly": {
      const { year, week } = yearWeek(day, weekStart)
      return `${year}${pad2(week)}`
    }
    case "monthly": {
      const { year, month } = Calendar.toCivil(day)
      return `${year}${pad2(month)}`
    }
    case "quarterly": {
      const { year, month } = Calendar.toCivil(day)
      return `${year}Q${Math.floor((month - 1) / 3) + 1}`
    }
    case "yearly":
      return String(Calendar.toCivil(day).year)
  }
}

// The days of months `firstMonth`..`lastMonth` of `year`, keyed `key`.
const monthsOf = (key: string, year: number, firstMonth: number, lastMonth: number): Bucket => {
  const first = Calendar.unsafeMakeDay(year, firstMonth, 1)
  const last = Calendar.unsafeMakeDay(year, lastMonth, Calendar.daysInMonth(year, lastMonth))
  return { key, first, last }
}

// The whole bucket (not clipped) that holds a day.
const bucketAround = (trendType: DayTrendType, day: Calendar.Day, weekStart: WeekStart): Bucket => {
  switch (trendType) {
    case "daily":
      return { key: Calendar.formatDateKey(day), first: day, last: day }
    case "weekly": {
      const first = startOfWeek(day, weekStart)
      return { key: keyOf("weekly", day, weekStart), first, last: first + 6 }
    }
    case "monthly": {
      const { year, month, day: dayOfMonth } = Calendar.toCivil(day)
      const first = day - dayOfMonth + 1
      return {
        key: `${year}${pad2(month)}`,
        first,
        last: first + Calendar.daysInMonth(year, month) - 1,
      }
    }
    case "quarterly": {
      const { year, month } = Calendar.toCivil(day)
      const quarter = Math.floor((month - 1) / 3)
      return monthsOf(`${year}Q${quarter + 1}`, year, quarter * 3 + 1, quarter * 3 + 3)
    }
    case "yearly": {
      const { year } = Calendar.toCivil(day)
      return monthsOf(String(year), year, 1, 12)
    }
  }
}

/**
 * The buckets of a range in order, every one present, the first and last clipped to
 * `[from, to]`. Empty when `from` is after `to`.
 */
export const bucketsOf = (
  trendType: DayTrendType,
  from: Calendar.Day,
  to: Calendar.Day,
  weekStart: WeekStart = defaultWeekStart,
): ReadonlyArray<Bucket> => {
  const buckets: Array<Bucket> = []
  let day = from
  while (day <= to) {
    const bucket = bucketAround(trendType, day, weekStart)
    buckets.push({ key: bucket.key, first: day, last: Math.min(bucket.last, to) })
    day = bucket.last + 1
  }
  return buckets
}

/**
 * The whole bucket a key stands for, or `None` when the key is not one of `trendType`'s
 * keys: `rangeOfKey("monthly", "201602")` covers 2016-02-01 to 2016-02-29.
 */
export const rangeOfKey = (
  trendType: DayTrendType,
  key: string,
  weekStart: WeekStart = defaultWeekStart,
): Option.Option<Bucket> => {
  switch (trendType) {
    case "daily":
      return Option.map(Calendar.parseDateKey(key), (day) => ({ key, first: day, last: day }))
    case "weekly": {
      if (!/^\d{6}$/.test(key)) return Option.none()
      const year = Number(key.slice(0, 4))
      const week = Number(key.slice(4))
      if (year < Calendar.minYear || week < 1 || week > weeksInYear(year, weekStart)) {
        return Option.none()
      }
      const first = firstWeekStart(year, weekStart) + 7 * (week - 1)
      return Option.some({ key, first, last: first + 6 })
    }
    case "monthly": {
      if (!/^\d{6}$/.test(key)) return Option.none()
      const year = Number(key.slice(0, 4))
      const month = Number(key.slice(4))
      return Option.map(Calendar.makeDay(year, month, 1), (first) => ({
        key,
        first,
        last: first + Calendar.daysInMonth(year, month) - 1,
      }))
    }
    case "quarterly": {
      const match = /^(\d{4})Q([1-4])$/.exec(key)
      if (match === null) return Option.none()
      const year = Number(match[1])
      const quarter = Number(match[2]) - 1
      return year < Calendar.minYear
        ? Option.none()
        : Option.some(monthsOf(key, year, quarter * 3 + 1, quarter * 3 + 3))
    }
    case "yearly": {
      if (!/^\d{4}$/.test(key)) return Option.none()
      const year = Number(key)
      return year < Calendar.minYear ? Option.none() : Option.some(monthsOf(key, year, 1, 12))
    }
  }
}

// ---------------------------------------------------------------------------------------
// Hours

/** The length of an hour bucket (but a day's last, which may be shorter), in seconds. */
export const secondsPerHour = 3600

/** The number of hours of a local day in a zone: 24, or 23 and 25 on DST days (see above). */
export const hoursInDay = (day: Calendar.Day, zone: string): number => {
  const [start, end] = Calendar.dayRange(day, zone)
  return Math.ceil((end - start) / secondsPerHour)
}

/** The `YYYYMMDDHH` key of hour `hour` (0 for the first) of a day. */
export const hourKey = (day: Calendar.Day, hour: number): string =>
  `${Calendar.formatDateKey(day)}${pad2(hour)}`

/**
 * The hour of a day that holds an instant of it: `Math.floor((ts - dayStart) / 3600)`,
 * where `dayStart` is the day's first instant (`Calendar.startOfDay`).
 */
export const hourOf = (ts: number, dayStart: number): number =>
  Math.floor((ts - dayStart) / secondsPerHour)

/** The hours of the days `from`..`to` in a zone, in order, each with its instants. */
export const hoursOf = (
  from: Calendar.Day,
  to: Calendar.Day,
  zone: string,
): ReadonlyArray<Bucket> => {
  const buckets: Array<Bucket> = []
  for (let day = from; day <= to; day++) {
    const [dayStart, dayEnd] = Calendar.dayRange(day, zone)
    for (let hour = 0, start = dayStart; start < dayEnd; hour++, start += secondsPerHour) {
      buckets.push({
        key: hourKey(day, hour),
        first: day,
        last: day,
        start,
        end: Math.min(start + secondsPerHour, dayEnd),
      })
    }
  }
  return buckets
}

/**
 * The hour a `YYYYMMDDHH` key stands for in a zone, or `None` when the key is not an hour
 * of a real day (`2025030923` in New York: that day has 23 hours, `00` to `22`).
 */
export const rangeOfHourKey = (key: string, zone: string): Option.Option<Bucket> => {
  if (!/^\d{10}$/.test(key)) return Option.none()
  const hour = Number(key.slice(8))
  return Option.flatMap(Calendar.parseDateKey(key.slice(0, 8)), (day) => {
    const [dayStart, dayEnd] = Calendar.dayRange(day, zone)
    const start = dayStart + hour * secondsPerHour
    return start < dayEnd
      ? Option.some({
          key,
          first: day,
          last: day,
          start,
          end: Math.min(start + secondsPerHour, dayEnd),
        })
      : Option.none()
  })
}
