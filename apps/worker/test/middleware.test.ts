// Reading request bodies: after authentication, within the body's limit as it streams and
// within the app's budget of bytes held at once; answering before the body with
// `Connection: close`; and a client that goes away logged as aborted, not as an error.
import { assert, describe, it } from "@effect/vitest"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { afterEach } from "vitest"
import * as Accounts from "../src/Accounts.ts"
import { makeApp } from "../src/app.ts"
import type { Backend } from "../src/Backend.ts"
import * as InProcess from "../src/InProcess.ts"

const accounts = Either.getOrThrow(
  Accounts.parse(JSON.stringify([{ id: "acme", passcode: "acme-passcode" }])),
)
const credentials = {
  "X-CleverTap-Account-Id": "acme",
  "X-CleverTap-Passcode": "acme-passcode",
}
const json = { ...credentials, "Content-Type": "application/json" }
const record = {
  type: "event",
  identity: "alice",
  ts: Date.UTC(2017, 0, 1) / 1000,
  evtName: "Charged",
}
const query = { event_name: "Charged", from: 20170101, to: 20170101 }

const scopes: Array<Scope.CloseableScope> = []
afterEach(async () => {
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

interface Setup {
  readonly maxBodyBytes?: number
  readonly maxBodyBytesInFlight?: number
  readonly backend?: (backend: Backend) => Backend
}

const setup = async ({ maxBodyBytes, maxBodyBytesInFlight, backend = (b) => b }: Setup = {}) => {
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const inProcess = await Effect.runPromise(
    InProcess.make(accounts, AccountApi.defaultOptions).pipe(
      Effect.provide(EventStore.layerMemory),
      Scope.extend(scope),
    ),
  )
  const lines: Array<Record<string, unknown>> = []
  const app = makeApp({
    accounts,
    backend: backend(inProcess),
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    ...(maxBodyBytesInFlight === undefined ? {} : { maxBodyBytesInFlight }),
    log: (line) => lines.push(line),
  })
  return { app, lines }
}

const encoder = new TextEncoder()

/** A body sent in chunks, `pulled` counting the chunks read so far; `hold` keeps the rest back. */
const chunked = (chunks: ReadonlyArray<string>, hold?: Promise<void>) => {
  let sent = 0
  let firstPull: () => void = () => {}
  const pulledOnce = new Promise<void>((resolve) => {
    firstPull = resolve
  })
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        firstPull()
        if (hold !== undefined) await hold
        const chunk = chunks[sent]
        if (chunk === undefined) return controller.close()
        sent++
        controller.enqueue(encoder.encode(chunk))
      },
    },
    // Nothing is pulled before the app reads.
    { highWaterMark: 0 },
  )
  return { stream, pulledOnce, pulled: () => sent }
}

const upload = (records: number) =>
  JSON.stringify({ d: Array.from({ length: records }, () => record) })

describe("reading request bodies", () => {
  it("counts a body sent in chunks as it arrives: 413 with Connection: close once past the limit, the rest unread", async () => {
    const { app } = await setup({ maxBodyBytes: 4096 })
    const body = chunked(Array.from({ length: 100 }, () => " ".repeat(1000)))
    const response = await app.request("/1/upload", {
      method: "POST",
      headers: json,
      body: body.stream,
      duplex: "half",
    } as RequestInit)
    assert.strictEqual(response.status, 413)
    assert.strictEqual(response.headers.get("Connection"), "close")
    assert.strictEqual(
      ((await response.json()) as { error: string }).error,
      "Request body exceeds 4096 bytes: send fewer records per call",
    )
    assert.isBelow(body.pulled(), 10, "the body stops being read at its limit")

    // Within the limit, the same chunks are one body.
    const within = chunked(['{"d": [', JSON.stringify(record), "]}"])
    const stored = await app.request("/1/upload", {
      method: "POST",
      headers: json,
      body: within.stream,
      duplex: "half",
    } as RequestInit)
    assert.deepStrictEqual(await stored.json(), {
      status: "success",
      processed: 1,
      unprocessed: [],
    })
  })

  it("refuses a body the budget of bytes held at once cannot take with 503, Retry-After and Connection: close, before reading it", async () => {
    const { app } = await setup({ maxBodyBytes: 4096, maxBodyBytesInFlight: 6000 })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = upload(50)
    assert.isTrue(first.length > 3000 && first.length < 4096, String(first.length))
    const slow = chunked([first], held)
    const inFlight = app.request("/1/upload", {
      method: "POST",
      headers: { ...json, "Content-Length": String(first.length) },
      body: slow.stream,
      duplex: "half",
    } as RequestInit)
    // The first body's bytes are reserved before it is read.
    await slow.pulledOnce

    const second = upload(50)
    const refusedBody = chunked([second])
    const refused = await app.request("/1/upload", {
      method: "POST",
      headers: { ...json, "Content-Length": String(second.length) },
      body: refusedBody.stream,
      duplex: "half",
    } as RequestInit)
    assert.strictEqual(refused.status, 503)
    assert.strictEqual(refused.headers.get("Retry-After"), "1")
    assert.strictEqual(refused.headers.get("Connection"), "close")
    const failure = (await refused.json()) as { code: number; error: string }
    assert.strictEqual(failure.code, 503)
    assert.match(failure.error, /request bodies .* \(6000 bytes\); retry in a second$/)
    assert.strictEqual(refusedBody.pulled(), 0, "the refused body is not read")

    release()
    assert.deepStrictEqual(await (await inFlight).json(), {
      status: "success",
      processed: 50,
      unprocessed: [],
    })
    // Answered, the first body gives its bytes back.
    const after = await app.request("/1/upload", { method: "POST", headers: json, body: second })
    assert.strictEqual(after.status, 200)
  })

  it("authenticates before reading, and closes the connection of an answer that leaves a body unread", async () => {
    const { app } = await setup()
    const body = chunked([upload(1)])
    const unauthenticated = await app.request("/1/upload", {
      method: "POST",
      headers: { ...json, "X-CleverTap-Passcode": "wrong-passcode" },
      body: body.stream,
      duplex: "half",
    } as RequestInit)
    assert.strictEqual(unauthenticated.status, 401)
    assert.strictEqual(unauthenticated.headers.get("Connection"), "close")
    assert.strictEqual(body.pulled(), 0, "a wrong passcode's body is not read")

    const missing = await app.request("/1/upload", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: upload(1),
    })
    assert.strictEqual(missing.status, 401)
    assert.strictEqual(missing.headers.get("Connection"), "close")

    const wrongType = await app.request("/1/counts/events.json", {
      method: "POST",
      headers: { ...credentials, "Content-Type": "text/plain" },
      body: JSON.stringify(query),
    })
    assert.strictEqual(wrongType.status, 415)
    assert.strictEqual(wrongType.headers.get("Connection"), "close")

    const tooLarge = await app.request("/1/upload", {
      method: "POST",
      headers: json,
      body: "x".repeat(11 * 1024 * 1024),
    })
    assert.strictEqual(tooLarge.status, 413)
    assert.strictEqual(tooLarge.headers.get("Connection"), "close")

    // Without a body there is nothing left unread: the connection stays open.
    const poll = await app.request("/1/counts/events.json?req_id=1", {
      headers: { "X-CleverTap-Account-Id": "acme", "X-CleverTap-Passcode": "wrong-passcode" },
    })
    assert.strictEqual(poll.status, 401)
    assert.isNull(poll.headers.get("Connection"))
    // A body read in full and refused leaves nothing either.
    const invalid = await app.request("/1/counts/events.json", {
      method: "POST",
      headers: json,
      body: "{",
    })
    assert.strictEqual(invalid.status, 400)
    assert.isNull(invalid.headers.get("Connection"))
  })

  it("logs a request whose client went away as 499 and aborted, not as an error", async () => {
    let entered: () => void = () => {}
    const inBackend = new Promise<void>((resolve) => {
      entered = resolve
    })
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const { app, lines } = await setup({
      backend: (inner) => (account) => ({
        ...inner(account),
        eventCount: async (body) => {
          entered()
          await released
          return inner(account).eventCount(body)
        },
      }),
    })

    // The connection breaks while the body arrives.
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"d": ['))
      },
      pull(controller) {
        controller.error(new Error("aborted"))
      },
    })
    const midBody = await app.request("/1/upload", {
      method: "POST",
      headers: json,
      body: broken,
      duplex: "half",
    } as RequestInit)
    assert.strictEqual(midBody.status, 499)

    // The client leaves while its query runs.
    const client = new AbortController()
    const pending = app.request("/1/counts/events.json", {
      method: "POST",
      headers: json,
      body: JSON.stringify(query),
      signal: client.signal,
    })
    await inBackend
    client.abort()
    release()
    await pending

    assert.deepStrictEqual(
      lines.map(({ path, status, aborted, level }) => ({ path, status, aborted, level })),
      [
        { path: "/1/upload", status: 499, aborted: true, level: undefined },
        { path: "/1/counts/events.json", status: 499, aborted: true, level: undefined },
      ],
    )
  })
})
