// Top property counts (core's `TopCounts`), answered in SQL: every answer is held to core's
// reference store (`EventStore.makeMemory`) given the same appends, on 18.16 (the test
// run's server) and on current ClickHouse (chdb, in this process).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@clickhouse/client"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as TopCounts from "@trendline/core/TopCounts"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { createChdbConnection } from "chdb/connection"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fc from "fast-check"
import { afterAll } from "vitest"
import { freshDatabase, serverVersion, url } from "./support/server.ts"

// chdb: current ClickHouse in this process (see CurrentClickHouse.test.ts).
const folder = mkdtempSync(join(tmpdir(), "trendline-chdb-top-"))
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
const freshAccount = (timeZone = "UTC") =>
  Account.make(`top-${Date.now().toString(36)}-${++accounts}`, { timeZone })

const where = (
  name: string,
  operator: Filter.Operator,
  ...values: Array<Filter.Value>
): Filter.Condition => ({ name, operator, values })

const from = day(2024, 1, 1)
const to = day(2024, 2, 10)
// Instants spread over the plan's days.
const at = (i: number) => (from + (i % 40)) * 86_400 + ((i * 7919) % 86_400)

const charged = (
  profile: string,
  i: number,
  properties: Aggregator.Event["properties"],
): Aggregator.Event => ({ name: "Charged", profile, ts: at(i), properties })

type GroupSettings = Omit<TopCounts.GroupPlan, "name"> & { readonly name?: string }

const group = (
  source: TopCounts.GroupPlan["source"],
  property: string,
  topN = 10,
  order: TopCounts.GroupPlan["order"] = "desc",
): GroupSettings => ({ source, property, topN, order })

const topPlan = (
  account: Account.Settings,
  groups: ReadonlyArray<GroupSettings>,
  filters: Filter.Filters = Filter.none,
  range: { readonly from: Calendar.Day; readonly to: Calendar.Day } = { from, to },
  eventName = "Charged",
): TopCounts.TopPlan => ({
  eventName,
  timeZone: account.timeZone,
  from: range.from,
  to: range.to,
  start: Calendar.startOfDay(range.from, account.timeZone),
  end: Calendar.startOfDay(range.to + 1, account.timeZone),
  filters,
  groups: groups.map((settings, i) => ({ name: `g${i}`, ...settings })),
})

// Appends `batch` to the store and to the reference store.
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
  plans: ReadonlyArray<TopCounts.TopPlan>,
) =>
  Effect.forEach(plans, (plan) =>
    Effect.gen(function* () {
      const expected = yield* reference.top(account, plan)
      const found = yield* store.top(account, plan)
      assert.deepStrictEqual(found, expected, JSON.stringify(plan))
      return expected
    }),
  )

// Values whose order tells UTF-8 bytes from UTF-16 units, text from numbers and booleans.
const awkwardValues: ReadonlyArray<unknown> = [
  "😀",
  "～",
  "5",
  5,
  true,
  false,
  "true",
  "",
  0,
  -0,
  0.1,
  -2.5,
  2 ** 60,
  1e21,
  1.5e-7,
  `it's "quoted" \\ back`,
  ',"Plan":"pro","',
  "a\nb\u0000c\u007f\t",
  "\\",
  "\ud800 lone",
  "é",
  "e\u0301",
  null,
]

const topSuite = (name: string, make: ClickHouseEventStore.Client | string) =>
  layer(
    Layer.effect(
      EventStore.EventStore,
      typeof make === "string"
        ? ClickHouseEventStore.make({ url: make, database: freshDatabase("top") })
        : ClickHouseEventStore.fromClient(make, { database: "top" }),
    ),
    { timeout: 60_000 },
  )(`top counts: ${name}`, (it) => {
    it.effect("ranks ties by the UTF-8 bytes of the value's JSON text, types kept apart", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        // Three events each: every value ties with every other.
        const events = [0, 1, 2].flatMap((round) =>
          awkwardValues.map((value, i) =>
            charged(`identity:${i % 4}`, round * 31 + i, { Plan: value, Amount: i }),
          ),
        )
        yield* both(store, reference, account, { events, profiles: [] })
        const [all, asc, three] = yield* sameAnswers(store, reference, account, [
          topPlan(account, [group("event", "Plan", 100)]),
          topPlan(account, [group("event", "Plan", 100, "asc")]),
          topPlan(account, [group("event", "Plan", 3)]),
        ])
        const values = all!.g0!.map((entry) => entry.value)
        // Every value counted but null; -0 is 0.
        assert.strictEqual(values.length, awkwardValues.length - 2)
        assert.isTrue(all!.g0!.every((entry) => entry.count === 3 || entry.count === 6))
        const position = (value: TopCounts.Value) => values.indexOf(value)
        // U+FF5E is EF BD 9E in UTF-8, U+1F600 F0 9F 98 80: bytes put "～" first, UTF-16
        // units (FF5E against D83D) the other way round.
        assert.isBelow(position("～"), position("😀"))
        // "5" and 5, "true" and true are distinct values; a quote sorts before digits.
        assert.isBelow(position("5"), position(5))
        assert.isAbove(position(true), -1)
        assert.isAbove(position("true"), -1)
        assert.deepStrictEqual(all!.g0![0], { value: 0, count: 6 })
        assert.deepStrictEqual(
          three!.g0!.map((entry) => entry.value),
          values.slice(0, 3),
        )
        assert.strictEqual(asc!.g0!.length, values.length)
      }),
    )

    it.effect("event and profile groups, desc and asc, top_n, filters, as the reference", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount("America/Sao_Paulo")
        const profiles = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"].map(
          (name) => `identity:${name}`,
        )
        const [alice, bob, carol, , erin, frank, gina] = profiles
        const upsert = (
          profile: string,
          ts: number,
          properties: EventStore.Profile["properties"],
        ) => ({ profile, ts, properties })
        // carol's third upsert is older than her second: it only adds fields; erin's Plan is
        // null; frank's upserts have equal ts (the later wins); dave has no records.
        yield* both(store, reference, account, {
          events: [],
          profiles: [
            upsert(alice!, 100, { Plan: "pro", City: "Pune", Age: 30 }),
            upsert(bob!, 200, { Plan: "free", Beta: true }),
            upsert(carol!, 5, { Plan: "a" }),
            upsert(carol!, 10, { City: "Rio", Beta: "true" }),
            upsert(carol!, 7, { Plan: "c", Age: 41 }),
            upsert(erin!, 1, { Plan: null, Age: 30, City: "～" }),
            upsert(frank!, 50, { Plan: "x" }),
            upsert(frank!, 50, { Plan: "y", Age: 2.5, City: "😀" }),
          ],
        })
        const plans = ["pro", "free", "team", "5", 5, true, "😀", "～"]
        const events = Array.from({ length: 90 }, (_, i) =>
          charged(profiles[i % profiles.length]!, i, {
            Amount: i % 9,
            Plan: plans[(i * 7) % plans.length]!,
            ...(i % 4 === 0 ? {} : { Paid: i % 3 === 0 }),
            ...(i % 5 === 0 ? { Coupon: null } : { Coupon: `C${i % 6}` }),
          }),
        )
        yield* both(store, reference, account, {
          events: [
            ...events,
            { name: "Viewed", profile: alice!, ts: at(3), properties: { Plan: "viewed" } },
          ],
          profiles: [],
        })
        const groups = [
          group("event", "Plan"),
          group("event", "Plan", 2),
          group("event", "Plan", 3, "asc"),
          group("event", "Paid", 10, "asc"),
          group("event", "Coupon", 4),
          group("event", "Amount", 5, "asc"),
          group("event", "Missing"),
          group("profile", "Plan"),
          group("profile", "Plan", 2, "asc"),
          group("profile", "City"),
          group("profile", "Age", 1),
          group("profile", "Beta", 10, "asc"),
          group("profile", "Missing"),
        ]
        const filters: ReadonlyArray<Filter.Filters> = [
          Filter.none,
          { event: [where("Plan", "equals", "pro", "5")], profile: [] },
          { event: [where("Amount", "greater_than", 3)], profile: [] },
          { event: [where("Paid", "exists")], profile: [where("Plan", "not_equals", "pro")] },
          { event: [], profile: [where("City", "exists")] },
          { event: [], profile: [where("Plan", "does_not_exist")] },
          { event: [where("Coupon", "contains", "C")], profile: [where("Age", "less_than", 35)] },
        ]
        const before = yield* sameAnswers(
          store,
          reference,
          account,
          filters.flatMap((filter) => [
            topPlan(account, groups.slice(0, 7), filter),
            topPlan(account, groups.slice(7), filter),
          ]),
        )
        // Not every answer is empty.
        assert.isAbove(before[0]!.g0!.length, 5)
        assert.isAbove(before[1]!.g0!.length, 3)
        assert.strictEqual(before[1]!.g5!.length, 0)
        // Profile fields are as they are now: alice changes plan, gina appears, bob's older
        // upsert only adds Age.
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
          filters.map((filter) => topPlan(account, groups.slice(7), filter)),
        )
        assert.notDeepEqual(after[0], before[1])
      }),
    )

    it.effect("cuts the range at the account's local days (a non-UTC zone)", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount("Pacific/Chatham")
        const first = day(2024, 3, 10)
        const last = day(2024, 3, 12)
        const start = Calendar.startOfDay(first, account.timeZone)
        const end = Calendar.startOfDay(last + 1, account.timeZone)
        // Events on both sides of each edge of the range, by one second.
        const instants = [start - 1, start, start + 1, end - 1, end, end + 1, start + 86_400]
        yield* both(store, reference, account, {
          events: instants.map((ts, i) => ({
            name: "Charged",
            profile: `identity:${i}`,
            ts,
            properties: { At: i },
          })),
          profiles: [],
        })
        const request = yield* TopCounts.decode({
          event_name: "Charged",
          from: 20240310,
          to: 20240312,
          groups: { at: { property_type: "event_properties", name: "At", order: "asc" } },
        })
        const plan = TopCounts.plan(request, account)
        assert.strictEqual(plan.start, start)
        assert.strictEqual(plan.end, end)
        const [answer] = yield* sameAnswers(store, reference, account, [plan])
        assert.deepStrictEqual(
          answer!.at!.map((entry) => entry.value),
          [1, 2, 3, 6],
        )
      }),
    )

    it.effect("an unknown event or account answers every group with an empty list", () =>
      Effect.gen(function* () {
        const store = yield* EventStore.EventStore
        const account = freshAccount()
        yield* store.append(account, {
          events: [charged("identity:a", 1, { Plan: "pro" })],
          profiles: [{ profile: "identity:a", ts: 1, properties: { Plan: "pro" } }],
        })
        const groups = [group("event", "Plan"), group("profile", "Plan", 3, "asc")]
        const empty = { g0: [], g1: [] }
        assert.deepStrictEqual(
          yield* store.top(account, topPlan(account, groups, Filter.none, { from, to }, "Nope")),
          empty,
        )
        assert.deepStrictEqual(yield* store.top(freshAccount(), topPlan(account, groups)), empty)
        assert.deepStrictEqual(
          yield* store.top(
            account,
            topPlan(account, groups, {
              event: [where("Plan", "equals", "free")],
              profile: [where("Plan", "exists")],
            }),
          ),
          empty,
        )
        // A range before the epoch, and no groups.
        assert.deepStrictEqual(
          yield* store.top(
            account,
            topPlan(account, groups, Filter.none, { from: day(1969, 1, 1), to: day(1969, 2, 1) }),
          ),
          empty,
        )
        assert.deepStrictEqual(yield* store.top(account, topPlan(account, [])), {})
        assert.deepStrictEqual(yield* store.top(account, topPlan(account, groups)), {
          g0: [{ value: "pro", count: 1 }],
          g1: [{ value: "pro", count: 1 }],
        })
      }),
    )

    it.effect(
      "random events, profiles, groups and filters, as the reference store",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore.EventStore
          let groups = 0
          let ties = 0
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(caseArbitrary, (testCase) =>
                Effect.runPromise(checkCase(store, testCase)).then((found) => {
                  groups += found.groups
                  ties += found.ties
                }),
              ),
              { numRuns: 60 },
            ),
          )
          // The cases are not all trivial: many answers of several values hold ties that
          // their order decides.
          assert.isAbove(ties, groups / 4, `${ties} of ${groups}`)
        }),
      120_000,
    )
  })

// Random cases: few property names and values, so that values often tie.
const propertyName = fc.constantFrom("Plan", "Amount", "Paid", 'x"Plan', "é", "a\\b\n")
const someTexts = ["pro", "Pro", "True", "true", "5", "", 'a"b', ',"Plan":1', "😀", "～", "\\"]
const someNumbers = [-3, 0, 1, 5, 0.5, -2.5, 2 ** 53, 1e21, 1e-7]
const propertyValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...someTexts) },
  { weight: 4, arbitrary: fc.constantFrom(...someNumbers) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 3 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
)
const properties = fc.dictionary(propertyName, propertyValue, { maxKeys: 4 })
const profileKey = fc.constantFrom(...Array.from({ length: 8 }, (_, i) => `identity:p${i}`))
const upserts = (minLength: number) =>
  fc.array(fc.record({ profile: profileKey, ts: fc.integer({ min: 1, max: 20 }), properties }), {
    minLength,
    maxLength: 12,
  })
const condition: fc.Arbitrary<Filter.Condition> = fc.oneof(
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("exists", "does_not_exist"),
    values: fc.constant([]),
  }),
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("equals", "not_equals"),
    values: fc.array(fc.oneof(fc.constantFrom(...someTexts), fc.constantFrom(...someNumbers)), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    name: propertyName,
    operator: fc.constantFrom<Filter.Operator>("greater_than", "less_than_equals"),
    values: fc.array(fc.constantFrom(...someNumbers), { minLength: 1, maxLength: 2 }),
  }),
)
// Mostly none or one condition: more of them leave few events to rank.
const filters: fc.Arbitrary<Filter.Filters> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(Filter.none) },
  { weight: 2, arbitrary: fc.record({ event: fc.tuple(condition), profile: fc.constant([]) }) },
  { weight: 2, arbitrary: fc.record({ event: fc.constant([]), profile: fc.tuple(condition) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      event: fc.array(condition, { minLength: 1, maxLength: 2 }),
      profile: fc.array(condition, { minLength: 1, maxLength: 2 }),
    }),
  },
)
const groupArbitrary = fc.record({
  source: fc.constantFrom<TopCounts.GroupPlan["source"]>("event", "profile"),
  property: propertyName,
  topN: fc.integer({ min: 1, max: 8 }),
  order: fc.constantFrom<TopCounts.GroupPlan["order"]>("desc", "asc"),
})
const caseArbitrary = fc.record({
  timeZone: fc.constantFrom("UTC", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"),
  early: upserts(3),
  events: fc.array(
    fc.record({
      name: fc.constantFrom("Charged", "Charged", "Charged", "Viewed"),
      profile: profileKey,
      i: fc.nat({ max: 1000 }),
      properties: fc.dictionary(propertyName, propertyValue, { minKeys: 2, maxKeys: 4 }),
    }),
    { minLength: 20, maxLength: 80 },
  ),
  late: upserts(0),
  plans: fc.array(
    fc.record({
      from: fc.integer({ min: from - 2, max: from + 30 }),
      length: fc.integer({ min: 0, max: 40 }),
      filters,
      groups: fc.array(groupArbitrary, { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
})

type Case = typeof caseArbitrary extends fc.Arbitrary<infer A> ? A : never

const checkCase = (store: EventStore.Service, testCase: Case) =>
  Effect.gen(function* () {
    const reference = yield* EventStore.makeMemory()
    const account = freshAccount(testCase.timeZone)
    const events = testCase.events.map(({ name, profile, i, properties }) => ({
      name,
      profile,
      ts: at(i),
      properties,
    }))
    const half = Math.floor(events.length / 2)
    yield* both(store, reference, account, {
      events: events.slice(0, half),
      profiles: testCase.early,
    })
    yield* both(store, reference, account, { events: events.slice(half), profiles: testCase.late })
    const plans = testCase.plans.map((settings) =>
      topPlan(account, settings.groups, settings.filters, {
        from: settings.from,
        to: settings.from + settings.length,
      }),
    )
    const answers = yield* sameAnswers(store, reference, account, plans)
    // How many groups answer several values, and how many of those hold two values with
    // one count.
    let ties = 0
    let groups = 0
    for (const answer of answers) {
      for (const entries of Object.values(answer)) {
        if (entries.length < 2) continue
        groups++
        if (new Set(entries.map((entry) => entry.count)).size < entries.length) ties++
      }
    }
    return { groups, ties }
  })

topSuite(`clickhouse ${await serverVersion()}`, url)
topSuite(`clickhouse ${chdbVersion} (chdb)`, chdb)

describe("top counts SQL", () => {
  it.effect("groups by the value's JSON text, ordered and cut by the server", () =>
    Effect.gen(function* () {
      const bodies: Array<string> = []
      const database = freshDatabase("top_sql")
      const store = yield* ClickHouseEventStore.make({
        url,
        database,
        fetch: (input, init) => {
          if (typeof init?.body === "string") bodies.push(init.body)
          return fetch(input, init)
        },
      })
      const account = freshAccount()
      yield* store.top(
        account,
        topPlan(account, [group("event", "Plan", 3, "asc"), group("profile", "Plan", 7)]),
      )
      const queries = bodies
        .filter((body) => body.includes("top_value"))
        .map((body) => body.replace(/\s+/g, " "))
      assert.strictEqual(queries.length, 2)
      const [event, profile] = queries.sort()
      assert.match(
        event!,
        /^SELECT top_value, count\(\) AS top_count FROM \(SELECT if\(.*, extract\(substring\(properties, .*\), '\^\(.*\)'\), ''\) AS top_value FROM `[^`]+`\.`trendline_records` WHERE account = .* AND kind IN \('event', 'slotted'\) AND name = 'Charged' AND ts >= \d+ AND ts < \d+\) WHERE top_value NOT IN \('', 'null'\) GROUP BY top_value ORDER BY top_count ASC, top_value ASC LIMIT 3 FORMAT JSONEachRow$/,
      )
      assert.match(
        profile!,
        /^SELECT top_value, sum\(top_events\) AS top_count FROM \(SELECT profile, count\(\) AS top_events FROM .* GROUP BY profile\) AS top_events_by_profile ANY INNER JOIN \( ?SELECT filter_key AS profile, filter_field_0 AS top_value FROM \(.*\) WHERE top_value NOT IN \('', 'null'\) \) AS top_fields USING profile GROUP BY top_value ORDER BY top_count DESC, top_value ASC LIMIT 7 FORMAT JSONEachRow$/,
      )
    }),
  )
})
