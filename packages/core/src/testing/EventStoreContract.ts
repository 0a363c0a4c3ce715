/**
 * The contract every event store adapter must pass. Call it from an adapter's tests with a
 * layer that builds the store:
 *
 * ```ts
 * import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
 * eventStoreContract("sqlite (node)", SqliteStore.layer({ filename: ":memory:" }))
 * ```
 *
 * Every test works in an account of its own, so one store serves the whole suite and
 * isolation between accounts is checked along the way.
 *
 * @since 0.1.0
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fc from "fast-check"
import * as Account from "../Account.ts"
import * as AccountApi from "../AccountApi.ts"
import * as Aggregator from "../Aggregator.ts"
import * as Bucket from "../Bucket.ts"
import * as Calendar from "../Calendar.ts"
import {
  EventStore,
  makeMemory,
  type Profile,
  type Service,
  type UploadKey,
} from "../EventStore.ts"
import * as Extensions from "../Extensions.ts"
import * as Filter from "../Filter.ts"
import * as Limits from "../Limits.ts"
import * as Measure from "../Measure.ts"
import * as QueryPlan from "../QueryPlan.ts"
import type * as TopCounts from "../TopCounts.ts"
import * as WireAnswer from "../WireAnswer.ts"

let accounts = 0
const freshAccount = (options: Parameters<typeof Account.make>[1] = {}): Account.Settings =>
  Account.make(`contract-${Date.now().toString(36)}-${++accounts}`, options)

const day = Calendar.unsafeMakeDay
const event = (
  name: string,
  profile: string,
  ts: number,
  properties: Aggregator.Event["properties"] = {},
): Aggregator.Event => ({
  name,
  profile,
  ts,
  properties,
})

const planFor = (
  account: Account.Settings,
  input: Partial<QueryPlan.Input> & Pick<QueryPlan.Input, "from" | "to">,
): QueryPlan.QueryPlan =>
  QueryPlan.make(
    {
      eventName: "Charged",
      measure: Measure.Events,
      groups: [
        { name: "day", granularity: "daily" },
        { name: "week", granularity: "weekly" },
        { name: "month", granularity: "monthly" },
      ],
      ...input,
    },
    account,
  )

const zones = [
  "UTC",
  "Europe/London",
  "America/Sao_Paulo",
  "Asia/Kolkata",
  "Pacific/Chatham",
] as const
const rangeStart = day(2016, 12, 1)

// Random events around a two-month window, with awkward property values on purpose.
const eventsArbitrary = fc.array(
  fc.record({
    name: fc.constantFrom("Charged", "Charged", "Viewed", "charged"),
    profile: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `identity:user-${i}`)),
    ts: fc.integer({ min: (rangeStart - 3) * 86_400, max: (rangeStart + 65) * 86_400 }),
    properties: fc.oneof(
      fc.record({ Amount: fc.integer({ min: -1000, max: 100_000 }) }),
      fc.record({
        Amount: fc.oneof(fc.double({ noNaN: true }), fc.string(), fc.boolean(), fc.constant(null)),
      }),
      fc.constant({}),
    ),
  }),
  // fc.sample starts small; a floor makes every case busy enough to catch wrong bucketing.
  { minLength: 150, maxLength: 400 },
)

const planArbitrary = fc.record({
  timeZone: fc.constantFrom(...zones),
  weekStart: fc.constantFrom<Bucket.WeekStart>("monday", "sunday"),
  from: fc.integer({ min: rangeStart - 2, max: rangeStart + 40 }),
  length: fc.integer({ min: 0, max: 40 }),
  measure: fc.constantFrom(Measure.Events, Measure.Profiles, Measure.sum("Amount")),
  granularities: fc.array(
    fc.constantFrom<QueryPlan.RequestGranularity>(...Bucket.TrendType.literals, "total"),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
})

// Properties filters look at, of every kind an upload stores: text, integers, fractions,
// booleans, and a property that is sometimes missing.
const filteredProperty = fc.constantFrom("Plan", "Amount", "Score", "Paid", "Coupon")
const propertyValue = fc.oneof(
  fc.constantFrom("free", "pro", "Pro", "team", "pro plus", "", "True", "5"),
  fc.integer({ min: -3, max: 6 }),
  fc.constantFrom(0.5, 2.5, -1.25),
  fc.boolean(),
)
const filteredEventsArbitrary = fc.array(
  fc.record({
    name: fc.constantFrom("Charged", "Charged", "Viewed"),
    profile: fc.constantFrom(...Array.from({ length: 10 }, (_, i) => `identity:user-${i}`)),
    ts: fc.integer({ min: (rangeStart - 3) * 86_400, max: (rangeStart + 40) * 86_400 }),
    properties: fc.dictionary(filteredProperty, propertyValue, { maxKeys: 4 }),
  }),
  { minLength: 100, maxLength: 250 },
)
// Profile records of some of the profiles, in two batches: a later one may change a field.
const profileRecordsArbitrary = fc.array(
  fc.record({
    profile: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `identity:user-${i}`)),
    ts: fc.integer({ min: 1, max: 1000 }),
    properties: fc.dictionary(filteredProperty, propertyValue, { maxKeys: 3 }),
  }),
  { maxLength: 12 },
)
const conditionArbitrary: fc.Arbitrary<Filter.Condition> = fc.oneof(
  fc.record({
    name: filteredProperty,
    operator: fc.constantFrom<Filter.Operator>("exists", "does_not_exist"),
    values: fc.constant([]),
  }),
  fc.record({
    name: filteredProperty,
    operator: fc.constantFrom<Filter.Operator>("equals", "not_equals"),
    values: fc.array(
      fc.oneof(
        fc.constantFrom("free", "pro", "team", "True", "false", "5"),
        fc.integer({ min: -3, max: 6 }),
        fc.constant(2.5),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    name: filteredProperty,
    operator: fc.constantFrom<Filter.Operator>("contains", "does_not_contain"),
    values: fc.array(fc.constantFrom("pro", "r", "", "ee", "Pro"), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    name: filteredProperty,
    operator: fc.constantFrom<Filter.Operator>(
      "greater_than",
      "greater_than_equals",
      "less_than",
      "less_than_equals",
    ),
    values: fc.array(fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constant(0.5)), {
      minLength: 1,
      maxLength: 2,
    }),
  }),
)
// Any filters, or conditions on one event property alone (which a store may answer from
// per-value rollups), or none.
const filtersArbitrary: fc.Arbitrary<Filter.Filters> = fc.oneof(
  fc.record({
    event: fc.array(conditionArbitrary, { maxLength: 2 }),
    profile: fc.array(conditionArbitrary, { maxLength: 2 }),
  }),
  fc
    .tuple(filteredProperty, fc.array(conditionArbitrary, { minLength: 1, maxLength: 3 }))
    .map(([name, conditions]) => ({
      event: conditions.map((condition) => ({ ...condition, name })),
      profile: [],
    })),
  fc.constant(Filter.none),
)

// Top counts plans over the filtered events' range, with random groups and filters.
const topPlanArbitrary = fc.record({
  from: fc.integer({ min: rangeStart - 2, max: rangeStart + 30 }),
  length: fc.integer({ min: 0, max: 40 }),
  filters: filtersArbitrary,
  groups: fc.array(
    fc.record({
      source: fc.constantFrom<TopCounts.GroupPlan["source"]>("event", "profile"),
      property: filteredProperty,
      topN: fc.integer({ min: 1, max: 6 }),
      order: fc.constantFrom<TopCounts.GroupPlan["order"]>("desc", "asc"),
    }),
    { minLength: 1, maxLength: 3 },
  ),
})

const topPlanOf = (
  account: Account.Settings,
  settings: typeof topPlanArbitrary extends fc.Arbitrary<infer A> ? A : never,
): TopCounts.TopPlan => {
  const to = Math.min(settings.from + settings.length, rangeStart + 40)
  return {
    eventName: "Charged",
    timeZone: account.timeZone,
    from: settings.from,
    to,
    start: Calendar.startOfDay(settings.from, account.timeZone),
    end: Calendar.startOfDay(to + 1, account.timeZone),
    filters: settings.filters,
    groups: settings.groups.map((group, i) => ({ name: `g${i}`, ...group })),
  }
}

/**
 * Appends the same two batches to `store` and to a fresh reference store, and answers the
 * reference: profile records before and after the events, so fields as they are now count.
 */
const storedWithReference = (
  store: Service,
  account: Account.Settings,
  events: ReadonlyArray<Aggregator.Event>,
  early: ReadonlyArray<Profile>,
  late: ReadonlyArray<Profile>,
) =>
  Effect.gen(function* () {
    const reference = yield* makeMemory()
    for (const batch of [
      { events: events.slice(0, 60), profiles: early },
      { events: events.slice(60), profiles: late },
    ]) {
      yield* store.append(account, batch)
      yield* reference.append(account, batch)
    }
    return reference
  })

// Trends requests (wire bodies) with Trendline's extensions: totals, bucket metadata, a
// comparison, breakdowns, rolling windows, hours, over the filtered events' range, with
// random filters.
const extendedRequestArbitrary = fc.record({
  from: fc.integer({ min: rangeStart - 2, max: rangeStart + 30 }),
  length: fc.integer({ min: 0, max: 35 }),
  measure: fc.constantFrom<Record<string, unknown>>(
    {},
    { unique: true },
    { sum_event_prop: "Amount" },
  ),
  totals: fc.boolean(),
  bucketMeta: fc.boolean(),
  compare: fc.constantFrom(undefined, "previous_period", "previous_year"),
  filters: filtersArbitrary,
  groups: fc.array(
    fc.record({
      trend_type: fc.constantFrom("hourly", "daily", "weekly", "monthly", "quarterly", "yearly"),
      rolling: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      breakdown: fc.option(
        fc.record({
          property_type: fc.constantFrom("event_properties", "profile_fields"),
          name: filteredProperty,
          top_n: fc.integer({ min: 1, max: 4 }),
        }),
        { nil: undefined },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
})

const wireCondition = (condition: Filter.Condition) => ({
  name: condition.name,
  operator: condition.operator,
  ...(condition.values.length === 0
    ? {}
    : { value: condition.values.length === 1 ? condition.values[0] : condition.values }),
})

const extendedBody = (
  settings: typeof extendedRequestArbitrary extends fc.Arbitrary<infer A> ? A : never,
): Record<string, unknown> => ({
  event_name: "Charged",
  from: Calendar.toDateInt(settings.from),
  // Hours: a range within the default limit (31 days).
  to: Calendar.toDateInt(
    Math.min(
      settings.from + settings.length,
      rangeStart + 40,
      settings.groups.some((group) => group.trend_type === "hourly")
        ? settings.from + 30
        : Number.POSITIVE_INFINITY,
    ),
  ),
  ...settings.measure,
  ...(settings.totals ? { totals: true } : {}),
  ...(settings.bucketMeta ? { bucket_meta: true } : {}),
  ...(settings.compare === undefined ? {} : { compare: settings.compare }),
  ...(settings.filters.event.length === 0
    ? {}
    : { event_properties: settings.filters.event.map(wireCondition) }),
  ...(settings.filters.profile.length === 0
    ? {}
    : { common_profile_properties: settings.filters.profile.map(wireCondition) }),
  groups: Object.fromEntries(
    settings.groups.map((group, i) => [
      `g${i}`,
      {
        trend_type: group.trend_type,
        ...(group.breakdown === undefined ? {} : { breakdown: group.breakdown }),
        // Rolling windows are for daily groups.
        ...(group.rolling === undefined || group.trend_type !== "daily"
          ? {}
          : { rolling: group.rolling }),
      },
    ]),
  ),
})

// The wire answer of `body` from an API over `store` (answered within the budget: the test
// clock never ends it).
const extendedAnswer = (store: Service, account: Account.Settings, body: unknown) =>
  Effect.scoped(
    Effect.flatMap(
      AccountApi.make(account, { ...AccountApi.defaultOptions, syncBudget: "1 hour" }),
      (api) => WireAnswer.ofApi(api).trends(body),
    ),
  ).pipe(Effect.provideService(EventStore, store))

// For each of `numRuns` samples: random events and profile records stored in a fresh
// account (in a zone `zone` draws) of `store` and of the reference store, then `check`
// with what `asks` drew.
const forRandomAccounts = <A>(
  store: Service,
  sampling: { readonly seed: number; readonly numRuns: number },
  zone: fc.Arbitrary<string>,
  asks: fc.Arbitrary<A>,
  check: (account: Account.Settings, reference: Service, asked: A) => Effect.Effect<void, unknown>,
) =>
  Effect.gen(function* () {
    const cases = fc.sample(
      fc.tuple(
        filteredEventsArbitrary,
        profileRecordsArbitrary,
        profileRecordsArbitrary,
        zone,
        asks,
      ),
      sampling,
    )
    for (const [events, early, late, timeZone, asked] of cases) {
      const account = freshAccount({ timeZone })
      yield* check(account, yield* storedWithReference(store, account, events, early, late), asked)
    }
  })

/** Registers the event store contract suite for the store that `storeLayer` builds. */
export const eventStoreContract = <E>(name: string, storeLayer: Layer.Layer<EventStore, E>): void =>
  layer(storeLayer)(`EventStore contract: ${name}`, (it) => {
    it.effect("answers every bucket with 0 when nothing was stored", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const plan = planFor(account, { from: day(2016, 12, 24), to: day(2017, 1, 3) })
        assert.deepStrictEqual(yield* store.query(account, plan), QueryPlan.emptyResult(plan))
      }),
    )

    it.effect("counts events, distinct profiles and sums per day, week and month", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const at = (y: number, m: number, d: number, hour: number) =>
          Date.UTC(y, m - 1, d, hour) / 1000
        yield* store.append(account, {
          events: [
            event("Charged", "identity:a", at(2016, 12, 24, 10), { Amount: 10 }),
            event("Charged", "identity:a", at(2016, 12, 24, 11), { Amount: 5 }),
            event("Charged", "identity:b", at(2016, 12, 26, 0), { Amount: 7 }),
            event("Charged", "identity:a", at(2017, 1, 2, 23), { Amount: 1 }),
            event("Viewed", "identity:c", at(2016, 12, 26, 0), { Amount: 1000 }),
          ],
          profiles: [],
        })
        const range = { from: day(2016, 12, 24), to: day(2017, 1, 3) }
        const count = yield* store.query(account, planFor(account, range))
        assert.strictEqual(count.day?.["20161224"], 2)
        assert.strictEqual(count.day?.["20161225"], 0)
        assert.strictEqual(count.day?.["20161226"], 1)
        assert.strictEqual(count.day?.["20170102"], 1)
        assert.deepStrictEqual(count.week, { "201651": 2, "201652": 1, "201701": 1 })
        assert.deepStrictEqual(count.month, { "201612": 3, "201701": 1 })
        const unique = yield* store.query(
          account,
          planFor(account, { ...range, measure: Measure.Profiles }),
        )
        assert.deepStrictEqual(unique.month, { "201612": 2, "201701": 1 })
        assert.strictEqual(unique.day?.["20161224"], 1)
        const sum = yield* store.query(
          account,
          planFor(account, { ...range, measure: Measure.sum("Amount") }),
        )
        assert.deepStrictEqual(sum.week, { "201651": 15, "201652": 7, "201701": 1 })
      }),
    )

    it.effect("cuts days in the account's time zone and week convention", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount({ timeZone: "Asia/Kolkata", weekStart: "sunday" })
        // 2016-12-31T18:30Z is midnight of 2017-01-01 in Kolkata (+05:30).
        const newYear = Date.UTC(2016, 11, 31, 18, 30) / 1000
        yield* store.append(account, {
          events: [
            event("Charged", "identity:a", newYear - 1),
            event("Charged", "identity:a", newYear),
          ],
          profiles: [],
        })
        const result = yield* store.query(
          account,
          planFor(account, { from: day(2016, 12, 31), to: day(2017, 1, 1) }),
        )
        assert.deepStrictEqual(result.day, { "20161231": 1, "20170101": 1 })
        // Sunday-start weeks: Saturday 2016-12-31 is in 201652, Sunday 2017-01-01 starts 201701.
        assert.deepStrictEqual(result.week, { "201652": 1, "201701": 1 })
      }),
    )

    it.effect("puts events of days 23, 23.5, 24.5 and 25 hours long in the right buckets", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const cases = [
          ["Europe/London", day(2024, 3, 31)],
          ["Europe/London", day(2024, 10, 27)],
          ["America/Sao_Paulo", day(2018, 11, 4)],
          ["America/Sao_Paulo", day(2019, 2, 16)],
          ["Australia/Lord_Howe", day(2024, 4, 7)],
          ["Australia/Lord_Howe", day(2024, 10, 6)],
        ] as const
        for (const [timeZone, target] of cases) {
          const account = freshAccount({ timeZone })
          const [start, end] = Calendar.dayRange(target, timeZone)
          // Edges of the short or long day, and the instants just outside it.
          const instants = [start - 1, start, start + 1, end - 1, end]
          yield* store.append(account, {
            events: instants.map((ts, i) => event("Charged", `identity:${i}`, ts)),
            profiles: [],
          })
          const plan = planFor(account, { from: target - 1, to: target + 1 })
          const result = yield* store.query(account, plan)
          const key = (d: number) => Calendar.formatDateKey(d)
          assert.deepStrictEqual(
            result.day,
            { [key(target - 1)]: 1, [key(target)]: 3, [key(target + 1)]: 1 },
            `${timeZone} ${Calendar.formatIsoDate(target)}`,
          )
          assert.deepStrictEqual(
            result,
            Aggregator.aggregate(
              plan,
              instants.map((ts, i) => event("Charged", `identity:${i}`, ts)),
            ),
          )
        }
      }),
    )

    it.effect("counts a profile once per bucket, not once per day", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const noon = (d: number) => Date.UTC(2024, 0, d, 12) / 1000
        yield* store.append(account, {
          // Mon 1st, Wed 3rd, Wed 3rd again, Mon 8th: one profile, two ISO weeks.
          events: [1, 3, 3, 8].map((d) => event("Charged", "identity:solo", noon(d))),
          profiles: [],
        })
        const result = yield* store.query(
          account,
          planFor(account, {
            from: day(2024, 1, 1),
            to: day(2024, 1, 9),
            measure: Measure.Profiles,
          }),
        )
        assert.deepStrictEqual(result.week, { "202401": 1, "202402": 1 })
        assert.deepStrictEqual(result.month, { "202401": 1 })
        assert.strictEqual(result.day?.["20240103"], 1)
      }),
    )

    it.effect("includes the first second of the range and excludes the first second after it", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount({ timeZone: "America/Sao_Paulo" })
        const plan = planFor(account, {
          from: day(2018, 11, 4),
          to: day(2018, 11, 5),
          groups: [{ name: "all", granularity: "total" }],
        })
        yield* store.append(account, {
          events: [plan.start - 1, plan.start, plan.end - 1, plan.end].map((ts) =>
            event("Charged", "identity:a", ts),
          ),
          profiles: [],
        })
        assert.deepStrictEqual(yield* store.query(account, plan), {
          all: { [QueryPlan.totalKey]: 2 },
        })
      }),
    )

    it.effect("keeps accounts apart and matches event names exactly", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [first, second] = [freshAccount(), freshAccount()]
        const ts = Date.UTC(2020, 0, 15, 12) / 1000
        yield* store.append(first, { events: [event("Charged", "identity:a", ts)], profiles: [] })
        yield* store.append(second, {
          events: [
            event("Charged", "identity:a", ts),
            event("Charged", "identity:b", ts),
            event("charged", "identity:c", ts),
          ],
          profiles: [],
        })
        const plan = (account: Account.Settings) =>
          planFor(account, {
            from: day(2020, 1, 15),
            to: day(2020, 1, 15),
            groups: [{ name: "d", granularity: "daily" }],
          })
        assert.deepStrictEqual(yield* store.query(first, plan(first)), { d: { "20200115": 1 } })
        assert.deepStrictEqual(yield* store.query(second, plan(second)), { d: { "20200115": 2 } })
        assert.deepStrictEqual(yield* store.eventNames(first), ["Charged"])
        assert.deepStrictEqual(yield* store.eventNames(second), ["Charged", "charged"])
      }),
    )

    it.effect("adds only integer values to a sum", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const ts = Date.UTC(2020, 0, 15, 12) / 1000
        const amounts = [3, -1, 2.5, "7", true, null, Number.MAX_SAFE_INTEGER + 2, undefined]
        yield* store.append(account, {
          events: amounts.map((Amount) =>
            event("Charged", "identity:a", ts, Amount === undefined ? {} : { Amount }),
          ),
          profiles: [],
        })
        const plan = planFor(account, {
          from: day(2020, 1, 15),
          to: day(2020, 1, 15),
          measure: Measure.sum("Amount"),
          groups: [{ name: "d", granularity: "daily" }],
        })
        assert.deepStrictEqual(yield* store.query(account, plan), { d: { "20200115": 2 } })
      }),
    )

    it.effect("sums totals past 2^53 and below -2^53 exactly, rounded once", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const ts = Date.UTC(2020, 0, 15, 12) / 1000
        const big = Number.MAX_SAFE_INTEGER
        const batches = [
          [big, big, 1],
          [big, 3],
          [-big, -big, -big, -big, -big, -big, -5],
        ]
        const events: Array<Aggregator.Event> = []
        const plan = planFor(account, {
          from: day(2020, 1, 15),
          to: day(2020, 1, 16),
          measure: Measure.sum("Amount"),
        })
        const appendAndCheck = (batch: ReadonlyArray<Aggregator.Event>) =>
          Effect.gen(function* () {
            events.push(...batch)
            yield* store.append(account, { events: batch, profiles: [] })
            assert.deepStrictEqual(
              yield* store.query(account, plan),
              Aggregator.aggregate(plan, events),
            )
          })
        // Each batch on its own: stored totals grow past 2^53, then below -2^53.
        for (const amounts of batches) {
          yield* appendAndCheck(
            amounts.map((Amount, i) =>
              event("Charged", "identity:a", ts + (i % 2) * 86_400, { Amount }),
            ),
          )
        }
        // A thousand of the biggest values in one batch: a total close to 2^63, still exact.
        yield* appendAndCheck(
          Array.from({ length: 1000 }, () => event("Charged", "identity:b", ts, { Amount: big })),
        )
      }),
    )

    it.effect("stores a batch once per upload key, replays its receipt, refuses a reused key", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const limit = Limits.defaults.maxEventNamesPerAccount
        const ts = Date.UTC(2020, 0, 15, 12) / 1000
        yield* store.append(account, {
          events: Array.from({ length: limit - 1 }, (_, i) =>
            event(`Event ${i}`, "identity:a", ts),
          ),
          profiles: [],
        })
        const now = Date.UTC(2026, 0, 1)
        const key = (name: string, fingerprint: string, at = now): UploadKey => ({
          key: name,
          fingerprint,
          now: at,
          expiresAt: at + 86_400_000,
        })
        const batch = {
          events: ["Charged", "Other", "Charged"].map((name) => event(name, "identity:a", ts)),
          profiles: [],
        }
        const first = yield* store.append(account, batch, key("k1", "f1"))
        assert.deepStrictEqual(first.refused, [1])
        assert.notStrictEqual(first.replayed, true)
        const again = yield* store.append(account, batch, key("k1", "f1", now + 1000))
        assert.deepStrictEqual({ ...again }, { refused: [1], replayed: true })
        const conflict = yield* Effect.flip(
          store.append(account, batch, key("k1", "f2", now + 2000)),
        )
        assert.strictEqual(conflict._tag, "KeyReused")
        const charged = (of: Account.Settings) =>
          store.query(
            of,
            planFor(of, {
              from: day(2020, 1, 15),
              to: day(2020, 1, 15),
              groups: [{ name: "d", granularity: "daily" }],
            }),
          )
        assert.deepStrictEqual(yield* charged(account), { d: { "20200115": 2 } })
        // Keys are per account, and a key is forgotten once it expires.
        const other = freshAccount()
        yield* store.append(other, batch, key("k1", "f1"))
        assert.deepStrictEqual(yield* charged(other), { d: { "20200115": 2 } })
        const later = yield* store.append(account, batch, key("k1", "f2", now + 86_400_000))
        assert.notStrictEqual(later.replayed, true)
        assert.deepStrictEqual(yield* charged(account), { d: { "20200115": 4 } })
      }),
    )

    it.effect("reports itself healthy while it can read and write", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        yield* store.health()
      }),
    )

    it.effect("refuses events whose new name would pass the account's event-name limit", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        const limit = Limits.defaults.maxEventNamesPerAccount
        const ts = Date.UTC(2020, 0, 15, 12) / 1000
        const first = yield* store.append(account, {
          events: Array.from({ length: limit - 1 }, (_, i) =>
            event(`Event ${i}`, "identity:a", ts),
          ),
          profiles: [],
        })
        assert.deepStrictEqual(first.refused, [])
        const second = yield* store.append(account, {
          events: ["New A", "Event 0", "New B", "New A", "New B"].map((name) =>
            event(name, "identity:a", ts),
          ),
          profiles: [],
        })
        assert.deepStrictEqual(second.refused, [2, 4])
        const names = yield* store.eventNames(account)
        assert.strictEqual(names.length, limit)
        assert.isTrue(names.includes("New A"))
        assert.isFalse(names.includes("New B"))
        const count = (name: string) =>
          store.query(
            account,
            planFor(account, {
              eventName: name,
              from: day(2020, 1, 15),
              to: day(2020, 1, 15),
              groups: [{ name: "d", granularity: "daily" }],
            }),
          )
        assert.deepStrictEqual(yield* count("New A"), { d: { "20200115": 2 } })
        assert.deepStrictEqual(yield* count("Event 0"), { d: { "20200115": 2 } })
        assert.deepStrictEqual(yield* count("New B"), { d: { "20200115": 0 } })
      }),
    )

    it.effect("merges profile upserts, later properties winning", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const account = freshAccount()
        assert.isTrue(Option.isNone(yield* store.profile(account, "identity:a")))
        yield* store.append(account, {
          events: [],
          profiles: [{ profile: "identity:a", ts: 100, properties: { Name: "Ada", Plan: "free" } }],
        })
        yield* store.append(account, {
          events: [],
          profiles: [{ profile: "identity:a", ts: 200, properties: { Plan: "pro" } }],
        })
        assert.deepStrictEqual(
          yield* store.profile(account, "identity:a"),
          Option.some({ profile: "identity:a", ts: 200, properties: { Name: "Ada", Plan: "pro" } }),
        )
        assert.isTrue(Option.isNone(yield* store.profile(freshAccount(), "identity:a")))
        // An older update that arrives late does not overwrite newer properties.
        yield* store.append(account, {
          events: [],
          profiles: [
            { profile: "identity:a", ts: 150, properties: { Plan: "trial", City: "Pune" } },
          ],
        })
        assert.deepStrictEqual(
          yield* store.profile(account, "identity:a"),
          Option.some({
            profile: "identity:a",
            ts: 200,
            properties: { Name: "Ada", Plan: "pro", City: "Pune" },
          }),
        )
      }),
    )

    it.effect("counts only the events that match random filters, as the reference store", () =>
      Effect.flatMap(EventStore, (store) =>
        forRandomAccounts(
          store,
          { seed: 20170103, numRuns: 12 },
          fc.constant("Asia/Kolkata"),
          fc.array(fc.tuple(planArbitrary, filtersArbitrary), { minLength: 1, maxLength: 4 }),
          (account, reference, plans) =>
            Effect.gen(function* () {
              for (const [settings, filters] of plans) {
                const plan = planFor(account, {
                  from: settings.from,
                  to: Math.min(settings.from + settings.length, rangeStart + 40),
                  measure: settings.measure,
                  groups: settings.granularities.map((granularity, i) => ({
                    name: `g${i}`,
                    granularity,
                  })),
                  filters,
                })
                assert.deepStrictEqual(
                  yield* store.query(account, plan),
                  yield* reference.query(account, plan),
                  JSON.stringify(filters),
                )
              }
            }),
        ),
      ),
    )

    it.effect("ranks the values of random top counts plans as the reference store", () =>
      Effect.flatMap(EventStore, (store) =>
        forRandomAccounts(
          store,
          { seed: 20170104, numRuns: 12 },
          fc.constantFrom(...zones),
          fc.array(topPlanArbitrary, { minLength: 1, maxLength: 4 }),
          (account, reference, plans) =>
            Effect.gen(function* () {
              for (const settings of plans) {
                const plan = topPlanOf(account, settings)
                assert.deepStrictEqual(
                  yield* store.top(account, plan),
                  yield* reference.top(account, plan),
                  JSON.stringify(plan),
                )
              }
            }),
        ),
      ),
    )

    it.effect("answers random trends with extensions as over the reference store", () =>
      Effect.flatMap(EventStore, (store) =>
        forRandomAccounts(
          store,
          { seed: 20170106, numRuns: 8 },
          fc.constantFrom(...zones),
          fc.array(extendedRequestArbitrary, { minLength: 1, maxLength: 3 }),
          (account, reference, requests) =>
            Effect.gen(function* () {
              for (const settings of requests) {
                const body = extendedBody(settings)
                const answer = yield* extendedAnswer(store, account, body)
                assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
                assert.deepStrictEqual(
                  answer.body,
                  (yield* extendedAnswer(reference, account, body)).body,
                  JSON.stringify(body),
                )
              }
            }),
        ),
      ),
    )

    it.effect("counts rolling distinct profiles as the reference store, when it counts them", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        // A store without the optional method is asked for window groups (the contract's
        // plans): nothing more to check.
        const rollingProfiles = store.rollingProfiles
        if (rollingProfiles === undefined) return
        yield* forRandomAccounts(
          store,
          { seed: 20170107, numRuns: 8 },
          fc.constantFrom(...zones),
          fc.array(
            fc.tuple(
              fc.record({
                from: fc.integer({ min: rangeStart - 2, max: rangeStart + 38 }),
                length: fc.integer({ min: 0, max: 30 }),
                days: fc.integer({ min: 1, max: 14 }),
              }),
              filtersArbitrary,
            ),
            { minLength: 1, maxLength: 3 },
          ),
          (account, reference, asks) =>
            Effect.gen(function* () {
              for (const [{ from, length, days }, filters] of asks) {
                const plan = planFor(account, {
                  from,
                  to: from + length,
                  measure: Measure.Profiles,
                  groups: [{ name: "d", granularity: "daily" }],
                  filters,
                })
                const windows = yield* reference.query(
                  account,
                  Extensions.rollingPlan(plan, "d", days),
                )
                assert.deepStrictEqual(
                  Extensions.rollingFromDays(
                    plan,
                    days,
                    yield* rollingProfiles(account, plan, days),
                  ),
                  Extensions.rollingOf(plan, "d", days, windows),
                  JSON.stringify({ from, length, days, filters }),
                )
              }
            }),
        )
      }),
    )

    it.effect("lists property names as the reference store, when it lists them", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        // A store without the optional method offers no suggestions: nothing to check.
        const propertyNames = store.propertyNames
        if (propertyNames === undefined) return
        yield* forRandomAccounts(
          store,
          { seed: 20170105, numRuns: 6 },
          fc.constant("UTC"),
          fc.constant(["Charged", "Viewed", "Never Stored"]),
          (account, reference, eventNames) =>
            Effect.gen(function* () {
              for (const eventName of eventNames)
                assert.deepStrictEqual(
                  yield* propertyNames(account, eventName),
                  yield* reference.propertyNames!(account, eventName),
                  eventName,
                )
            }),
        )
        // Names with characters past the BMP sort as JavaScript sorts them.
        const account = freshAccount()
        const properties = { "\u{1F600}": 1, "\uFFFD": 2, z: 3, Z: 4 }
        yield* store.append(account, {
          events: [{ name: "Opened", profile: "identity:a", ts: 86_400 * 18_000, properties }],
          profiles: [{ profile: "identity:a", ts: 1, properties }],
        })
        const sorted = Object.keys(properties).sort()
        assert.deepStrictEqual(yield* propertyNames(account, "Opened"), {
          event: sorted,
          profile: sorted,
        })
      }),
    )

    it.effect("answers random plans over random events exactly as the reference aggregator", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const cases = fc.sample(
          fc.tuple(eventsArbitrary, fc.array(planArbitrary, { minLength: 1, maxLength: 4 })),
          {
            seed: 20161224,
            numRuns: 25,
          },
        )
        for (const [events, plans] of cases) {
          for (const settings of plans) {
            const account = freshAccount({
              timeZone: settings.timeZone,
              weekStart: settings.weekStart,
            })
            // Two batches, to check that appends accumulate.
            const half = Math.floor(events.length / 2)
            yield* store.append(account, { events: events.slice(0, half), profiles: [] })
            yield* store.append(account, { events: events.slice(half), profiles: [] })
            const plan = planFor(account, {
              from: settings.from,
              to: settings.from + settings.length,
              measure: settings.measure,
              groups: settings.granularities.map((granularity, i) => ({
                name: `g${i}`,
                granularity,
              })),
            })
            assert.deepStrictEqual(
              yield* store.query(account, plan),
              Aggregator.aggregate(plan, events),
            )
            // Window groups (rolling windows' plans): buckets of any days, cut by core.
            const windows = Extensions.rollingPlan(plan, "w", 1 + (settings.length % 9))
            assert.deepStrictEqual(
              yield* store.query(account, windows),
              Aggregator.aggregate(windows, events),
            )
          }
        }
      }),
    )
  })
