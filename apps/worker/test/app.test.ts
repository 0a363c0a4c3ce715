import { assert, describe, it } from "@effect/vitest"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { afterEach } from "vitest"
import * as Accounts from "../src/Accounts.ts"
import { makeApp } from "../src/app.ts"
import type { Backend } from "../src/Backend.ts"
import * as InProcess from "../src/InProcess.ts"

const accounts = Either.getOrThrow(
  Accounts.parse(
    JSON.stringify([
      { id: "acme", passcode: "acme-passcode", timezone: "Asia/Kolkata" },
      { id: "globex", passcode: "globex-passcode" },
    ]),
  ),
)
const headers = (id = "acme", passcode = `${id}-passcode`) => ({
  "X-CleverTap-Account-Id": id,
  "X-CleverTap-Passcode": passcode,
  "Content-Type": "application/json",
})
const trends = {
  event_name: "Charged",
  from: 20161224,
  to: 20170103,
  groups: { days: { trend_type: "daily" }, months: { trend_type: "monthly" } },
}
const records = {
  d: [
    {
      type: "event",
      identity: "alice",
      ts: Date.UTC(2016, 11, 31, 18, 30) / 1000,
      evtName: "Charged",
      evtData: { Amount: 30 },
    },
    { type: "event", identity: "bob", ts: Date.UTC(2016, 11, 24, 12) / 1000, evtName: "Charged" },
  ],
}

const scopes: Array<Scope.CloseableScope> = []
afterEach(async () => {
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

interface Setup {
  readonly options?: Partial<AccountApi.Options>
  readonly store?: Layer.Layer<EventStore.EventStore>
  readonly maxBodyBytes?: number
  readonly backend?: (backend: Backend) => Backend
}

const setup = async ({
  options = {},
  store = EventStore.layerMemory,
  maxBodyBytes,
  backend = (b) => b,
}: Setup = {}) => {
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const inProcess = await Effect.runPromise(
    InProcess.make(accounts, { ...AccountApi.defaultOptions, ...options }).pipe(
      Effect.provide(store),
      Scope.extend(scope),
    ),
  )
  const lines: Array<Record<string, unknown>> = []
  const app = makeApp({
    accounts,
    backend: backend(inProcess),
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    log: (line) => lines.push(line),
  })
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await app.request(path, init)
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    }
  }
  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    call(path, {
      method: "POST",
      headers: { ...headers(), ...extra },
      body: typeof body === "string" ? body : JSON.stringify(body),
    })
  const monthly = async (id = "acme") =>
    (
      await call("/1/counts/trends.json", {
        method: "POST",
        headers: headers(id),
        body: JSON.stringify(trends),
      })
    ).body.months
  return { call, post, lines, monthly }
}

const failBody = (code: number, error: string | RegExp) => (body: Record<string, unknown>) => {
  assert.strictEqual(body.status, "fail")
  assert.strictEqual(body.code, code)
  if (typeof error === "string") assert.strictEqual(body.error, error)
  else assert.match(String(body.error), error)
}

describe("the Trends API app", () => {
  it("stores an upload and answers trends in the wire form", async () => {
    const { post, monthly } = await setup()
    const upload = await post("/1/upload", records)
    assert.deepStrictEqual(upload, {
      status: 200,
      headers: upload.headers,
      body: { status: "success", processed: 2, unprocessed: [] },
    })
    const answer = await post("/1/counts/trends.json", trends)
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(answer.body.status, "success")
    assert.strictEqual((answer.body.days as Record<string, number>)["20170101"], 1)
    assert.deepStrictEqual(await monthly(), { "201612": 1, "201701": 1 })
    assert.deepStrictEqual(
      await monthly("globex"),
      { "201612": 0, "201701": 0 },
      "accounts are isolated",
    )
  })

  it("answers partial with a zero sync budget and serves the result to a poll", async () => {
    const { call, post, lines } = await setup({ options: { syncBudget: 0 } })
    await post("/1/upload", records)
    const partial = await post("/1/counts/events.json", {
      event_name: "Charged",
      from: 20161201,
      to: 20170131,
    })
    assert.strictEqual(partial.body.status, "partial")
    const reqId = String(partial.body.req_id)
    const polled = await call(`/1/counts/events.json?req_id=${reqId}`, { headers: headers() })
    assert.deepStrictEqual(polled.body, { status: "success", count: 2 })
    // Another account cannot read it.
    const stolen = await call(`/1/counts/events.json?req_id=${reqId}`, {
      headers: headers("globex"),
    })
    assert.strictEqual(stolen.status, 404)
    failBody(404, `Unknown or expired req_id ${reqId}`)(stolen.body)
    const logged = lines.find(
      (line) => line.method === "POST" && line.path === "/1/counts/events.json",
    )
    assert.deepInclude(logged, { status: 200, account: "acme", reqId })
    assert.isNumber(logged?.durationMs)
  })

  it("refuses missing or wrong credentials with 401, storing nothing", async () => {
    const { call, monthly } = await setup()
    const body = JSON.stringify(records)
    const cases: Array<[Record<string, string>, string]> = [
      [
        { "Content-Type": "application/json" },
        "Missing X-CleverTap-Account-Id header: send the account id and passcode",
      ],
      [
        { ...headers(), "X-CleverTap-Passcode": "wrong-passcode" },
        "Invalid account id or passcode",
      ],
      [headers("initech", "initech-passcode"), "Invalid account id or passcode"],
      // A passcode that matched before is remembered; one a character off still is not it.
      [{ ...headers(), "X-CleverTap-Passcode": "acme-passcodf" }, "Invalid account id or passcode"],
    ]
    assert.deepStrictEqual(await monthly(), { "201612": 0, "201701": 0 })
    for (const [requestHeaders, error] of cases) {
      const response = await call("/1/upload", { method: "POST", headers: requestHeaders, body })
      assert.strictEqual(response.status, 401)
      failBody(401, error)(response.body)
    }
    assert.deepStrictEqual(await monthly(), { "201612": 0, "201701": 0 })
  })

  it("answers every malformed request with its status and a fail body, storing nothing", async () => {
    const { call, post, monthly } = await setup({ maxBodyBytes: 2048 })
    const cases = [
      [
        await post("/1/upload", records, { "Content-Type": "text/plain" }),
        415,
        /application\/json, got Content-Type text\/plain/,
      ],
      [
        await post("/1/upload", { d: records.d, pad: "x".repeat(4096) }),
        413,
        "Request body exceeds 2048 bytes: send fewer records per call",
      ],
      [await post("/1/upload", '{"d": [}'), 400, /not valid JSON/],
      [await post("/1/upload", { d: [] }), 400, /^d: /],
      [
        await post("/1/counts/trends.json", { ...trends, from: 20230230 }),
        400,
        /^from: 20230230 is not a real calendar date/,
      ],
      [
        await post("/1/counts/trends.json", {
          ...trends,
          groups: { d: { trend_type: "minutely" } },
        }),
        400,
        /^groups\.d\.trend_type: /,
      ],
      [await call("/1/counts/trends.json", { headers: headers() }), 400, /^req_id: is missing/],
      [
        await call("/1/counts/trends.json?req_id=abc", { headers: headers() }),
        400,
        /^req_id: must be the number/,
      ],
      [
        await call("/1/counts/trends.json?req_id=384649162721759", { headers: headers() }),
        404,
        "Unknown or expired req_id 384649162721759",
      ],
      [
        await call("/2/nothing", { headers: headers() }),
        404,
        "No endpoint at GET /2/nothing; see /openapi.json",
      ],
    ] as const
    for (const [response, status, error] of cases) {
      assert.strictEqual(response.status, status, JSON.stringify(response.body))
      failBody(status, error)(response.body)
    }
    const wrongMethod = await call("/1/upload", { method: "GET", headers: headers() })
    assert.strictEqual(wrongMethod.status, 405)
    assert.strictEqual(wrongMethod.headers.get("Allow"), "POST")
    failBody(405, "GET is not allowed on /1/upload; use POST")(wrongMethod.body)
    assert.deepStrictEqual(await monthly(), { "201612": 0, "201701": 0 })
  })

  it("answers 429 to a read over the account's limit while others are in flight", async () => {
    const entered = await Effect.runPromise(Deferred.make<void>())
    const release = await Effect.runPromise(Deferred.make<void>())
    let queries = 0
    // A store whose queries wait until released, so three reads are surely in flight.
    const store = Layer.effect(
      EventStore.EventStore,
      Effect.map(EventStore.makeMemory(), (memory) => ({
        ...memory,
        query: (account, plan) =>
          Effect.gen(function* () {
            if (++queries === 3) yield* Deferred.succeed(entered, undefined)
            yield* Deferred.await(release)
            return yield* memory.query(account, plan)
          }),
      })),
    )
    const { post } = await setup({ store, options: { syncBudget: "1 minute" } })
    const inFlight = [1, 2, 3].map(() => post("/1/counts/trends.json", trends))
    await Effect.runPromise(Deferred.await(entered))
    const limited = await post("/1/counts/trends.json", trends)
    assert.strictEqual(limited.status, 429)
    failBody(429, "Too many concurrent requests")(limited.body)
    await Effect.runPromise(Deferred.succeed(release, undefined))
    for (const response of await Promise.all(inFlight)) assert.strictEqual(response.status, 200)
  })

  it("answers 500 without details when the backend breaks", async () => {
    const { post, lines } = await setup({
      backend: (backend) => (account) => ({
        ...backend(account),
        trends: () => Promise.reject(new Error("secret internals at /srv/db")),
      }),
    })
    const broken = await post("/1/counts/trends.json", trends)
    assert.strictEqual(broken.status, 500)
    failBody(500, "Internal error; it has been logged")(broken.body)
    assert.notInclude(JSON.stringify(broken.body), "secret")
    assert.isTrue(
      lines.some(
        (line) => line.level === "error" && String(line.message).includes("secret internals"),
      ),
    )
  })

  it("serves /health without credentials and an OpenAPI 3.1 document built from core's schemas", async () => {
    const { call } = await setup()
    assert.deepStrictEqual((await call("/health")).body, { status: "ok" })
    const document = (await call("/openapi.json")).body as {
      openapi: string
      paths: Record<string, unknown>
      components: {
        schemas: Record<
          string,
          { properties?: Record<string, { type?: string }>; required?: Array<string> }
        >
      }
    }
    assert.strictEqual(document.openapi, "3.1.0")
    assert.includeMembers(Object.keys(document.paths), [
      "/1/counts/trends.json",
      "/1/counts/events.json",
      "/1/upload",
    ])
    const request = document.components.schemas.TrendsRequest
    assert.includeMembers(request?.required ?? [], ["event_name", "from", "to", "groups"])
    assert.strictEqual(request?.properties?.from?.type, "number")
    assert.isDefined(document.components.schemas.UploadResponse)
  })
})
