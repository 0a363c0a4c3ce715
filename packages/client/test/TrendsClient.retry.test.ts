// The Effect client's retries, and its transport failures. On the scripted server, Time is the TestClock's: a test
// waits for the server to see a request, then for the client to be waiting on a timer,
// and moves the clock to that timer. Nothing waits on real time.
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Fake from "./fakeServer.ts"
import { advanceToNextTimer, answered, clientOf, request, routeOf, trendsPath } from "./harness.ts"

describe("TrendsClient retries", () => {
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
      assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
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
      assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
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
      if (error._tag === "TransportError") assert.strictEqual(error.kind, "Timeout")
      const host = new URL(fake.url).host
      assert.strictEqual(
        error.message,
        `Timed out: no answer from ${host} within 5s (POST ${fake.url}${trendsPath})`,
      )
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
      assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
      assert.strictEqual(fake.requests.length, 2)
    }),
  )

  it.scoped("retries a dropped connection up to maxRetries, and says the connection was lost", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      fake.reply({ drop: true }, { drop: true }, { drop: true })
      const client = yield* clientOf(fake, { maxRetries: 2 })
      const fiber = yield* Effect.fork(Effect.flip(client.trends(request)))
      for (let n = 1; n <= 2; n++) {
        yield* Fake.received(fake, n)
        yield* advanceToNextTimer()
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag === "TransportError") assert.strictEqual(error.kind, "ConnectionLost")
      assert.match(error.message, /^Connection lost: 127\.0\.0\.1:\d+ closed the connection/)
      assert.include(error.message, `(POST ${fake.url}${trendsPath})`)
      assert.strictEqual(fake.requests.length, 3)
    }),
  )
})
