// Plans with filters (core's `Filter`), answered in SQL: every answer is held to core's
// reference store (`EventStore.makeMemory`) given the same appends, on 18.16 (the test
// run's server) and on current ClickHouse (chdb, in this process).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@clickhouse/client"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { createChdbConnection } from "chdb/connection"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fc from "fast-check"
import { afterAll } from "vitest"
import { decimalOf } from "../src/internal/filters.ts"
import { freshDatabase, serverVersion, url } from "./support/server.ts"

// chdb: current ClickHouse in this process (see CurrentClickHouse.test.ts).
const folder = mkdtempSync(join(tmpdir(), "trendline-chdb-filters-"))
type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>
const chdb = createClient({
  connection: createChdbConnection({ path: folder }) as unknown as Connection,
})
afterAll(async () => {
  await chdb.close()
  rmSync(folder, { recursive: true, force: true })
})
const chdbVersion = (
  (await (
    await chdb.query({ query: "SELECT version() AS v", format: "JSONEachRow" })
  ).json()) as Array<{ v: string }>
)[0]!.v

const day = Calendar.unsafeMakeDay
let accounts = 0
const freshAccount = (timeZone = "Asia/Kolkata", weekStart: Bucket.WeekStart = "monday") =>
  Account.make(`filters-${Date.now().toString(36)}-${++accounts}`, { timeZone, weekStart })

const where = (
  name: string,
  operator: Filter.Operator,
  ...values: Array<Filter.Value>
): Filter.Condition => ({ name, operator, values })
const onEvents = (...event: Array<Filter.Condition>): Filter.Filters => ({ event, profile: [] })
const onProfiles = (...profile: Array<Filter.Condition>): Filter.Filters => ({ event: [], profile })

const measures = [Measure.Events, Measure.Profiles, Measure.sum("Amount")] as const
const allGroups: ReadonlyArray<{ name: string; granularity: QueryPlan.RequestGranularity }> = [
  { name: "day", granularity: "daily" },
  { name: "week", granularity: "weekly" },
  { name: "month", granularity: "monthly" },
  { name: "all", granularity: "total" },
]

const from = day(2024, 1, 1)
const to = day(2024, 2, 10)
// Instants spread over the plan's days, some near midnight in Kolkata (18:30 UTC).
const at = (i: number) => (from + (i % 40)) * 86_400 + ((i * 7919) % 86_400)

const planOf = (
  account: Account.Settings,
  filters: Filter.Filters,
  measure: Measure.Measure = Measure.Events,
  groups = allGroups,
): QueryPlan.QueryPlan =>
  QueryPlan.make({ eventName: "Charged", from, to, measure, groups, filters }, account)

const charged = (
  profile: string,
  i: number,
  properties: Aggregator.Event["properties"],
): Aggregator.Event => ({ name: "Charged", profile, ts: at(i), properties })

// Appends `batch` to the store and to a reference store of its own for the account.
const both = (
  store: EventStore.Service,
  reference: EventStore.Service,
  account: Account.Settings,
  batch: EventStore.Batch,
) => Effect.zipRight(store.append(account, batch), reference.append(account, batch))

// The store's answer to each plan is the reference's.
const sameAnswers = (
  store: EventStore.Service,
  reference: EventStore.Service,
  account: Account.Settings,
  plans: ReadonlyArray<QueryPlan.QueryPlan>,
) =>
  Effect.forEach(plans, (plan) =>
    Effect.gen(function* () {
      const expected = yield* reference.query(account, plan)
      const found = yield* store.query(account, plan)
      assert.deepStrictEqual(
        found,
        expected,
        `${plan.measure._tag} ${JSON.stringify(plan.filters)} (${plan.timeZone})`,
      )
      return expected
    }),
  )

// Every condition with each measure.
const withEveryMeasure = (account: Account.Settings, filters: ReadonlyArray<Filter.Filters>) =>
  filters.flatMap((filter) => measures.map((measure) => planOf(account, filter, measure)))

const nextUp = (value: number): number => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, value)
  if (value === 0) return Number.MIN_VALUE
  view.setBigInt64(0, view.getBigInt64(0) + (value > 0 ? 1n : -1n))
  return view.getFloat64(0)
}
const nextDown = (value: number): number => -nextUp(-value)

// Numbers whose neighbours, large and small, tell exact comparisons from rounded ones.
const awkwardNumbers = [
  0,
  0.1,
  nextUp(0.1),
  nextDown(0.1),
  0.30000000000000004,
  1e-7,
  5e-324,
  -5e-324,
  123.456,
  -123.456,
  1200,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 60,
  nextUp(2 ** 60),
  1e21,
  1.5e300,
  -1.5e300,
  -2.5,
  2.5,
  -3,
  7,
]

const awkwardTexts = [
  "pro",
  "Pro",
  "pro plus",
  "",
  "True",
  "TRUE",
  "false",
  "5",
  "10",
  `it's "quoted" \\ back`,
  ',"Plan":"pro","',
  "a\nb\u0000c\u007f",
  "é😀",
  "'); DROP TABLE x; --",
  "\\",
]

const filterSuite = (name: string, make: ClickHouseEventStore.Client | string) =>
  layer(
    Layer.effect(
      EventStore.EventStore,
      typeof make === "string"
        ? ClickHouseEventStore.make({ url: make, database: freshDatabase("filters") })
        : ClickHouseEventStore.fromClient(make, { database: "filters" }),
    ),
    { timeout: 60_000 },
  )(`filters: ${name}`, (it) => {
    it.effect("every operator on event properties, as the reference store", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        const properties: Array<Aggregator.Event["properties"]> = [
          { Plan: "pro", Amount: 10, Paid: true, Score: 2.5, Big: 2 ** 60, Note: awkwardTexts[9]! },
          { Plan: "Pro", Amount: 5, Paid: false, Score: -1.25 },
          { Plan: "free", Amount: "10", Paid: "true", Score: 0 },
          { Plan: "pro plus", Amount: 0, Paid: null, Score: 1e-7 },
          { Amount: 7 },
          {},
          { Plan: 5, Amount: 2 },
          { Plan: "", Amount: -3, Score: 2 ** 53 + 1, Big: 1e21 },
          { Plan: "True", Paid: "TRUE", Amount: 4 },
          // A key whose JSON ends in `"Plan"`, before the real one; a value holding a key.
          { 'x"Plan': "trap", Plan: "team", Amount: 3 },
          { Note: ',"Plan":"pro","', Amount: 1 },
          { Plan: "a\nb\u0000c\u007f", Note: "é😀", Amount: 6 },
          { Plan: "'); DROP TABLE x; --", Note: "\\", Amount: 8 },
          { Plan: "5", Score: -0, Amount: 9 },
          // A key with a backslash and a newline, and a regular expression's characters.
          { "a\\b\n": "odd", "(.*)+[": 1.5, Amount: 11 },
        ]
        yield* both(store, reference, account, {
          events: [
            ...properties.flatMap((props, i) => [
              charged(`identity:${i % 5}`, i, props),
              charged(`identity:${(i + 2) % 7}`, i + 17, props),
            ]),
            { name: "Viewed", profile: "identity:0", ts: at(3), properties: { Plan: "pro" } },
          ],
          profiles: [],
        })
        const names = [
          ...["Plan", "Amount", "Paid", "Score", "Big", "Note", "Missing", 'x"Plan'],
          ...["a\\b\n", "(.*)+["],
        ]
        const filters: Array<Filter.Filters> = []
        for (const name of names) {
          filters.push(onEvents(where(name, "exists")), onEvents(where(name, "does_not_exist")))
          for (const values of [
            ["pro"],
            ["pro", "Pro", "team"],
            ["True"],
            ["true"],
            ["FALSE"],
            ["5"],
            [5],
            [10, "10"],
            [0],
            [2 ** 60],
            [""],
            [`it's "quoted" \\ back`],
            ["a\nb\u0000c\u007f", "é😀"],
            ["'); DROP TABLE x; --"],
          ] satisfies Array<Array<Filter.Value>>) {
            filters.push(onEvents(where(name, "equals", ...values)))
            filters.push(onEvents(where(name, "not_equals", ...values)))
          }
          for (const values of [["pro"], ["r", "e"], [""], ["P"], ['"'], ["\\"], ["\u0000"]]) {
            filters.push(onEvents(where(name, "contains", ...values)))
            filters.push(onEvents(where(name, "does_not_contain", ...values)))
          }
          for (const values of [[0], [2.5], [-3, 7], [1e-7], [2 ** 53]]) {
            for (const operator of [
              "greater_than",
              "greater_than_equals",
              "less_than",
              "less_than_equals",
            ] as const)
              filters.push(onEvents(where(name, operator, ...values)))
          }
        }
        // Several conditions together, on one property and on several.
        filters.push(
          onEvents(where("Plan", "exists"), where("Plan", "not_equals", "pro")),
          onEvents(where("Plan", "contains", "pro"), where("Amount", "greater_than", 4)),
          onEvents(where("Paid", "equals", "True"), where("Score", "less_than_equals", 2.5)),
        )
        const answers = yield* sameAnswers(
          store,
          reference,
          account,
          filters.map((filter, i) => planOf(account, filter, measures[i % 3])),
        )
        // Not every answer is empty, nor everything.
        const totals = new Set(answers.map((answer) => answer.all!.total))
        assert.isAbove(totals.size, 10)
        yield* sameAnswers(
          store,
          reference,
          account,
          withEveryMeasure(account, filters.slice(0, 12)),
        )
      }),
    )

    it.effect("compares numbers exactly: neighbouring doubles, past 2^53, tiny and huge", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount("UTC")
        yield* both(store, reference, account, {
          events: [...awkwardNumbers, "7", true].map((score, i) =>
            charged(`identity:${i}`, i, { Score: score, Amount: 1 }),
          ),
          profiles: [],
        })
        const filters: Array<Filter.Filters> = []
        for (const value of awkwardNumbers) {
          for (const operator of [
            "equals",
            "not_equals",
            "greater_than",
            "greater_than_equals",
            "less_than",
            "less_than_equals",
          ] as const)
            filters.push(onEvents(where("Score", operator, value)))
        }
        const answers = yield* sameAnswers(
          store,
          reference,
          account,
          filters.map((filter) => planOf(account, filter, Measure.Events, [allGroups[3]!])),
        )
        const operators = 6
        const total = (value: number, operator: number): number =>
          answers[awkwardNumbers.indexOf(value) * operators + operator]!.all!.total!
        // Greater than 0: the positive numbers, not the text "7" nor true.
        assert.strictEqual(total(0, 2), awkwardNumbers.filter((n) => n > 0).length)
        // 0.1 and its neighbours are three numbers, each equal to itself alone.
        assert.strictEqual(total(nextUp(0.1), 0), 1)
        assert.strictEqual(total(nextDown(0.1), 2) - total(nextUp(0.1), 2), 2)
        assert.strictEqual(total(2 ** 53 + 2, 5) - total(2 ** 53, 5), 1)
      }),
    )

    it.effect("profile filters read the merged fields as they are now, as the reference", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount("America/Sao_Paulo", "sunday")
        const profiles = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"].map(
          (name) => `identity:${name}`,
        )
        const [alice, bob, carol, , erin, frank, gina] = profiles
        const upsert = (
          profile: string,
          ts: number,
          properties: EventStore.Profile["properties"],
        ) => ({ profile, ts, properties })
        // Before the events: alice, bob, carol (whose third upsert is older than its second:
        // it only adds fields), erin (a null field), frank (equal ts: the later one wins).
        yield* both(store, reference, account, {
          events: [],
          profiles: [
            upsert(alice!, 100, { Plan: "pro", City: "Pune" }),
            upsert(bob!, 200, { Plan: "free" }),
            upsert(carol!, 5, { Plan: "a" }),
            upsert(carol!, 10, { City: "Rio" }),
            upsert(carol!, 7, { Plan: "c", Age: 41 }),
            upsert(erin!, 1, { Plan: null, Age: 30 }),
            upsert(frank!, 50, { Plan: "x" }),
            upsert(frank!, 50, { Plan: "y", Age: 2.5 }),
          ],
        })
        const events = Array.from({ length: 70 }, (_, i) =>
          charged(profiles[i % profiles.length]!, i, {
            Amount: i % 9,
            Plan: i % 3 === 0 ? "pro" : "free",
          }),
        )
        yield* both(store, reference, account, { events, profiles: [] })
        const filters = [
          onProfiles(where("Plan", "equals", "pro")),
          onProfiles(where("Plan", "equals", "team", "free")),
          onProfiles(where("Plan", "equals", "a")),
          onProfiles(where("Plan", "equals", "y")),
          onProfiles(where("Plan", "not_equals", "pro")),
          onProfiles(where("Plan", "exists")),
          onProfiles(where("Plan", "does_not_exist")),
          onProfiles(where("Plan", "does_not_exist"), where("Age", "does_not_exist")),
          onProfiles(where("City", "contains", "u", "i")),
          onProfiles(where("City", "does_not_contain", "Rio")),
          onProfiles(where("Age", "greater_than", 20)),
          onProfiles(where("Age", "less_than_equals", 2.5)),
          onProfiles(where("Age", "exists"), where("Plan", "not_equals", "c")),
          {
            event: [where("Plan", "equals", "pro")],
            profile: [where("Plan", "equals", "pro", "free")],
          },
          { event: [where("Amount", "greater_than", 3)], profile: [where("City", "exists")] },
        ]
        const before = yield* sameAnswers(
          store,
          reference,
          account,
          withEveryMeasure(account, filters),
        )
        // After the events: alice changes plan, gina appears, bob's older upsert only adds Age.
        yield* both(store, reference, account, {
          events: [],
          profiles: [
            upsert(alice!, 300, { Plan: "team" }),
            upsert(gina!, 1, { Plan: "pro", City: "Goa" }),
            upsert(bob!, 150, { Plan: "pro", Age: 30 }),
          ],
        })
        const after = yield* sameAnswers(
          store,
          reference,
          account,
          withEveryMeasure(account, filters),
        )
        assert.notDeepEqual(after, before)
        for (const profile of profiles) {
          assert.deepStrictEqual(
            yield* store.profile(account, profile),
            yield* reference.profile(account, profile),
          )
        }
      }),
    )

    it.effect("events no filter lets through do not fail for falling outside the dates", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount("UTC")
        const old = { name: "Charged", profile: "identity:a", ts: 86_400, properties: {} }
        const recent = { ...old, ts: 20 * 86_400, properties: { Plan: "pro" } }
        yield* both(store, reference, account, { events: [old, recent], profiles: [] })
        const plan = (filters: Filter.Filters) =>
          QueryPlan.make(
            {
              eventName: "Charged",
              from: day(1970, 1, 1),
              to: day(1970, 1, 31),
              measure: Measure.Events,
              groups: allGroups,
              filters,
            },
            account,
          )
        yield* sameAnswers(store, reference, account, [
          plan(onEvents(where("Plan", "equals", "pro"))),
        ])
        const exit = yield* Effect.exit(store.query(account, plan(Filter.none)))
        assert.isTrue(exit._tag === "Failure")
      }),
    )

    it.effect("a filter past the default query size (long lists of long values) still runs", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        const long = (i: number) => `${"x".repeat(500)}${i}`
        yield* both(store, reference, account, {
          events: [0, 1, 2, 150].map((i) => charged(`identity:${i}`, i, { Plan: long(i) })),
          profiles: [{ profile: "identity:1", ts: 1, properties: { Plan: long(1) } }],
        })
        const values = Array.from({ length: 100 }, (_, i) => long(i))
        const conditions = Array.from({ length: 4 }, () => where("Plan", "equals", ...values))
        const [answer] = yield* sameAnswers(store, reference, account, [
          planOf(account, { event: conditions, profile: conditions }),
        ])
        assert.strictEqual(answer!.all!.total, 1)
      }),
    )

    it.effect(
      "random events, profiles and filters, as the reference store",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore.EventStore
          let plans = 0
          let selective = 0
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(caseArbitrary, (testCase) =>
                Effect.runPromise(checkCase(store, testCase)).then((found) => {
                  plans += found.plans
                  selective += found.selective
                }),
              ),
              { numRuns: 100 },
            ),
          )
          // The cases are not all trivial: many filters keep some events and drop others.
          assert.isAbove(selective, plans / 8, `${selective} of ${plans}`)
        }),
      120_000,
    )
  })

// Random cases: few property names and values, so that conditions often hold and often not.
const propertyName = fc.constantFrom("Plan", "Amount", "Score", "Paid", 'x"Plan', "é", "a\\b\n")
const someTexts = ["pro", "Pro", "free", "True", "false", "5", "", 'a"b', ',"Plan":1', "é😀", "\\"]
const someNumbers = [-3, -1, 0, 1, 2, 5, 0.5, 2.5, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-7, nextUp(0.5)]
const propertyValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...someTexts) },
  { weight: 4, arbitrary: fc.constantFrom(...someNumbers) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 3 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
)
const properties = fc.dictionary(propertyName, propertyValue, { maxKeys: 5 })
const profileKey = fc.constantFrom(...Array.from({ length: 8 }, (_, i) => `identity:p${i}`))
const upserts = (minLength: number) =>
  fc.array(fc.record({ profile: profileKey, ts: fc.integer({ min: 1, max: 20 }), properties }), {
    minLength,
    maxLength: 12,
  })
const filterValue = fc.oneof(
  fc.constantFrom(...someTexts, "TRUE", "FALSE"),
  fc.constantFrom(...someNumbers),
)
const condition: fc.Arbitrary<Filter.Condition> = fc.oneof(
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("exists", "does_not_exist"),
    values: fc.constant([]),
  }),
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("equals", "not_equals"),
    values: fc.array(filterValue, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("contains", "does_not_contain"),
    values: fc.array(fc.constantFrom(...someTexts, "r", "o", "é", "😀", '"', ","), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>(
      "greater_than",
      "greater_than_equals",
      "less_than",
      "less_than_equals",
    ),
    values: fc.array(fc.constantFrom(...someNumbers), { minLength: 1, maxLength: 2 }),
  }),
)
const filters = fc.oneof(
  fc.record({
    event: fc.array(condition, { minLength: 1, maxLength: 2 }),
    profile: fc.constant([]),
  }),
  fc.record({
    event: fc.constant([]),
    profile: fc.array(condition, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    event: fc.array(condition, { minLength: 1, maxLength: 2 }),
    profile: fc.array(condition, { minLength: 1, maxLength: 2 }),
  }),
)
const plan = fc.record({
  measure: fc.constantFrom(...measures),
  groups: fc.subarray([...allGroups], { minLength: 1 }),
  filters,
})
const caseArbitrary = fc.record({
  timeZone: fc.constantFrom("UTC", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"),
  weekStart: fc.constantFrom<Bucket.WeekStart>("monday", "sunday"),
  early: upserts(3),
  events: fc.array(
    fc.record({
      name: fc.constantFrom("Charged", "Charged", "Charged", "Viewed"),
      profile: profileKey,
      i: fc.nat({ max: 1000 }),
      properties,
    }),
    { minLength: 20, maxLength: 80 },
  ),
  between: upserts(0),
  late: upserts(0),
  plans: fc.array(plan, { minLength: 1, maxLength: 3 }),
})

type Case = typeof caseArbitrary extends fc.Arbitrary<infer A> ? A : never

const checkCase = (store: EventStore.Service, testCase: Case) =>
  Effect.gen(function* () {
    const reference = yield* EventStore.makeMemory()
    const account = freshAccount(testCase.timeZone, testCase.weekStart)
    const events = testCase.events.map(({ name, profile, i, properties }) => ({
      name,
      profile,
      ts: at(i),
      properties,
    }))
    const half = Math.floor(events.length / 2)
    // Profiles before, between and after the events' two batches.
    yield* both(store, reference, account, { events: [], profiles: testCase.early })
    yield* both(store, reference, account, { events: events.slice(0, half), profiles: [] })
    yield* both(store, reference, account, {
      events: events.slice(half),
      profiles: testCase.between,
    })
    yield* both(store, reference, account, { events: [], profiles: testCase.late })
    const plans = testCase.plans.map((settings) =>
      planOf(account, settings.filters, settings.measure, settings.groups),
    )
    const answers = yield* sameAnswers(store, reference, account, plans)
    // How many filters kept some of the events, not all.
    let selective = 0
    for (const [i, plan] of plans.entries()) {
      const all = yield* reference.query(account, { ...plan, filters: Filter.none })
      const total = (result: QueryPlan.Result) =>
        Object.values(result).reduce(
          (sum, buckets) => sum + Object.values(buckets).reduce((a, b) => a + b, 0),
          0,
        )
      if (total(answers[i]!) > 0 && total(answers[i]!) < total(all)) selective++
    }
    return { plans: plans.length, selective }
  })

filterSuite(`clickhouse ${await serverVersion()}`, url)
filterSuite(`clickhouse ${chdbVersion} (chdb)`, chdb)

describe("filter SQL", () => {
  it.effect("leaves the query of an unfiltered plan as it was", () =>
    Effect.gen(function* () {
      const bodies: Array<string> = []
      const database = freshDatabase("unfiltered")
      const store = yield* ClickHouseEventStore.make({
        url,
        database,
        fetch: (input, init) => {
          if (typeof init?.body === "string") bodies.push(init.body)
          return fetch(input, init)
        },
      })
      const account = freshAccount("UTC")
      const plan = planOf(account, Filter.none, Measure.Profiles, [allGroups[0]!])
      yield* store.query(account, plan)
      const [query] = bodies.filter((body) => body.includes("AS value"))
      assert.strictEqual(
        query!.replace(/\s+/g, " "),
        `SELECT toUInt16(toDate(toDateTime(ts), 'UTC')) AS day, uniqExact(profile) AS value FROM \`${database}\`.\`trendline_records\` WHERE account = '${account.id}' AND kind IN ('event', 'slotted') AND name = 'Charged' AND ts >= ${plan.start} AND ts < ${plan.end} GROUP BY day FORMAT TabSeparated`,
      )
    }),
  )

  it("cuts numbers into sign, exponent and digits", () => {
    assert.deepStrictEqual(decimalOf("0"), { negative: false, exponent: 0, digits: "" })
    assert.deepStrictEqual(decimalOf("-0.00125"), { negative: true, exponent: -2, digits: "125" })
    assert.deepStrictEqual(decimalOf("1.5e+300"), { negative: false, exponent: 301, digits: "15" })
    assert.deepStrictEqual(decimalOf("1.5e-7"), { negative: false, exponent: -6, digits: "15" })
    assert.deepStrictEqual(decimalOf("1200"), { negative: false, exponent: 4, digits: "1200" })
  })
})
