// The Promise facade against the scripted server, on real time: polls are spaced by a few
// milliseconds, and no assertion depends on how long anything took.
import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as Schedule from "effect/Schedule"
import {
  ConfigError,
  createClient,
  PollTimeout,
  type TrendsRequest,
  UploadIncomplete,
} from "../src/index.ts"
import * as Fake from "./fakeServer.ts"
import * as PromiseClients from "./promiseClients.ts"

const request = {
  event_name: "Charged",
  from: 20240101,
  to: 20240102,
  groups: { days: { trend_type: "daily" } },
} satisfies TrendsRequest
const answered = { days: { "20240101": 3, "20240102": 4 } }

const scripted = PromiseClients.setup({ pollSchedule: Schedule.spaced("5 millis") })
const clientOf = scripted.clientOf

/** The rejection of a promise that must reject. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  )

describe("createClient", () => {
  for (const [problem, options, message] of [
    ["neither region nor baseUrl", {}, /^No region or baseUrl/],
    ["both region and baseUrl", { region: "eu1", baseUrl: "http://127.0.0.1:1" }, /not both/],
    ["an unknown region", { region: "eu" }, /^Unknown region "eu"/],
    ["an empty account id", { region: "eu1", accountId: "" }, /accountId and passcode/],
  ] as const) {
    it(`throws a ConfigError at once on ${problem}`, () => {
      let thrown: unknown
      try {
        createClient({ accountId: "acme", passcode: "acme-passcode", ...options })
      } catch (error) {
        thrown = error
      }
      assert.instanceOf(thrown, ConfigError)
      assert.instanceOf(thrown, Error)
      assert.strictEqual((thrown as ConfigError)._tag, "ConfigError")
      assert.match((thrown as ConfigError).message, message)
    })
  }

  it("resolves trends to the wire body and the decoded groups, after polling", async () => {
    scripted.fake.reply(Fake.partial(21), Fake.partial(21), Fake.success(answered))
    const states: Array<string> = []
    const answer = await clientOf().trends(request, {
      onProgress: (state) => states.push(state._tag),
    })
    assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
    assert.deepStrictEqual(
      answer.groups.days!.buckets.map((bucket) => bucket.value),
      [3, 4],
    )
    assert.strictEqual(answer.groups.days!.total, 7)
    assert.deepStrictEqual(states, ["Submitting", "Pending", "Pending", "Succeeded"])
    assert.deepStrictEqual(
      scripted.fake.requests.map((recorded) => `${recorded.method} ${recorded.query.req_id ?? ""}`),
      ["POST ", "GET 21", "GET 21"],
    )
  })

  it("rejects a fail answer with an Error whose _tag names it", async () => {
    scripted.fake.reply(Fake.fail(400, `["Invalid event : Uninstalled"]`, 200))
    const error = await rejection(clientOf().trends(request))
    assert.instanceOf(error, Error)
    assert.instanceOf(error, ApiError.InvalidRequest)
    assert.strictEqual((error as ApiError.InvalidRequest)._tag, "InvalidRequest")
    assert.strictEqual((error as Error).message, `["Invalid event : Uninstalled"]`)
  })

  it("rejects an invalid request before sending it", async () => {
    const error = await rejection(clientOf().trends({ ...request, groups: {} }))
    assert.instanceOf(error, Error)
    assert.strictEqual((error as ApiError.InvalidRequest)._tag, "InvalidRequest")
    assert.strictEqual(scripted.fake.requests.length, 0)
  })

  it("rejects with PollTimeout and its req_id when pollBudgetMs runs out", async () => {
    // Polls an hour apart: the budget ends first. A last poll at the deadline may or may
    // not reach the server; either way it finds the query still running.
    scripted.fake.reply(Fake.partial(33), Fake.partial(33))
    const client = clientOf({ pollSchedule: Schedule.spaced("1 hour") })
    const error = await rejection(client.trends(request, { pollBudgetMs: 20 }))
    assert.instanceOf(error, Error)
    assert.instanceOf(error, PollTimeout)
    assert.strictEqual(error._tag, "PollTimeout")
    assert.strictEqual(error.reqId, 33)
  })

  it("resumes a query by its req_id", async () => {
    scripted.fake.reply(Fake.partial(33), Fake.success(answered))
    const answer = await clientOf().resume(33, request)
    assert.strictEqual(answer.groups.days!.total, 7)
    assert.deepStrictEqual(
      scripted.fake.requests.map((recorded) => recorded.query.req_id),
      ["33", "33"],
    )
  })

  it("resolves eventCount to the count and upload to its result", async () => {
    scripted.fake.reply(
      { json: { status: "success", count: 12 } },
      { json: { status: "success", processed: 1, unprocessed: [] } },
    )
    const client = clientOf()
    assert.strictEqual(
      await client.eventCount({ event_name: "Charged", from: 20240101, to: 20240102 }),
      12,
    )
    const record = { type: "event", identity: "u1", ts: 1_704_067_200, evtName: "Charged" }
    assert.deepStrictEqual(await client.upload([record]), { processed: 1, unprocessed: [] })
    assert.deepStrictEqual(Fake.jsonOf(scripted.fake.requests[1]!), { d: [record] })
  })

  it("retries an upload under one Idempotency-Key, then rejects with UploadIncomplete", async () => {
    scripted.fake.reply(
      Fake.fail(503, "Service unavailable"),
      Fake.fail(503, "Service unavailable"),
    )
    const client = clientOf({ maxRetries: 1, retryDelay: "1 millis" })
    const error = await rejection(client.upload([{ type: "event" }]))
    assert.instanceOf(error, Error)
    assert.instanceOf(error, UploadIncomplete)
    assert.strictEqual(error._tag, "UploadIncomplete")
    assert.strictEqual(error.failedAt, 0)
    assert.strictEqual(error.causeTag, "ServiceUnavailable")
    const [first, retry] = scripted.fake.requests.map(
      (recorded) => recorded.headers["idempotency-key"],
    )
    assert.isString(first)
    assert.strictEqual(retry, first)
  })

  it("stops waiting for the next poll at once when aborted", async () => {
    scripted.fake.reply(Fake.partial(44))
    const client = clientOf({ pollSchedule: Schedule.spaced("1 hour") })
    const controller = new AbortController()
    const pending = rejection(client.trends(request, { signal: controller.signal }))
    await scripted.fake.received(1)
    controller.abort()
    const error = await pending
    assert.strictEqual(error, controller.signal.reason)
    assert.strictEqual((error as Error).name, "AbortError")
    assert.strictEqual(scripted.fake.requests.length, 1)
  })

  it("abandons a poll in flight when aborted, and polls no more", async () => {
    scripted.fake.reply(Fake.partial(45), { ...Fake.partial(45), hold: true }, Fake.partial(45))
    const client = clientOf()
    const controller = new AbortController()
    const pending = rejection(client.trends(request, { signal: controller.signal }))
    await scripted.fake.received(2)
    controller.abort()
    // Rejected while the poll's answer is still held: the client did not wait for it.
    assert.strictEqual((await pending) as unknown, controller.signal.reason)
    scripted.fake.release()
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve))
    assert.strictEqual(scripted.fake.requests.length, 2)
  })

  it("closes once its calls are done", async () => {
    scripted.fake.reply(Fake.success(answered))
    const client = createClient({
      baseUrl: scripted.fake.url,
      accountId: "acme",
      passcode: "p4ssc0de",
    })
    await client.trends(request)
    await client.close()
    assert.strictEqual(scripted.fake.requests.length, 1)
  })
})

describe("createClient lifecycle and failures", () => {
  it("rejects calls after close with a TransportError", async () => {
    const client = clientOf()
    await client.close()
    const error = await rejection(client.trends(request))
    assert.instanceOf(error, Error)
    assert.strictEqual((error as { _tag?: string })._tag, "TransportError")
  })

  it("stops a call that is still polling when the client closes", async () => {
    const client = clientOf()
    scripted.fake.reply(...Array.from({ length: 50 }, () => Fake.partial(7)))
    const running = rejection(client.trends(request))
    await scripted.fake.received(3)
    await client.close()
    const error = await running
    assert.strictEqual((error as { _tag?: string })._tag, "TransportError")
    const seen = scripted.fake.requests.length
    // Give the event loop a few turns: no further poll arrives.
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve))
    assert.strictEqual(scripted.fake.requests.length, seen)
  })

  it("retries a 503 whose body is a gateway's own JSON, then answers", async () => {
    const client = clientOf({ retryDelay: "1 millis" })
    scripted.fake.reply(
      { status: 503, json: { message: "Service Unavailable" } },
      Fake.success(answered),
    )
    const answer = await client.trends(request)
    assert.deepStrictEqual<unknown>(answer.body, { status: "success", ...answered })
    assert.strictEqual(scripted.fake.requests.length, 2)
  })

  it("refuses a concurrency of zero instead of hanging", async () => {
    const client = clientOf({ maxConcurrent: 0 })
    const error = await rejection(client.trends(request))
    assert.strictEqual((error as { _tag?: string })._tag, "ConfigError")
    assert.match((error as Error).message, /maxConcurrent must be a whole number of at least 1/)
    assert.strictEqual(scripted.fake.requests.length, 0)
  })
})
