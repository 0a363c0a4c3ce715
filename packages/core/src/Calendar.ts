/**
 * Calendar days and time zones. A `Day` is a local calendar date counted as whole days
 * since 1970-01-01 in the proleptic Gregorian calendar, so day arithmetic is integer
 * arithmetic. Time zones are IANA names resolved through `Intl`, which every runtime we
 * target (Node, workerd, browsers) ships with full zone data.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/** A calendar date as days since 1970-01-01 (1970-01-01 is 0, 1969-12-31 is -1). */
export type Day = number

/** A calendar date split into its fields; `month` and `day` start at 1. */
export interface CivilDate {
  readonly year: number
  readonly month: number
  readonly day: number
}

/** The earliest year a date key can carry: `YYYYMMDD` has four year digits. */
export const minYear = 1000

/** The latest year a date key can carry. */
export const maxYear = 9999

// Howard Hinnant's days_from_civil / civil_from_days: exact for every Gregorian date.
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** Whether `year` is a Gregorian leap year. */
export const isLeapYear = (year: number): boolean =>
  (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

/** The number of days in a month, e.g. `daysInMonth(2024, 2) === 29`. */
export const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** The day of a date, or `None` when the date does not exist (`makeDay(2023, 2, 30)`). */
export const makeDay = (year: number, month: number, day: number): Option.Option<Day> =>
  Number.isInteger(year) &&
  Number.isInteger(month) &&
  Number.isInteger(day) &&
  year >= minYear &&
  year <= maxYear &&
  month >= 1 &&
  month <= 12 &&
  day >= 1 &&
  day <= daysInMonth(year, month)
    ? Option.some(daysFromCivil(year, month, day))
    : Option.none()

/** The day of a date known to be valid; for literals and values computed from other days. */
export const unsafeMakeDay = (year: number, month: number, day: number): Day =>
  daysFromCivil(year, month, day)

/** The year, month and day of a `Day`. */
export const toCivil = (day: Day): CivilDate => {
  const z = day + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d }
}

/** The ISO weekday of a day: 1 is Monday, 7 is Sunday (1970-01-01 was a Thursday, 4). */
export const isoWeekday = (day: Day): number => ((((day + 3) % 7) + 7) % 7) + 1

/** The day-of-year, 1 for January 1st. */
export const dayOfYear = (day: Day): number => day - daysFromCivil(toCivil(day).year, 1, 1) + 1

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** The `YYYYMMDD` key of a day, e.g. `"20161224"`. */
export const formatDateKey = (day: Day): string => {
  const { year, month, day: d } = toCivil(day)
  return `${pad(year, 4)}${pad(month, 2)}${pad(d, 2)}`
}

/** `YYYY-MM-DD`, for people and for ISO-8601 consumers. */
export const formatIsoDate = (day: Day): string => {
  const { year, month, day: d } = toCivil(day)
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(d, 2)}`
}

/**
 * Reads a `YYYYMMDD` date given as an integer (the wire form, `20161224`) or as an
 * eight-digit string; `None` unless it is a real calendar date (`20230230` is not).
 */
export const parseDateKey = (key: number | string): Option.Option<Day> => {
  const text = typeof key === "number" ? (Number.isInteger(key) ? String(key) : "") : key
  if (!/^\d{8}$/.test(text)) return Option.none()
  return makeDay(Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8)))
}

/** The integer wire form of a day, e.g. `20161224`. */
export const toDateInt = (day: Day): number => Number(formatDateKey(day))

// ---------------------------------------------------------------------------------------
// Time zones

const secondsPerDay = 86_400

const minDay = daysFromCivil(minYear, 1, 1)
const maxDay = daysFromCivil(maxYear, 12, 31)
// A day's margin either side, so local days at the ends of the range still resolve.
const minInstant = (minDay + 1) * secondsPerDay
const maxInstant = (maxDay - 1) * secondsPerDay

// Formatters of one kind by zone, each built once (building one costs far more than using it).
const formattersOf = (
  options: Intl.DateTimeFormatOptions,
): ((zone: string) => Intl.DateTimeFormat) => {
  const formatters = new Map<string, Intl.DateTimeFormat>()
  return (zone) => {
    let formatter = formatters.get(zone)
    if (formatter === undefined) {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        calendar: "gregory",
        numberingSystem: "latn",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        ...options,
      })
      formatters.set(zone, formatter)
    }
    return formatter
  }
}

// Local dates (with the era: years before 1 would otherwise read as positive).
const formatterFor = formattersOf({ era: "short" })

// IANA names are Area/Location with capitalised segments ("America/Port-au-Prince",
// "Etc/GMT+5", "UTC"). Intl also takes "+05:30" and any casing ("asia/kolkata"); both are
// refused so that every store (SQL engines included) reads the zone the same way.
const ianaShape = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/

/** Whether `zone` is an IANA time zone name the runtime knows, e.g. `"Europe/London"`. */
export const isTimeZone = (zone: string): boolean => {
  if (!ianaShape.test(zone)) return false
  try {
    formatterFor(zone)
    return true
  } catch {
    return false
  }
}

// The local date at an instant, straight from Intl (slow: the caches below avoid it).
const localDateAt = (epochSeconds: number, zone: string): Day => {
  let year = 0
  let month = 0
  let day = 0
  let bc = false
  for (const part of formatterFor(zone).formatToParts(epochSeconds * 1000)) {
    if (part.type === "year") year = Number(part.value)
    else if (part.type === "month") month = Number(part.value)
    else if (part.type === "day") day = Number(part.value)
    else if (part.type === "era") bc = part.value === "BC" || part.value === "B"
  }
  return daysFromCivil(bc ? 1 - year : year, month, day)
}

// Offsets of every zone stay within ±26 h of UTC (tzdb's extremes are about -15:56 and
// +15:13 for historical local mean times, -12 and +14 in modern rules).
const searchWindow = 26 * 3600

const dayStarts = new Map<string, Map<Day, number>>()

/**
 * The first instant (epoch seconds) of a local day in a zone. Usually local midnight; on a
 * day whose midnight is skipped by a DST change (São Paulo until 2019) the first instant
 * that exists, e.g. 01:00.
 *
 * Local dates never go backwards as time passes (in tzdb, the one exception is Alaska's
 * switch from Russian to American dates in 1867, before any data this API can hold), so the
 * start is found by bisection on the instant; results are cached per zone, which makes the
 * common case a map lookup. Throws a `RangeError` for days outside the years 1000-9999.
 */
export const startOfDay = (day: Day, zone: string): number => {
  if (!Number.isInteger(day) || day < minDay || day > maxDay + 1) {
    throw new RangeError(`startOfDay: day ${day} is outside the years ${minYear}-${maxYear}`)
  }
  let cache = dayStarts.get(zone)
  if (cache === undefined) {
    cache = new Map()
    dayStarts.set(zone, cache)
  }
  const cached = cache.get(day)
  if (cached !== undefined) return cached
  let low = day * secondsPerDay - searchWindow // local date < day
  let high = day * secondsPerDay + searchWindow // local date >= day
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (localDateAt(mid, zone) >= day) high = mid
    else low = mid
  }
  cache.set(day, high)
  return high
}

/** The `[start, end)` epoch-second range of a local day: 23, 24 or 25 hours (or other) long. */
export const dayRange = (day: Day, zone: string): readonly [start: number, end: number] => [
  startOfDay(day, zone),
  startOfDay(day + 1, zone),
]

/**
 * The local calendar day of an epoch-second instant in a zone, e.g.
 * `dayOfTimestamp(1483225200, "Asia/Kolkata")` is 2017-01-01.
 */
export const dayOfTimestamp = (epochSeconds: number, zone: string): Day => {
  if (!Number.isFinite(epochSeconds) || epochSeconds < minInstant || epochSeconds > maxInstant) {
    throw new RangeError(
      `dayOfTimestamp: ${epochSeconds} is not an epoch second within the years ${minYear}-${maxYear}`,
    )
  }
  // Guess from UTC, then step to the day whose range holds the instant (at most 2 steps).
  let day = Math.floor(epochSeconds / secondsPerDay)
  while (epochSeconds < startOfDay(day, zone)) day--
  while (epochSeconds >= startOfDay(day + 1, zone)) day++
  return day
}

// Local dates and times of day, 00 to 23 hours.
const clockFormatterFor = formattersOf({
  hourCycle: "h23",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
})

/**
 * An epoch-second instant as ISO 8601 local time with the zone's offset at that instant,
 * e.g. `formatInstant(1483209000, "Asia/Kolkata")` is `"2017-01-01T00:00:00+05:30"`; an
 * offset with seconds (local mean time before 1900 in some zones) keeps them, `+05:53:28`.
 */
export const formatInstant = (epochSeconds: number, zone: string): string => {
  const parts: Record<string, number> = {}
  for (const part of clockFormatterFor(zone).formatToParts(epochSeconds * 1000))
    if (part.type !== "literal") parts[part.type] = Number(part.value)
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts
  const local = Date.UTC(year, month - 1, day, hour, minute, second) / 1000
  // Date.UTC maps years 0-99 to 1900-1999; the years here are 1000-9999.
  const offset = local - epochSeconds
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.abs(offset)
  const seconds = abs % 60
  const zoneText = `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${seconds === 0 ? "" : `:${pad(seconds)}`}`
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${zoneText}`
}

// ---------------------------------------------------------------------------------------
// Today and typed dates

/**
 * The day it is at `nowMillis` (epoch milliseconds, e.g. `Date.now()` or Effect's
 * `Clock.currentTimeMillis`) in `zone`: what "today" means to an account. The caller reads
 * the clock, so this stays pure. Throws a `RangeError` like `dayOfTimestamp` for an instant
 * outside the years 1000-9999 and for a zone the runtime does not know.
 *
 * @example today(Date.UTC(2016, 11, 31, 18, 30), "Asia/Kolkata") // 2017-01-01
 */
export const today = (nowMillis: number, zone: string): Day =>
  dayOfTimestamp(Math.floor(nowMillis / 1000), zone)

/**
 * Why typed text is not a day: `Empty` (nothing typed), `Form` (not `YYYYMMDD` or
 * `YYYY-MM-DD`) or `NotADate` (the right form, but no such day, e.g. `20250231`). The
 * message says what to type instead, for a person.
 */
export class DayParseError extends Data.TaggedError("DayParseError")<{
  readonly text: string
  readonly reason: "Empty" | "Form" | "NotADate"
  readonly message: string
}> {}

/** The forms `parseDay` reads, for help texts and placeholders. */
export const typedDateForms = "YYYYMMDD or YYYY-MM-DD"

const monthNames = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const

const compactForm = /^(\d{4})(\d{2})(\d{2})$/
const dashedForm = /^(\d{4})-(\d{2})-(\d{2})$/

// Why a date of the right form does not exist.
const missingDate = (year: number, month: number, day: number): string => {
  if (year < minYear) return `the year must be between ${minYear} and ${maxYear}`
  if (month < 1 || month > 12) return "the month must be 01 to 12"
  if (day < 1) return "the day of the month starts at 01"
  return `${monthNames[month - 1]} ${year} has ${daysInMonth(year, month)} days`
}

/**
 * Reads a date as a person types it: `20161224` or `2016-12-24` (the forms every client
 * accepts), spaces around it ignored. Fails with a `DayParseError` whose message names the
 * text and the fix, e.g. `20250231 is not a real calendar date: February 2025 has 28 days`.
 */
export const parseDay = (text: string): Either.Either<Day, DayParseError> => {
  const trimmed = text.trim()
  if (trimmed === "") {
    return Either.left(
      new DayParseError({
        text,
        reason: "Empty",
        message: `is empty; give a date as ${typedDateForms}, e.g. 20161224`,
      }),
    )
  }
  const fields = compactForm.exec(trimmed) ?? dashedForm.exec(trimmed)
  if (fields === null) {
    return Either.left(
      new DayParseError({
        text,
        reason: "Form",
        message: `${JSON.stringify(trimmed)} is not a date; give it as ${typedDateForms}, e.g. 20161224 or 2016-12-24`,
      }),
    )
  }
  const [year, month, day] = [Number(fields[1]), Number(fields[2]), Number(fields[3])]
  return Option.match(makeDay(year, month, day), {
    onSome: Either.right,
    onNone: () =>
      Either.left(
        new DayParseError({
          text,
          reason: "NotADate",
          message: `${trimmed} is not a real calendar date: ${missingDate(year, month, day)}`,
        }),
      ),
  })
}
