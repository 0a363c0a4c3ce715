/**
 * The edge codec of the Trends API. `AccountApi` answers in types: a read's result or the
 * `req_id` of a `partial` reply, an upload's response, or an `ApiError`. This module is the
 * one place that turns those into what HTTP carries, a status and a JSON body, and back for
 * answers kept in wire form (archived reads). Servers call it where HTTP begins.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as AccountApi from "./AccountApi.ts"
import * as ApiError from "./ApiError.ts"
import type * as QueryJob from "./QueryJob.ts"
import * as TopCounts from "./TopCounts.ts"
import * as TrendsResponse from "./TrendsResponse.ts"
import type * as Upload from "./Upload.ts"

/** A JSON object, ready for `JSON.stringify`. */
export type Json = { readonly [key: string]: unknown }

/** The statuses the API answers with (see `ApiError` for the failures'). */
export type HttpStatus = 200 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503

/** An answer as the wire carries it: the HTTP status and the body. */
export interface WireAnswer {
  readonly status: HttpStatus
  readonly body: Json
}

/**
 * The typed result of each read endpoint: a trends answer's groups (and extensions), an
 * event or profile count, top values.
 */
export interface ReadResults {
  readonly trends: TrendsResponse.Answer
  readonly events: number
  readonly profiles: number
  readonly top: TopCounts.TopResult
}

/** The endpoints whose queries can answer `partial`. */
export type ReadEndpoint = keyof ReadResults

/** The `fail` answer of an error: its HTTP status and `{"status":"fail","error":…,"code":…}`. */
export const failure = (error: ApiError.ApiError): WireAnswer => ({
  // `httpStatus` maps every error to one of the statuses above.
  status: ApiError.httpStatus(error) as HttpStatus,
  body: ApiError.toFailBody(error),
})

const successBodies: { readonly [E in ReadEndpoint]: (result: ReadResults[E]) => Json } = {
  trends: (answer) => TrendsResponse.toWire(answer.groups, answer.extras),
  events: (count) => ({ status: "success", count }),
  profiles: (count) => ({ status: "success", count }),
  top: (result) => TopCounts.toWire(result),
}

/** A read's reply: `success` with its result, or `partial` with the `req_id` to poll. */
export const read = <E extends ReadEndpoint>(
  endpoint: E,
  reply: QueryJob.Reply<ReadResults[E]>,
): WireAnswer =>
  reply._tag === "Pending"
    ? { status: 200, body: { status: "partial", req_id: reply.reqId } }
    : { status: 200, body: successBodies[endpoint](reply.result) }

/** An upload's response, `{"status":"success","processed":N,"unprocessed":[…]}`. */
export const upload = (response: Upload.UploadResponse): WireAnswer => ({
  status: 200,
  body: { ...response },
})

/**
 * An outcome as the wire answers it: `encode` for a success, `failure` for an error, e.g.
 * `WireAnswer.answer(api.upload(body, now), WireAnswer.upload)`.
 */
export const answer = <A, R>(
  outcome: Effect.Effect<A, ApiError.ApiError, R>,
  encode: (value: A) => WireAnswer,
): Effect.Effect<WireAnswer, never, R> =>
  Effect.match(outcome, { onFailure: failure, onSuccess: encode })

const decodeFail = Schema.decodeUnknownEither(ApiError.FailBody)
const decodeSuccess = Schema.decodeUnknownEither(TrendsResponse.TrendsSuccess)
const decodeTrends = (rest: Json): Either.Either<TrendsResponse.Answer, unknown> =>
  Either.map(decodeSuccess({ ...rest, status: "success" }), ({ groups, extras }) =>
    extras === undefined ? { groups } : { groups, extras },
  )
const decodeCount = Schema.decodeUnknownEither(Schema.Number)
const decodeTop = Schema.decodeUnknownEither(TopCounts.TopResultSchema)

/**
 * A finished read kept in wire form, back in types: `Right` its result, `Left` its error;
 * `undefined` when the body is neither (not an answer of this endpoint).
 */
export const decodeRead = <E extends ReadEndpoint>(
  endpoint: E,
  wire: { readonly status: number; readonly body: Json },
): Either.Either<ReadResults[E], ApiError.ApiError> | undefined => {
  const { status, ...rest } = wire.body
  if (status === "fail") {
    const body = decodeFail(wire.body)
    return Either.isRight(body)
      ? Either.left(ApiError.fromFailBody(body.right, wire.status))
      : undefined
  }
  if (status !== "success") return undefined
  const result: Either.Either<ReadResults[ReadEndpoint], unknown> =
    endpoint === "trends"
      ? decodeTrends(rest)
      : endpoint === "top"
        ? decodeTop(rest)
        : decodeCount(rest.count)
  return Either.isRight(result) ? Either.right(result.right as ReadResults[E]) : undefined
}

/** An account's API answering in wire form: what an edge that speaks HTTP serves. */
export interface WireApi {
  readonly trends: (body: unknown) => Effect.Effect<WireAnswer>
  readonly eventCount: (body: unknown) => Effect.Effect<WireAnswer>
  readonly profileCount: (body: unknown) => Effect.Effect<WireAnswer>
  readonly top: (body: unknown) => Effect.Effect<WireAnswer>
  readonly poll: (endpoint: ReadEndpoint, reqId: string) => Effect.Effect<WireAnswer>
  readonly upload: (body: unknown, receivedAt: number) => Effect.Effect<WireAnswer>
  readonly uploadJson: (
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ) => Effect.Effect<WireAnswer>
}

/** `api` in wire form, e.g. for a route: `WireAnswer.ofApi(api).trends(body)`. */
export const ofApi = (api: AccountApi.AccountApi): WireApi => ({
  trends: (body) => answer(api.trends(body), (reply) => read("trends", reply)),
  eventCount: (body) => answer(api.eventCount(body), (reply) => read("events", reply)),
  profileCount: (body) => answer(api.profileCount(body), (reply) => read("profiles", reply)),
  top: (body) => answer(api.top(body), (reply) => read("top", reply)),
  poll: (endpoint, reqId) => answer(api.poll(endpoint, reqId), (reply) => read(endpoint, reply)),
  upload: (body, receivedAt) => answer(api.upload(body, receivedAt), upload),
  uploadJson: (text, receivedAt, idempotency) =>
    answer(api.uploadJson(text, receivedAt, idempotency), upload),
})
