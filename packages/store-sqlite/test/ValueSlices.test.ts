// Value slices (`internal/valueSlices.ts`): filters on one event property and top values
// answered from the rollups, exactly as core's reference, without reading the event log;
// everything slices cannot answer still read from the log, as exactly.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import type * as Filter from "@trendline/core/Filter"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as fc from "fast-check"
import { afterAll } from "vitest"
import * as Engine from "../src/internal/engine.ts"
import { firstSliceId } from "../src/internal/valueSlices.ts"
import type { SqlDriver } from "../src/SqlDriver.ts"
import { at, charged } from "./scanFixtures.ts"

const connections: Array<NodeSqlite.Connection> = []
afterAll(() => {
  for (const connection of connections) connection.close()
})

// An engine on a fresh database whose driver records the statements it reads with.
const spied = (options: Engine.EngineOptions = {}) => {
  const connection = NodeSqlite.open({ filename: ":memory:" })
  connections.push(connection)
  const statements: Array<string> = []
  const driver: SqlDriver = {
    ...connection.driver,
    all: (sql, params) => {
      statements.push(sql)
      return connection.driver.all(sql, params)
    },
  }
  Engine.migrate(driver)
  const engine = Engine.make(driver, "single", options)
  // Runs `steps` and tells whether they read the event log.
  const run = <A>(steps: Generator<unknown, A, void>): { value: A; readLog: boolean } => {
    statements.length = 0
    const value = Engine.runToEnd(steps)
    return { value, readLog: statements.some((sql) => sql.includes("event_log")) }
  }
  return { engine, run, driver }
}

const where = (
  name: string,
  operator: Filter.Operator,
  ...values: Array<Filter.Value>
): Filter.Condition => ({ name, operator, values })
const onEvents = (...event: Array<Filter.Condition>): Filter.Filters => ({ event, profile: [] })

const measures = [Measure.Events, Measure.Profiles, Measure.sum("Amount")] as const
const planOf = (
  account: Account.Settings,
  filters: Filter.Filters,
  measure: QueryPlan.Input["measure"],
): QueryPlan.QueryPlan =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from: Calendar.unsafeMakeDay(2024, 1, 1),
      to: Calendar.unsafeMakeDay(2024, 2, 10),
      measure,
      groups: [
        { name: "day", granularity: "daily" },
        { name: "week", granularity: "weekly" },
        { name: "all", granularity: "total" },
      ],
      filters,
    },
    account,
  )

const topPlanOf = (
  account: Account.Settings,
  groups: ReadonlyArray<Pick<TopCounts.GroupPlan, "source" | "property">>,
  filters: Filter.Filters = { event: [], profile: [] },
): TopCounts.TopPlan => {
  const from = Calendar.unsafeMakeDay(2024, 1, 1)
  const to = Calendar.unsafeMakeDay(2024, 2, 10)
  return {
    eventName: "Charged",
    timeZone: account.timeZone,
    from,
    to,
    start: Calendar.startOfDay(from, account.timeZone),
    end: Calendar.startOfDay(to + 1, account.timeZone),
    filters,
    groups: groups.map((group, i) => ({ name: `g${i}`, topN: 5, order: "desc", ...group })),
  }
}

// Text, numbers and booleans that look alike, a missing property, another event.
const events: ReadonlyArray<Aggregator.Event> = [
  charged("a", at(1, 1, 0, 10), { Plan: "pro", Amount: 10, Paid: true }),
  charged("a", at(1, 1, 23, 50), { Plan: "Pro", Amount: 5, Paid: "True" }),
  charged("b", at(1, 2, 12), { Plan: "pro plus", Amount: -3 }),
  charged("b", at(1, 8, 18, 40), { Plan: "team", Amount: 7, Paid: false }),
  charged("c", at(1, 9, 3), { Plan: "free", Amount: 2 ** 52 }),
  charged("c", at(1, 9, 4), { Plan: "free", Amount: 2 ** 52 }),
  charged("d", at(1, 15, 6), { Plan: 5, Amount: "12" }),
  charged("d", at(1, 31, 20), { Plan: "5", Amount: 1.5 }),
  charged("e", at(2, 5, 22), { Amount: 3 }),
  charged("f", at(2, 10, 19), { Plan: "pro", Amount: 4 }),
  { ...charged("a", at(1, 3, 12), { Plan: "pro", Amount: 1000 }), name: "Viewed" },
]

describe("SQLite value slices", () => {
  it("answer filters on one property from the rollups, exactly as the reference", () => {
    const account = Account.make("acme", { timeZone: "America/New_York" })
    const { engine, run } = spied()
    engine.append(account, { events, profiles: [] })
    const sliced: ReadonlyArray<Filter.Filters> = [
      onEvents(where("Plan", "equals", "pro")),
      onEvents(where("Plan", "equals", "pro", "team", 5)),
      onEvents(where("Paid", "equals", "True")),
      onEvents(where("Plan", "not_equals", "pro", "free")),
      onEvents(where("Plan", "contains", "ro")),
      onEvents(where("Plan", "does_not_contain", "pro")),
      onEvents(where("Plan", "exists")),
      onEvents(where("Amount", "greater_than", 4)),
      onEvents(where("Amount", "greater_than", 4), where("Amount", "less_than_equals", 10)),
      onEvents(where("Plan", "equals", "nobody")),
      onEvents(where("Nothing", "equals", "pro")),
    ]
    for (const filters of sliced)
      for (const measure of measures) {
        const plan = planOf(account, filters, measure)
        const answer = run(engine.query(account, plan))
        assert.deepStrictEqual(
          answer.value,
          { _tag: "Result", result: Aggregator.aggregate(plan, events) },
          JSON.stringify(filters),
        )
        assert.isFalse(answer.readLog, `read the log for ${JSON.stringify(filters)}`)
      }
  })

  it("leave to the event log what they cannot answer, as exactly", () => {
    const account = Account.make("acme")
    const { engine, run } = spied()
    engine.append(account, { events, profiles: [] })
    const unsliced: ReadonlyArray<Filter.Filters> = [
      // Events without the property match these: no slice holds them.
      onEvents(where("Paid", "does_not_exist")),
      onEvents(where("Plan", "does_not_exist")),
      // Conditions on two properties.
      onEvents(where("Plan", "equals", "pro"), where("Amount", "greater_than", 4)),
      { event: [], profile: [where("Plan", "exists")] },
    ]
    for (const filters of unsliced) {
      const plan = planOf(account, filters, Measure.Events)
      const answer = run(engine.query(account, plan))
      assert.deepStrictEqual(answer.value, {
        _tag: "Result",
        result: Aggregator.aggregate(plan, events),
      })
      assert.isTrue(answer.readLog, JSON.stringify(filters))
    }
  })

  it("agree with the reference on random events and conditions on one property", () => {
    const value = fc.oneof(
      fc.constantFrom("pro", "Pro", "free", "", "True", "false", "5"),
      fc.integer({ min: -2, max: 6 }),
      fc.constantFrom(0.5, 2.5),
      fc.boolean(),
    )
    const condition = fc.oneof(
      fc.record({
        operator: fc.constantFrom<Filter.Operator>("equals", "not_equals"),
        values: fc.array(
          fc.oneof(fc.constantFrom("pro", "True", "false", "5"), fc.integer({ min: -2, max: 6 })),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      fc.record({
        operator: fc.constantFrom<Filter.Operator>("contains", "does_not_contain"),
        values: fc.array(fc.constantFrom("pro", "r", "", "Pro"), { minLength: 1, maxLength: 2 }),
      }),
      fc.record({
        operator: fc.constantFrom<Filter.Operator>("greater_than", "less_than_equals"),
        values: fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constant(0.5)), {
          minLength: 1,
          maxLength: 2,
        }),
      }),
      fc.record({
        operator: fc.constantFrom<Filter.Operator>("exists", "does_not_exist"),
        values: fc.constant([]),
      }),
    )
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            profile: fc.constantFrom("a", "b", "c", "d", "e"),
            ts: fc.integer({ min: at(1, 1, 0), max: at(2, 10, 23) }),
            properties: fc.dictionary(fc.constantFrom("Plan", "Amount"), value, { maxKeys: 2 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.array(condition, { minLength: 1, maxLength: 2 }),
        fc.constantFrom("UTC", "Europe/London", "Asia/Kolkata"),
        fc.constantFrom(...measures),
        (drawn, conditions, timeZone, measure) => {
          const account = Account.make("acme", { timeZone })
          const { engine, run } = spied()
          const stored = drawn.map((e) => charged(e.profile, e.ts, e.properties))
          engine.append(account, { events: stored, profiles: [] })
          const filters = onEvents(...conditions.map((c) => ({ ...c, name: "Plan" })))
          const plan = planOf(account, filters, measure)
          const answer = run(engine.query(account, plan))
          assert.deepStrictEqual(answer.value, {
            _tag: "Result",
            result: Aggregator.aggregate(plan, stored),
          })
          // The log only when an event without the property would match.
          assert.strictEqual(
            answer.readLog,
            filters.event.every((c) => c.operator === "does_not_exist"),
          )
        },
      ),
      { seed: 20240101, numRuns: 150 },
    )
  })

  it("answer top values of event properties from the rollups, as the reference", () => {
    const account = Account.make("acme", { timeZone: "Asia/Kolkata" })
    const { engine, run } = spied()
    engine.append(account, { events, profiles: [] })
    const plan = topPlanOf(account, [
      { source: "event", property: "Plan" },
      { source: "event", property: "Amount" },
      { source: "event", property: "Paid" },
      { source: "event", property: "Nothing" },
    ])
    const answer = run(engine.top(account, plan))
    assert.deepStrictEqual(answer.value, TopCounts.reference(plan, events))
    assert.isFalse(answer.readLog)
    // Filters, or a profile field: from the log.
    for (const other of [
      topPlanOf(
        account,
        [{ source: "event", property: "Plan" }],
        onEvents(where("Amount", "exists")),
      ),
      topPlanOf(account, [{ source: "profile", property: "Plan" }]),
    ]) {
      const scanned = run(engine.top(account, other))
      assert.deepStrictEqual(scanned.value, TopCounts.reference(other, events))
      assert.isTrue(scanned.readLog)
    }
  })

  it("stop slicing a property past its values or properties limit, or on a list", () => {
    const account = Account.make("acme")
    const { engine, run, driver } = spied({ slices: { maxValues: 3, maxProperties: 2 } })
    const first = [
      charged("a", at(1, 2, 10), { Plan: "pro", Tier: 1, Tags: "x" }),
      charged("b", at(1, 3, 10), { Plan: "free", Tier: 2, Tags: "y" }),
    ]
    // Plan gets a fourth value; Tier a list; Tags was one property too many from the start.
    const second = [
      charged("c", at(1, 4, 10), { Plan: "team", Tier: 1 }),
      charged("d", at(1, 5, 10), { Plan: "pro plus", Tier: [1, 2] }),
      charged("e", at(1, 6, 10), { Plan: "pro", Tier: 2 }),
    ]
    engine.append(account, { events: first, profiles: [] })
    engine.append(account, { events: second, profiles: [] })
    const all = [...first, ...second]
    assert.deepStrictEqual(
      driver
        .all("SELECT name FROM unsliced_properties ORDER BY name")
        .map((row) => String(row.name)),
      ["Plan", "Tags", "Tier"],
    )
    for (const filters of [
      onEvents(where("Plan", "equals", "pro")),
      onEvents(where("Tier", "equals", 1)),
      onEvents(where("Tags", "equals", "x")),
    ]) {
      const plan = planOf(account, filters, Measure.Profiles)
      const answer = run(engine.query(account, plan))
      assert.deepStrictEqual(answer.value, {
        _tag: "Result",
        result: Aggregator.aggregate(plan, all),
      })
      assert.isTrue(answer.readLog, JSON.stringify(filters))
    }
    const top = topPlanOf(account, [{ source: "event", property: "Plan" }])
    assert.deepStrictEqual(run(engine.top(account, top)).value, TopCounts.reference(top, all))
  })

  it("keep their numbers when the writer forgot an event name's slices", () => {
    const account = Account.make("acme")
    const { engine, run } = spied()
    // 80 event names in one batch: more than the writer keeps, so it forgets the first ones.
    const named = (name: string, ts: number, plan: string) => ({
      ...charged(name, ts, { Plan: plan }),
      name: `Event ${name}`,
    })
    // The first event name again at the end: its slice is new in this very batch.
    const first = [
      ...Array.from({ length: 80 }, (_, i) => named(String(i), at(1, 2, 10), "pro")),
      named("0", at(1, 2, 11), "pro"),
    ]
    engine.append(account, { events: first, profiles: [] })
    // Again, with the same value (its slice read back) and a new one.
    const second = [named("0", at(1, 3, 10), "pro"), named("0", at(1, 3, 11), "team")]
    engine.append(account, { events: second, profiles: [] })
    const plan = {
      ...planOf(account, onEvents(where("Plan", "equals", "pro", "team")), Measure.Events),
      eventName: "Event 0",
    }
    const answer = run(engine.query(account, plan))
    assert.deepStrictEqual(answer.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, [...first, ...second]),
    })
    assert.isFalse(answer.readLog)
  })

  it("answer from the log in a zone the rollups are not cut in yet", () => {
    const { engine, run } = spied()
    engine.append(Account.make("acme"), { events, profiles: [] })
    const moved = Account.make("acme", { timeZone: "Pacific/Auckland" })
    const plan = planOf(moved, onEvents(where("Plan", "equals", "pro")), Measure.Events)
    const answer = run(engine.query(moved, plan))
    assert.deepStrictEqual(answer.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, events),
    })
    assert.isTrue(answer.readLog)
  })

  it("turned off, slice nothing and leave filters to the log; on again, rebuild", () => {
    const account = Account.make("acme")
    const { engine, run, driver } = spied()
    const [first, ...rest] = events
    engine.append(account, { events: [first!], profiles: [] })
    const plan = planOf(account, onEvents(where("Plan", "equals", "pro")), Measure.Profiles)
    const off = Engine.make(driver, "single", { slices: "off" })
    const appended = off.append(account, { events: rest, profiles: [] }) as Engine.Appended
    assert.isFalse(appended.rebuild)
    assert.deepStrictEqual(driver.all("SELECT sliced FROM accounts"), [{ sliced: 0 }])
    const scanned = run(off.query(account, plan))
    assert.deepStrictEqual(scanned.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, events),
    })
    assert.isTrue(scanned.readLog)
    // On again: the slices miss what came while off, so the next upload rebuilds them.
    const on = Engine.make(driver, "single")
    assert.isTrue(run(on.query(account, plan)).readLog)
    const later = charged("z", at(1, 20, 12), { Plan: "pro", Amount: 1 })
    const again = on.append(account, { events: [later], profiles: [] }) as Engine.Appended
    assert.isTrue(again.rebuild)
    while (!on.rebuildStep(account, performance.now() + 50).finished);
    const sliced = run(on.query(account, plan))
    assert.deepStrictEqual(sliced.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, [...events, later]),
    })
    assert.isFalse(sliced.readLog)
  })

  it("come to an account stored before them by a rebuild its next upload starts", () => {
    const account = Account.make("acme", { timeZone: "Europe/Berlin" })
    const { engine, run, driver } = spied()
    engine.append(account, { events, profiles: [] })
    // What an account stored by a Trendline without slices has: none, and not marked sliced.
    for (const table of ["day_counts", "day_sums", "day_profiles"])
      driver.run(`DELETE FROM ${table} WHERE event >= ?`, [firstSliceId])
    driver.run("DELETE FROM value_slices")
    driver.run("UPDATE accounts SET sliced = 0")
    const older = Engine.make(driver, "single")
    const plan = planOf(account, onEvents(where("Plan", "equals", "pro")), Measure.Profiles)
    const before = run(older.query(account, plan))
    assert.deepStrictEqual(before.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, events),
    })
    assert.isTrue(before.readLog)
    const later = charged("z", at(1, 20, 12), { Plan: "pro", Amount: 1 })
    const appended = older.append(account, { events: [later], profiles: [] }) as Engine.Appended
    assert.isTrue(appended.rebuild)
    let steps = 0
    while (!older.rebuildStep(account, performance.now() + 50).finished) steps++
    assert.isBelow(steps, 100)
    const after = run(older.query(account, plan))
    assert.deepStrictEqual(after.value, {
      _tag: "Result",
      result: Aggregator.aggregate(plan, [...events, later]),
    })
    assert.isFalse(after.readLog)
    // Sliced now: uploads start no more rebuilds.
    const next = older.append(account, { events: [later], profiles: [] }) as Engine.Appended
    assert.isFalse(next.rebuild)
  })
})
