/**
 * The Event Count endpoint (`POST /1/counts/events.json`): the total number of times an
 * event happened in a date range. Its request shares `event_name`, `from` and `to` with
 * the Trends request, with the same schemas, rules and messages; it answers `success`
 * with a `count`, or `partial` and `fail` exactly as Trends does.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as ApiError from "./ApiError.ts"
import type * as Limits from "./Limits.ts"
import * as TrendsRequest from "./TrendsRequest.ts"
import * as TrendsResponse from "./TrendsResponse.ts"

/** The request `{"event_name":"Charged","from":20161224,"to":20170103}`; extra fields are ignored. */
export const EventCountRequest = Schema.Struct(TrendsRequest.eventFields)
export type EventCountRequest = typeof EventCountRequest.Type

/** The request as sent on the wire: `from`/`to` are integers like `20161224`. */
export type Encoded = typeof EventCountRequest.Encoded

/**
 * Reads an event count request body, checking the rules shared with Trends (a named event,
 * real dates, `from` not after `to`, at most `limits.maxRangeDays` days).
 */
export const decode: (
  input: unknown,
  limits?: Limits.Limits,
) => Effect.Effect<EventCountRequest, ApiError.InvalidRequest> = TrendsRequest.makeDecoder(
  EventCountRequest,
  TrendsRequest.eventRules,
)

/** The wire body of a request built in code; throws on a day outside the years 1000-9999. */
export const encode: (request: EventCountRequest) => Encoded = Schema.encodeSync(EventCountRequest)

/** The `success` answer: `{"status":"success","count":42}`; a count of events, never negative. */
export const EventCountSuccess = Schema.Struct({
  status: Schema.Literal("success"),
  count: Schema.NonNegativeInt.pipe(Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER)),
})
export type EventCountSuccess = typeof EventCountSuccess.Type

/** Any answer of the Event Count endpoint, chosen by `status`. */
export const EventCountResponse = Schema.Union(
  EventCountSuccess,
  TrendsResponse.Partial,
  TrendsResponse.FailBody,
)
export type EventCountResponse = typeof EventCountResponse.Type
