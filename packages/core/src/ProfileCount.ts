/**
 * The Profile Count endpoint (`POST /1/counts/profiles.json`): the number of distinct
 * profiles that did an event in a date range (each counted once, however often it did it).
 * Its request is an event count's (`event_name`, `from`, `to`, with the same schemas, rules
 * and messages) and it answers `{"status":"success","count":N}`, or `partial` and `fail`
 * exactly as Trends does.
 *
 * @since 0.1.0
 */
import * as EventCount from "./EventCount.ts"

/** The request `{"event_name":"Charged","from":20161224,"to":20170103}`; extra fields are ignored. */
export const ProfileCountRequest = EventCount.EventCountRequest
export type ProfileCountRequest = EventCount.EventCountRequest

/** The request as sent on the wire: `from`/`to` are integers like `20161224`. */
export type Encoded = EventCount.Encoded

/** Reads a profile count request body, by the event count's rules. */
export const decode = EventCount.decode

/** The wire body of a request built in code; throws on a day outside the years 1000-9999. */
export const encode = EventCount.encode

/** The `success` answer: `{"status":"success","count":42}`, a number of distinct profiles. */
export const ProfileCountSuccess = EventCount.EventCountSuccess
export type ProfileCountSuccess = EventCount.EventCountSuccess

/** Any answer of the Profile Count endpoint, chosen by `status`. */
export const ProfileCountResponse = EventCount.EventCountResponse
export type ProfileCountResponse = EventCount.EventCountResponse
