// Events and plans shared by the Node and the Durable Object tests of the store.
import type * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import { migrations } from "../src/internal/migrations.ts"
import type { SqlDriver } from "../src/SqlDriver.ts"

const day = Calendar.unsafeMakeDay

/** Noon UTC on a day of January 2024. */
export const noon = (d: number): number => Date.UTC(2024, 0, d, 12) / 1000

/** A `Charged` event with an `Amount`. */
export const charged = (profile: string, ts: number, amount = 1) => ({
  name: "Charged",
  profile,
  ts,
  properties: { Amount: amount },
})

/** January 2024 as one monthly bucket of `Charged`. */
export const january = (account: Account.Settings, measure: Measure.Measure = Measure.Events) =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from: day(2024, 1, 1),
      to: day(2024, 1, 31),
      measure,
      groups: [{ name: "month", granularity: "monthly" }],
    },
    account,
  )

/**
 * Brings an empty database to schema `version` as that Trendline left it (migrations up to
 * it), with one account, `acme` in UTC, and its empty rollup set 1: for migration tests.
 */
export const accountAtVersion = (driver: SqlDriver, version: number): void => {
  driver.exec("CREATE TABLE trendline_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
  for (const migration of migrations.filter((m) => m.version <= version)) {
    driver.exec(migration.sql)
    driver.run("INSERT INTO trendline_migrations (version, name) VALUES (?, ?)", [
      migration.version,
      migration.name,
    ])
  }
  driver.run("INSERT INTO rollup_sets (id) VALUES (1)")
  driver.run("INSERT INTO accounts (acct, id, time_zone, rollups) VALUES (1, 'acme', 'UTC', 1)")
}
