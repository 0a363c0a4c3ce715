/**
 * Idempotent uploads: a client sends `Idempotency-Key: <key>` with `POST /1/upload` (the
 * convention of payment and cloud APIs) and may then retry the call after a timeout, a lost
 * answer or a 5xx without storing its records twice. The store remembers the key with the
 * batch, in the same transaction, for `defaultRetention`: a repeat stores nothing and gets
 * the first answer; the same key with another body is a 409.
 *
 * Choices where conventions differ: a key is 1 to 255 printable ASCII characters (what
 * HTTP header values carry safely; a UUID is typical), keys are per account, and the body's
 * bytes decide whether a repeat is the same request.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import { Conflict, InvalidRequest } from "./ApiError.ts"

/** The request header that carries the key. */
export const header = "Idempotency-Key"

/** How long a key is remembered after its upload (a day, as payment APIs keep theirs). */
export const defaultRetention = "24 hours"

/** The longest key accepted, in characters. */
export const maxKeyLength = 255

const printableAscii = /^[\x21-\x7e]+$/

/**
 * The key of a request from its header value: `undefined` when the header is absent, the
 * 400 that says how to fix it when it is malformed.
 *
 * @example decodeKey("3f0c9a2e-6d1b-4c3e-9a51-7c2f0e8d4b61") // Right("3f0c…")
 */
export const decodeKey = (
  value: string | undefined,
): Either.Either<string | undefined, InvalidRequest> => {
  if (value === undefined) return Either.right(undefined)
  const key = value.trim()
  if (key.length === 0 || key.length > maxKeyLength || !printableAscii.test(key)) {
    return Either.left(
      InvalidRequest.field(
        header,
        `must be 1 to ${maxKeyLength} printable ASCII characters without spaces (a UUID, for example); got ${key.length === 0 ? "an empty value" : `${key.length} characters`}`,
      ),
    )
  }
  return Either.right(key)
}

/** The 409 of a key reused with another body. */
export const reused = (key: string): Conflict =>
  new Conflict({
    reason: `${header} ${JSON.stringify(key)} was already used for an upload with a different body; send a new key for a new upload, or the same body to repeat it`,
  })
