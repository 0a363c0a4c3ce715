import { assert, describe, it } from "@effect/vitest"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { afterEach } from "vitest"
import * as Accounts from "../src/Accounts.ts"
import { makeApp, type Options } from "../src/app.ts"
import type { Backend } from "../src/Backend.ts"
import * as DurableBackend from "../src/DurableBackend.ts"
import * as InProcess from "../src/InProcess.ts"

// What the checks read of the document.
interface Operation {
  readonly responses: Record<string, { readonly $ref?: string }>
}
interface PathItem {
  readonly description: string
}
interface Document {
  readonly paths: Record<string, PathItem>
}

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

const operationOf = (item: PathItem, method: string): Operation | undefined =>
  (item as unknown as Record<string, Operation | undefined>)[method.toLowerCase()]

const methodsOf = (item: PathItem): ReadonlyArray<string> =>
  methods.filter((method) => operationOf(item, method) !== undefined)

const accounts = Either.getOrThrow(
  Accounts.parse(JSON.stringify([{ id: "acme", passcode: "acme-passcode" }])),
)
const credentials = { "X-CleverTap-Account-Id": "acme", "X-CleverTap-Passcode": "acme-passcode" }
const json = { ...credentials, "Content-Type": "application/json" }
const trends = {
  event_name: "Charged",
  from: 20161224,
  to: 20170103,
  groups: { weeks: { trend_type: "weekly" } },
}
const events = { event_name: "Charged", from: 20161224, to: 20170103 }
const record = { type: "event", identity: "alice", ts: 1483209000, evtName: "Charged" }
const records = { d: [record] }

const scopes: Array<Scope.CloseableScope> = []
afterEach(async () => {
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

/** An app over an in-memory store, with `options` for its accounts' APIs. */
const inProcess = async (
  options: Partial<AccountApi.Options> = {},
  app: Partial<Options> = {},
): Promise<ReturnType<typeof makeApp>> => {
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const backend = await Effect.runPromise(
    InProcess.make(accounts, { ...AccountApi.defaultOptions, ...options }).pipe(
      Effect.provide(EventStore.layerMemory),
      Scope.extend(scope),
    ),
  )
  return makeApp({ accounts, backend, ...app })
}

// The Workers backend over account objects that throw `error` (as a Durable Object that is
// overloaded or reset does, or one with a bug).
const objectsThrowing = (error: Error): Backend =>
  DurableBackend.make(
    () =>
      new Proxy({} as DurableBackend.AccountRpc, {
        get: () => () => Promise.reject(error),
      }),
  )

const post = (body: unknown, headers: Record<string, string> = json) => ({
  method: "POST",
  headers,
  body: typeof body === "string" ? body : JSON.stringify(body),
})

const reqIdOf = async (response: Response): Promise<string> => {
  const body = (await response.json()) as { status: string; req_id: number }
  assert.strictEqual(body.status, "partial")
  return String(body.req_id)
}

/** Each operation's answers (by `POST /1/upload`) to requests made to get every status it gives. */
const answerEveryCase = async (): Promise<Record<string, ReadonlyArray<Response>>> => {
  const plain = await inProcess({}, { maxBodyBytes: 2048, maxBodyBytesInFlight: 1024 })
  // Over the body budget (1024 bytes at once) but within the body limit (2048).
  const midSized = { ...records, pad: "x".repeat(1500) }
  const large = { ...records, pad: "x".repeat(4096) }
  // A gate of 0 refuses every request: the 429 a full gate answers (app.test.ts fills one).
  const gated = await inProcess({ maxConcurrentQueries: 0, maxConcurrentUploads: 0 })
  const polling = await inProcess({ syncBudget: 0 })
  const retryable = Object.assign(new Error("Durable Object reset"), { retryable: true })
  const unavailable = makeApp({
    accounts,
    backend: objectsThrowing(retryable),
    health: async () => "disk full",
  })
  const broken = makeApp({
    accounts,
    backend: objectsThrowing(new Error("a bug")),
    health: () => Promise.reject(new Error("a bug")),
  })
  const wrongType = { ...json, "Content-Type": "text/plain" }
  const cases: Record<string, ReadonlyArray<Response>> = {}
  const read = async (path: string, body: object) => {
    cases[`POST ${path}`] = [
      await plain.request(path, post(body)),
      await polling.request(path, post(body)),
      await plain.request(path, post({ ...body, from: 20230230 })),
      await plain.request(path, post("{")),
      await plain.request(path, post(body, { "Content-Type": "application/json" })),
      await plain.request(path, post(large)),
      await plain.request(path, post(body, wrongType)),
      await plain.request(path, post(midSized)),
      await gated.request(path, post(body)),
      await broken.request(path, post(body)),
      await unavailable.request(path, post(body)),
    ]
    const reqId = await reqIdOf(await polling.request(path, post(body)))
    cases[`GET ${path}`] = [
      await polling.request(`${path}?req_id=${reqId}`, { headers: credentials }),
      await plain.request(path, { headers: credentials }),
      await plain.request(`${path}?req_id=abc`, { headers: credentials }),
      await plain.request(`${path}?req_id=${reqId}`),
      await plain.request(`${path}?req_id=384649162721759`, { headers: credentials }),
      await broken.request(`${path}?req_id=${reqId}`, { headers: credentials }),
      await unavailable.request(`${path}?req_id=${reqId}`, { headers: credentials }),
    ]
  }
  await read("/1/counts/trends.json", trends)
  await read("/1/counts/events.json", events)
  await read("/1/counts/profiles.json", events)
  await read("/1/counts/top.json", {
    ...events,
    groups: { amounts: { property_type: "event_properties", name: "Amount" } },
  })
  const keyed = (key: string) => ({ ...json, "Idempotency-Key": key })
  cases["POST /1/upload"] = [
    await plain.request("/1/upload", post(records)),
    await plain.request("/1/upload", post({ d: [] })),
    await plain.request("/1/upload", post(records, keyed("with space"))),
    await plain.request("/1/upload", post(records, { "Content-Type": "application/json" })),
    await plain.request("/1/upload", post(records, keyed("k-1"))),
    await plain.request("/1/upload", post({ d: [{ ...record, identity: "bob" }] }, keyed("k-1"))),
    await plain.request("/1/upload", post(large)),
    await plain.request("/1/upload", post(records, wrongType)),
    await plain.request("/1/upload", post(midSized)),
    await gated.request("/1/upload", post(records)),
    await broken.request("/1/upload", post(records)),
    await unavailable.request("/1/upload", post(records)),
  ]
  cases["GET /health"] = [
    await plain.request("/health"),
    await unavailable.request("/health"),
    await broken.request("/health"),
  ]
  cases["GET /openapi.json"] = [await plain.request("/openapi.json")]
  return cases
}

const documentOf = async (app: ReturnType<typeof makeApp>): Promise<Document> =>
  (await (await app.request("/openapi.json")).json()) as Document

// Answered only by the Workers entry (`src/worker.ts`), to every request while its
// configuration does not parse, before the app; other routes answer their 500 in the app too.
const onlyOnWorkers = new Set(["GET /openapi.json 500"])

describe("the OpenAPI document", () => {
  it("documents each route of the app, and the 405 of every other method on its paths", async () => {
    const app = await inProcess()
    const document = await documentOf(app)
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      methodsOf(item).map((method) => `${method} ${path}`),
    )
    const routes = app.routes
      .filter((route) => methods.includes(route.method))
      .map((route) => `${route.method} ${route.path}`)
    assert.sameMembers(operations, [...new Set(routes)])
    for (const [path, item] of Object.entries(document.paths)) {
      const documented = methodsOf(item)
      for (const method of methods.filter((method) => !documented.includes(method))) {
        const response = await app.request(path, { method, headers: credentials })
        assert.strictEqual(response.status, 405, `${method} ${path}`)
        const allow = response.headers.get("Allow")
        assert.strictEqual(allow, [...documented].sort().join(", "))
        assert.include(item.description, `Allow: ${allow}`)
        assert.include(await response.json(), { status: "fail", code: 405 })
      }
    }
  })

  it("lists every status each operation answers, and only those", async () => {
    const document = await documentOf(await inProcess())
    const answered = await answerEveryCase()
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of methodsOf(item)) {
        const operation = `${method} ${path}`
        const { responses } = operationOf(item, method)!
        const answers = answered[operation] ?? []
        const statuses = answers.map((answer) => String(answer.status))
        for (const answer of answers) {
          const response = responses[String(answer.status)]
          assert.isDefined(response, `${operation} answers ${answer.status}, undocumented`)
          // Each `fail` answer is documented once, under #/components/responses.
          if (response?.$ref !== undefined) {
            assert.include(await answer.json(), { status: "fail", code: answer.status })
          }
        }
        const documented = Object.keys(responses).filter(
          (status) => !onlyOnWorkers.has(`${operation} ${status}`),
        )
        assert.deepStrictEqual([...new Set(statuses)].sort(), documented.sort(), operation)
      }
    }
  })
})
