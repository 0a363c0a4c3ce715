// The rules each record of an upload must follow (see the module comment of `Upload`): one
// reader per field, each rejecting the record with its code and a message that names the
// field and the fix. `Upload.validateRecord` runs them; `Upload` re-exports the codes.
import * as Either from "effect/Either"
import type * as Limits from "../Limits.ts"
import type { EventRecord, Identity, ProfileRecord, Properties, PropertyValue } from "../Upload.ts"
import { describe, field, isAbsent, isPlainObject } from "./uploadJson.ts"

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

/** The fields that identify a profile; a record carries exactly one of them. */
export const identityKinds = ["identity", "objectId", "FBID", "GPID"] as const

/** Why a record is rejected: its code and the message the answer carries. */
export interface Rejection {
  readonly code: RecordCode
  readonly error: string
}

/** Rejects the record with `code` and `error`. */
export const reject = (code: RecordCode, error: string): Either.Either<never, Rejection> =>
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

/** Reads one record of `d` as `Upload.validateRecord` judges it, but throws what it did not foresee. */
export const readRecord = (
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

/**
 * `receivedAt` comes from the server's clock, not the client: a bad one is a bug (typically
 * `Date.now()` in milliseconds), so it throws instead of becoming every record's `ts`.
 */
export const checkReceivedAt = (receivedAt: number): void => {
  if (!Number.isFinite(receivedAt) || receivedAt < 0 || receivedAt > maxPlausibleSeconds) {
    throw new RangeError(`receivedAt must be UNIX epoch seconds, got ${receivedAt}`)
  }
}
