// Plans with filters: answered from the event log (`internal/eventScan.ts`), exactly as
// core's reference store answers them, on `node:sqlite` in memory and through the pool.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { afterAll, it as vitestIt } from "vitest"
import { profilePartUnits } from "../src/internal/accounts.ts"
import * as Engine from "../src/internal/engine.ts"
import { at, charged, engines, logOnly, record } from "./scanFixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-filters-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const day = Calendar.unsafeMakeDay
let accounts = 0
const freshAccount = (options: Parameters<typeof Account.make>[1] = {}): Account.Settings =>
  Account.make(`filters-${++accounts}`, options)

const where = (
  name: string,
  operator: Filter.Operator,
  ...values: Array<Filter.Value>
): Filter.Condition => ({ name, operator, values })

const onEvents = (...event: Array<Filter.Condition>): Filter.Filters => ({ event, profile: [] })
const onProfiles = (...profile: Array<Filter.Condition>): Filter.Filters => ({ event: [], profile })

const measures = [Measure.Events, Measure.Profiles, Measure.sum("Amount")] as const
const allGroups = [
  { name: "day", granularity: "daily" },
  { name: "week", granularity: "weekly" },
  { name: "month", granularity: "monthly" },
  { name: "all", granularity: "total" },
] as const

const planOf = (
  account: Account.Settings,
  filters: Filter.Filters,
  input: Partial<QueryPlan.Input> = {},
): QueryPlan.QueryPlan =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from: day(2024, 1, 1),
      to: day(2024, 2, 10),
      measure: Measure.Events,
      groups: allGroups,
      filters,
      ...input,
    },
    account,
  )

// Every plan of `filters`, once per measure.
const plansOf = (account: Account.Settings, filters: ReadonlyArray<Filter.Filters>) =>
  filters.flatMap((f) => measures.map((measure) => planOf(account, f, { measure })))

// Events with every kind of property an upload stores, some missing, some of another event.
const events: ReadonlyArray<Aggregator.Event> = [
  charged("a", at(1, 1, 0, 10), { Plan: "pro", Amount: 10, Score: 2.5, Paid: true }),
  charged("a", at(1, 1, 23, 50), { Plan: "Pro", Amount: 5, Paid: false }),
  charged("b", at(1, 2, 12), { Plan: "pro plus", Amount: -3, Coupon: "" }),
  charged("b", at(1, 8, 18, 40), { Plan: "team", Amount: 7, Score: 0.5 }),
  charged("c", at(1, 9, 3), { Plan: "free", Amount: 2 ** 52, Paid: true }),
  charged("c", at(1, 9, 4), { Plan: "free", Amount: 2 ** 52, Coupon: "WINTER" }),
  charged("d", at(1, 15, 6), { Amount: "12", Plan: 5 }),
  charged("d", at(1, 31, 20), { Amount: 1.5, Plan: "5" }),
  charged("e", at(2, 1, 0), { Plan: "True", Paid: "false" }),
  charged("e", at(2, 5, 22), {}),
  charged("f", at(2, 10, 19), { Plan: "pro", Amount: 4 }),
  charged("a", at(2, 11, 1), { Plan: "pro", Amount: 100 }),
  { ...charged("a", at(1, 3, 12), { Plan: "pro", Amount: 1000 }), name: "Viewed" },
]

// One filter per operator, single values and lists, and a few together.
const eventFilters: ReadonlyArray<Filter.Filters> = [
  onEvents(where("Plan", "equals", "pro")),
  onEvents(where("Plan", "equals", "pro", "team", 5)),
  onEvents(where("Paid", "equals", "True")),
  onEvents(where("Paid", "equals", "false")),
  onEvents(where("Plan", "not_equals", "pro")),
  onEvents(where("Plan", "not_equals", "pro", "free")),
  onEvents(where("Plan", "contains", "pro")),
  onEvents(where("Plan", "contains", "ro", "ea")),
  onEvents(where("Coupon", "contains", "")),
  onEvents(where("Plan", "does_not_contain", "pro")),
  onEvents(where("Plan", "does_not_contain", "pro", "fr")),
  onEvents(where("Coupon", "exists")),
  onEvents(where("Coupon", "does_not_exist")),
  onEvents(where("Score", "does_not_exist")),
  onEvents(where("Amount", "greater_than", 4)),
  onEvents(where("Amount", "greater_than", 1000, 4)),
  onEvents(where("Amount", "greater_than_equals", 5)),
  onEvents(where("Amount", "less_than", 5)),
  onEvents(where("Amount", "less_than_equals", 5, -10)),
  onEvents(where("Score", "less_than", 1)),
  onEvents(where("Plan", "exists"), where("Amount", "greater_than", 0)),
  onEvents(where("Plan", "contains", "pro"), where("Paid", "does_not_exist")),
  onEvents(where("Nothing", "equals", "pro")),
]

// Appends `batches` to the store and to core's reference store, and checks every plan.
const answersAsReference = (
  store: EventStore.Service,
  account: Account.Settings,
  batches: ReadonlyArray<EventStore.Batch>,
  plans: (account: Account.Settings) => ReadonlyArray<QueryPlan.QueryPlan>,
) =>
  Effect.gen(function* () {
    const reference = yield* EventStore.makeMemory()
    for (const batch of batches) {
      yield* store.append(account, batch)
      yield* reference.append(account, batch)
    }
    for (const plan of plans(account)) {
      assert.deepStrictEqual(
        yield* store.query(account, plan),
        yield* reference.query(account, plan),
        `${plan.measure._tag} ${plan.timeZone} ${JSON.stringify(plan.filters)}`,
      )
    }
    return reference
  })

layer(NodeSqlite.layer({ filename: ":memory:" }))("SQLite store, plans with filters", (it) => {
  it.effect("event-property filters of every operator, all measures and groups", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      yield* answersAsReference(store, account, [{ events, profiles: [] }], (a) =>
        plansOf(a, eventFilters),
      )
      // Not the unfiltered answer: a few by hand.
      const total = (filters: Filter.Filters, measure: Measure.Measure = Measure.Events) =>
        Effect.map(
          store.query(account, planOf(account, filters, { measure })),
          (result) => result.all?.[QueryPlan.totalKey],
        )
      assert.strictEqual(yield* total(Filter.none), 11)
      assert.strictEqual(yield* total(onEvents(where("Plan", "equals", "pro"))), 2)
      assert.strictEqual(yield* total(onEvents(where("Plan", "equals", "pro", 5))), 3)
      assert.strictEqual(yield* total(onEvents(where("Coupon", "does_not_exist"))), 9)
      assert.strictEqual(
        yield* total(onEvents(where("Plan", "contains", "pro")), Measure.sum("Amount")),
        11,
      )
      assert.strictEqual(
        yield* total(onEvents(where("Paid", "equals", "True")), Measure.sum("Amount")),
        10 + 2 ** 52,
      )
      assert.strictEqual(
        yield* total(onEvents(where("Plan", "equals", "free")), Measure.sum("Amount")),
        2 ** 53,
      )
      assert.strictEqual(
        yield* total(onEvents(where("Plan", "contains", "pro")), Measure.Profiles),
        3,
      )
    }),
  )

  it.effect("adds the sums of matching events exactly, rounded once", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      // Added one by one as numbers, 2^53 + 1 rounds back to 2^53 four times over.
      const amounts = [2 ** 53 - 1, 1, 1, 1, 1, 1, 2 ** 53 - 1, -(2 ** 53 - 1)]
      const big = amounts.map((Amount, i) =>
        charged(`s${i}`, at(1, 3, i), { Amount, Kind: i < 6 ? "big" : "other" }),
      )
      yield* answersAsReference(store, account, [{ events: big, profiles: [] }], (a) =>
        plansOf(a, [onEvents(where("Kind", "equals", "big")), onEvents(where("Amount", "exists"))]),
      )
      const result = yield* store.query(
        account,
        planOf(account, onEvents(where("Kind", "equals", "big")), {
          measure: Measure.sum("Amount"),
        }),
      )
      assert.strictEqual(result.all?.[QueryPlan.totalKey], 2 ** 53 + 4)
    }),
  )

  it.effect("profile filters read the profile's fields as stored now", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const batches: ReadonlyArray<EventStore.Batch> = [
        // a starts free, b is pro, c and d never get a profile record.
        {
          events: events.slice(0, 6),
          profiles: [
            record("a", 100, { Plan: "free", Age: 30 }),
            record("b", 100, { Plan: "pro", Age: 41, Verified: true }),
          ],
        },
        // e gets one; a becomes pro after its events; an older record of b loses.
        {
          events: events.slice(6),
          profiles: [
            record("e", 100, { Plan: "team", City: "Pune" }),
            record("a", 200, { Plan: "pro" }),
            record("b", 50, { Plan: "free", City: "Lima" }),
          ],
        },
      ]
      const profileFilters = [
        onProfiles(where("Plan", "equals", "pro")),
        onProfiles(where("Plan", "not_equals", "pro")),
        onProfiles(where("Plan", "exists")),
        onProfiles(where("Plan", "does_not_exist")),
        onProfiles(where("City", "contains", "i")),
        onProfiles(where("Age", "greater_than", 35)),
        onProfiles(where("Age", "less_than_equals", 30, 35)),
        onProfiles(where("Verified", "equals", "true")),
        onProfiles(where("Plan", "does_not_contain", "ea")),
        { event: [where("Amount", "greater_than", 0)], profile: [where("Plan", "equals", "pro")] },
        { event: [where("Paid", "exists")], profile: [where("Plan", "does_not_exist")] },
      ]
      yield* answersAsReference(store, account, batches, (a) => plansOf(a, profileFilters))
      // a's events before it became pro count as a pro's: fields as they are now.
      const pro = yield* store.query(
        account,
        planOf(account, onProfiles(where("Plan", "equals", "pro")), {
          from: day(2024, 1, 1),
          to: day(2024, 1, 2),
          groups: [{ name: "day", granularity: "daily" }],
        }),
      )
      assert.deepStrictEqual(pro, { day: { "20240101": 2, "20240102": 1 } })
      // Later records change the answer of the same plan.
      const noRecord = planOf(account, onProfiles(where("Plan", "does_not_exist")))
      const before = yield* store.query(account, noRecord)
      yield* store.append(account, { events: [], profiles: [record("c", 1, { Plan: "free" })] })
      const after = yield* store.query(account, noRecord)
      assert.strictEqual(before.all?.[QueryPlan.totalKey], 5)
      assert.strictEqual(after.all?.[QueryPlan.totalKey], 3)
    }),
  )

  it.effect("reads a profile stored in parts whole", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      // Its JSON is over two parts; `Plan`, written last, lies in the second.
      const long = record("a", 100, { Bio: "x".repeat(profilePartUnits + 10), Plan: "pro" })
      yield* answersAsReference(
        store,
        account,
        [{ events, profiles: [long, record("b", 100, { Plan: "pro" })] }],
        (a) =>
          plansOf(a, [
            onProfiles(where("Plan", "equals", "pro")),
            onProfiles(where("Bio", "contains", "xxx"), where("Plan", "exists")),
          ]),
      )
      const result = yield* store.query(
        account,
        planOf(account, onProfiles(where("Plan", "equals", "pro"))),
      )
      assert.strictEqual(result.all?.[QueryPlan.totalKey], 4)
    }),
  )

  it.effect("cuts days in a zone that is not UTC, and in any zone asked", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const kolkata = freshAccount({ timeZone: "Asia/Kolkata", weekStart: "sunday" })
      const batches = [
        { events, profiles: [record("a", 1, { Plan: "pro" }), record("c", 1, { Plan: "pro" })] },
      ]
      const filters = [
        onEvents(where("Amount", "greater_than", 0)),
        onProfiles(where("Plan", "equals", "pro")),
      ]
      const reference = yield* answersAsReference(store, kolkata, batches, (a) =>
        plansOf(a, filters),
      )
      // 2024-01-01T23:50Z is 2024-01-02 05:20 in Kolkata.
      const daily = yield* store.query(
        kolkata,
        planOf(kolkata, onEvents(where("Plan", "exists")), {
          from: day(2024, 1, 1),
          to: day(2024, 1, 2),
          groups: [{ name: "day", granularity: "daily" }],
        }),
      )
      assert.deepStrictEqual(daily, { day: { "20240101": 1, "20240102": 2 } })
      // The account moves to another zone: its rollups must be rebuilt for unfiltered plans,
      // but a filtered plan reads the log and answers in the new zone at once.
      const saoPaulo = Account.make(kolkata.id, { timeZone: "America/Sao_Paulo" })
      for (const plan of plansOf(saoPaulo, filters)) {
        assert.deepStrictEqual(
          yield* store.query(saoPaulo, plan),
          yield* reference.query(saoPaulo, plan),
        )
      }
    }),
  )

  it.effect("answers nothing for an event or an account it never stored", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      const filters = onEvents(where("Plan", "exists"))
      const plan = planOf(account, filters)
      assert.deepStrictEqual(yield* store.query(account, plan), QueryPlan.emptyResult(plan))
      yield* store.append(account, { events, profiles: [] })
      const other = planOf(account, filters, { eventName: "Never" })
      assert.deepStrictEqual(yield* store.query(account, other), QueryPlan.emptyResult(other))
      // Another account's events are not this one's.
      const stranger = freshAccount()
      yield* store.append(stranger, { events: [charged("z", at(1, 5, 5), {})], profiles: [] })
      const all = planOf(account, onEvents(where("Plan", "does_not_exist")))
      assert.strictEqual((yield* store.query(account, all)).all?.[QueryPlan.totalKey], 1)
    }),
  )

  it.effect("reads many log rows, and batches logged in several rows", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const account = freshAccount()
      // 300 small batches (a row each), then one batch of large events (several rows).
      const batches: Array<EventStore.Batch> = Array.from({ length: 300 }, (_, i) => ({
        events: [
          charged(`p${i % 40}`, at(1, 1 + (i % 31), i % 24), {
            Plan: i % 3 === 0 ? "pro" : "free",
            Amount: i,
          }),
        ],
        profiles: i % 50 === 0 ? [record(`p${i % 40}`, i, { Tier: i % 100 === 0 ? 1 : 2 })] : [],
      }))
      batches.push({
        events: Array.from({ length: 40 }, (_, i) =>
          charged(`p${i}`, at(1, 2 + Math.floor(i / 2), 0), {
            Plan: i % 2 === 0 ? "pro" : "team",
            Amount: i,
            Notes: "n".repeat(30_000),
          }),
        ),
        profiles: [],
      })
      yield* answersAsReference(store, account, batches, (a) =>
        plansOf(a, [
          onEvents(where("Plan", "equals", "pro")),
          { event: [where("Amount", "greater_than", 10)], profile: [where("Tier", "equals", 1)] },
        ]),
      )
    }),
  )

  const propertyName = fc.constantFrom("Plan", "Amount", "Score", "Paid", "Coupon")
  const propertyValue = fc.oneof(
    fc.constantFrom("free", "pro", "Pro", "team", "pro plus", "", "True", "false", "5"),
    fc.integer({ min: -3, max: 6 }),
    fc.constantFrom(0.5, 2.5, -1.25, 2 ** 53 - 1),
    fc.boolean(),
  )
  const profileKey = fc.constantFrom(...Array.from({ length: 10 }, (_, i) => `identity:u${i}`))
  const rangeStart = day(2024, 3, 1)
  const eventArbitrary = fc.record({
    name: fc.constantFrom("Charged", "Charged", "Viewed"),
    profile: profileKey,
    ts: fc.integer({ min: (rangeStart - 2) * 86_400, max: (rangeStart + 62) * 86_400 }),
    properties: fc.dictionary(propertyName, propertyValue, { maxKeys: 4 }),
  })
  const recordArbitrary = fc.record({
    profile: profileKey,
    ts: fc.integer({ min: 1, max: 100 }),
    properties: fc.dictionary(propertyName, propertyValue, { maxKeys: 3 }),
  })
  const valuesFor = (operator: Filter.Operator): fc.Arbitrary<Filter.Value> =>
    Filter.operators[operator] === "number"
      ? fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constantFrom(0.5, 2.5))
      : Filter.operators[operator] === "text"
        ? fc.constantFrom("pro", "r", "", "ee", "Pro", "5")
        : fc.oneof(
            fc.constantFrom("free", "pro", "team", "True", "false", "5"),
            fc.integer({ min: -3, max: 6 }),
            fc.constant(2.5),
          )
  const conditionArbitrary: fc.Arbitrary<Filter.Condition> = fc
    .constantFrom(...(Object.keys(Filter.operators) as Array<Filter.Operator>))
    .chain((operator) =>
      fc.record({
        name: propertyName,
        operator: fc.constant(operator),
        values:
          Filter.operators[operator] === "none"
            ? fc.constant([])
            : fc.array(valuesFor(operator), { minLength: 1, maxLength: 3 }),
      }),
    )
  const caseArbitrary = fc.record({
    events: fc.array(eventArbitrary, { maxLength: 120 }),
    before: fc.array(recordArbitrary, { maxLength: 8 }),
    after: fc.array(recordArbitrary, { maxLength: 8 }),
    split: fc.nat(120),
    timeZone: fc.constantFrom("UTC", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"),
    weekStart: fc.constantFrom<Bucket.WeekStart>("monday", "sunday"),
    from: fc.integer({ min: rangeStart - 1, max: rangeStart + 40 }),
    length: fc.integer({ min: 0, max: 25 }),
    measure: fc.constantFrom<Measure.Measure>(...measures),
    granularities: fc.array(
      fc.constantFrom<QueryPlan.RequestGranularity>("daily", "weekly", "monthly", "total"),
      { minLength: 1, maxLength: 3 },
    ),
    filters: fc
      .record({
        event: fc.array(conditionArbitrary, { maxLength: 3 }),
        profile: fc.array(conditionArbitrary, { maxLength: 3 }),
      })
      .filter((filters) => !Filter.isEmpty(filters)),
  })

  vitestIt("answers random filters over random events and profiles as the reference", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, (c) =>
        Effect.runPromise(
          Effect.gen(function* () {
            const store = yield* EventStore.EventStore
            const account = freshAccount({ timeZone: c.timeZone, weekStart: c.weekStart })
            const batches = [
              { events: c.events.slice(0, c.split), profiles: c.before },
              { events: c.events.slice(c.split), profiles: c.after },
            ]
            yield* answersAsReference(store, account, batches, (a) => [
              planOf(a, c.filters, {
                from: c.from,
                to: c.from + c.length,
                measure: c.measure,
                groups: c.granularities.map((granularity, i) => ({ name: `g${i}`, granularity })),
              }),
            ])
          }).pipe(Effect.provide(NodeSqlite.layer({ filename: ":memory:" }))),
        ),
      ),
      { numRuns: 150 },
    )
  })
})

describe("SQLite engine, plans with filters", () => {
  const engineOf = engines(logOnly)

  it("reads the log in chunks, yielding its estimated work as it goes", () => {
    const engine = engineOf()
    const account = Account.make("acme")
    // 2000 rows of 50 events each.
    const all: Array<Aggregator.Event> = []
    for (let batch = 0; batch < 2000; batch++) {
      const events = Array.from({ length: 50 }, (_, i) =>
        charged(`p${(batch * 50 + i) % 700}`, at(1, 1 + (i % 28), batch % 24), {
          Plan: i % 4 === 0 ? "pro" : "free",
          Amount: i,
        }),
      )
      all.push(...events)
      engine.append(account, { events, profiles: [] })
    }
    const plan = planOf(account, onEvents(where("Plan", "equals", "pro")), {
      measure: Measure.sum("Amount"),
    })
    const steps = engine.query(account, plan)
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
    // The same answer as the rollups of the matching events alone give, unfiltered.
    const reference = engineOf()
    reference.append(account, {
      events: all.filter((event) => event.properties.Plan === "pro"),
      profiles: [],
    })
    assert.deepStrictEqual(
      next.value,
      Engine.runToEnd(reference.query(account, { ...plan, filters: Filter.none })),
    )
  })

  it("answers a filtered plan in a zone its rollups are not in; an unfiltered one waits", () => {
    const engine = engineOf()
    engine.append(Account.make("acme"), { events, profiles: [] })
    const moved = Account.make("acme", { timeZone: "Asia/Kolkata" })
    const unfiltered = planOf(moved, Filter.none)
    assert.deepStrictEqual(Engine.runToEnd(engine.query(moved, unfiltered)), {
      _tag: "Rebuilding",
    })
    const filtered = planOf(moved, onEvents(where("Plan", "exists")))
    const outcome = Engine.runToEnd(engine.query(moved, filtered))
    assert.strictEqual(outcome._tag, "Result")
  })
})

describe("SQLite pool, plans with filters", () => {
  it.effect("its reader threads answer filtered plans as the reference", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store } = yield* NodeSqlitePool.make({
          filename: join(folder, "pool.db"),
          readers: 2,
        })
        const account = freshAccount({ timeZone: "Europe/London" })
        const batches = [
          { events: events.slice(0, 5), profiles: [record("a", 1, { Plan: "free" })] },
          {
            events: events.slice(5),
            profiles: [record("a", 2, { Plan: "pro" }), record("d", 2, { Plan: "team" })],
          },
        ]
        const reference = yield* answersAsReference(store, account, batches, (a) =>
          plansOf(a, [
            onEvents(where("Amount", "greater_than_equals", 5)),
            onProfiles(where("Plan", "equals", "pro", "team")),
            { event: [where("Plan", "contains", "pro")], profile: [where("Plan", "exists")] },
          ]),
        )
        // In another zone than the rollups': answered from the log at once.
        const moved = Account.make(account.id, { timeZone: "Pacific/Chatham" })
        const plan = planOf(moved, onProfiles(where("Plan", "does_not_exist")), {
          measure: Measure.Profiles,
        })
        assert.deepStrictEqual(yield* store.query(moved, plan), yield* reference.query(moved, plan))
      }),
    ),
  )
})
