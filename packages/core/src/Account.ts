/**
 * An account's settings: who it is and how its calendar works. Buckets are cut in the
 * account's IANA time zone (default `UTC`) with its week convention (default ISO, Monday).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Bucket from "./Bucket.ts"
import * as Calendar from "./Calendar.ts"

/** An IANA time zone name that this runtime knows, e.g. `"Asia/Kolkata"`. */
export const TimeZone = Schema.String.pipe(
  Schema.filter((zone) => Calendar.isTimeZone(zone), {
    message: (issue) =>
      `unknown time zone ${JSON.stringify(issue.actual)}: use an IANA name such as "UTC", "Europe/London" or "America/New_York"`,
  }),
)

/** The time zone of an account that names none. */
export const defaultTimeZone = "UTC"

/** The calendar settings of an account. */
export const Settings = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1, { message: () => "account id must not be empty" })),
  timeZone: Schema.optionalWith(TimeZone, { default: () => defaultTimeZone }),
  weekStart: Schema.optionalWith(Bucket.WeekStart, { default: () => Bucket.defaultWeekStart }),
})
export type Settings = typeof Settings.Type

/** Settings with the defaults filled in, e.g. `Account.make("acme", { timeZone: "Asia/Kolkata" })`. */
export const make = (
  id: string,
  options: { readonly timeZone?: string; readonly weekStart?: Bucket.WeekStart } = {},
): Settings =>
  Settings.make({
    id,
    timeZone: options.timeZone ?? defaultTimeZone,
    weekStart: options.weekStart ?? Bucket.defaultWeekStart,
  })
