// The Effect client against a scripted server on loopback. Time is the TestClock's: a test
// waits for the server to see a request, then for the client to be waiting on a timer,
// and moves the clock to that timer. Nothing waits on real time.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Idempotency from "@trendline/core/Idempotency"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as TrendsClient from "../src/TrendsClient.ts"
import * as Fake from "./fakeServer.ts"

const account = { accountId: "acme", passcode: "acme-passcode" }

// Far beyond any delay a test moves the clock to, so only poll and retry waits qualify.
const quiet = { requestTimeout: "1 hour", pollBudget: "1 day" } as const

const configOf = (
  fake: Fake.FakeServer,
  overrides: Partial<TrendsClient.Config> = {},
): TrendsClient.Config => ({ baseUrl: fake.url, ...account, ...quiet, ...overrides })

const clientOf = (fake: Fake.FakeServer, overrides: Partial<TrendsClient.Config> = {}) =>
  TrendsClient.make(configOf(fake, overrides)).pipe(
    Effect.provide(FetchHttpClient.layer),
    Effect.orDie,
  )

/**
 * Waits until the client sleeps on a TestClock timer due within `horizon` (turning the event
 * loop meanwhile, so I/O goes on), then moves the clock exactly to that timer.
 */
const advanceToNextTimer = (horizon: Duration.DurationInput = "1 minute") =>
  Effect.gen(function* () {
    const limit = Duration.toMillis(horizon)
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const due = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter(
        (at) => at > now && at - now <= limit,
      )
      if (due.length > 0) return yield* TestClock.adjust(Math.min(...due) - now)
      yield* Fake.eventLoopTurn
    }
  })

const request = {
  event_name: "Charged",
  from: 20240101,
  to: 20240103,
  groups: { days: { trend_type: "daily" } },
}
const trendsPath = "/1/counts/trends.json"
const reqId = 384649162721759
const answered = { days: { "20240101": 4, "20240102": 0, "20240103": 7 } }

const assertAuthenticated = (recorded: Fake.Recorded) => {
  assert.strictEqual(recorded.headers["x-clevertap-account-id"], "acme")
  assert.strictEqual(recorded.headers["x-clevertap-passcode"], "acme-passcode")
  assert.strictEqual(recorded.headers["content-type"], "application/json")
}

const summary = (state: TrendsClient.Progress): string =>
  state._tag === "Pending" ? `Pending ${state.reqId} after ${state.polls} polls` : state._tag

const progressRecorder = Effect.map(Ref.make<ReadonlyArray<string>>([]), (seen) => ({
  seen: Ref.get(seen),
  onProgress: (state: TrendsClient.Progress) =>
    Ref.update(seen, (states) => [...states, summary(state)]),
}))

const routeOf = (recorded: Fake.Recorded) =>
  `${recorded.method} ${recorded.path}${recorded.query.req_id === undefined ? "" : `?req_id=${recorded.query.req_id}`}`

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
        assert.deepStrictEqual(answer.body, { status: "success", ...answered })
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

  it.scoped("retries a burst of 429 with back-off, then succeeds", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const tooMany = Fake.fail(429, "Too many concurrent requests")
      fake.reply(tooMany, tooMany, tooMany, Fake.success(answered))
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(client.trends(request))
      for (let n = 1; n <= 3; n++) {
        yield* Fake.received(fake, n)
        yield* advanceToNextTimer()
      }
      const answer = yield* Fiber.join(fiber)
      assert.deepStrictEqual(answer.body, { status: "success", ...answered })
      assert.deepStrictEqual(fake.requests.map(routeOf), Array(4).fill(`POST ${trendsPath}`))
    }),
  )

  it.scoped("fails with RateLimited when 429 outlasts maxRetries", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const tooMany = Fake.fail(429, "Too many concurrent requests")
      fake.reply(tooMany, tooMany, tooMany)
      const client = yield* clientOf(fake, { maxRetries: 2 })
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      for (let n = 1; n <= 2; n++) {
        yield* Fake.received(fake, n)
        yield* advanceToNextTimer()
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error.message, "Too many concurrent requests")
      assert.strictEqual(fake.requests.length, 3)
    }),
  )

  it.scoped("retries a 500 answer to the submit, then succeeds", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.fail(500, "Internal error"), Fake.success(answered))
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(client.trends(request))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      const answer = yield* Fiber.join(fiber)
      assert.deepStrictEqual(answer.body, { status: "success", ...answered })
      assert.deepStrictEqual(fake.requests.map(routeOf), [
        `POST ${trendsPath}`,
        `POST ${trendsPath}`,
      ])
    }),
  )

  it.scoped("retries a 503 answer to a poll and polls the same req_id again", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.partial(12), Fake.fail(503, "Try later"), Fake.success(answered))
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(client.trends(request))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      yield* Fake.received(fake, 2)
      yield* advanceToNextTimer()
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(fake.requests.map(routeOf), [
        `POST ${trendsPath}`,
        `GET ${trendsPath}?req_id=12`,
        `GET ${trendsPath}?req_id=12`,
      ])
    }),
  )

  it.scoped("retries a proxy's HTML 502 page, then fails with InternalError", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const page: Fake.Reply = { status: 502, text: "<html><h1>502 Bad Gateway</h1></html>" }
      fake.reply(page, page)
      const client = yield* clientOf(fake, { maxRetries: 1 })
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "InternalError")
      assert.match(error.message, /^HTTP 502: <html><h1>502 Bad Gateway/)
      assert.strictEqual(fake.requests.length, 2)
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

  it.scoped("fails with TransportError when no answer comes within requestTimeout", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ ...Fake.success(answered), hold: true })
      const client = yield* clientOf(fake, { requestTimeout: "5 seconds", maxRetries: 0 })
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer()
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error.message, "No answer within 5s")
      assert.strictEqual(fake.requests.length, 1)
    }),
  )

  it.scoped("retries a read that timed out", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ ...Fake.success(answered), hold: true }, Fake.success(answered))
      const client = yield* clientOf(fake, { requestTimeout: "5 seconds", maxRetries: 1 })
      const fiber = yield* Effect.fork(client.trends(request))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer() // the timeout
      yield* advanceToNextTimer() // the back-off
      const answer = yield* Fiber.join(fiber)
      assert.deepStrictEqual(answer.body, { status: "success", ...answered })
      assert.strictEqual(fake.requests.length, 2)
    }),
  )

  it.scoped("fails with TransportError when nothing listens at the base URL", () =>
    Effect.gen(function* () {
      const gone = yield* Effect.promise(Fake.start)
      yield* Effect.promise(gone.close)
      const client = yield* clientOf(gone, { maxRetries: 0 })
      const error = yield* Effect.flip(client.trends(request))
      assert.strictEqual(error._tag, "TransportError")
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
      assert.deepStrictEqual(answer.body, { status: "success", ...answered })
      assert.strictEqual(answer.groups.days!.total, 11)
    }),
  )

  it.scoped("resumes without the request: the body, and no decoded groups", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.success(answered))
      const client = yield* clientOf(fake)
      const answer = yield* client.resume(7)
      assert.deepStrictEqual(answer, { body: { status: "success", ...answered }, groups: {} })
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

const records = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: "event",
    identity: `user-${i}`,
    ts: 1_700_000_000 + i,
    evtName: "Charged",
    evtData: { Amount: i },
  }))

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The request's `Idempotency-Key` header; fails the test when it is missing. */
const keyOf = (recorded: Fake.Recorded): string => {
  const key = recorded.headers[Idempotency.header.toLowerCase()]
  assert.isString(key, `${routeOf(recorded)} has no ${Idempotency.header} header`)
  return key as string
}

const uploaded = (processed: number, unprocessed: ReadonlyArray<object> = []): Fake.Reply => ({
  json: { status: "success", processed, unprocessed },
})

describe("TrendsClient.upload", () => {
  it.scoped(
    "sends 2500 records in batches of 1000, 1000 and 500; unprocessed indexes are yours",
    () =>
      Effect.gen(function* () {
        const fake = yield* Fake.make
        const all = records(2500)
        const refused = (index: number) => ({ index, record: {}, code: 523, error: "no identity" })
        fake.reply(uploaded(1000), uploaded(999, [refused(5)]), uploaded(499, [refused(0)]))
        const client = yield* clientOf(fake)
        const result = yield* client.upload(all)

        assert.deepStrictEqual(fake.requests.map(routeOf), Array(3).fill("POST /1/upload"))
        for (const recorded of fake.requests) assertAuthenticated(recorded)
        const batches = fake.requests.map((recorded) => (Fake.jsonOf(recorded) as { d: unknown }).d)
        assert.deepStrictEqual(batches, [
          all.slice(0, 1000),
          all.slice(1000, 2000),
          all.slice(2000),
        ])
        assert.strictEqual(result.processed, 2498)
        assert.deepStrictEqual(
          result.unprocessed.map((entry) => entry.index),
          [1005, 2000],
        )
      }),
  )

  it.scoped("sends every batch with its own well-formed Idempotency-Key", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(uploaded(1000), uploaded(1000), uploaded(500))
      const client = yield* clientOf(fake)
      yield* client.upload(records(2500))
      const keys = fake.requests.map(keyOf)
      for (const key of keys) {
        assert.match(key, uuid)
        assert.deepStrictEqual(Idempotency.decodeKey(key), Either.right(key))
      }
      assert.strictEqual(new Set(keys).size, 3)
    }),
  )

  it.scoped("retries a batch answered 503 with the same key and body, then goes on", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(
        uploaded(998, [
          { index: 3, record: {}, code: 523, error: "no identity" },
          { index: 4, record: {}, code: 523, error: "no identity" },
        ]),
        Fake.fail(503, "Service unavailable"),
        uploaded(1000),
        uploaded(500),
      )
      const client = yield* clientOf(fake)
      const fiber = yield* Effect.fork(client.upload(records(2500)))
      yield* Fake.received(fake, 2)
      yield* advanceToNextTimer()
      const result = yield* Fiber.join(fiber)

      assert.strictEqual(result.processed, 2498)
      assert.deepStrictEqual(
        result.unprocessed.map((entry) => entry.index),
        [3, 4],
      )
      assert.strictEqual(fake.requests.length, 4)
      const [first, failed, retried, last] = fake.requests.map(keyOf)
      assert.strictEqual(retried, failed)
      assert.strictEqual(new Set([first, failed, last]).size, 3)
      assert.strictEqual(fake.requests[2]!.body, fake.requests[1]!.body)
    }),
  )

  it.scoped("retries a batch whose answer did not come within requestTimeout, same key", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ ...uploaded(3), hold: true }, uploaded(3))
      const client = yield* clientOf(fake, { requestTimeout: "5 seconds" })
      const fiber = yield* Effect.fork(client.upload(records(3)))
      yield* Fake.received(fake, 1)
      yield* advanceToNextTimer() // the timeout
      yield* advanceToNextTimer() // the back-off
      assert.deepStrictEqual(yield* Fiber.join(fiber), { processed: 3, unprocessed: [] })
      assert.strictEqual(fake.requests.length, 2)
      assert.strictEqual(keyOf(fake.requests[1]!), keyOf(fake.requests[0]!))
      assert.strictEqual(fake.requests[1]!.body, fake.requests[0]!.body)
    }),
  )

  for (const [refusal, reply] of [
    ["whose connection dropped without an answer", { drop: true }],
    ["refused with 429", Fake.fail(429, "Too many concurrent requests")],
  ] as const) {
    it.scoped(`retries a batch ${refusal} with the same key`, () =>
      Effect.gen(function* () {
        const fake = yield* Fake.make
        fake.reply(reply, uploaded(3))
        const client = yield* clientOf(fake)
        const fiber = yield* Effect.fork(client.upload(records(3)))
        yield* Fake.received(fake, 1)
        yield* advanceToNextTimer()
        assert.deepStrictEqual(yield* Fiber.join(fiber), { processed: 3, unprocessed: [] })
        assert.strictEqual(fake.requests.length, 2)
        assert.strictEqual(keyOf(fake.requests[1]!), keyOf(fake.requests[0]!))
      }),
    )
  }

  it.scoped("stops at maxRetries with UploadIncomplete, every attempt under one key", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(
        uploaded(1000),
        Fake.fail(503, "Service unavailable"),
        { drop: true },
        Fake.fail(500, "Internal error"),
      )
      const client = yield* clientOf(fake, { maxRetries: 2 })
      const fiber = yield* Effect.fork(Effect.flip(client.upload(records(2500))))
      for (let n = 2; n <= 3; n++) {
        yield* Fake.received(fake, n)
        yield* advanceToNextTimer()
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "UploadIncomplete")
      if (error._tag !== "UploadIncomplete") return
      assert.strictEqual(error.failedAt, 1000)
      assert.strictEqual(error.processed, 1000)
      assert.strictEqual(error.causeTag, "InternalError")
      assert.strictEqual(error.reason, "Internal error")
      assert.strictEqual(fake.requests.length, 4)
      const keys = fake.requests.map(keyOf)
      assert.deepStrictEqual(keys.slice(2), [keys[1], keys[1]])
      assert.notStrictEqual(keys[1], keys[0])
    }),
  )

  it.scoped("stops at a 409 Conflict on the key without retrying, and says where", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const reused = "Idempotency-Key was already used for an upload with a different body"
      fake.reply(uploaded(1000), Fake.fail(409, reused))
      const client = yield* clientOf(fake)
      // No clock moves here: a retry would wait on the TestClock forever.
      const error = yield* Effect.flip(client.upload(records(2500)))
      assert.strictEqual(error._tag, "UploadIncomplete")
      if (error._tag !== "UploadIncomplete") return
      assert.strictEqual(error.causeTag, "Conflict")
      assert.strictEqual(error.reason, reused)
      assert.strictEqual(error.failedAt, 1000)
      assert.strictEqual(error.processed, 1000)
      assert.strictEqual(fake.requests.length, 2)
    }),
  )

  it.scoped("does not retry a 503 upload to a server that does not honour keys", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply(Fake.fail(503, "Service unavailable"), uploaded(10))
      const client = yield* clientOf(fake, { idempotentUploads: false })
      const error = yield* Effect.flip(client.upload(records(10)))
      assert.strictEqual(error._tag, "UploadIncomplete")
      assert.strictEqual(fake.requests.length, 1)
    }),
  )

  it.scoped("fails with UploadIncomplete at record 0 on a malformed answer", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ json: { status: "success" } })
      const client = yield* clientOf(fake)
      const error = yield* Effect.flip(client.upload(records(10)))
      assert.strictEqual(error._tag, "UploadIncomplete")
      if (error._tag === "UploadIncomplete") {
        assert.strictEqual(error.failedAt, 0)
        assert.strictEqual(error.processed, 0)
      }
    }),
  )

  it.scoped("sends nothing for no records", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const client = yield* clientOf(fake)
      assert.deepStrictEqual(yield* client.upload([]), { processed: 0, unprocessed: [] })
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
