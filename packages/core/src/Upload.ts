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
import * as Limits from "./Limits.ts"

/** The per-record codes of the upload response; see API-FACTS "Upload records". */
export const RecordCode = {
  EventNameMissing: 509,
  InvalidStructure: 512,
  RestrictedEvent: 513,
  TooManyProperties: 522,
  IdentityMissing: 523,
  NotEventOrProfile: 524,
  InvalidTimestamp: 525,
  InvalidObjectId: 526,
  Miscellaneous: 555,
} as const
export type RecordCode = (typeof RecordCode)[keyof typeof RecordCode]

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

/** The fields that identify a profile; a record carries exactly one of them. */
export const identityKinds = ["identity", "objectId", "FBID", "GPID"] as const

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

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

// Own properties only, so a key such as "toString" or "__proto__" never reads the prototype.
const field = (object: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined

const isAbsent = (u: unknown): u is null | undefined => u === undefined || u === null

/**
 * A string with every lone UTF-16 surrogate replaced by U+FFFD, as encoding it to UTF-8
 * would: what every store keeps, so names compare the same everywhere.
 *
 * @example wellFormed("S\ud800") // "S\ufffd"
 */
export const wellFormed = (s: string): string => (s.isWellFormed() ? s : s.toWellFormed())

const echoDepth = 8
const echoStringChars = 1024
const echoChars = 65_536

/**
 * A rejected record as the answer echoes it: a copy of what was sent, cut where it is
 * deeper, longer or larger than an answer should carry (see the module comment). Never
 * throws, and its result always serializes.
 */
export const echo = (record: unknown): unknown => {
  let budget = echoChars
  const copy = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value === "boolean") return value
    if (typeof value === "number") {
      budget -= 8
      return Number.isFinite(value) ? value : String(value)
    }
    if (typeof value === "string") {
      const cut = value.length > echoStringChars ? `${value.slice(0, echoStringChars)}…` : value
      budget -= cut.length
      return cut.toWellFormed()
    }
    if (typeof value !== "object") return String(value)
    if (depth >= echoDepth) return "…"
    if (Array.isArray(value)) {
      const out: Array<unknown> = []
      for (const item of value) {
        if (budget <= 0) {
          out.push("…")
          break
        }
        out.push(copy(item, depth + 1))
      }
      return out
    }
    const entries: Array<[string, unknown]> = []
    for (const key of Object.keys(value)) {
      if (budget <= 0) {
        entries.push(["…", "…"])
        break
      }
      budget -= key.length
      entries.push([
        key.length > echoStringChars
          ? `${key.slice(0, echoStringChars)}…`.toWellFormed()
          : key.toWellFormed(),
        copy((value as Record<string, unknown>)[key], depth + 1),
      ])
    }
    return Object.fromEntries(entries)
  }
  try {
    return copy(record, 0)
  } catch {
    return "…"
  }
}

const describe = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return "an array"
  if (typeof u === "object") return "an object"
  if (typeof u === "string") return JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)
  return `${typeof u} ${String(u)}`
}

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

interface Rejection {
  readonly code: RecordCode
  readonly error: string
}

const reject = (code: RecordCode, error: string): Either.Either<never, Rejection> =>
  Either.left({ code, error })

const codePoints = (s: string): number => {
  let count = 0
  for (const _ of s) count++
  return count
}

// By hand rather than TextEncoder: core's lib has no DOM or Node types. A lone surrogate
// counts 3 bytes, as TextEncoder would encode it as U+FFFD.
const utf8Length = (s: string): number => {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

const maxObjectIdLength = 256

// Epoch seconds above 10^11 fall after the year 5138; such a value is almost surely
// milliseconds, and storing it would put the event millennia in the future.
const maxPlausibleSeconds = 100_000_000_000

const readType = (
  record: Readonly<Record<string, unknown>>,
): Either.Either<"event" | "profile", Rejection> => {
  const type = field(record, "type")
  return type === "event" || type === "profile"
    ? Either.right(type)
    : reject(
        RecordCode.NotEventOrProfile,
        isAbsent(type)
          ? `type: is missing; set it to "event" or "profile"`
          : `type: must be "event" or "profile", got ${describe(type)}`,
      )
}

const readIdentityValue = (
  kind: Identity["kind"],
  value: unknown,
  limits: Limits.Limits,
): Either.Either<Identity, Rejection> => {
  if (kind === "objectId") {
    return typeof value === "string" &&
      value.length > 0 &&
      !/\s/.test(value) &&
      codePoints(value) <= maxObjectIdLength
      ? Either.right({ kind, value: value.toWellFormed() })
      : reject(
          RecordCode.InvalidObjectId,
          `objectId: must be a non-empty string without whitespace of at most ${maxObjectIdLength} characters, got ${describe(value)}`,
        )
  }
  if (kind === "identity" && typeof value === "number") {
    return Number.isSafeInteger(value)
      ? Either.right({ kind, value: String(value) })
      : reject(
          RecordCode.IdentityMissing,
          `identity: ${describe(value)} is not a safe integer; send the id as a non-empty string`,
        )
  }
  if (typeof value !== "string" || value.trim().length === 0) {
    return reject(
      RecordCode.IdentityMissing,
      `${kind}: must be a non-empty string, got ${describe(value)}`,
    )
  }
  const length = codePoints(value)
  if (length > limits.maxIdentityLength) {
    return reject(
      RecordCode.IdentityMissing,
      `${kind}: is ${length} characters long; at most ${limits.maxIdentityLength} are allowed, send a shorter id (a hash of it, for example)`,
    )
  }
  return Either.right({ kind, value: value.toWellFormed() })
}

const readIdentity = (
  record: Readonly<Record<string, unknown>>,
  limits: Limits.Limits,
): Either.Either<Identity, Rejection> => {
  const present = identityKinds.filter((kind) => !isAbsent(field(record, kind)))
  const [kind, ...others] = present
  if (kind === undefined) {
    return reject(
      RecordCode.IdentityMissing,
      `identity: the record has no identity; set exactly one of ${identityKinds.join(", ")}`,
    )
  }
  if (others.length > 0) {
    return reject(
      RecordCode.IdentityMissing,
      `${present.join(", ")}: the record has ${present.length} identity fields; keep exactly one`,
    )
  }
  return readIdentityValue(kind, field(record, kind), limits)
}

const readTs = (
  record: Readonly<Record<string, unknown>>,
  receivedAt: number,
): Either.Either<number, Rejection> => {
  const ts = field(record, "ts")
  if (isAbsent(ts)) return Either.right(Math.floor(receivedAt))
  if (typeof ts !== "number" || !Number.isInteger(ts) || ts < 0) {
    return reject(
      RecordCode.InvalidTimestamp,
      `ts: must be an integer number of UNIX epoch seconds >= 0, got ${describe(ts)}`,
    )
  }
  if (ts > maxPlausibleSeconds) {
    return reject(
      RecordCode.InvalidTimestamp,
      `ts: ${ts} looks like milliseconds; send UNIX epoch seconds, not milliseconds (divide by 1000)`,
    )
  }
  return Either.right(ts)
}

const readEventName = (
  record: Readonly<Record<string, unknown>>,
  limits: Limits.Limits,
  restricted: ReadonlyArray<string>,
): Either.Either<string, Rejection> => {
  const name = field(record, "evtName")
  if (isAbsent(name) || (typeof name === "string" && name.trim().length === 0)) {
    return reject(
      RecordCode.EventNameMissing,
      `evtName: is required for an event; set it to the event's name`,
    )
  }
  if (typeof name !== "string") {
    return reject(RecordCode.InvalidStructure, `evtName: must be a string, got ${describe(name)}`)
  }
  const length = codePoints(name)
  if (length > limits.maxEventNameLength) {
    return reject(
      RecordCode.InvalidStructure,
      `evtName: is ${length} characters long; at most ${limits.maxEventNameLength} are allowed, shorten it`,
    )
  }
  const wellFormedName = name.toWellFormed()
  if (restricted.includes(wellFormedName)) {
    return reject(
      RecordCode.RestrictedEvent,
      `evtName: ${JSON.stringify(name)} is a restricted system event; choose another event name`,
    )
  }
  return Either.right(wellFormedName)
}

const readPropertyValue = (
  path: string,
  value: unknown,
  limits: Limits.Limits,
): Either.Either<PropertyValue, Rejection> => {
  if (value === null || typeof value === "boolean") return Either.right(value)
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? Either.right(value)
      : reject(
          RecordCode.InvalidStructure,
          `${path}: must be a finite number, got ${String(value)}`,
        )
  }
  if (typeof value === "string") {
    const bytes = utf8Length(value)
    return bytes <= limits.maxPropertyValueBytes
      ? Either.right(value.toWellFormed())
      : reject(
          RecordCode.InvalidStructure,
          `${path}: is ${bytes} UTF-8 bytes; at most ${limits.maxPropertyValueBytes} are allowed, shorten it`,
        )
  }
  return reject(
    RecordCode.InvalidStructure,
    typeof value === "object"
      ? `${path}: properties are flat, got ${describe(value)}; send a string, number, boolean or null (flatten nested values into their own properties)`
      : `${path}: must be a string, number, boolean or null, got ${describe(value)}`,
  )
}

// Hand-written early returns rather than Either.gen: this runs for every uploaded record,
// and generators cost more than the checks themselves.
const readProperties = (
  record: Readonly<Record<string, unknown>>,
  key: "evtData" | "profileData",
  limits: Limits.Limits,
): Either.Either<Properties, Rejection> => {
  const data = field(record, key)
  if (isAbsent(data)) return Either.right({})
  if (!isPlainObject(data)) {
    return reject(
      RecordCode.InvalidStructure,
      `${key}: must be a JSON object of properties, got ${describe(data)}`,
    )
  }
  const names = Object.keys(data)
  if (names.length > limits.maxPropertiesPerEvent) {
    return reject(
      RecordCode.TooManyProperties,
      `${key}: has ${names.length} properties; at most ${limits.maxPropertiesPerEvent} are allowed, drop some`,
    )
  }
  const entries: Array<[string, PropertyValue]> = []
  for (const name of names) {
    if (name.length === 0) {
      return reject(RecordCode.InvalidStructure, `${key}: a property has an empty name; name it`)
    }
    const nameLength = codePoints(name)
    if (nameLength > limits.maxPropertyNameLength) {
      return reject(
        RecordCode.InvalidStructure,
        `${key}: the property ${describe(name)} has a name of ${nameLength} characters; at most ${limits.maxPropertyNameLength} are allowed, shorten it`,
      )
    }
    const value = readPropertyValue(`${key}.${name}`, data[name], limits)
    if (Either.isLeft(value)) return Either.left(value.left)
    entries.push([name.toWellFormed(), value.right])
  }
  // fromEntries defines own properties, so a "__proto__" property stays a property.
  return Either.right(Object.fromEntries(entries))
}

const readRecord = (
  record: unknown,
  index: number,
  receivedAt: number,
  limits: Limits.Limits,
  restricted: ReadonlyArray<string>,
): Either.Either<EventRecord | ProfileRecord, Rejection> => {
  if (!isPlainObject(record)) {
    return reject(
      RecordCode.InvalidStructure,
      `record: must be a JSON object with type, one identity field and data, got ${describe(record)}`,
    )
  }
  const type = readType(record)
  if (Either.isLeft(type)) return Either.left(type.left)
  const identity = readIdentity(record, limits)
  if (Either.isLeft(identity)) return Either.left(identity.left)
  const ts = readTs(record, receivedAt)
  if (Either.isLeft(ts)) return Either.left(ts.left)
  if (type.right === "profile") {
    const properties = readProperties(record, "profileData", limits)
    if (Either.isLeft(properties)) return Either.left(properties.left)
    return Either.right({
      type: type.right,
      index,
      identity: identity.right,
      ts: ts.right,
      properties: properties.right,
    } satisfies ProfileRecord)
  }
  const name = readEventName(record, limits, restricted)
  if (Either.isLeft(name)) return Either.left(name.left)
  const properties = readProperties(record, "evtData", limits)
  if (Either.isLeft(properties)) return Either.left(properties.left)
  return Either.right({
    type: type.right,
    index,
    identity: identity.right,
    ts: ts.right,
    name: name.right,
    properties: properties.right,
  } satisfies EventRecord)
}

// `receivedAt` comes from the server's clock, not the client: a bad one is a bug (typically
// `Date.now()` in milliseconds), so it throws instead of becoming every record's `ts`.
const checkReceivedAt = (receivedAt: number): void => {
  if (!Number.isFinite(receivedAt) || receivedAt < 0 || receivedAt > maxPlausibleSeconds) {
    throw new RangeError(`receivedAt must be UNIX epoch seconds, got ${receivedAt}`)
  }
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
