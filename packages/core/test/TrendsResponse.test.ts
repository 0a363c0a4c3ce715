import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const decode = Schema.decodeUnknown(TrendsResponse.TrendsResponse)
const encode = Schema.encode(TrendsResponse.TrendsResponse)

// Rejections as "path: message" lines, so a test can say where the body went wrong.
const rejection = (input: unknown) =>
  Effect.flip(Schema.decodeUnknown(TrendsResponse.TrendsResponse, { errors: "all" })(input)).pipe(
    Effect.map((error) =>
      ParseResult.ArrayFormatter.formatErrorSync(error).map(
        (issue) => `${issue.path.join(".")}: ${issue.message}`,
      ),
    ),
  )

const seedResponse = {
  status: "success",
  foo: {
    "20161224": 10,
    "20161225": 10,
    "20161226": 10,
    "20161227": 10,
    "20161228": 10,
    "20161229": 10,
    "20161230": 10,
    "20161231": 10,
    "20170101": 10,
    "20170102": 10,
    "20170103": 10,
  },
  bar: { "201652": 80, "201701": 30 },
  foobar: { "201612": 80, "201701": 30 },
}

describe("TrendsSuccess", () => {
  it.effect("decodes the seed's example response into groups", () =>
    Effect.gen(function* () {
      const response = yield* decode(seedResponse)
      assert.deepStrictEqual(response, {
        status: "success",
        groups: { foo: seedResponse.foo, bar: seedResponse.bar, foobar: seedResponse.foobar },
      })
    }),
  )

  it.effect("encodes groups flat beside status, status first", () =>
    Effect.gen(function* () {
      const wire = yield* Schema.encode(TrendsResponse.TrendsSuccess)({
        status: "success",
        groups: { days: { "20240101": 3 }, months: { "202401": 3 } },
      })
      assert.deepStrictEqual<unknown>(wire, {
        status: "success",
        days: { "20240101": 3 },
        months: { "202401": 3 },
      })
      assert.deepStrictEqual(Object.keys(wire), ["status", "days", "months"])
    }),
  )

  it.effect("round-trips through JSON", () =>
    Effect.gen(function* () {
      const response = yield* decode(seedResponse)
      const json = JSON.stringify(yield* encode(response))
      assert.deepStrictEqual(JSON.parse(json), seedResponse)
      assert.deepStrictEqual(yield* decode(JSON.parse(json)), response)
    }),
  )

  it.effect("accepts negative and fractional values (sums) and no groups", () =>
    Effect.gen(function* () {
      const response = yield* decode({ status: "success", amount: { "202401": -12.5 } })
      assert.deepStrictEqual(response, {
        status: "success",
        groups: { amount: { "202401": -12.5 } },
      })
      assert.deepStrictEqual(yield* decode({ status: "success" }), {
        status: "success",
        groups: {},
      })
    }),
  )

  it.effect("refuses to encode a group named status", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Schema.encode(TrendsResponse.TrendsSuccess)({
          status: "success",
          groups: { status: { "20240101": 1 } },
        }),
      )
      assert.include(error.message, `a group named "status" would collide`)
    }),
  )

  it.effect("refuses to encode a value that JSON cannot carry", () =>
    Effect.gen(function* () {
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const result = yield* Effect.either(
          Schema.encode(TrendsResponse.TrendsSuccess)({
            status: "success",
            groups: { days: { "20240101": value } },
          }),
        )
        assert.isTrue(Either.isLeft(result))
      }
    }),
  )

  it.effect("rejects malformed groups and buckets, naming where", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* rejection({ status: "success", count: 5 }), [
        `count: must be an object of bucket key to number, e.g. {"20161224": 10}`,
      ])
      for (const key of ["2016-12-24", "2016Q5", "2016q1", "201612241", "20161224012", "16"])
        assert.deepStrictEqual(yield* rejection({ status: "success", foo: { [key]: 1 } }), [
          `foo.${key}: is not a bucket key: expected YYYYMMDD, YYYYWW, YYYYMM, YYYYMMDDHH, YYYYQn or YYYY`,
        ])
      // Hours, quarters and years decode.
      const decoded = yield* Schema.decodeUnknown(TrendsResponse.TrendsSuccess)({
        status: "success",
        q: { "2016Q4": 3, "2017Q1": 0 },
        y: { "2016": 3 },
        h: { "2016122400": 1, "2016122423": 2 },
      })
      assert.deepStrictEqual(decoded.groups, {
        q: { "2016Q4": 3, "2017Q1": 0 },
        y: { "2016": 3 },
        h: { "2016122400": 1, "2016122423": 2 },
      })
      assert.deepStrictEqual(yield* rejection({ status: "success", foo: { "20161224": "10" } }), [
        "foo.20161224: must be a finite number",
      ])
    }),
  )
})

describe("Partial", () => {
  it.effect("decodes the seed's partial answer and encodes req_id as a number", () =>
    Effect.gen(function* () {
      const wire = { req_id: 384649162721759, status: "partial" }
      const partial = yield* decode(wire)
      assert.deepStrictEqual(partial, { status: "partial", req_id: 384649162721759 })
      assert.deepStrictEqual(yield* encode(partial), { status: "partial", req_id: 384649162721759 })
    }),
  )

  it.effect("accepts req_id as a digit string and keeps it a number", () =>
    Effect.gen(function* () {
      const partial = yield* decode({ status: "partial", req_id: "384649162721759" })
      assert.deepStrictEqual(partial, { status: "partial", req_id: 384649162721759 })
      assert.deepStrictEqual(yield* encode(partial), { status: "partial", req_id: 384649162721759 })
    }),
  )

  it.effect("rejects a req_id that is not a positive safe integer", () =>
    Effect.gen(function* () {
      for (const req_id of [0, "0", -1, 1.5, 2 ** 53, "abc", "-1", "12345678901234567", "", null]) {
        const lines = yield* rejection({ status: "partial", req_id })
        assert.deepStrictEqual(lines, [
          "req_id: must be a positive safe integer (or its digits as a string), e.g. 384649162721759",
        ])
      }
      assert.deepStrictEqual(yield* rejection({ status: "partial" }), ["req_id: is missing"])
    }),
  )
})

describe("TrendsResponse", () => {
  it.effect("decodes a fail body sent with HTTP 200 as fail, and maps it to its error", () =>
    Effect.gen(function* () {
      const body = yield* decode({
        status: "fail",
        error: "Too many concurrent requests",
        code: 429,
      })
      assert.deepStrictEqual(body, {
        status: "fail",
        error: "Too many concurrent requests",
        code: 429,
      })
      if (body.status !== "fail") return assert.fail("expected a fail body")
      assert.instanceOf(ApiError.fromFailBody(body, 200), ApiError.RateLimited)
    }),
  )

  it.effect("decodes fail even with extra fields that look like groups or req_id", () =>
    Effect.gen(function* () {
      const body = yield* decode({
        status: "fail",
        error: '["Invalid event : Uninstalled"]',
        code: 400,
        req_id: 5,
        foo: { "20240101": 1 },
      })
      assert.deepStrictEqual(body, {
        status: "fail",
        error: '["Invalid event : Uninstalled"]',
        code: 400,
      })
    }),
  )

  it.effect("rejects malformed bodies", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* rejection({ status: "fail" }), ["error: is missing"])
      assert.deepStrictEqual(yield* rejection({ status: "fail", error: 3 }), [
        "error: Expected string, actual 3",
      ])
      assert.deepStrictEqual(yield* rejection({ status: "done" }), [
        `status: Expected "success" | "partial" | "fail", actual "done"`,
      ])
      assert.deepStrictEqual(yield* rejection({ foo: {} }), ["status: is missing"])
      for (const input of [null, [], "success", 1]) {
        const lines = yield* rejection(input)
        assert.isAbove(lines.length, 0)
      }
    }),
  )
})
