/**
 * Every failure the Trends API reports, with its HTTP status and its wire form
 * `{"status":"fail","error":"…","code":N}`, in one place. The server encodes these, the
 * client decodes them back, so both sides agree on every code.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/** One problem found in a request: where (`from`, `groups.foo.trend_type`) and what is wrong. */
export const Issue = Schema.Struct({
  path: Schema.String,
  message: Schema.String,
})
export type Issue = typeof Issue.Type

const formatIssue = (issue: Issue): string =>
  issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`

/** 400: the request is malformed or breaks a rule; `issues` names each field and the fix. */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  issues: Schema.NonEmptyArray(Issue),
}) {
  /** Builds the error for one field, e.g. `InvalidRequest.field("from", "must be …")`. */
  static field(path: string, message: string): InvalidRequest {
    return new InvalidRequest({ issues: [{ path, message }] })
  }
  override get message(): string {
    return this.issues.map(formatIssue).join("; ")
  }
}

/** The 400 of a body that is not JSON, in the parser's words, e.g. `invalidJson(error.message)`. */
export const invalidJson = (detail: string): InvalidRequest =>
  InvalidRequest.field("", `the body is not valid JSON (${detail}); send a JSON object`)

// Every error but InvalidRequest is a tag and a human-readable reason; the reason is the
// wire `error` text, so a client that decodes a fail body gets the server's words back.

/** The class `ReasonError` builds: `Schema.TaggedError` with one field, `reason`. */
type ReasonErrorClass<Self, Tag extends string> = Schema.TaggedErrorClass<
  Self,
  Tag,
  { readonly _tag: Schema.tag<Tag>; readonly reason: typeof Schema.String }
>

/**
 * `Schema.TaggedError` with a `reason` that is also the error's `message`, declared once,
 * e.g. `class Conflict extends ReasonError<Conflict>()("Conflict") {}`.
 */
const ReasonError =
  <Self>() =>
  <Tag extends string>(tag: Tag): ReasonErrorClass<Self, Tag> => {
    // `Schema.TaggedError<Self>()` is a class only once `Self` is known; each subclass fixes
    // `Self` to itself, so the base is typed here as what it becomes there.
    const Base = Schema.TaggedError<Self>()(tag, {
      reason: Schema.String,
    }) as unknown as ReasonErrorClass<Self, Tag>
    return class extends Base {
      override get message(): string {
        return this.reason
      }
    }
  }

/** 401: the account id or passcode is missing or wrong. */
export class InvalidCredentials extends ReasonError<InvalidCredentials>()("InvalidCredentials") {}

/** 403: the credentials are valid but this account may not do this. */
export class NotAllowed extends ReasonError<NotAllowed>()("NotAllowed") {}

/** 404: no endpoint at this path. */
export class RouteNotFound extends ReasonError<RouteNotFound>()("RouteNotFound") {}

/** 404: the `req_id` is unknown, expired, or belongs to another account. */
export class UnknownRequestId extends ReasonError<UnknownRequestId>()("UnknownRequestId") {}

/** 405: the path exists but not with this method. */
export class MethodNotAllowed extends ReasonError<MethodNotAllowed>()("MethodNotAllowed") {}

/** 409: the request conflicts with the current state of the account. */
export class Conflict extends ReasonError<Conflict>()("Conflict") {}

/** 413: the body is larger than the server accepts. */
export class PayloadTooLarge extends ReasonError<PayloadTooLarge>()("PayloadTooLarge") {}

/** 415: the body is not sent as `application/json`. */
export class UnsupportedMediaType extends ReasonError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
) {}

/** 429: the account already has as many requests in flight as it may. */
export class RateLimited extends ReasonError<RateLimited>()("RateLimited") {}

/** 500: a bug or an unexpected failure on the server; details stay in its logs. */
export class InternalError extends ReasonError<InternalError>()("InternalError") {}

/** 503: the server or its store cannot answer now; try again later. */
export class ServiceUnavailable extends ReasonError<ServiceUnavailable>()("ServiceUnavailable") {}

/** Any failure the API reports on the wire. */
export const ApiError = Schema.Union(
  InvalidRequest,
  InvalidCredentials,
  NotAllowed,
  RouteNotFound,
  UnknownRequestId,
  MethodNotAllowed,
  Conflict,
  PayloadTooLarge,
  UnsupportedMediaType,
  RateLimited,
  InternalError,
  ServiceUnavailable,
)
export type ApiError = typeof ApiError.Type

/** Narrows an unknown value to one of the API's errors. */
export const isApiError: (u: unknown) => u is ApiError = Schema.is(ApiError)

const statusByTag: { readonly [Tag in ApiError["_tag"]]: number } = {
  InvalidRequest: 400,
  InvalidCredentials: 401,
  NotAllowed: 403,
  RouteNotFound: 404,
  UnknownRequestId: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RateLimited: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
}

/** The HTTP status an error is answered with, e.g. `httpStatus(new RateLimited({})) === 429`. */
export const httpStatus = (error: ApiError): number => statusByTag[error._tag]

/** The body of every failed response. `issues` is our extension; other clients ignore it. */
export const FailBody = Schema.Struct({
  status: Schema.Literal("fail"),
  error: Schema.String,
  code: Schema.optional(Schema.Number),
  issues: Schema.optional(Schema.Array(Issue)),
})
export type FailBody = typeof FailBody.Type

/** The wire form of an error: `{"status":"fail","error":"…","code":400}`. */
export const toFailBody = (error: ApiError): FailBody =>
  error._tag === "InvalidRequest"
    ? { status: "fail", error: error.message, code: 400, issues: error.issues }
    : { status: "fail", error: error.message, code: httpStatus(error) }

/** The hosted service's text for 429; existing clients match on it. */
export const tooManyConcurrentRequests = "Too many concurrent requests"

/**
 * Reads a `fail` body back into a typed error. The hosted service sometimes answers
 * failures with HTTP 200, so the body's `code` wins over the HTTP status when present.
 */
export const fromFailBody = (body: FailBody, status: number): ApiError => {
  const code = body.code ?? (status >= 400 ? status : 500)
  const reason = body.error
  switch (code) {
    case 400: {
      const [first, ...rest] = body.issues ?? []
      return new InvalidRequest({
        issues: first === undefined ? [{ path: "", message: reason }] : [first, ...rest],
      })
    }
    case 401:
      return new InvalidCredentials({ reason })
    case 403:
      return new NotAllowed({ reason })
    case 404:
      return /req_id/i.test(reason)
        ? new UnknownRequestId({ reason })
        : new RouteNotFound({ reason })
    case 405:
      return new MethodNotAllowed({ reason })
    case 409:
      return new Conflict({ reason })
    case 413:
      return new PayloadTooLarge({ reason })
    case 415:
      return new UnsupportedMediaType({ reason })
    case 429:
      return new RateLimited({ reason })
    case 503:
      return new ServiceUnavailable({ reason })
    default:
      return new InternalError({ reason })
  }
}
