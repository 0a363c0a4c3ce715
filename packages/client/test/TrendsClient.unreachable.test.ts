// The Effect client against servers it cannot reach: a closed port, a host no DNS knows
// (`.invalid` is reserved for that), TLS spoken to a plain-HTTP server, a port fetch
// blocks. No server sees these attempts, so the client's `fetch` counts them. Real time,
// with retries 1 ms apart: the tests count attempts, never how long anything took.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TrendsClient from "../src/TrendsClient.ts"
import * as Fake from "./fakeServer.ts"
import { account, quiet, request, trendsPath } from "./harness.ts"

/** Runs a call that must fail, with a `fetch` that counts its attempts. */
const failureOf = <A, E>(call: Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    let attempts = 0
    const fetch: typeof globalThis.fetch = (input, init) => {
      attempts++
      return globalThis.fetch(input, init)
    }
    return Effect.map(
      Effect.flip(Effect.provideService(call, FetchHttpClient.Fetch, fetch)),
      (error) => ({ error, attempts }),
    )
  })

/** A base URL where nothing listens: a fake server's, once it is closed. */
const closedPort = Effect.promise(async () => {
  const gone = await Fake.start()
  await gone.close()
  return gone.url
})

const clientAt = (baseUrl: string, overrides: Partial<TrendsClient.Config> = {}) =>
  TrendsClient.make({ baseUrl, ...account, ...quiet, retryDelay: "1 millis", ...overrides }).pipe(
    Effect.provide(FetchHttpClient.layer),
    Effect.orDie,
  )

const range = { from: 20240101, to: 20240131 }

describe("TrendsClient against a server it cannot reach", () => {
  it.live("names a refused connection and retries it once, not maxRetries (4) times", () =>
    Effect.gen(function* () {
      const gone = yield* closedPort
      const client = yield* clientAt(gone)
      const { error, attempts } = yield* failureOf(client.trends(request))
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag !== "TransportError") return
      assert.strictEqual(error.kind, "ConnectionRefused")
      assert.strictEqual(
        error.message,
        `Connection refused by ${new URL(gone).host}: no server listens there; is it running, and is the URL right? (POST ${gone}${trendsPath})`,
      )
      assert.strictEqual(attempts, 2)
    }),
  )

  it.live("names a host the DNS does not know and retries it once", () =>
    Effect.gen(function* () {
      const client = yield* clientAt("http://trendline.invalid")
      const { error, attempts } = yield* failureOf(client.trends(request))
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag !== "TransportError") return
      assert.strictEqual(error.kind, "HostNotFound")
      assert.match(error.message, /^Host not found: .*trendline\.invalid \((ENOTFOUND|EAI_\w+)\)/)
      assert.include(error.message, `(POST http://trendline.invalid${trendsPath})`)
      assert.strictEqual(attempts, 2)
    }),
  )

  it.live("does not retry a refused connection when maxRetries is 0", () =>
    Effect.gen(function* () {
      const gone = yield* closedPort
      const client = yield* clientAt(gone, { maxRetries: 0 })
      const { error, attempts } = yield* failureOf(
        client.eventCount({ event_name: "Charged", ...range }),
      )
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag !== "TransportError") return
      assert.strictEqual(error.kind, "ConnectionRefused")
      assert.include(error.message, `(POST ${gone}/1/counts/events.json)`)
      assert.strictEqual(attempts, 1)
    }),
  )

  it.scopedLive("names a TLS failure (https to a plain-HTTP server) and does not retry it", () =>
    Effect.gen(function* () {
      const fake = yield* Fake.make
      const client = yield* clientAt(fake.url.replace(/^http:/, "https:"))
      const { error, attempts } = yield* failureOf(client.trends(request))
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag !== "TransportError") return
      assert.strictEqual(error.kind, "Tls")
      assert.match(error.message, /^TLS failed with 127\.0\.0\.1:\d+: .+\(ERR_\w+\)/)
      assert.strictEqual(attempts, 1)
      assert.strictEqual(fake.requests.length, 0)
    }),
  )

  it.live("names a port fetch refuses (9, discard) and does not retry it", () =>
    Effect.gen(function* () {
      const client = yield* clientAt("http://127.0.0.1:9")
      const { error, attempts } = yield* failureOf(client.trends(request))
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag !== "TransportError") return
      assert.strictEqual(error.kind, "BlockedPort")
      assert.match(error.message, /^Blocked port: fetch refuses to connect to 127\.0\.0\.1:9,/)
      assert.strictEqual(attempts, 1)
    }),
  )

  it.live("retries an upload once after a refused connection, even without idempotent keys", () =>
    Effect.gen(function* () {
      const gone = yield* closedPort
      const client = yield* clientAt(gone, { idempotentUploads: false })
      const record = { type: "event", identity: "ann", ts: 1_704_067_200, evtName: "Charged" }
      const { error, attempts } = yield* failureOf(client.upload([record]))
      assert.strictEqual(error._tag, "UploadIncomplete")
      if (error._tag !== "UploadIncomplete") return
      assert.strictEqual(error.causeTag, "TransportError")
      assert.match(
        error.message,
        /^Upload stopped at record 0 \(0 processed before it\): Connection refused by /,
      )
      assert.strictEqual(attempts, 2)
    }),
  )
})
