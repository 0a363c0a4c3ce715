// The Effect client against a scripted server on loopback. Time is the TestClock's: a test
// waits for the server to see a request, then for the client to be waiting on a timer,
// and moves the clock to that timer. Nothing waits on real time.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TrendsClient from "../src/TrendsClient.ts"
import * as Fake from "./fakeServer.ts"
import {
  account,
  advanceToNextTimer,
  answered,
  assertAuthenticated,
  clientOf,
  configOf,
  progressRecorder,
  reqId,
  request,
  routeOf,
  trendsPath,
} from "./harness.ts"

describe("TrendsClient.trends", () => {
  it.scoped(
    "polls partial, partial, success by req_id, sending the credentials and the request",
    () =>
      Effect.gen(function* () {
        const fake = yield* Fake.make
        fake.reply(Fake.partial(reqId), Fake.partial(reqId), Fake.success(answered))
        const client = yield* clientOf(fake)
        const progress = yield* progressRecorder
        const fiber = yield* Effect.fork(
          client.trends(request, { onProgress: progress.onProgress }),
        )
        yield* Fake.received(fake, 1)
        yield* advanceToNextTimer()
        yield* Fake.received(fake, 2)
        yield* advanceToNextTimer()
        const answer = yield* Fiber.join(fiber)

        assert.deepStrictEqual(fake.requests.map(routeOf), [
          `POST ${trendsPath}`,
          `GET ${trendsPath}?req_id=${reqId}`,
          `GET ${trendsPath}?req_id=${reqId}`,
        ])
        for (const recorded of fake.requests) assertAuthenticated(recorded)
        assert.deepStrictEqual(Fake.jsonOf(fake.requests[0]!), request)
        assert.strictEqual(fake.requests[1]!.body, "")
        assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
        assert.deepStrictEqual(
          answer.groups.days!.buckets.map((bucket) => [bucket.key, bucket.value]),
          [
            ["20240101", 4],
            ["20240102", 0],
            ["20240103", 7],
          ],
        )
        assert.strictEqual(answer.groups.days!.total, 11)
        assert.deepStrictEqual(yield* progress.seen, [
          "Submitting",
          `Pending ${reqId} after 0 polls`,
          `Pending ${reqId} after 1 polls`,
          "Succeeded",
        ])
      }),
  )

  it.scoped("returns an immediate success without polling, missing buckets filled with 0", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.success({ days: { "20240102": 5 } }))
      const client = yield* clientOf(fake)
      const progress = yield* progressRecorder
      const answer = yield* client.trends(request, { onProgress: progress.onProgress })
      assert.strictEqual(fake.requests.length, 1)
      assert.deepStrictEqual(
        answer.groups.days!.buckets.map((bucket) => bucket.value),
        [0, 5, 0],
      )
      assert.deepStrictEqual(yield* progress.seen, ["Submitting", "Succeeded"])
    }),
  )

  it.scoped("fails with InvalidRequest on a fail body sent with HTTP 200, without retrying", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.fail(400, `["Invalid event : Uninstalled"]`, 200))
      const client = yield* clientOf(fake)
      const progress = yield* progressRecorder
      const error = yield* Effect.flip(client.trends(request, { onProgress: progress.onProgress }))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(error.message, `["Invalid event : Uninstalled"]`)
      assert.strictEqual(fake.requests.length, 1)
      assert.deepStrictEqual(yield* progress.seen, ["Submitting", "Failed"])
    }),
  )

  it.scoped("reads the issues of a server's InvalidRequest", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const issue = { path: "groups", message: "has 6 groups but at most 5 are allowed" }
      fake.reply({
        status: 400,
        json: { status: "fail", error: "bad", code: 400, issues: [issue] },
      })
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(client.trends(request))
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") assert.deepStrictEqual(error.issues, [issue])
    }),
  )

  it.scoped("fails with MalformedResponse on a body that is not JSON, without retrying", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ status: 200, text: "<html>maintenance</html>" })
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(client.trends(request))
      assert.strictEqual(error._tag, "MalformedResponse")
      if (error._tag === "MalformedResponse") {
        assert.strictEqual(error.status, 200)
        assert.strictEqual(error.body, "<html>maintenance</html>")
      }
      assert.strictEqual(fake.requests.length, 1)
    }),
  )

  for (const [shape, body] of [
    ["a bucket that is not a number", { status: "success", days: { "20240101": "ten" } }],
    ["a bucket key that is not a date", { status: "success", days: { yesterday: 1 } }],
    ["a partial without req_id", { status: "partial" }],
    ["an unknown status", { status: "done", days: {} }],
    ["an array", [1, 2, 3]],
  ] as const) {
    it.scoped(`fails with MalformedResponse on JSON of the wrong shape: ${shape}`, () =>
      Effect.gen(function* () {
        const fake = yield* Fake.make
        fake.reply({ json: body })
        const client = yield* clientOf(fake)
        const error = yield* Effect.flip(client.trends(request))
        assert.strictEqual(error._tag, "MalformedResponse")
        assert.strictEqual(fake.requests.length, 1)
      }),
    )
  }

  it.scoped("fails with UnknownRequestId when the server no longer knows the req_id", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.partial(99), Fake.fail(404, "Unknown or expired req_id 99"))
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "UnknownRequestId")
      assert.strictEqual(fake.requests.length, 2)
    }),
  )

  it.scoped("fails with PollTimeout and its req_id when the budget runs out; resume finishes", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      // The second poll is still in flight when the budget ends at 2.5 s.
      fake.reply(Fake.partial(reqId), Fake.partial(reqId), { ...Fake.partial(reqId), hold: true })
      const client = yield* clientOf(fake, {
        pollSchedule: Schedule.spaced("1 second"),
        pollBudget: "2500 millis",
      })
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      // A horizon of one second leaves the budget's own timers alone until they are next.
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer("1 second")
      yield* Fake.received(fake, 2)
      yield* advanceToNextTimer("1 second")
      yield* Fake.received(fake, 3)
      yield* advanceToNextTimer("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "PollTimeout")
      if (error._tag !== "PollTimeout") return
      assert.strictEqual(error.reqId, reqId)
      assert.strictEqual(error.polls, 1)
      fake.release()

      fake.reply(Fake.success(answered))
      const answer = yield* client.resume(error.reqId, request)
      assert.deepStrictEqual(fake.requests.map(routeOf).slice(3), [
        `GET ${trendsPath}?req_id=${reqId}`,
      ])
      assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
      assert.strictEqual(answer.groups.days!.total, 11)
    }),
  )

  it.scoped("resumes without the request: the body, and no decoded groups", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.success(answered))
      const client = yield* clientOf(fake)
      const answer = yield* client.resume(7)
      assert.deepStrictEqual<unknown>(answer, {
        body: { status: "success", ...answered },
        groups: {},
      })
      assert.deepStrictEqual(fake.requests.map(routeOf), [`GET ${trendsPath}?req_id=7`])
    }),
  )

  it.scoped("keeps at most maxConcurrent requests in flight", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      for (let n = 0; n < 5; n++) fake.reply({ ...Fake.success(answered), hold: true })
      const client = yield* clientOf(fake, { maxConcurrent: 2 })
      const fiber = yield* Effect.fork(
        Effect.forEach([1, 2, 3, 4, 5], () => client.trends(request), { concurrency: "unbounded" }),
      )
      yield* Fake.received(fake, 2)
      // A few turns of the event loop give a third request the chance to arrive; none does.
      for (let turn = 0; turn < 10; turn++) yield* Fake.eventLoopTurn
      assert.strictEqual(fake.requests.length, 2)
      for (let n = 3; n <= 5; n++) {
        fake.release()
        yield* Fake.received(fake, n)
        assert.strictEqual(fake.requests.length, n)
      }
      fake.release()
      fake.release()
      const answers = yield* Fiber.join(fiber)
      assert.strictEqual(answers.length, 5)
      assert.strictEqual(fake.maxInFlight(), 2)
    }),
  )

  it.scoped("checks the request before sending anything", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(client.trends({ ...request, from: 20230230 }))
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") {
        assert.strictEqual(error.issues[0].path, "from")
        assert.match(error.issues[0].message, /20230230 is not a real calendar date/)
      }
      assert.strictEqual(fake.requests.length, 0)
    }),
  )
})

describe("TrendsClient.eventCount", () => {
  it.scoped("posts to events.json, polls, and returns the count", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.partial(5), { json: { status: "success", count: 42 } })
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(
        client.eventCount({ event_name: "Charged", from: 20240101, to: 20240131 }),
      )
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      assert.strictEqual(yield* Fiber.join(fiber), 42)
      assert.deepStrictEqual(fake.requests.map(routeOf), [
        "POST /1/counts/events.json",
        "GET /1/counts/events.json?req_id=5",
      ])
      assert.deepStrictEqual(Fake.jsonOf(fake.requests[0]!), {
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
      })
    }),
  )

  it.scoped("fails with MalformedResponse on a negative count", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ json: { status: "success", count: -1 } })
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(
        client.eventCount({ event_name: "Charged", from: 20240101, to: 20240131 }),
      )
      assert.strictEqual(error._tag, "MalformedResponse")
    }),
  )
})

describe("TrendsClient.profileCount", () => {
  it.scoped("posts the same request to profiles.json, polls, and returns the count", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.partial(6), { json: { status: "success", count: 7 } })
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(
        client.profileCount({ event_name: "Charged", from: 20240101, to: 20240131 }),
      )
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      assert.strictEqual(yield* Fiber.join(fiber), 7)
      assert.deepStrictEqual(fake.requests.map(routeOf), [
        "POST /1/counts/profiles.json",
        "GET /1/counts/profiles.json?req_id=6",
      ])
      assert.deepStrictEqual(Fake.jsonOf(fake.requests[0]!), {
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
      })
    }),
  )

  it.scoped("sends typed filters as the wire body has them", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ json: { status: "success", count: 3 } })
      const client = yield* clientOf(fake)
      const filters = {
        event_properties: [{ name: "Item", operator: "contains", value: "piz" }],
        common_profile_properties: [{ name: "Plan", operator: "equals", value: ["pro", true] }],
      } as const
      const count = yield* client.profileCount({
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
        ...filters,
      })
      assert.strictEqual(count, 3)
      assert.deepStrictEqual(Fake.jsonOf(fake.requests[0]!), {
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
        ...filters,
      })
    }),
  )

  it.scoped("checks the request before sending it, filters included", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const client = yield* clientOf(fake)
      const bad = yield* Effect.flip(
        client.eventCount({
          event_name: "Charged",
          from: 20240101,
          to: 20240131,
          event_properties: [{ name: "Amount", operator: "greater_than", value: [] }],
        }),
      )
      assert.strictEqual(bad._tag, "InvalidRequest")
      if (bad._tag === "InvalidRequest")
        assert.strictEqual(bad.issues[0].path, "event_properties[0].value")
      const error = yield* Effect.flip(
        client.profileCount({ event_name: "Charged", from: 20240131, to: 20240101 }),
      )
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(fake.requests.length, 0)
    }),
  )
})

describe("TrendsClient.top", () => {
  it.scoped("posts to top.json, polls, and answers each group's values in order", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const answer = {
        status: "success",
        plans: [
          { value: "pro", count: 12 },
          { value: "free", count: 3 },
        ],
      }
      fake.reply(Fake.partial(8), { json: answer })
      const client = yield* clientOf(fake)
      const request = {
        event_name: "Charged",
        from: 20240101,
        to: 20240131,
        groups: { plans: { property_type: "profile_fields", name: "Plan", top_n: 2 } },
      } as const
      const fiber = yield* Effect.fork(client.top(request))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      const top = yield* Fiber.join(fiber)
      assert.deepStrictEqual(top.plans, answer.plans)
      assert.deepStrictEqual(fake.requests.map(routeOf), [
        "POST /1/counts/top.json",
        "GET /1/counts/top.json?req_id=8",
      ])
      assert.deepStrictEqual(Fake.jsonOf(fake.requests[0]!), request)
    }),
  )

  it.scoped("refuses a property type Trendline does not store before sending", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(
        client.top({
          event_name: "Charged",
          from: 20240101,
          to: 20240131,
          groups: { cities: { property_type: "geo_fields", name: "City" } },
        }),
      )
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(fake.requests.length, 0)
    }),
  )
})

describe("TrendsClient.make and layerFetch", () => {
  it.scoped("serves the client as a layer over fetch", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.success(answered))
      const answer = yield* Effect.flatMap(TrendsClient.TrendsClient, (client) =>
        client.trends(request),
      ).pipe(Effect.provide(TrendsClient.layerFetch(configOf(fake))))
      assert.strictEqual(answer.groups.days!.total, 11)
    }),
  )

  for (const [problem, config, message] of [
    ["neither region nor baseUrl", { ...account }, /No region or baseUrl/],
    ["an empty passcode", { region: "eu1", accountId: "acme", passcode: "" }, /passcode/],
    ["an unknown region", { region: "moon1", ...account }, /Unknown region "moon1"/],
  ] as const) {
    it.effect(`fails with ConfigError on ${problem}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          TrendsClient.make(config).pipe(Effect.provide(FetchHttpClient.layer)),
        )
        assert.strictEqual(error._tag, "ConfigError")
        assert.match(error.message, message)
      }),
    )
  }
})
