/**
 * The three answers of the Trends endpoint, selected by `status`:
 * - `success`: `{"status":"success","foo":{"20161224":10,…},…}`, every group's buckets
 *   flat beside `status`; decoded to `{ status, groups }` so no group can shadow `status`.
 * - `partial`: `{"status":"partial","req_id":384649162721759}`, poll again with `req_id`.
 * - `fail`: `ApiError.FailBody`, whatever the HTTP status (the hosted service sends some
 *   failures with HTTP 200).
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { FailBody } from "./ApiError.ts"
import * as Extensions from "./Extensions.ts"
import * as QueryJob from "./QueryJob.ts"

/** The `fail` answer, shared by every endpoint: `{"status":"fail","error":"…","code":400}`. */
export { FailBody }

// Days, weeks and months (the hosted API's), hours, quarters and years (Trendline's).
const bucketKeyPattern = /^(\d{10}|\d{8}|\d{6}|\d{4}Q[1-4]|\d{4})$/

/**
 * One group's buckets: key (`YYYYMMDD`, `YYYYWW`, `YYYYMM`, `YYYYMMDDHH`, `YYYYQn` or `YYYY`) to value. Values are any
 * finite number: counts are non-negative integers, but a sum of a property may be negative.
 */
export const Buckets = Schema.Record({
  key: Schema.String,
  value: Schema.Finite.annotations({
    message: () => ({ message: "must be a finite number", override: true }),
  }),
})
  .annotations({
    message: () => `must be an object of bucket key to number, e.g. {"20161224": 10}`,
  })
  .pipe(
    // Checked here rather than by a refined key schema, which would drop bad keys silently.
    Schema.filter((buckets) =>
      Object.keys(buckets)
        .filter((key) => !bucketKeyPattern.test(key))
        .map((key) => ({
          path: [key],
          message:
            "is not a bucket key: expected YYYYMMDD, YYYYWW, YYYYMM, YYYYMMDDHH, YYYYQn or YYYY",
        })),
    ),
  )
export type Buckets = typeof Buckets.Type

// The index signature must skip `status` and `trendline`, which are the envelope's.
const GroupName = Schema.String.pipe(
  Schema.filter((name) => name !== "status" && name !== Extensions.reservedKey),
)

const SuccessWire = Schema.Struct(
  {
    status: Schema.Literal("success"),
    [Extensions.reservedKey]: Schema.optionalWith(Extensions.Extras, { exact: true }),
  },
  Schema.Record({ key: GroupName, value: Buckets }),
)

const SuccessDomain = Schema.Struct({
  status: Schema.Literal("success"),
  groups: Schema.Record({ key: Schema.String, value: Buckets }),
  /** Trendline's extensions, when the request asked for any (`Extensions`). */
  extras: Schema.optionalWith(Extensions.Extras, { exact: true }),
})

/** A trends answer: its groups' buckets, and the extensions asked for, if any. */
export interface Answer {
  readonly groups: (typeof SuccessDomain.Type)["groups"]
  readonly extras?: Extensions.Extras | undefined
}

/**
 * The flat wire form of a success, without the schema's checks: for a server whose groups
 * come from a validated request (which refuses a group named `status` or `trendline`) on
 * its hot path. The extensions, when given, go last, under `trendline`.
 */
export const toWire = (
  groups: Answer["groups"],
  extras?: Extensions.Extras | undefined,
): typeof SuccessWire.Type =>
  // TypeScript cannot express "every key but status" in an index signature.
  (extras === undefined
    ? { status: "success", ...groups }
    : { status: "success", ...groups, [Extensions.reservedKey]: extras }) as typeof SuccessWire.Type

const collides = (groups: Answer["groups"]): string | undefined =>
  ["status", Extensions.reservedKey].find((key) => Object.hasOwn(groups, key))

/**
 * The `success` answer: flat on the wire (`{"status":"success","foo":{…}}`, with
 * `"trendline":{…}` when extensions were asked for), grouped in the domain (`{ status:
 * "success", groups: { foo: {…} }, extras }`). Encoding fails for a group named `status` or
 * `trendline`, which the flat form cannot carry.
 */
export const TrendsSuccess = Schema.transformOrFail(SuccessWire, SuccessDomain, {
  strict: true,
  decode: ({ status, [Extensions.reservedKey]: extras, ...groups }) =>
    ParseResult.succeed(extras === undefined ? { status, groups } : { status, groups, extras }),
  encode: (success, _, ast) => {
    const key = collides(success.groups)
    return key !== undefined
      ? ParseResult.fail(
          new ParseResult.Type(
            ast,
            success,
            `a group named "${key}" would collide with the response's "${key}" key; rename it`,
          ),
        )
      : ParseResult.succeed(toWire(success.groups, success.extras))
  },
})
export type TrendsSuccess = typeof TrendsSuccess.Type

// Some clients and proxies turn long integers into strings; a 16-digit string still fits.
const SafeIdDigits = Schema.transformOrFail(
  Schema.String.pipe(Schema.pattern(/^\d{1,16}$/)),
  QueryJob.ReqId,
  {
    strict: true,
    decode: (digits) => ParseResult.succeed(Number(digits)),
    encode: (id) => ParseResult.succeed(String(id)),
  },
)

/**
 * The wire `req_id`: `QueryJob.ReqId`, a positive safe integer (`384649162721759`). Decoding also accepts its
 * digits as a string; it stays a number in the domain and is always encoded as a number.
 */
export const ReqId = Schema.Union(QueryJob.ReqId, SafeIdDigits).annotations({
  message: () => ({
    message: "must be a positive safe integer (or its digits as a string), e.g. 384649162721759",
    override: true,
  }),
})

/** The `partial` answer: the query is still running; poll with `?req_id=<req_id>`. */
export const Partial = Schema.Struct({
  status: Schema.Literal("partial"),
  req_id: ReqId,
})
export type Partial = typeof Partial.Type

/**
 * Any answer of the Trends endpoint, chosen by `status`; narrow on `status` after
 * decoding. A `fail` body decodes as fail even when it carries extra fields.
 */
export const TrendsResponse = Schema.Union(TrendsSuccess, Partial, FailBody)
export type TrendsResponse = typeof TrendsResponse.Type
