import { assert, describe, it } from "@effect/vitest"
import type * as ApiError from "@trendline/core/ApiError"
import * as Calendar from "@trendline/core/Calendar"
import * as EventCount from "@trendline/core/EventCount"
import * as Limits from "@trendline/core/Limits"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const day = (key: number): Calendar.Day => Option.getOrThrow(Calendar.parseDateKey(key))

const valid = { event_name: "Charged", from: 20161224, to: 20170103 }

const fail = (input: unknown, limits?: Limits.Limits) =>
  Effect.flip(EventCount.decode(input, limits))

const pathsOf = (error: ApiError.InvalidRequest) => error.issues.map((issue) => issue.path)

describe("EventCount.decode", () => {
  it.effect("decodes a request, ignoring trends-only and unknown fields", () =>
    Effect.gen(function* () {
      const request = yield* EventCount.decode({
        ...valid,
        groups: { foo: { trend_type: "hourly" } },
        extra: true,
      })
      assert.deepStrictEqual(request, {
        event_name: "Charged",
        from: day(20161224),
        to: day(20170103),
      })
    }),
  )

  it.effect("rejects a body that is not a JSON object", () =>
    Effect.gen(function* () {
      const error = yield* fail([valid])
      assert.deepStrictEqual(pathsOf(error), [""])
    }),
  )

  it.effect("reports missing fields with the same messages as Trends", () =>
    Effect.gen(function* () {
      const error = yield* fail({})
      const trends = yield* Effect.flip(TrendsRequest.decode({}))
      assert.deepStrictEqual(pathsOf(error), ["event_name", "from", "to"])
      assert.deepStrictEqual(
        [...error.issues],
        trends.issues.filter((issue) => issue.path !== "groups"),
      )
    }),
  )

  it.effect("applies the shared rules on event_name, dates and range together", () =>
    Effect.gen(function* () {
      const error = yield* fail({ event_name: " ", from: 20230230, to: 20230301 })
      assert.deepStrictEqual(pathsOf(error), ["from", "event_name"])
      assert.include(error.issues[0]?.message ?? "", "20230230 is not a real calendar date")
      assert.include(error.issues[1]?.message ?? "", "must not be empty")

      const reversed = yield* fail({ ...valid, from: 20170103, to: 20161224 })
      assert.deepStrictEqual(pathsOf(reversed), ["from"])
    }),
  )

  it.effect("allows maxRangeDays days and rejects one more, with custom limits", () =>
    Effect.gen(function* () {
      yield* EventCount.decode({ ...valid, from: 20240101, to: 20241231 })
      const error = yield* fail({ ...valid, from: 20240101, to: 20250101 })
      assert.include(error.issues[0]?.message ?? "", "covers 367 days")

      const limits = Limits.make({ maxRangeDays: 10, maxEventNameLength: 3 })
      yield* EventCount.decode({ event_name: "abc", from: 20240101, to: 20240110 }, limits)
      const both = yield* fail({ event_name: "abcd", from: 20240101, to: 20240111 }, limits)
      assert.deepStrictEqual(pathsOf(both), ["event_name", "to"])
    }),
  )

  it.effect("round-trips through encode", () =>
    Effect.gen(function* () {
      const request = yield* EventCount.decode(valid)
      assert.deepStrictEqual(EventCount.encode(request), valid)
    }),
  )
})

describe("EventCountResponse", () => {
  const decode = Schema.decodeUnknown(EventCount.EventCountResponse)

  it.effect("decodes success, partial and fail answers", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* decode({ status: "success", count: 42 }), {
        status: "success",
        count: 42,
      })
      assert.deepStrictEqual(yield* decode({ status: "partial", req_id: "384649162721759" }), {
        status: "partial",
        req_id: 384649162721759,
      })
      assert.deepStrictEqual(
        yield* decode({
          status: "fail",
          error: "Too many concurrent requests",
          code: 429,
          count: 1,
        }),
        { status: "fail", error: "Too many concurrent requests", code: 429 },
      )
    }),
  )

  it.effect("rejects a count that is missing, negative, fractional or a trends body", () =>
    Effect.gen(function* () {
      for (const body of [
        { status: "success" },
        { status: "success", count: -1 },
        { status: "success", count: 1.5 },
        { status: "success", count: "42" },
        { status: "success", foo: { "20240101": 1 } },
      ]) {
        yield* Effect.flip(decode(body))
      }
    }),
  )

  it.effect("encodes success as the wire body", () =>
    Effect.gen(function* () {
      const wire = yield* Schema.encode(EventCount.EventCountResponse)({
        status: "success",
        count: 7,
      })
      assert.deepStrictEqual(wire, { status: "success", count: 7 })
    }),
  )
})
