// The Promise API as a TypeScript user meets it: requests typed from core's wire schema,
// answers keyed by the request's group names, and rejections narrowed without casts. The
// type assertions are checked by `pnpm typecheck` (tsc reads the tests); the same tests
// check the values at run time against the scripted server.
import * as ApiError from "@trendline/core/ApiError"
import { afterEach, assert, describe, expectTypeOf, it, vi } from "vitest"
import {
  ConfigError,
  createClient,
  type GroupResult,
  isApiError,
  isTrendlineError,
  TransportError,
  type TrendlineError,
  type TrendsAnswer,
  type TrendsRequest,
} from "../src/index.ts"
import * as Fake from "./fakeServer.ts"
import * as PromiseClients from "./promiseClients.ts"

const scripted = PromiseClients.setup({ retryDelay: "1 millis" })
const clientOf = scripted.clientOf

afterEach(() => {
  vi.restoreAllMocks()
})

const range = { event_name: "Charged", from: 20240101, to: 20240102 } as const

/** What a call rejected with; fails the test when it resolved. */
const caught = async (call: () => Promise<unknown>): Promise<unknown> => {
  try {
    await call()
  } catch (error) {
    return error
  }
  return assert.fail("expected a rejection")
}

describe("the Promise API's types", () => {
  it("answers with the request's groups by name, each decoded", async () => {
    scripted.fake.reply(Fake.success({ days: { "20240101": 3 }, weeks: { "202401": 3 } }))
    const answer = await clientOf().trends({
      ...range,
      groups: { days: { trend_type: "daily" }, weeks: { trend_type: "weekly" } },
    })
    expectTypeOf(answer.groups.days).toEqualTypeOf<GroupResult>()
    expectTypeOf(answer.groups.weeks).toEqualTypeOf<GroupResult>()
    // @ts-expect-error the request has no group "months"
    assert.isUndefined(answer.groups.months)
    // Every answer is a TrendsAnswer, whose groups any string looks up.
    const anyAnswer: TrendsAnswer = answer
    const name: string = "days"
    expectTypeOf(anyAnswer.groups[name]).toEqualTypeOf<GroupResult | undefined>()
    assert.strictEqual(anyAnswer.groups[name]?.total, 3)
    expectTypeOf(answer.body.status).toEqualTypeOf<"success">()
    assert.strictEqual(answer.groups.days.total, 3)
    assert.deepStrictEqual(
      answer.groups.days.buckets.map((bucket) => bucket.value),
      [3, 0],
    )
    assert.strictEqual(answer.groups.weeks.trendType, "weekly")
    assert.deepStrictEqual(answer.body.days, { "20240101": 3 })
  })

  it("refuses a trend_type the API does not know, at compile time and before sending", async () => {
    const client = clientOf()
    const error = await caught(() =>
      // @ts-expect-error "minutely" is not a trend type: hourly, daily, …, quarterly or yearly
      client.trends({ ...range, groups: { minutes: { trend_type: "minutely" } } }),
    )
    assert.instanceOf(error, ApiError.InvalidRequest)
    assert.match((error as Error).message, /^groups\.minutes\.trend_type: must be "daily"/)
    assert.strictEqual(scripted.fake.requests.length, 0)
  })

  it("takes a request typed ahead of the call; its groups are then any string", async () => {
    scripted.fake.reply(Fake.success({ days: { "20240102": 5 } }))
    const request: TrendsRequest = { ...range, groups: { days: { trend_type: "daily" } } }
    const answer = await clientOf().trends(request)
    // Names unknown to the compiler may be missing (with noUncheckedIndexedAccess, as here).
    expectTypeOf(answer.groups.days).toEqualTypeOf<GroupResult | undefined>()
    assert.strictEqual(answer.groups.days?.total, 5)
    // @ts-expect-error `unique` is a boolean on the wire
    const wrong: TrendsRequest = { ...request, unique: "yes" }
    assert.isDefined(wrong)
  })

  it("resumes without the request to an answer without groups", async () => {
    scripted.fake.reply(Fake.success({ days: { "20240101": 1 } }))
    const answer = await clientOf().resume(12)
    expectTypeOf<keyof typeof answer.groups>().toEqualTypeOf<never>()
    assert.deepStrictEqual(answer.groups, {})
  })
})

describe("the Promise API's rejections", () => {
  it("narrow with isApiError to the API's failures, with their HTTP status", async () => {
    scripted.fake.reply(Fake.fail(429, ApiError.tooManyConcurrentRequests))
    const client = clientOf({ maxRetries: 0 })
    try {
      await client.eventCount(range)
      assert.fail("expected a rejection")
    } catch (error) {
      assert.isTrue(isApiError(error))
      if (!isApiError(error)) return
      expectTypeOf(error).toEqualTypeOf<ApiError.ApiError>()
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(ApiError.httpStatus(error), 429)
      assert.strictEqual(error.message, "Too many concurrent requests")
    }
  })

  it("narrow with isTrendlineError to every client error, switched on _tag", async () => {
    scripted.fake.reply(Fake.partial(77), Fake.partial(77))
    const client = clientOf()
    const error = await caught(() =>
      client.trends({ ...range, groups: { d: { trend_type: "daily" } } }, { pollBudgetMs: 0 }),
    )
    assert.isTrue(isTrendlineError(error))
    if (!isTrendlineError(error)) return
    expectTypeOf(error).toEqualTypeOf<TrendlineError>()
    assert.strictEqual(error._tag, "PollTimeout")
    if (error._tag !== "PollTimeout") return
    expectTypeOf(error.reqId).toEqualTypeOf<number>()
    assert.strictEqual(error.reqId, 77)
  })

  it("name a refused connection after one retry, and narrow to TransportError", async () => {
    const gone = await Fake.start()
    await gone.close()
    const fetches = vi.spyOn(globalThis, "fetch")
    const client = clientOf({ baseUrl: gone.url })
    const error = await caught(() => client.eventCount(range))
    assert.instanceOf(error, TransportError)
    assert.isTrue(isTrendlineError(error))
    if (!isTrendlineError(error) || error._tag !== "TransportError") return
    expectTypeOf(error).toEqualTypeOf<TransportError>()
    assert.strictEqual(error.kind, "ConnectionRefused")
    assert.match(error.message, /^Connection refused by 127\.0\.0\.1:\d+: no server listens there/)
    assert.strictEqual(fetches.mock.calls.length, 2)
  })

  it("include the ConfigError createClient throws; other errors are not the client's", async () => {
    let thrown: unknown
    try {
      createClient({ accountId: "acme", passcode: "p" })
    } catch (error) {
      thrown = error
    }
    assert.instanceOf(thrown, ConfigError)
    assert.isTrue(isTrendlineError(thrown))
    assert.isFalse(isApiError(thrown))
    assert.isFalse(isTrendlineError(new Error("boom")))
    assert.isFalse(isTrendlineError({ _tag: "RateLimited", reason: "a look-alike" }))
    const controller = new AbortController()
    controller.abort()
    const aborted = await caught(() => clientOf().eventCount(range, { signal: controller.signal }))
    assert.strictEqual(aborted, controller.signal.reason)
    assert.isFalse(isTrendlineError(aborted))
  })
})
