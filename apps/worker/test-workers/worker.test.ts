// The worker end to end inside workerd: requests through its default export's `fetch`, each
// account's API in its Durable Object, and every read answering `partial` (the test env's
// sync budget is 0) so answers come through the polling path. Values are compared with
// core's reference aggregator over the same events.
import { createExecutionContext, evictDurableObject, runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import { afterEach, vi } from "vitest"
import worker from "../src/worker.ts"
import { acme, globex, type TestAccount } from "./accounts.ts"
import {
  type Call,
  type EventRecord,
  expectedCount,
  expectedProfileCount,
  expectedTop,
  expectedTrends,
  generate,
  pollUntilDone,
  read,
  replyOf,
  requestOf,
  send,
  trendsBody,
} from "./fixtures.ts"

const trendsPath = "/1/counts/trends.json"
const eventsPath = "/1/counts/events.json"

const upload = (account: TestAccount, records: ReadonlyArray<unknown>) =>
  send("/1/upload", { as: account, json: { d: records } })

const uploadAll = async (account: TestAccount, records: ReadonlyArray<EventRecord>) => {
  const reply = await upload(account, records)
  assert.deepStrictEqual(reply.body, {
    status: "success",
    processed: records.length,
    unprocessed: [],
  })
}

/** The event names an account's object has stored, read from its SQLite tables. */
const storedNames = (account: TestAccount) =>
  runInDurableObject(env.ACCOUNTS.getByName(account.id), (_object, state) =>
    state.storage.sql
      .exec("SELECT name FROM event_names ORDER BY name")
      .toArray()
      .map((row) => row.name),
  )

/** Calls the worker's handler with this env's values replaced (other vars, another secret). */
const sendWith = async (vars: Partial<Env>, path: string, call: Call = {}) =>
  replyOf(
    await worker.fetch(
      // An incoming request's `cf` is the runtime's to fill.
      requestOf(path, call) as Request<unknown, IncomingRequestCfProperties>,
      { ...env, ...vars },
      createExecutionContext(),
    ),
  )

afterEach(() => {
  vi.restoreAllMocks()
})

describe("worker: reads", () => {
  it("answers trends by day, week and month as the reference aggregator does, via partial and poll", async () => {
    const events = generate(1, 300, ["Charged", "App Opened"])
    await uploadAll(acme, events)
    for (const measure of [{}, { unique: true }, { sum_event_prop: "Amount" }]) {
      const body = trendsBody("Charged", measure)
      const { first, final } = await read(trendsPath, acme, body)
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.body.status, "partial")
      assert.isTrue(Number.isSafeInteger(first.body.req_id))
      assert.strictEqual(final.status, 200)
      assert.deepStrictEqual(final.body, expectedTrends(acme, events, body))
    }
    // The answer stays pollable (for its retention) after it was collected.
    const { first } = await read(trendsPath, acme, trendsBody("App Opened"))
    const again = await send(`${trendsPath}?req_id=${String(first.body.req_id)}`, { as: acme })
    assert.deepStrictEqual(again.body, expectedTrends(acme, events, trendsBody("App Opened")))
  })

  it("answers the event count via partial and poll", async () => {
    const events = generate(2, 120, ["Counted"])
    await uploadAll(globex, events)
    const body = { event_name: "Counted", from: 20250115, to: 20250210 }
    const { first, final } = await read(eventsPath, globex, body)
    assert.strictEqual(first.body.status, "partial")
    assert.deepStrictEqual(final.body, {
      status: "success",
      count: expectedCount(globex, events, body),
    })
    assert.isAbove(final.body.count as number, 0)
  })

  it("answers the profile count via partial and poll", async () => {
    const events = generate(5, 150, ["Profiled"])
    await uploadAll(globex, events)
    const body = { event_name: "Profiled", from: 20250115, to: 20250210 }
    const { first, final } = await read("/1/counts/profiles.json", globex, body)
    assert.strictEqual(first.body.status, "partial")
    assert.deepStrictEqual(final.body, {
      status: "success",
      count: expectedProfileCount(globex, events, body),
    })
    assert.isAbove(final.body.count as number, 0)
  })

  it("answers filtered trends in the object as the reference aggregator", async () => {
    const events = generate(6, 200, ["Filtered"])
    const profiles = ["alice", "bob", "carol"].map((identity, i) => ({
      type: "profile",
      identity,
      ts: 1_700_000_000 + i,
      profileData: { Plan: i === 1 ? "free" : "pro" },
    }))
    const records = [...events, ...profiles]
    const reply = await upload(acme, records)
    assert.strictEqual(reply.body.processed, records.length)
    const body = {
      ...trendsBody("Filtered", { unique: true }),
      event_properties: [{ name: "Amount", operator: "less_than", value: 60 }],
      common_profile_properties: [{ name: "Plan", operator: "not_equals", value: "free" }],
    }
    const { final } = await read(trendsPath, acme, body)
    assert.deepStrictEqual(final.body, expectedTrends(acme, records, body))
    // The top values of the same events, by property and by profile field.
    const top = {
      event_name: "Filtered",
      from: body.from,
      to: body.to,
      event_properties: body.event_properties,
      groups: {
        amounts: { property_type: "event_properties", name: "Amount", top_n: 4 },
        plans: { property_type: "profile_fields", name: "Plan", order: "asc" },
      },
    }
    const answered = await read("/1/counts/top.json", acme, top)
    assert.deepStrictEqual(answered.final.body, expectedTop(acme, records, top))
  })

  it("keeps a finished answer pollable after its object is evicted", async () => {
    const events = generate(4, 80, ["Evicted"])
    await uploadAll(acme, events)
    const stub = env.ACCOUNTS.getByName(acme.id)
    const first = await send(trendsPath, { as: acme, json: trendsBody("Evicted") })
    assert.strictEqual(first.body.status, "partial")
    const before = await runInDurableObject(stub, (object) => object)
    await evictDurableObject(stub)

    const final = await pollUntilDone(trendsPath, acme, first)
    assert.deepStrictEqual(final.body, expectedTrends(acme, events, trendsBody("Evicted")))
    const after = await runInDurableObject(env.ACCOUNTS.getByName(acme.id), (object) => object)
    assert.notStrictEqual(after, before, "eviction built a new instance")
  })
})

describe("worker: accounts", () => {
  it("keeps each account's data in its own object", async () => {
    const events = generate(5, 40, ["Private"])
    await uploadAll(acme, events)
    const body = trendsBody("Private")
    const { final } = await read(trendsPath, globex, body)
    assert.deepStrictEqual(final.body, expectedTrends(globex, [], body))
    assert.include(await storedNames(acme), "Private")
    assert.notInclude(await storedNames(globex), "Private")
    // A req_id is only good for the account that received it.
    const partial = await send(trendsPath, { as: acme, json: body })
    const stolen = await send(`${trendsPath}?req_id=${String(partial.body.req_id)}`, { as: globex })
    assert.strictEqual(stolen.status, 404)
  })

  it("refuses a missing or wrong passcode, or an unknown account, with 401", async () => {
    for (const call of [
      { json: trendsBody("Charged") },
      { as: { id: acme.id, passcode: "not-the-passcode" }, json: trendsBody("Charged") },
      { as: { id: "nobody", passcode: acme.passcode }, json: trendsBody("Charged") },
    ]) {
      const reply = await send(trendsPath, call)
      assert.strictEqual(reply.status, 401)
      assert.strictEqual(reply.body.status, "fail")
      assert.strictEqual(reply.body.code, 401)
    }
    const missing = await send("/1/upload", {
      headers: { "X-CleverTap-Account-Id": acme.id },
      json: { d: [] },
    })
    assert.strictEqual(missing.status, 401)
    assert.include(missing.body.error as string, "X-CleverTap-Passcode")
  })
})

describe("worker: failures", () => {
  it("names the field of an invalid request in a 400", async () => {
    const trends = await send(trendsPath, {
      as: acme,
      json: { ...trendsBody("Charged"), groups: { days: { trend_type: "minutely" } } },
    })
    assert.strictEqual(trends.status, 400)
    assert.strictEqual(trends.body.code, 400)
    assert.include(trends.body.error as string, "groups.days.trend_type")

    const uploaded = await send("/1/upload", { as: acme, json: { d: "records" } })
    assert.strictEqual(uploaded.status, 400)
    assert.match(uploaded.body.error as string, /^d: /)

    const badId = await send(`${trendsPath}?req_id=abc`, { as: acme })
    assert.strictEqual(badId.status, 400)
    assert.include(badId.body.error as string, "req_id")
  })

  it("answers 404 for an unknown path and an unknown or foreign req_id", async () => {
    const path = await send("/1/nowhere", { as: acme })
    assert.strictEqual(path.status, 404)
    assert.strictEqual(path.body.status, "fail")

    const unknown = await send(`${trendsPath}?req_id=123456789012345`, { as: acme })
    assert.strictEqual(unknown.status, 404)
    assert.include(unknown.body.error as string, "req_id 123456789012345")

    // A trends req_id polled on the event count endpoint.
    const partial = await send(trendsPath, { as: acme, json: trendsBody("Charged") })
    const other = await send(`${eventsPath}?req_id=${String(partial.body.req_id)}`, { as: acme })
    assert.strictEqual(other.status, 404)
  })

  it("answers 405 with the allowed methods", async () => {
    const reply = await send("/1/upload", { method: "PUT", as: acme, json: { d: [] } })
    assert.strictEqual(reply.status, 405)
    assert.strictEqual(reply.body.code, 405)
    assert.strictEqual(reply.headers.get("Allow"), "POST")
  })

  it("answers 415, 413 and 400 to bodies it cannot read, and stores none of them", async () => {
    const ghost = {
      type: "event",
      identity: "ghost",
      ts: Date.UTC(2025, 0, 10) / 1000,
      evtName: "Ghost",
    }
    const text = await send("/1/upload", {
      as: acme,
      raw: JSON.stringify({ d: [ghost] }),
      headers: { "Content-Type": "text/plain" },
    })
    assert.strictEqual(text.status, 415)

    const padding = "x".repeat(10 * 1024 * 1024)
    const large = await send("/1/upload", { as: acme, json: { d: [ghost], padding } })
    assert.strictEqual(large.status, 413)
    assert.strictEqual(large.body.code, 413)

    const malformed = await send("/1/upload", { as: acme, raw: `{"d": [${JSON.stringify(ghost)}` })
    assert.strictEqual(malformed.status, 400)
    assert.include(malformed.body.error as string, "not valid JSON")

    const tooMany = await upload(
      acme,
      Array.from({ length: 1001 }, () => ghost),
    )
    assert.strictEqual(tooMany.status, 400)

    const wrongPasscode = await send("/1/upload", {
      as: { id: acme.id, passcode: "wrong-passcode" },
      json: { d: [ghost] },
    })
    assert.strictEqual(wrongPasscode.status, 401)

    const { final } = await read(trendsPath, acme, trendsBody("Ghost"))
    assert.deepStrictEqual(final.body, expectedTrends(acme, [], trendsBody("Ghost")))
    assert.notInclude(await storedNames(acme), "Ghost")
  })

  it("stores the good records of an upload and reports the bad ones", async () => {
    const good = generate(6, 2, ["Mixed"])
    const reply = await upload(acme, [
      good[0],
      { type: "event", ts: good[0]!.ts, evtName: "Mixed" },
      good[1],
    ])
    assert.strictEqual(reply.status, 200)
    assert.strictEqual(reply.body.processed, 2)
    const unprocessed = reply.body.unprocessed as ReadonlyArray<Record<string, unknown>>
    assert.deepStrictEqual(
      unprocessed.map(({ index, code }) => ({ index, code })),
      [{ index: 1, code: 523 }],
    )
    const { final } = await read(trendsPath, acme, trendsBody("Mixed"))
    assert.deepStrictEqual(final.body, expectedTrends(acme, good, trendsBody("Mixed")))
  })
})

describe("worker: idempotent uploads", () => {
  it("stores an upload once per Idempotency-Key, replays its answer, 409 on another body", async () => {
    const records = generate(8, 3, ["Keyed"])
    const keyed = (json: unknown) =>
      send("/1/upload", { as: acme, json, headers: { "Idempotency-Key": "worker-k1" } })
    const first = await keyed({ d: records })
    assert.deepStrictEqual(first.body, { status: "success", processed: 3, unprocessed: [] })
    assert.deepStrictEqual(await keyed({ d: records }), first)
    const other = await keyed({ d: records.slice(1) })
    assert.strictEqual(other.status, 409)
    assert.include(String(other.body.error), "Idempotency-Key")
    const { final } = await read(trendsPath, acme, trendsBody("Keyed"))
    assert.deepStrictEqual(final.body, expectedTrends(acme, records, trendsBody("Keyed")))
  })
})

describe("worker: configuration", () => {
  it("serves /health and the OpenAPI document without an account", async () => {
    assert.deepStrictEqual((await send("/health")).body, { status: "ok" })
    const openapi = await send("/openapi.json")
    assert.strictEqual(openapi.status, 200)
    assert.property(openapi.body, "openapi")
  })

  it("answers every request 500 'misconfigured' while a secret or var is invalid, logging why", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined)
    const cases: ReadonlyArray<readonly [Partial<Env>, string]> = [
      [{ TRENDLINE_ACCOUNTS: '[{"id": "acme", "passcode": "sec' }, "not valid JSON"],
      [{ TRENDLINE_ACCOUNTS: '[{"id": "acme", "passcode": "short"}]' }, "TRENDLINE_ACCOUNTS[0]"],
      [{ TRENDLINE_ACCOUNTS: "[]" }, "lists no account"],
      [{ TRENDLINE_ACCOUNTS: "" }, "wrangler secret put TRENDLINE_ACCOUNTS"],
      [{ TRENDLINE_MAX_QUERIES: "three" }, "TRENDLINE_MAX_QUERIES"],
      [{ TRENDLINE_SYNC_BUDGET_MS: "-1" }, "TRENDLINE_SYNC_BUDGET_MS"],
    ]
    for (const [vars, problem] of cases) {
      logged.mockClear()
      for (const path of ["/health", trendsPath]) {
        const reply = await sendWith(vars, path, { as: acme, json: trendsBody("Charged") })
        assert.strictEqual(reply.status, 500)
        assert.deepStrictEqual(reply.body, {
          status: "fail",
          error: "The server is misconfigured; its operator must fix it (see the worker's logs)",
          code: 500,
        })
      }
      // Logged once, when the isolate builds its app from this configuration.
      assert.strictEqual(logged.mock.calls.length, 1)
      assert.include(JSON.stringify(logged.mock.calls[0]), problem)
    }
    // The test env's own configuration builds a working app again.
    assert.deepStrictEqual((await send("/health")).body, { status: "ok" })
  })
})
