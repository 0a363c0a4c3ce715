// The Effect client's uploads against a scripted server on loopback. Time is the TestClock's: a test
// waits for the server to see a request, then for the client to be waiting on a timer,
// and moves the clock to that timer. Nothing waits on real time.
import { assert, describe, it } from "@effect/vitest"
import * as Idempotency from "@trendline/core/Idempotency"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Fake from "./fakeServer.ts"
import { advanceToNextTimer, assertAuthenticated, clientOf, routeOf } from "./harness.ts"

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
