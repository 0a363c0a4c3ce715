// Top property counts (`EventStore.Service.top`): answered from the event log
// (`internal/eventScan.ts`), exactly as core's reference store answers them, on
// `node:sqlite` in memory, in the engine's slices, and through the pool's reader threads.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import type * as Filter from "@trendline/core/Filter"
import * as TopCounts from "@trendline/core/TopCounts"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { afterAll, it as vitestIt } from "vitest"
import * as Engine from "../src/internal/engine.ts"
import { at, charged, engines, record } from "./scanFixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-top-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const day = Calendar.unsafeMakeDay
let accounts = 0
const freshAccount = (options: Parameters<typeof Account.make>[1] = {}): Account.Settings =>
  Account.make(`top-${++accounts}`, options)

// A request as a client sends it, decoded and planned by core: January 2024 of `Charged`
// unless `body` says otherwise.
const planOf = (
  account: Account.Settings,
  body: { readonly [field: string]: unknown },
): Effect.Effect<TopCounts.TopPlan> =>
  TopCounts.decode({ event_name: "Charged", from: 20240101, to: 20240131, ...body }).pipe(
    Effect.map((request) => TopCounts.plan(request, account)),
    Effect.orDie,
  )

const onEvent = (name: string, top_n?: number, order?: "asc" | "desc") => ({
  property_type: "event_properties",
  name,
  ...(top_n === undefined ? {} : { top_n }),
  ...(order === undefined ? {} : { order }),
})
const onProfile = (name: string, top_n?: number, order?: "asc" | "desc") => ({
  ...onEvent(name, top_n, order),
  property_type: "profile_fields",
})

// Text, numbers and booleans of the same look; values that count for nothing (an object,
// a list); another event, and events outside the range.
const events: ReadonlyArray<Aggregator.Event> = [
  charged("a", at(1, 1, 0, 10), { Plan: "pro", Amount: 5, Paid: true }),
  charged("a", at(1, 3, 23, 50), { Plan: "pro", Amount: "5", Paid: false }),
  charged("b", at(1, 8, 12), { Plan: "team", Amount: 5, Paid: true, Meta: { tier: 1 } }),
  charged("b", at(1, 9, 18, 40), { Plan: "5", Amount: 2.5, Tags: ["x"] }),
  charged("c", at(1, 15, 3), { Plan: 5, Amount: 5, Paid: "true" }),
  charged("c", at(1, 31, 23, 59), { Plan: "pro" }),
  charged("d", at(1, 20, 6), {}),
  charged("a", at(2, 1, 0), { Plan: "pro", Amount: 5 }),
  charged("a", at(12, 31, 23), { Plan: "pro", Amount: 5 }),
  { ...charged("a", at(1, 3, 12), { Plan: "pro", Amount: 5 }), name: "Viewed" },
]

// a changes plan after its events (fields as stored now count); c and d have no record.
const profiles: ReadonlyArray<EventStore.Profile> = [
  record("a", 1, { Plan: "free", Country: "IN" }),
  record("b", 1, { Country: "US", Beta: true, Seats: 3 }),
  record("a", 2, { Plan: "pro" }),
]

// Appends `batches` to the store and to core's reference store, and checks every plan.
const answersAsReference = (
  store: EventStore.Service,
  account: Account.Settings,
  batches: ReadonlyArray<EventStore.Batch>,
  plans: ReadonlyArray<TopCounts.TopPlan>,
) =>
  Effect.gen(function* () {
    const reference = yield* EventStore.makeMemory()
    for (const batch of batches) {
      yield* store.append(account, batch)
      yield* reference.append(account, batch)
    }
    for (const plan of plans) {
      assert.deepStrictEqual(
        yield* store.top(account, plan),
        yield* reference.top(account, plan),
        JSON.stringify(plan),
      )
    }
    return reference
  })

layer(NodeSqlite.layer({ filename: ":memory:" }))("SQLite store, top property counts", (it) => {
  it.effect("counts event properties: text, numbers and booleans apart, ties by JSON bytes", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const plan = yield* planOf(account, {
        groups: {
          plans: onEvent("Plan"),
          least: onEvent("Plan", undefined, "asc"),
          two: onEvent("Plan", 2),
          amounts: onEvent("Amount"),
          paid: onEvent("Paid"),
        },
      })
      // A request has at most 5 groups.
      const nothing = yield* planOf(account, {
        groups: { objects: onEvent("Meta"), lists: onEvent("Tags"), missing: onEvent("Nothing") },
      })
      yield* answersAsReference(store, account, [{ events, profiles: [] }], [plan, nothing])
      // By hand: `"5"` (text) sorts before `"team"`, both before the number 5 (`"` < `5`).
      assert.deepStrictEqual(yield* store.top(account, plan), {
        plans: [
          { value: "pro", count: 3 },
          { value: "5", count: 1 },
          { value: "team", count: 1 },
          { value: 5, count: 1 },
        ],
        least: [
          { value: "5", count: 1 },
          { value: "team", count: 1 },
          { value: 5, count: 1 },
          { value: "pro", count: 3 },
        ],
        two: [
          { value: "pro", count: 3 },
          { value: "5", count: 1 },
        ],
        amounts: [
          { value: 5, count: 3 },
          { value: "5", count: 1 },
          { value: 2.5, count: 1 },
        ],
        paid: [
          { value: true, count: 2 },
          { value: "true", count: 1 },
          { value: false, count: 1 },
        ],
      })
      assert.deepStrictEqual(yield* store.top(account, nothing), {
        objects: [],
        lists: [],
        missing: [],
      })
    }),
  )

  it.effect("breaks ties by UTF-8 bytes, not UTF-16 units; keeps top_n and order", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      // U+FF21 sorts after U+1F600 in UTF-16 (a surrogate, 0xD83D), before it in UTF-8.
      const values = ["\uFF21", "\u{1F600}", "é", "z", "Z", 10, 9, -1, 0.5, true, false]
      const tied = values.map((Value, i) => charged(`p${i}`, at(1, 2 + i, 12), { Value }))
      // Three more of "z" and one more of 9: ranked by count before the ties.
      const more = [3, 4, 5].map((h) => charged("q", at(1, 20, h), { Value: "z" }))
      more.push(charged("q", at(1, 21, 1), { Value: 9 }))
      const plan = yield* planOf(account, {
        groups: {
          desc: onEvent("Value", 100),
          asc: onEvent("Value", 100, "asc"),
          top3: onEvent("Value", 3),
          bottom3: onEvent("Value", 3, "asc"),
          byDefault: onEvent("Value"),
        },
      })
      yield* answersAsReference(
        store,
        account,
        [{ events: [...tied, ...more], profiles: [] }],
        [plan],
      )
      const result = yield* store.top(account, plan)
      assert.deepStrictEqual(
        result.desc?.map((entry) => entry.value),
        ["z", 9, "Z", "é", "\uFF21", "\u{1F600}", -1, 0.5, 10, false, true],
      )
      assert.deepStrictEqual(result.desc?.[0], { value: "z", count: 4 })
      assert.deepStrictEqual(
        result.asc?.map((entry) => entry.value),
        ["Z", "é", "\uFF21", "\u{1F600}", -1, 0.5, 10, false, true, 9, "z"],
      )
      assert.deepStrictEqual(result.top3, result.desc?.slice(0, 3))
      assert.deepStrictEqual(result.bottom3, result.asc?.slice(0, 3))
      // `top_n` is 10 by default.
      assert.deepStrictEqual(result.byDefault, result.desc?.slice(0, 10))
    }),
  )

  it.effect("counts profile fields as stored now, with no filter on profiles", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const plan = yield* planOf(account, {
        groups: {
          plan: onProfile("Plan"),
          country: onProfile("Country"),
          beta: onProfile("Beta", 5, "asc"),
          seats: onProfile("Seats"),
          eventPlan: onEvent("Plan", 1),
        },
      })
      const batches = [
        { events: events.slice(0, 4), profiles: profiles.slice(0, 2) },
        { events: events.slice(4), profiles: profiles.slice(2) },
      ]
      yield* answersAsReference(store, account, batches, [plan])
      assert.deepStrictEqual(yield* store.top(account, plan), {
        plan: [{ value: "pro", count: 2 }],
        country: [
          { value: "IN", count: 2 },
          { value: "US", count: 2 },
        ],
        beta: [{ value: true, count: 2 }],
        seats: [{ value: 3, count: 2 }],
        eventPlan: [{ value: "pro", count: 3 }],
      })
      // A later record changes the answer of the same plan; c gets a record too.
      yield* store.append(account, {
        events: [],
        profiles: [record("a", 0, { Country: "FR" }), record("c", 5, { Country: "US" })],
      })
      assert.deepStrictEqual((yield* store.top(account, plan)).country, [
        { value: "US", count: 4 },
        { value: "IN", count: 2 },
      ])
    }),
  )

  it.effect("counts only the events that match event and profile filters", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const groups = {
        amount: onEvent("Amount"),
        plan: onEvent("Plan"),
        country: onProfile("Country"),
        profilePlan: onProfile("Plan"),
      }
      const bodies = [
        { event_properties: [{ name: "Plan", operator: "equals", value: "pro" }] },
        { event_properties: [{ name: "Amount", operator: "greater_than", value: 3 }] },
        { event_properties: [{ name: "Paid", operator: "equals", value: "True" }] },
        { common_profile_properties: [{ name: "Country", operator: "equals", value: "US" }] },
        { common_profile_properties: [{ name: "Plan", operator: "does_not_exist" }] },
        {
          event_properties: [{ name: "Plan", operator: "contains", value: "e" }],
          common_profile_properties: [{ name: "Beta", operator: "equals", value: true }],
        },
      ]
      const plans: Array<TopCounts.TopPlan> = []
      for (const body of bodies) plans.push(yield* planOf(account, { ...body, groups }))
      yield* answersAsReference(store, account, [{ events, profiles }], plans)
      assert.deepStrictEqual(yield* store.top(account, plans[0]!), {
        amount: [
          { value: "5", count: 1 },
          { value: 5, count: 1 },
        ],
        plan: [{ value: "pro", count: 3 }],
        country: [{ value: "IN", count: 2 }],
        profilePlan: [{ value: "pro", count: 2 }],
      })
      assert.deepStrictEqual(yield* store.top(account, plans[3]!), {
        amount: [
          { value: 2.5, count: 1 },
          { value: 5, count: 1 },
        ],
        plan: [
          { value: "5", count: 1 },
          { value: "team", count: 1 },
        ],
        country: [{ value: "US", count: 2 }],
        profilePlan: [],
      })
    }),
  )

  it.effect("cuts the range in the account's zone, and answers at once in a new zone", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const kolkata = freshAccount({ timeZone: "Asia/Kolkata" })
      const edges = [
        // 2023-12-31 19:00Z is 2024-01-01 00:30 in Kolkata: in January there.
        charged("a", Date.UTC(2023, 11, 31, 19) / 1000, { Plan: "edge-in" }),
        // 2024-01-31 19:00Z is 2024-02-01 00:30 in Kolkata: not in January there.
        charged("a", at(1, 31, 19), { Plan: "edge-out" }),
        // 2024-01-31 18:00Z is 23:30 in Kolkata: still January.
        charged("a", at(1, 31, 18), { Plan: "late" }),
      ]
      const groups = { plan: onEvent("Plan", 20), country: onProfile("Country") }
      const plan = yield* planOf(kolkata, { groups })
      const reference = yield* answersAsReference(
        store,
        kolkata,
        [{ events: [...events, ...edges], profiles }],
        [plan],
      )
      const values = (yield* store.top(kolkata, plan)).plan?.map((entry) => entry.value) ?? []
      assert.include(values, "edge-in")
      assert.include(values, "late")
      assert.notInclude(values, "edge-out")
      // The account moves to another zone: no rebuild to wait for, the log answers.
      const saoPaulo = Account.make(kolkata.id, { timeZone: "America/Sao_Paulo" })
      const moved = yield* planOf(saoPaulo, {
        groups,
        event_properties: [{ name: "Plan", operator: "exists" }],
      })
      assert.deepStrictEqual(
        yield* store.top(saoPaulo, moved),
        yield* reference.top(saoPaulo, moved),
      )
      const there = (yield* store.top(saoPaulo, moved)).plan?.map((entry) => entry.value) ?? []
      assert.include(there, "edge-out")
      assert.notInclude(there, "edge-in")
    }),
  )

  it.effect("answers every group with an empty list for an event or account never stored", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const groups = { plan: onEvent("Plan"), country: onProfile("Country") }
      const plan = yield* planOf(account, { groups })
      assert.deepStrictEqual(yield* store.top(account, plan), { plan: [], country: [] })
      yield* store.append(account, { events, profiles })
      const never = yield* planOf(account, { event_name: "Never", groups })
      assert.deepStrictEqual(yield* store.top(account, never), { plan: [], country: [] })
      // Another account's events are not this one's.
      const stranger = freshAccount()
      yield* store.append(stranger, {
        events: [charged("z", at(1, 5, 5), { Plan: "pro" })],
        profiles: [record("z", 1, { Country: "NZ" })],
      })
      assert.deepStrictEqual(yield* store.top(stranger, plan), {
        plan: [{ value: "pro", count: 1 }],
        country: [{ value: "NZ", count: 1 }],
      })
    }),
  )

  it.effect("reads many log rows, and batches logged in several rows", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const batches: Array<EventStore.Batch> = Array.from({ length: 300 }, (_, i) => ({
        events: [
          charged(`p${i % 40}`, at(1, 1 + (i % 31), i % 24), {
            Plan: ["pro", "free", "team", 7][i % 4]!,
            Amount: i % 13,
          }),
        ],
        profiles: i % 50 === 0 ? [record(`p${i % 40}`, i, { Tier: i % 100 === 0 ? 1 : 2 })] : [],
      }))
      batches.push({
        events: Array.from({ length: 40 }, (_, i) =>
          charged(`p${i}`, at(1, 2 + Math.floor(i / 2), 0), {
            Plan: i % 2 === 0 ? "pro" : "team",
            Amount: i % 7,
            Notes: "n".repeat(30_000),
          }),
        ),
        profiles: [],
      })
      const groups = {
        plan: onEvent("Plan"),
        amount: onEvent("Amount", 5, "asc"),
        tier: onProfile("Tier"),
      }
      yield* answersAsReference(store, account, batches, [
        yield* planOf(account, { groups }),
        yield* planOf(account, {
          groups,
          common_profile_properties: [{ name: "Tier", operator: "equals", value: 1 }],
        }),
      ])
    }),
  )

  const propertyName = fc.constantFrom("Plan", "Amount", "Paid", "Coupon")
  const propertyValue = fc.oneof(
    fc.constantFrom("free", "pro", "Pro", "team", "", "True", "false", "5", "é", "\u{1F600}"),
    fc.integer({ min: -3, max: 6 }),
    fc.constantFrom(0.5, -1.25, 2 ** 53 - 1),
    fc.boolean(),
  )
  const profileKey = fc.constantFrom(...Array.from({ length: 10 }, (_, i) => `identity:u${i}`))
  const rangeStart = day(2024, 3, 1)
  const eventArbitrary = fc.record({
    name: fc.constantFrom("Charged", "Charged", "Viewed"),
    profile: profileKey,
    ts: fc.integer({ min: (rangeStart - 2) * 86_400, max: (rangeStart + 40) * 86_400 }),
    properties: fc.dictionary(propertyName, propertyValue, { maxKeys: 4 }),
  })
  const recordArbitrary = fc.record({
    profile: profileKey,
    ts: fc.integer({ min: 1, max: 100 }),
    properties: fc.dictionary(propertyName, propertyValue, { maxKeys: 3 }),
  })
  const conditionArbitrary: fc.Arbitrary<Filter.Condition> = fc.oneof(
    fc.record({
      name: propertyName,
      operator: fc.constantFrom<Filter.Operator>("exists", "does_not_exist"),
      values: fc.constant([]),
    }),
    fc.record({
      name: propertyName,
      operator: fc.constantFrom<Filter.Operator>("equals", "not_equals"),
      values: fc.array(fc.oneof(fc.constantFrom("pro", "free", "True", "5"), fc.integer()), {
        minLength: 1,
        maxLength: 2,
      }),
    }),
    fc.record({
      name: propertyName,
      operator: fc.constantFrom<Filter.Operator>("greater_than", "less_than_equals"),
      values: fc.array(fc.integer({ min: -3, max: 6 }), { minLength: 1, maxLength: 2 }),
    }),
  )
  const caseArbitrary = fc.record({
    events: fc.array(eventArbitrary, { maxLength: 120 }),
    before: fc.array(recordArbitrary, { maxLength: 8 }),
    after: fc.array(recordArbitrary, { maxLength: 8 }),
    split: fc.nat(120),
    timeZone: fc.constantFrom("UTC", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"),
    from: fc.integer({ min: rangeStart - 1, max: rangeStart + 30 }),
    length: fc.integer({ min: 0, max: 25 }),
    filters: fc.record({
      event: fc.array(conditionArbitrary, { maxLength: 2 }),
      profile: fc.array(conditionArbitrary, { maxLength: 2 }),
    }),
    groups: fc.array(
      fc.record({
        source: fc.constantFrom<TopCounts.GroupPlan["source"]>("event", "profile"),
        property: propertyName,
        topN: fc.integer({ min: 1, max: 8 }),
        order: fc.constantFrom<TopCounts.GroupPlan["order"]>("desc", "asc"),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })

  vitestIt("answers random plans over random events and profiles as the reference", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, (c) =>
        Effect.runPromise(
          Effect.gen(function* () {
            const store = yield* EventStore.EventStore
            const account = freshAccount({ timeZone: c.timeZone })
            const to = c.from + c.length
            const plan: TopCounts.TopPlan = {
              eventName: "Charged",
              timeZone: c.timeZone,
              from: c.from,
              to,
              start: Calendar.startOfDay(c.from, c.timeZone),
              end: Calendar.startOfDay(to + 1, c.timeZone),
              filters: c.filters,
              groups: c.groups.map((group, i) => ({ name: `g${i}`, ...group })),
            }
            yield* answersAsReference(
              store,
              account,
              [
                { events: c.events.slice(0, c.split), profiles: c.before },
                { events: c.events.slice(c.split), profiles: c.after },
              ],
              [plan],
            )
          }).pipe(Effect.provide(NodeSqlite.layer({ filename: ":memory:" }))),
        ),
      ),
      { numRuns: 150 },
    )
  })
})

describe("SQLite engine, top property counts", () => {
  const engineOf = engines()

  it.effect("reads the log in chunks, yielding its estimated work as it goes", () =>
    Effect.gen(function* () {
      const engine = engineOf()
      const account = Account.make("acme")
      // 2000 rows of 50 events each, 700 profiles with a record each.
      const all: Array<Aggregator.Event> = []
      const fields = new Map<string, EventStore.Profile["properties"]>()
      for (let batch = 0; batch < 2000; batch++) {
        const events = Array.from({ length: 50 }, (_, i) =>
          charged(`p${(batch * 50 + i) % 700}`, at(1, 1 + (i % 28), batch % 24), {
            Plan: i % 4 === 0 ? "pro" : `plan ${(batch + i) % 17}`,
            Amount: i,
          }),
        )
        const records =
          batch < 700 ? [record(`p${batch}`, 1, { Country: `C${batch % 9}`, Seats: batch })] : []
        engine.append(account, { events, profiles: records })
        all.push(...events)
        for (const { profile, properties } of records) fields.set(profile, properties)
      }
      const plan = yield* planOf(account, {
        groups: {
          plan: onEvent("Plan", 20),
          amount: onEvent("Amount", 5, "asc"),
          country: onProfile("Country"),
          seats: onProfile("Seats", 100),
        },
      })
      const steps = engine.top(account, plan)
      const yields: Array<number> = []
      let next = steps.next()
      while (next.done !== true) {
        yields.push(next.value)
        next = steps.next()
      }
      assert.isAbove(yields.length, 50)
      for (const micros of yields) assert.isAbove(micros, 0)
      // No slice much longer than a row's worth of work.
      assert.isBelow(Math.max(...yields), 1000)
      assert.deepStrictEqual(
        next.value,
        TopCounts.reference(plan, all, (key) => fields.get(key)),
      )
      assert.deepStrictEqual(next.value.plan?.[0], { value: "pro", count: 26_000 })
    }),
  )

  it.effect("answers in a zone its rollups are not in, without a rebuild", () =>
    Effect.gen(function* () {
      const engine = engineOf()
      engine.append(Account.make("acme"), { events, profiles })
      const moved = Account.make("acme", { timeZone: "Asia/Kolkata" })
      const plan = yield* planOf(moved, { groups: { plan: onEvent("Plan") } })
      const reference = yield* EventStore.makeMemory()
      yield* reference.append(moved, { events, profiles })
      assert.deepStrictEqual(
        Engine.runToEnd(engine.top(moved, plan)),
        yield* reference.top(moved, plan),
      )
    }),
  )
})

describe("SQLite pool, top property counts", () => {
  it.effect("its reader threads answer top counts as the reference", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store } = yield* NodeSqlitePool.make({
          filename: join(folder, "pool.db"),
          readers: 2,
        })
        const account = freshAccount({ timeZone: "Europe/London" })
        const groups = {
          plan: onEvent("Plan"),
          amount: onEvent("Amount", 2, "asc"),
          country: onProfile("Country"),
        }
        const plans = [
          yield* planOf(account, { groups }),
          yield* planOf(account, {
            groups,
            common_profile_properties: [{ name: "Country", operator: "exists" }],
          }),
          yield* planOf(account, { event_name: "Never", groups }),
        ]
        const reference = yield* answersAsReference(
          store,
          account,
          [
            { events: events.slice(0, 5), profiles: profiles.slice(0, 1) },
            { events: events.slice(5), profiles: profiles.slice(1) },
          ],
          plans,
        )
        assert.deepStrictEqual(yield* store.top(account, plans[2]!), {
          plan: [],
          amount: [],
          country: [],
        })
        // An event the readers have not seen yet: they read the account's names again.
        const signedUp = { ...charged("b", at(1, 4, 4), { Plan: "team" }), name: "Signed Up" }
        yield* store.append(account, { events: [signedUp], profiles: [] })
        yield* reference.append(account, { events: [signedUp], profiles: [] })
        const signed = yield* planOf(account, { event_name: "Signed Up", groups })
        assert.deepStrictEqual(yield* store.top(account, signed), {
          plan: [{ value: "team", count: 1 }],
          amount: [],
          country: [{ value: "US", count: 1 }],
        })
        assert.deepStrictEqual(
          yield* store.top(account, signed),
          yield* reference.top(account, signed),
        )
      }),
    ),
  )
})
