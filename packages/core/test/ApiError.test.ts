import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as Schema from "effect/Schema"

const samples: ReadonlyArray<readonly [ApiError.ApiError, number]> = [
  [ApiError.InvalidRequest.field("from", "must be a date"), 400],
  [new ApiError.InvalidCredentials({ reason: "Invalid credentials" }), 401],
  [new ApiError.NotAllowed({ reason: "Uploads are disabled" }), 403],
  [new ApiError.RouteNotFound({ reason: "No endpoint at /2/nothing" }), 404],
  [new ApiError.UnknownRequestId({ reason: "Unknown or expired req_id 42" }), 404],
  [new ApiError.MethodNotAllowed({ reason: "DELETE is not allowed" }), 405],
  [new ApiError.Conflict({ reason: "Already exists" }), 409],
  [new ApiError.PayloadTooLarge({ reason: "Body over 1 MiB" }), 413],
  [new ApiError.UnsupportedMediaType({ reason: "Expected application/json" }), 415],
  [new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }), 429],
  [new ApiError.InternalError({ reason: "Internal error" }), 500],
  [new ApiError.ServiceUnavailable({ reason: "Store unavailable, try later" }), 503],
]

describe("ApiError", () => {
  it("gives each error its HTTP status and a fail body with the same code", () => {
    for (const [error, status] of samples) {
      assert.strictEqual(ApiError.httpStatus(error), status, error._tag)
      const body = ApiError.toFailBody(error)
      assert.strictEqual(body.status, "fail")
      assert.strictEqual(body.code, status)
      assert.strictEqual(body.error, error.message)
      assert.isTrue(Schema.is(ApiError.FailBody)(body))
    }
  })

  it("reads every fail body back to the same error", () => {
    for (const [error, status] of samples) {
      const back = ApiError.fromFailBody(ApiError.toFailBody(error), status)
      assert.strictEqual(back._tag, error._tag)
      assert.strictEqual(back.message, error.message)
    }
  })

  it("names the field in an invalid request's message and keeps every issue on the wire", () => {
    const error = new ApiError.InvalidRequest({
      issues: [
        { path: "from", message: "must be a real date in YYYYMMDD form, e.g. 20161224" },
        { path: "", message: "body must be a JSON object" },
      ],
    })
    const body = ApiError.toFailBody(error)
    assert.strictEqual(
      body.error,
      "from: must be a real date in YYYYMMDD form, e.g. 20161224; body must be a JSON object",
    )
    assert.deepStrictEqual(ApiError.fromFailBody(body, 400), error)
  })

  it("trusts the body's code over HTTP 200, as the hosted service answers some failures", () => {
    const error = ApiError.fromFailBody(
      { status: "fail", error: "Too many concurrent requests", code: 429 },
      200,
    )
    assert.strictEqual(error._tag, "RateLimited")
    const hosted = ApiError.fromFailBody(
      { status: "fail", error: '["Invalid event : Uninstalled"]', code: 400 },
      200,
    )
    assert.strictEqual(hosted._tag, "InvalidRequest")
    assert.strictEqual(hosted.message, '["Invalid event : Uninstalled"]')
  })

  it("falls back to the HTTP status, and to 500 when neither says", () => {
    assert.strictEqual(
      ApiError.fromFailBody({ status: "fail", error: "nope" }, 401)._tag,
      "InvalidCredentials",
    )
    assert.strictEqual(
      ApiError.fromFailBody({ status: "fail", error: "??" }, 200)._tag,
      "InternalError",
    )
    assert.strictEqual(
      ApiError.fromFailBody({ status: "fail", error: "odd", code: 418 }, 418)._tag,
      "InternalError",
    )
  })

  it("serializes errors through their schema", () => {
    const error = new ApiError.UnknownRequestId({ reason: "Unknown or expired req_id 7" })
    const encoded = Schema.encodeSync(ApiError.ApiError)(error)
    assert.deepStrictEqual(encoded, {
      _tag: "UnknownRequestId",
      reason: "Unknown or expired req_id 7",
    })
    assert.deepStrictEqual(Schema.decodeUnknownSync(ApiError.ApiError)(encoded), error)
    assert.isTrue(ApiError.isApiError(error))
    assert.isFalse(ApiError.isApiError(new Error("plain")))
  })
})
