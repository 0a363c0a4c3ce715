import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as QueryJob from "@trendline/core/QueryJob"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

const groups = { days: { "20240101": 4, "20240102": 0 }, months: { "202401": 4 } }
const extras = {
  groups: {
    days: { total: 4 },
    months: {
      total: 4,
      buckets: {
        "202401": {
          first: "2024-01-01T00:00:00+00:00",
          last: "2024-01-02T23:59:59+00:00",
          complete: true,
          days: 2,
          whole_days: 31,
        },
      },
    },
  },
}

describe("WireAnswer", () => {
  it("answers a read's result as success, a pending one as partial with its req_id", () => {
    assert.deepStrictEqual(
      WireAnswer.read("trends", QueryJob.Reply.Completed({ result: { groups } })),
      { status: 200, body: { status: "success", ...groups } },
    )
    // The extensions, when asked for, last under `trendline`.
    const extended = WireAnswer.read(
      "trends",
      QueryJob.Reply.Completed({ result: { groups, extras } }),
    )
    assert.deepStrictEqual(extended, {
      status: 200,
      body: { status: "success", ...groups, trendline: extras },
    })
    assert.deepStrictEqual(Object.keys(extended.body), ["status", "days", "months", "trendline"])
    assert.deepStrictEqual(WireAnswer.read("events", QueryJob.Reply.Completed({ result: 7 })), {
      status: 200,
      body: { status: "success", count: 7 },
    })
    assert.deepStrictEqual(
      WireAnswer.read("events", QueryJob.Reply.Pending({ reqId: 384649162721759 })),
      { status: 200, body: { status: "partial", req_id: 384649162721759 } },
    )
  })

  it.effect("answers an error with its status and fail body", () =>
    Effect.gen(function* () {
      const error = new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })
      assert.deepStrictEqual(yield* WireAnswer.answer(Effect.fail(error), WireAnswer.upload), {
        status: 429,
        body: ApiError.toFailBody(error),
      })
    }),
  )

  it("reads a wire answer back into the result or the error it was", () => {
    for (const [endpoint, result] of [
      ["trends", { groups }],
      ["trends", { groups, extras }],
      ["events", 7],
    ] as const) {
      const wire = WireAnswer.read(endpoint, QueryJob.Reply.Completed({ result }))
      assert.deepStrictEqual(WireAnswer.decodeRead(endpoint, wire), Either.right(result))
    }
    const error = new ApiError.ServiceUnavailable({ reason: "The event store is unavailable" })
    assert.deepStrictEqual(
      WireAnswer.decodeRead("events", WireAnswer.failure(error)),
      Either.left(error),
    )
    // Not an answer of this endpoint, or not an answer at all.
    assert.isUndefined(
      WireAnswer.decodeRead("events", { status: 200, body: { status: "success", ...groups } }),
    )
    assert.isUndefined(
      WireAnswer.decodeRead("trends", { status: 200, body: { status: "partial" } }),
    )
  })
})
