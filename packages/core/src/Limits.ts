/**
 * The limits a server enforces. They are configuration: every rule that checks one takes
 * a `Limits` value, and `Limits.defaults` holds the hosted service's documented numbers.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const positiveInt = (description: string) =>
  Schema.Int.pipe(Schema.positive(), Schema.annotations({ description }))

/** The limits schema, for decoding them from configuration (JSON, environment). */
export const Limits = Schema.Struct({
  maxRangeDays: positiveInt("Most days a trends range may cover, both ends included"),
  maxHourlyDays: positiveInt("Most days a trends range with an hourly group may cover"),
  maxGroups: positiveInt("Most groups in one trends request"),
  maxEventNameLength: positiveInt("Longest event name, in characters"),
  maxIdentityLength: positiveInt("Longest profile identity (identity, FBID, GPID), in characters"),
  maxPropertyNameLength: positiveInt("Longest property name, in characters"),
  maxUploadRecords: positiveInt("Most records in one upload call"),
  maxPropertiesPerEvent: positiveInt("Most properties on one event"),
  maxPropertyValueBytes: positiveInt("Longest property value, in UTF-8 bytes"),
  maxEventNamesPerAccount: positiveInt("Most distinct event names an account may have"),
})
export type Limits = typeof Limits.Type

/**
 * The hosted service's limits (see API-FACTS): 366 days, 5 groups, 120 characters, …;
 * where it documents none (identities, property names), ours: 1024 and 256 characters;
 * for Trendline's hourly groups (up to 745 buckets each), 31 days.
 */
export const defaults: Limits = {
  maxRangeDays: 366,
  maxHourlyDays: 31,
  maxGroups: 5,
  maxEventNameLength: 120,
  maxIdentityLength: 1024,
  maxPropertyNameLength: 256,
  maxUploadRecords: 1000,
  maxPropertiesPerEvent: 100,
  maxPropertyValueBytes: 512,
  maxEventNamesPerAccount: 512,
}

/**
 * The defaults with some limits changed, e.g. `Limits.make({ maxGroups: 10 })`. Throws
 * when a limit is not a positive integer: a limit of `NaN` or `0` is a configuration bug.
 */
export const make = (overrides: Partial<Limits> = {}): Limits =>
  Schema.decodeUnknownSync(Limits)({ ...defaults, ...overrides })
