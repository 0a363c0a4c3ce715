import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as QueryJob from "@trendline/core/QueryJob"
import * as WireAnswer from "@trendline/core/WireAnswer"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const account = Account.make("acme", { timeZone: "Asia/Kolkata" })
const seed = {
  event_name: "Charged",
  from: 20161224,
  to: 20170103,
  sum_event_prop: "Amount",
  groups: {
    foo: { trend_type: "daily" },
    bar: { trend_type: "weekly" },
    foobar: { trend_type: "monthly" },
  },
}
// 2016-12-31T18:30Z is the first second of 2017-01-01 in Kolkata.
const upload = {
  d: [
    {
      type: "event",
      identity: "alice",
      ts: Date.UTC(2016, 11, 31, 18, 30) / 1000,
      evtName: "Charged",
      evtData: { Amount: 30 },
    },
    {
      type: "event",
      identity: "bob",
      ts: Date.UTC(2016, 11, 24, 12) / 1000,
      evtName: "Charged",
      evtData: { Amount: 12 },
    },
  ],
}
const receivedAt = 1_700_000_000

// The API as the edge serves it (`WireAnswer.ofApi`): the tests check the wire contract.
const withApi = <A, E>(
  use: (api: WireAnswer.WireApi) => Effect.Effect<A, E>,
  options: Partial<AccountApi.Options> = {},
  store: Layer.Layer<EventStore.EventStore> = EventStore.layerMemory,
) =>
  Effect.scoped(
    Effect.flatMap(AccountApi.make(account, { ...AccountApi.defaultOptions, ...options }), (api) =>
      use(WireAnswer.ofApi(api)),
    ),
  ).pipe(Effect.provide(store))

// A store that answers after `delay`, or fails, to exercise the gates and the 503.
const slowStore = (delay: Duration.DurationInput) =>
  Layer.effect(
    EventStore.EventStore,
    Effect.map(EventStore.makeMemory(), (store) => ({
      ...store,
      query: (a: Account.Settings, plan: Parameters<EventStore.Service["query"]>[1]) =>
        Effect.delay(store.query(a, plan), delay),
      append: (a: Account.Settings, batch: EventStore.Batch, key?: EventStore.UploadKey) =>
        Effect.delay(store.append(a, batch, key), delay),
    })),
  )
const brokenStore = Layer.succeed(EventStore.EventStore, {
  append: () => Effect.fail(new EventStore.StoreError({ message: "disk full" })),
  query: () => Effect.fail(new EventStore.StoreError({ message: "disk full" })),
  top: () => Effect.fail(new EventStore.StoreError({ message: "disk full" })),
  eventNames: () => Effect.succeed([]),
  profile: () => Effect.fail(new EventStore.StoreError({ message: "disk full" })),
  health: () => Effect.fail(new EventStore.StoreError({ message: "disk full" })),
})

describe("AccountApi", () => {
  it.effect("answers the seed's request in the flat wire form, every bucket present", () =>
    withApi((api) =>
      Effect.gen(function* () {
        assert.deepStrictEqual((yield* api.upload(upload, receivedAt)).body, {
          status: "success",
          processed: 2,
          unprocessed: [],
        })
        const answer = yield* api.trends(seed)
        assert.strictEqual(answer.status, 200)
        const body = answer.body as Record<string, Record<string, number>>
        assert.strictEqual(body.status as unknown, "success")
        assert.strictEqual(Object.keys(body.foo ?? {}).length, 11)
        assert.strictEqual(body.foo?.["20170101"], 30)
        assert.strictEqual(body.foo?.["20161224"], 12)
        assert.deepStrictEqual(body.bar, { "201651": 12, "201652": 30, "201701": 0 })
        assert.deepStrictEqual(body.foobar, { "201612": 12, "201701": 30 })
      }),
    ),
  )

  it.effect("counts the distinct profiles that did an event, at once or by polling", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          // Alice twice and Bob once: three events, two profiles.
          yield* api.upload(
            { d: [...upload.d, { ...upload.d[0], ts: Date.UTC(2016, 11, 26) / 1000 }] },
            receivedAt,
          )
          const range = { event_name: "Charged", from: 20161201, to: 20170131 }
          const partial = yield* api.profileCount(range)
          assert.strictEqual(partial.body.status, "partial")
          yield* Effect.yieldNow()
          const reqId = String(partial.body.req_id)
          assert.deepStrictEqual(yield* api.poll("profiles", reqId), {
            status: 200,
            body: { status: "success", count: 2 },
          })
          assert.strictEqual((yield* api.poll("events", reqId)).status, 404)
          const events = yield* api.eventCount(range)
          yield* Effect.yieldNow()
          assert.deepStrictEqual((yield* api.poll("events", String(events.body.req_id))).body, {
            status: "success",
            count: 3,
          })
          // Bob's only event is before the range; the range's days are Kolkata's.
          const late = yield* api.profileCount({ ...range, from: 20161225 })
          yield* Effect.yieldNow()
          assert.deepStrictEqual((yield* api.poll("profiles", String(late.body.req_id))).body, {
            status: "success",
            count: 1,
          })
          // The same request rules as an event count.
          const bad = yield* api.profileCount({ event_name: "", from: 20170131, to: 20161201 })
          assert.strictEqual(bad.status, 400)
          assert.include(String(bad.body.error), "event_name")
        }),
      { syncBudget: 0 },
    ),
  )

  it.effect("counts only the events that match the request's filters, on every endpoint", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const at = (day: number) => Date.UTC(2017, 0, day, 12) / 1000
        const charged = (identity: string, day: number, evtData: object) => ({
          type: "event",
          identity,
          ts: at(day),
          evtName: "Charged",
          evtData,
        })
        yield* api.upload(
          {
            d: [
              charged("ann", 1, { Item: "pizza", Amount: 12 }),
              charged("ann", 2, { Item: "pasta", Amount: 30 }),
              charged("bob", 2, { Item: "pizza", Amount: 5 }),
              charged("cid", 3, { Amount: 7 }),
              { type: "profile", identity: "ann", ts: at(1), profileData: { Plan: "pro" } },
              { type: "profile", identity: "bob", ts: at(1), profileData: { Plan: "free" } },
            ],
          },
          receivedAt,
        )
        const range = { event_name: "Charged", from: 20170101, to: 20170105 }
        const pizza = [{ name: "Item", operator: "contains", value: "piz" }]
        const trends = yield* api.trends({
          ...range,
          event_properties: pizza,
          groups: { days: { trend_type: "daily" } },
        })
        const days = trends.body.days as Record<string, number>
        assert.deepStrictEqual([days["20170101"], days["20170102"], days["20170103"]], [1, 1, 0])
        const pro = [{ name: "Plan", operator: "equals", value: ["pro", "team"] }]
        assert.strictEqual(
          (yield* api.eventCount({ ...range, common_profile_properties: pro })).body.count,
          2,
        )
        assert.strictEqual(
          (yield* api.profileCount({
            ...range,
            event_properties: [{ name: "Amount", operator: "greater_than_equals", value: 7 }],
          })).body.count,
          2,
        )
        // A property an event lacks: only does_not_exist matches it.
        const noItem = [{ name: "Item", operator: "does_not_exist" }]
        assert.strictEqual(
          (yield* api.eventCount({ ...range, event_properties: noItem })).body.count,
          1,
        )
        const bad = yield* api.eventCount({
          ...range,
          event_properties: [{ name: "Amount", operator: "greater_than", value: "7" }],
        })
        assert.deepStrictEqual(bad, {
          status: 400,
          body: {
            status: "fail",
            error:
              'event_properties[0].value: "greater_than" compares numbers: send 7, not the text "7"',
            code: 400,
            issues: [
              {
                path: "event_properties[0].value",
                message: '"greater_than" compares numbers: send 7, not the text "7"',
              },
            ],
          },
        })
      }),
    ),
  )

  it.effect("answers the top values of a property, per group, in a list that keeps the order", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          const at = (day: number) => Date.UTC(2017, 0, day, 12) / 1000
          const charged = (identity: string, day: number, evtData: object) => ({
            type: "event",
            identity,
            ts: at(day),
            evtName: "Charged",
            evtData,
          })
          yield* api.upload(
            {
              d: [
                charged("ann", 1, { Item: "pizza", Size: 12 }),
                charged("ann", 2, { Item: "pizza", Size: 10 }),
                charged("bob", 2, { Item: "pasta", Size: 12 }),
                charged("cid", 3, { Item: "salad", Size: 2 }),
                { type: "profile", identity: "ann", ts: at(1), profileData: { Plan: "pro" } },
                { type: "profile", identity: "bob", ts: at(1), profileData: { Plan: "free" } },
              ],
            },
            receivedAt,
          )
          const body = {
            event_name: "Charged",
            from: 20170101,
            to: 20170105,
            groups: {
              items: { property_type: "event_properties", name: "Item", top_n: 2 },
              sizes: { property_type: "event_properties", name: "Size", order: "asc" },
              plans: { property_type: "profile_fields", name: "Plan" },
            },
          }
          const partial = yield* api.top(body)
          assert.strictEqual(partial.body.status, "partial")
          yield* Effect.yieldNow()
          assert.deepStrictEqual(yield* api.poll("top", String(partial.body.req_id)), {
            status: 200,
            body: {
              status: "success",
              items: [
                { value: "pizza", count: 2 },
                { value: "pasta", count: 1 },
              ],
              // Ties by the value's JSON text: "10" before "2" (bytes, not numbers).
              sizes: [
                { value: 10, count: 1 },
                { value: 2, count: 1 },
                { value: 12, count: 2 },
              ],
              plans: [
                { value: "pro", count: 2 },
                { value: "free", count: 1 },
              ],
            },
          })
          const geo = yield* api.top({
            ...body,
            groups: { cities: { property_type: "geo_fields", name: "City" } },
          })
          assert.strictEqual(geo.status, 400)
          assert.include(String(geo.body.error), "groups.cities.property_type")
        }),
      { syncBudget: 0 },
    ),
  )

  it.effect("answers every query partial with a zero budget, and the poll gives the result", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          yield* api.upload(upload, receivedAt)
          const partial = yield* api.eventCount({
            event_name: "Charged",
            from: 20161201,
            to: 20170131,
          })
          assert.strictEqual(partial.status, 200)
          assert.strictEqual(partial.body.status, "partial")
          const reqId = String(partial.body.req_id)
          assert.match(reqId, /^\d{15}$/)
          yield* Effect.yieldNow()
          assert.deepStrictEqual(yield* api.poll("events", reqId), {
            status: 200,
            body: { status: "success", count: 2 },
          })
          // The req_id belongs to the events endpoint only.
          const elsewhere = yield* api.poll("trends", reqId)
          assert.strictEqual(elsewhere.status, 404)
          assert.strictEqual(elsewhere.body.code, 404)
        }),
      { syncBudget: 0 },
    ),
  )

  it.effect("names what is wrong with a request or a req_id", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const invalid = yield* api.trends({ ...seed, unique: true })
        assert.strictEqual(invalid.status, 400)
        assert.strictEqual(invalid.body.status, "fail")
        assert.include(String(invalid.body.error), "sum_event_prop")
        const badId = yield* api.poll("trends", "12abc")
        assert.strictEqual(badId.status, 400)
        assert.include(String(badId.body.error), "req_id")
        const unknown = yield* api.poll("trends", "384649162721759")
        assert.deepStrictEqual(unknown, {
          status: 404,
          body: { status: "fail", error: "Unknown or expired req_id 384649162721759", code: 404 },
        })
      }),
    ),
  )

  it.effect("answers 429 to the fourth read in flight and to the sixteenth upload", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          const reads = yield* Effect.forEach([1, 2, 3], () => Effect.fork(api.trends(seed)))
          yield* Effect.yieldNow()
          const fourth = yield* api.trends(seed)
          assert.deepStrictEqual(fourth, {
            status: 429,
            body: { status: "fail", error: "Too many concurrent requests", code: 429 },
          })
          const uploads = yield* Effect.forEach(Array.from({ length: 15 }), () =>
            Effect.fork(api.upload(upload, receivedAt)),
          )
          yield* Effect.yieldNow()
          assert.strictEqual((yield* api.upload(upload, receivedAt)).status, 429)
          yield* TestClock.adjust("2 seconds")
          for (const fiber of [...reads, ...uploads])
            assert.strictEqual((yield* Fiber.join(fiber)).status, 200)
          // Slots are free again.
          const again = yield* Effect.fork(api.upload(upload, receivedAt))
          yield* TestClock.adjust("2 seconds")
          assert.strictEqual((yield* Fiber.join(again)).status, 200)
        }),
      { syncBudget: "10 seconds" },
      slowStore("1 second"),
    ),
  )

  it.effect(
    "stores an upload once per Idempotency-Key, replays its answer, 409 on another body",
    () =>
      withApi((api) =>
        Effect.gen(function* () {
          const text = JSON.stringify({
            d: [...upload.d, { type: "event", evtName: "Charged" }],
          })
          const key = { key: "k-1", fingerprint: "digest-1" }
          const first = yield* api.uploadJson(text, receivedAt, key)
          assert.strictEqual(first.status, 200)
          assert.strictEqual(first.body.processed, 2)
          const again = yield* api.uploadJson(text, receivedAt + 60, key)
          assert.deepStrictEqual(again, first)
          const other = yield* api.uploadJson(text, receivedAt, {
            key: "k-1",
            fingerprint: "digest-2",
          })
          assert.strictEqual(other.status, 409)
          assert.include(String(other.body.error), "Idempotency-Key")
          const counted = yield* api.eventCount({
            event_name: "Charged",
            from: 20161224,
            to: 20170101,
          })
          assert.strictEqual(counted.body.count, 2)
          // Without a key, a repeat is another upload.
          yield* api.uploadJson(text, receivedAt)
          const twice = yield* api.eventCount({
            event_name: "Charged",
            from: 20161224,
            to: 20170101,
          })
          assert.strictEqual(twice.body.count, 4)
        }),
      ),
  )

  it.effect("forgets a key after its retention", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          const text = JSON.stringify(upload)
          const key = { key: "k-2", fingerprint: "digest-1" }
          yield* api.uploadJson(text, receivedAt, key)
          yield* TestClock.adjust("61 minutes")
          yield* api.uploadJson(text, receivedAt, key)
          const counted = yield* api.eventCount({
            event_name: "Charged",
            from: 20161224,
            to: 20170101,
          })
          assert.strictEqual(counted.body.count, 4)
        }),
      { idempotencyRetention: "1 hour" },
    ),
  )

  it.effect("answers an upload whose rejected record nests 5000 levels deep, stored once", () =>
    withApi((api) =>
      Effect.gen(function* () {
        const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`
        const text = `{"d":[${JSON.stringify(upload.d[0])},{"type":"event","identity":"x","evtName":"Charged","evtData":${deep}}]}`
        const answer = yield* api.uploadJson(text, receivedAt)
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(answer.body.processed, 1)
        // The answer serializes (the route's JSON.stringify overflowed the stack before).
        const wire = JSON.parse(JSON.stringify(answer.body)) as {
          unprocessed: Array<{ index: number; code: number }>
        }
        assert.deepStrictEqual(
          wire.unprocessed.map(({ index, code }) => ({ index, code })),
          [{ index: 1, code: 512 }],
        )
      }),
    ),
  )

  it.effect("takes an upload's text: parsed after the gate, in process or by Ingest", () =>
    Effect.gen(function* () {
      const text = JSON.stringify(upload)
      // In process: parsed and stored here; text that is not JSON is a 400 naming why.
      yield* withApi((api) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* api.uploadJson(text, receivedAt), {
            status: 200,
            body: { status: "success", processed: 2, unprocessed: [] },
          })
          const broken = yield* api.uploadJson('{"d": [', receivedAt)
          assert.strictEqual(broken.status, 400)
          assert.include(String(broken.body.error), "the body is not valid JSON")
          assert.strictEqual((yield* api.trends(seed)).status, 200)
        }),
      )
      // Elsewhere: the text goes to Ingest as it came, once the gate admits it.
      const seen: Array<string> = []
      const elsewhere: AccountApi.IngestService = {
        ingestJson: (_, body) =>
          Effect.as(
            Effect.sync(() => seen.push(body)),
            {
              status: "success" as const,
              processed: 0,
              unprocessed: [],
            },
          ).pipe(Effect.delay("1 second")),
      }
      yield* withApi(
        (api) =>
          Effect.gen(function* () {
            const admitted = yield* Effect.fork(api.uploadJson(text, receivedAt))
            yield* Effect.yieldNow()
            const refused = yield* api.uploadJson("never parsed", receivedAt)
            assert.strictEqual(refused.status, 429)
            yield* TestClock.adjust("1 second")
            assert.strictEqual((yield* Fiber.join(admitted)).status, 200)
            assert.deepStrictEqual(seen, [text])
          }),
        { maxConcurrentUploads: 1 },
      ).pipe(Effect.provideService(AccountApi.Ingest, elsewhere))
    }),
  )

  it.effect("answers 429 to a read beyond maxPendingQueries unpolled answers, until a poll", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          const count = { event_name: "Charged", from: 20161201, to: 20170131 }
          const first = yield* api.eventCount(count)
          assert.strictEqual(first.body.status, "partial")
          yield* Effect.yieldNow()
          assert.deepStrictEqual(yield* api.trends(seed), {
            status: 429,
            body: {
              status: "fail",
              error:
                "Too many query answers waiting to be polled (1): poll their req_id or wait for them to expire after 2 minutes",
              code: 429,
            },
          })
          assert.strictEqual((yield* api.poll("events", String(first.body.req_id))).status, 200)
          assert.strictEqual((yield* api.trends(seed)).body.status, "partial")
        }),
      { syncBudget: 0, retention: "2 minutes", maxPendingQueries: 1 },
    ),
  )

  it.effect("finds a finished read in the archive after the registry that ran it is gone", () =>
    Effect.gen(function* () {
      const entries = new Map<number, AccountApi.ArchivedAnswer>()
      const archive: AccountApi.AnswerArchive = {
        put: (reqId, entry) => Effect.sync(() => void entries.set(reqId, entry)),
        get: (reqId, now) =>
          Effect.sync(() =>
            Option.filter(Option.fromNullable(entries.get(reqId)), (e) => e.expiresAt >= now),
          ),
      }
      const options = { ...AccountApi.defaultOptions, syncBudget: 0 }
      const count = { event_name: "Charged", from: 20161201, to: 20170131 }
      // The first API (think: a Durable Object, later evicted) answers partial and finishes.
      const reqId = yield* Effect.scoped(
        Effect.gen(function* () {
          const api = yield* AccountApi.make(account, options, archive)
          yield* api.upload(upload, receivedAt)
          const partial = yield* api.eventCount(count)
          yield* Effect.yieldNow()
          assert.strictEqual(partial._tag, "Pending")
          return String(partial._tag === "Pending" ? partial.reqId : 0)
        }),
      )
      // A fresh API over the same archive still answers the poll, for the retention only.
      yield* Effect.scoped(
        Effect.gen(function* () {
          // In types here: the archive's wire answer comes back as the result it was.
          const api = yield* AccountApi.make(account, options, archive)
          assert.deepStrictEqual(
            yield* api.poll("events", reqId),
            QueryJob.Reply.Completed({ result: 2 }),
          )
          assert.strictEqual(
            (yield* Effect.flip(api.poll("trends", reqId)))._tag,
            "UnknownRequestId",
          )
          yield* TestClock.adjust("10 minutes")
          assert.deepStrictEqual(
            yield* api.poll("events", reqId),
            QueryJob.Reply.Completed({ result: 2 }),
          )
          yield* TestClock.adjust("1 second")
          assert.strictEqual(
            (yield* Effect.flip(api.poll("events", reqId)))._tag,
            "UnknownRequestId",
          )
        }),
      )
    }).pipe(Effect.provide(EventStore.layerMemory)),
  )

  it.effect("answers 503 when the store fails, without its details", () =>
    withApi(
      (api) =>
        Effect.gen(function* () {
          for (const answer of [yield* api.trends(seed), yield* api.upload(upload, receivedAt)]) {
            assert.deepStrictEqual(answer, {
              status: 503,
              body: {
                status: "fail",
                error: "The event store is unavailable; try again later",
                code: 503,
              },
            })
          }
        }),
      {},
      brokenStore,
    ),
  )
})
