/**
 * The `POST /1/upload` call: its body `{"d": [record, ...]}`, the rules each record must
 * follow, and the response `{"status":"success","processed":N,"unprocessed":[...]}`.
 *
 * A malformed body fails the whole request (400); a malformed record only lands in
 * `unprocessed` with its own code, so one bad record never costs the rest of the batch.
 *
 * Choices where the public documentation is silent:
 * - JSON `null` counts as absent for every optional or identity field, because many
 *   serializers write `null` for unset fields.
 * - A numeric `identity` that is a safe integer is accepted as its decimal string
 *   (`42` becomes `"42"`): many clients send numeric user ids.
 * - Properties are flat: a nested object or array as a property value rejects the record
 *   with 512, naming the property, rather than being stored in a form no query can use.
 * - Lengths in characters (event names, objectId) count Unicode code points, not UTF-16
 *   units; property values are measured in UTF-8 bytes as documented.
 * - A blank (whitespace-only) event name counts as missing (509).
 * - Restricted event names match exactly (case-sensitive).
 * - Fields the API does not define (and `evtName`/`evtData` on a profile) are ignored.
 * - A record that is not a JSON object is 512 (invalid structure).
 * - Text is made well-formed before it is judged or stored: a lone UTF-16 surrogate in a
 *   name, identity or value becomes U+FFFD, as it would on its way to UTF-8, so every store
 *   keeps the same string and `"S\ud800"` and `"S\udbff"` are one name (`"S\ufffd"`).
 *   Queries name events the same way (`TrendsRequest`, `EventCount`).
 * - Identities (`identity`, `FBID`, `GPID`) are at most `maxIdentityLength` characters
 *   (523) and property names at most `maxPropertyNameLength` (512): the hosted limits are
 *   not documented, and unbounded ones let one client grow the store without bound.
 * - A rejected record is echoed as sent, up to a bound: nesting deeper than 8 levels,
 *   strings past 1024 characters and records past 64k characters are cut (marked `…`), so
 *   the answer always fits and always serializes.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { InvalidRequest } from "./ApiError.ts"
import { describe, echo, field, isPlainObject } from "./internal/uploadJson.ts"
import {
  checkReceivedAt,
  identityKinds,
  RecordCode,
  type Rejection,
  readRecord,
  reject,
} from "./internal/uploadRecord.ts"
import * as Limits from "./Limits.ts"

// The per-record codes and the identity fields live with the rules that use them, the echo
// with the other readers of untrusted JSON; they are part of this module's API.
export { echo } from "./internal/uploadJson.ts"
export { identityKinds, RecordCode } from "./internal/uploadRecord.ts"

/** System events clients may not raise themselves (513); the default of the `restricted` parameter. */
export const restrictedEventNames: ReadonlyArray<string> = [
  "App Launched",
  "App Installed",
  "App Uninstalled",
  "Notification Sent",
  "Notification Viewed",
  "Notification Clicked",
  "UTM Visited",
  "Stayed",
]

/** Which profile a record belongs to: the identity field used and its value. */
export const Identity = Schema.Struct({
  kind: Schema.Literal(...identityKinds),
  value: Schema.String,
})
export type Identity = typeof Identity.Type

/**
 * One string per profile, for stores that map profiles to dense numbers.
 * The kind is part of the key because `identity:42` and `objectId:42` are different profiles.
 *
 * @example identityKey({ kind: "identity", value: "alice" }) // "identity:alice"
 */
export const identityKey = (identity: Identity): string => `${identity.kind}:${identity.value}`

/** A property value; properties are flat, so no objects or arrays. */
export const PropertyValue = Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null)
export type PropertyValue = typeof PropertyValue.Type

/** The properties of an event or a profile, by name. */
export const Properties = Schema.Record({ key: Schema.String, value: PropertyValue })
export type Properties = typeof Properties.Type

/** An accepted event; `index` is its position in the caller's `d` array. */
export const EventRecord = Schema.Struct({
  type: Schema.Literal("event"),
  index: Schema.NonNegativeInt,
  identity: Identity,
  ts: Schema.NonNegativeInt,
  name: Schema.String,
  properties: Properties,
})
export type EventRecord = typeof EventRecord.Type

/** An accepted profile update; `index` is its position in the caller's `d` array. */
export const ProfileRecord = Schema.Struct({
  type: Schema.Literal("profile"),
  index: Schema.NonNegativeInt,
  identity: Identity,
  ts: Schema.NonNegativeInt,
  properties: Properties,
})
export type ProfileRecord = typeof ProfileRecord.Type

/** A rejected record as the response reports it: where it was, itself, and why. */
export const Unprocessed = Schema.Struct({
  index: Schema.NonNegativeInt,
  record: Schema.Unknown,
  code: Schema.Int,
  error: Schema.String,
})
export type Unprocessed = typeof Unprocessed.Type

/** The outcome of a batch, split by kind; every input index is in exactly one list. */
export interface BatchResult {
  readonly events: ReadonlyArray<EventRecord>
  readonly profiles: ReadonlyArray<ProfileRecord>
  readonly unprocessed: ReadonlyArray<Unprocessed>
}

/** The upload response; HTTP 200 even when some records are unprocessed. */
export const UploadResponse = Schema.Struct({
  status: Schema.Literal("success"),
  processed: Schema.NonNegativeInt,
  unprocessed: Schema.Array(Unprocessed),
})
export type UploadResponse = typeof UploadResponse.Type

/** The upload body on the wire; records stay `unknown` until `validateBatch` judges each one. */
export const UploadBody = Schema.Struct({ d: Schema.Array(Schema.Unknown) })
export type UploadBody = typeof UploadBody.Type

/**
 * A string with every lone UTF-16 surrogate replaced by U+FFFD, as encoding it to UTF-8
 * would: what every store keeps, so names compare the same everywhere.
 *
 * @example wellFormed("S\ud800") // "S\ufffd"
 */
export const wellFormed = (s: string): string => (s.isWellFormed() ? s : s.toWellFormed())

/**
 * Checks the body of an upload call; a failure rejects the whole request with 400.
 *
 * @example decodeBody({ d: [] }) // Left(InvalidRequest "d: must hold at least 1 record…")
 */
export const decodeBody = (
  input: unknown,
  limits: Limits.Limits = Limits.defaults,
): Either.Either<UploadBody, InvalidRequest> => {
  const max = limits.maxUploadRecords
  if (!isPlainObject(input)) {
    return Either.left(
      InvalidRequest.field(
        "",
        `the body must be a JSON object like {"d": [record, ...]}, got ${describe(input)}`,
      ),
    )
  }
  const d = field(input, "d")
  if (d === undefined) {
    return Either.left(
      InvalidRequest.field(
        "d",
        `is required: send the records as {"d": [record, ...]} (1 to ${max})`,
      ),
    )
  }
  if (!Array.isArray(d)) {
    return Either.left(
      InvalidRequest.field("d", `must be an array of 1 to ${max} records, got ${describe(d)}`),
    )
  }
  if (d.length === 0) {
    return Either.left(
      InvalidRequest.field("d", `must hold at least 1 record (at most ${max}); send some records`),
    )
  }
  if (d.length > max) {
    return Either.left(
      InvalidRequest.field(
        "d",
        `holds ${d.length} records but at most ${max} are allowed per call; split them into several calls`,
      ),
    )
  }
  return Either.right({ d })
}

/**
 * Judges one record of `d`; `receivedAt` (epoch seconds) becomes its `ts` when it has none.
 * Anything unforeseen in the record is reported as 555 for this record alone; only a
 * `receivedAt` that is not epoch seconds throws (a `RangeError`: the caller's bug).
 *
 * @example validateRecord({ type: "event", identity: "alice", evtName: "Bought" }, 0, 1700000000)
 */
export const validateRecord = (
  record: unknown,
  index: number,
  receivedAt: number,
  limits: Limits.Limits = Limits.defaults,
  restricted: ReadonlyArray<string> = restrictedEventNames,
): Either.Either<EventRecord | ProfileRecord, Unprocessed> => {
  checkReceivedAt(receivedAt)
  let outcome: Either.Either<EventRecord | ProfileRecord, Rejection>
  try {
    outcome = readRecord(record, index, receivedAt, limits, restricted)
  } catch {
    outcome = reject(
      RecordCode.Miscellaneous,
      "record: an unexpected error occurred while validating it; it was not stored, send it again or report the problem",
    )
  }
  return Either.mapLeft(outcome, ({ code, error }) => ({
    index,
    record: echo(record),
    code,
    error,
  }))
}

/** Judges every record of a decoded body; accepted records keep their index in `records`. */
export const validateBatch = (
  records: ReadonlyArray<unknown>,
  receivedAt: number,
  limits: Limits.Limits = Limits.defaults,
  restricted: ReadonlyArray<string> = restrictedEventNames,
): BatchResult => {
  const events: Array<EventRecord> = []
  const profiles: Array<ProfileRecord> = []
  const unprocessed: Array<Unprocessed> = []
  // A counted loop rather than forEach, which would silently skip the holes of a sparse array.
  for (let index = 0; index < records.length; index++) {
    const outcome = validateRecord(records[index], index, receivedAt, limits, restricted)
    if (Either.isLeft(outcome)) unprocessed.push(outcome.left)
    else if (outcome.right.type === "event") events.push(outcome.right)
    else profiles.push(outcome.right)
  }
  return { events, profiles, unprocessed }
}

/** The response for a batch, e.g. `{"status":"success","processed":2,"unprocessed":[]}`. */
export const toResponse = (result: BatchResult): UploadResponse => ({
  status: "success",
  processed: result.events.length + result.profiles.length,
  unprocessed: result.unprocessed,
})
