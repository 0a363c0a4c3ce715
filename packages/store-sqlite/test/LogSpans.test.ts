// Hours from the event log (`internal/eventScan.ts`: the rollups hold whole days), and the
// rows' time spans (`event_log_spans`): a scan of some days reads only the rows that can
// hold events of them, and a row logged before spans existed is read whatever its times.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import { afterAll } from "vitest"
import * as Engine from "../src/internal/engine.ts"
import type { SqlDriver } from "../src/SqlDriver.ts"
import { at, charged } from "./scanFixtures.ts"

const connections: Array<NodeSqlite.Connection> = []
afterAll(() => {
  for (const connection of connections) connection.close()
})

// An engine whose driver counts the event log rows it reads (those with their events).
const counting = () => {
  const connection = NodeSqlite.open({ filename: ":memory:" })
  connections.push(connection)
  let logRows = 0
  const driver: SqlDriver = {
    ...connection.driver,
    all: (sql, params) => {
      const rows = connection.driver.all(sql, params)
      if (sql.includes("events FROM event_log")) logRows += rows.length
      return rows
    },
  }
  Engine.migrate(driver)
  const engine = Engine.make(driver, "single")
  const query = (account: Account.Settings, plan: QueryPlan.QueryPlan) => {
    logRows = 0
    const outcome = Engine.runToEnd(engine.query(account, plan))
    assert.strictEqual(outcome._tag, "Result")
    return { result: outcome._tag === "Result" ? outcome.result : {}, logRows }
  }
  return { engine, driver, query }
}

const day = Calendar.unsafeMakeDay

// A month's events, one batch a day: 5 a day at several hours, by three profiles.
const batchOf = (month: number, d: number) =>
  [3, 9, 9, 14, 23].map((hour, i) =>
    charged(`p${(d + i) % 3}`, at(month, d, hour, 7 * i), { Amount: i + 1 }),
  )

describe("hours from the event log, with spans", () => {
  const account = Account.make("acme", { timeZone: "Europe/Berlin" })
  const batches = [
    ...Array.from({ length: 31 }, (_, i) => batchOf(1, i + 1)),
    ...Array.from({ length: 30 }, (_, i) => batchOf(6, i + 1)),
  ]
  const events = batches.flat()
  const planOf = (from: number, to: number, measure: Measure.Measure) =>
    QueryPlan.make(
      {
        eventName: "Charged",
        from,
        to,
        measure,
        groups: [
          { name: "hours", granularity: "hourly" },
          { name: "days", granularity: "daily" },
        ],
      },
      account,
    )

  it("answers hours as the reference, reading only the rows of the days asked", () => {
    const { engine, query } = counting()
    for (const batch of batches) engine.append(account, { events: batch, profiles: [] })
    for (const measure of [Measure.Events, Measure.Profiles, Measure.sum("Amount")]) {
      // Three days of June: the rows of June 9 to 12 at most (Berlin is UTC+2 in June).
      const plan = planOf(day(2024, 6, 10), day(2024, 6, 12), measure)
      const { result, logRows } = query(account, plan)
      assert.deepStrictEqual(result, Aggregator.aggregate(plan, events))
      assert.isAtMost(logRows, 4)
      assert.isAtLeast(logRows, 3)
    }
    // A range of no event: no row read.
    assert.strictEqual(
      query(account, planOf(day(2024, 3, 1), day(2024, 3, 5), Measure.Events)).logRows,
      0,
    )
  })

  it("reads a row logged before spans existed, whatever its times", () => {
    const { engine, driver, query } = counting()
    for (const batch of batches) engine.append(account, { events: batch, profiles: [] })
    // As a database of version 7 left them: no spans.
    driver.run("DELETE FROM event_log_spans")
    const plan = planOf(day(2024, 6, 10), day(2024, 6, 12), Measure.Events)
    const { result, logRows } = query(account, plan)
    assert.deepStrictEqual(result, Aggregator.aggregate(plan, events))
    assert.strictEqual(logRows, batches.length)
  })
})
