import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import type * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteAnswerArchive from "@trendline/store-sqlite/SqliteAnswerArchive"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { afterAll } from "vitest"
import * as Engine from "../src/internal/engine.ts"
import { accountAtVersion, charged, january, noon } from "./fixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-sqlite-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

eventStoreContract("sqlite (node:sqlite, in memory)", NodeSqlite.layer({ filename: ":memory:" }))
eventStoreContract(
  "sqlite (node:sqlite, file)",
  NodeSqlite.layer({ filename: join(folder, "contract.db") }),
)

const withStore = <A, E>(
  driver: SqlDriver,
  use: (store: EventStore.Service) => Effect.Effect<A, E>,
) => Effect.flatMap(SqliteEventStore.make(driver), use)

describe("SQLite store on a file", () => {
  it.effect("keeps every rollup across a restart", () =>
    Effect.gen(function* () {
      const filename = join(folder, "restart.db")
      const account = Account.make("acme")
      const first = NodeSqlite.open({ filename })
      yield* withStore(first.driver, (store) =>
        store.append(account, {
          events: [charged("identity:a", noon(2), 5), charged("identity:b", noon(3), 7)],
          profiles: [{ profile: "identity:a", ts: 1, properties: { Plan: "pro" } }],
        }),
      )
      first.close()
      const second = NodeSqlite.open({ filename })
      yield* withStore(second.driver, (store) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* store.query(account, january(account)), {
            month: { "202401": 2 },
          })
          assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
            month: { "202401": 2 },
          })
          assert.deepStrictEqual(
            yield* store.query(account, january(account, Measure.sum("Amount"))),
            {
              month: { "202401": 12 },
            },
          )
          assert.deepStrictEqual(yield* store.eventNames(account), ["Charged"])
          // New events after the restart continue the same profile numbering.
          yield* store.append(account, {
            events: [charged("identity:a", noon(4)), charged("identity:c", noon(4))],
            profiles: [],
          })
          assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
            month: { "202401": 3 },
          })
        }),
      )
      second.close()
    }),
  )

  it.effect("records its schema version and refuses a database from a newer Trendline", () =>
    Effect.gen(function* () {
      const filename = join(folder, "versions.db")
      const connection = NodeSqlite.open({ filename })
      yield* SqliteEventStore.make(connection.driver)
      assert.deepStrictEqual(connection.driver.all("SELECT version FROM trendline_migrations"), [
        { version: 1 },
        { version: 2 },
        { version: 3 },
        { version: 4 },
        { version: 5 },
        { version: 6 },
        { version: 7 },
        { version: 8 },
      ])
      // Opening again applies nothing twice.
      yield* SqliteEventStore.make(connection.driver)
      connection.driver.run(
        "INSERT INTO trendline_migrations (version, name) VALUES (99, 'from the future')",
      )
      const exit = yield* Effect.exit(SqliteEventStore.make(connection.driver))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "newer than this Trendline")
      connection.close()
    }),
  )
})

describe("SQLite schema migrations", () => {
  it.effect("lists version 6's profile fields, and the events' properties after a rebuild", () =>
    Effect.gen(function* () {
      const filename = join(folder, "version6.db")
      const connection = NodeSqlite.open({ filename })
      const { driver } = connection
      accountAtVersion(driver, 6)
      driver.run("INSERT INTO event_names (acct, id, name) VALUES (1, 0, 'Charged')")
      driver.run(
        `INSERT INTO profiles (acct, no, key, ts, properties) VALUES
         (1, 0, 'identity:a', 5, '{"Plan":"pro","City":"Pune"}'),
         (1, 1, 'identity:b', NULL, NULL),
         (1, 2, 'identity:c', 7, '{"Beta":true}')`,
      )
      // Version 6's log: one event with two properties (a log row is [event, ts, profile, properties]).
      driver.run("INSERT INTO event_log (acct, events) VALUES (1, ?)", [
        JSON.stringify([[0, noon(3), 1, { Amount: 5, Coupon: "x" }]]),
      ])
      Engine.migrate(driver)
      const { service: store, rebuilds } = SqliteEventStore.fromEngine(
        Engine.make(driver, "single"),
      )
      const account = Account.make("acme")
      assert.deepStrictEqual(yield* store.propertyNames!(account, "Charged"), {
        event: [],
        profile: ["Beta", "City", "Plan"],
      })
      // The next upload starts the rebuild that slices the account's events.
      yield* store.append(account, {
        events: [charged("identity:b", noon(4), 2)],
        profiles: [{ profile: "identity:b", ts: 9, properties: { Country: "IN" } }],
      })
      yield* rebuilds.ensure(account)
      assert.deepStrictEqual(driver.all("SELECT sliced FROM accounts"), [{ sliced: 1 }])
      assert.deepStrictEqual(yield* store.propertyNames!(account, "Charged"), {
        event: ["Amount", "Coupon"],
        profile: ["Beta", "City", "Country", "Plan"],
      })
      connection.close()
    }),
  )

  it.effect("splits version 3's sums into two parts exactly, past 2^53 and below zero", () =>
    Effect.gen(function* () {
      const filename = join(folder, "version3.db")
      const connection = NodeSqlite.open({ filename })
      const { driver } = connection
      accountAtVersion(driver, 3)
      const account = Account.make("acme")
      driver.run("INSERT INTO event_names (acct, id, name) VALUES (1, 0, 'Charged')")
      // What version 3 kept: one total per day, here past 2^53 and below zero.
      const first = Calendar.unsafeMakeDay(2024, 1, 15)
      const totals = [2n ** 60n + 12_345n, -(2n ** 55n) - 7n, 5n]
      for (const [i, total] of totals.entries())
        driver.run(
          "INSERT INTO day_sums (acct, event, property, day, total) VALUES (1, 0, 'Amount', ?, ?)",
          [first + i, total],
        )
      const store = yield* SqliteEventStore.make(driver)
      // These rollups were written by hand, with no event log to rebuild them from: marked
      // sliced, so that the append below starts no rebuild (which would fold the empty log).
      driver.run("UPDATE accounts SET sliced = 1")
      const plan = QueryPlan.make(
        {
          eventName: "Charged",
          from: first,
          to: first + 2,
          measure: Measure.sum("Amount"),
          groups: [{ name: "d", granularity: "daily" }],
        },
        account,
      )
      assert.deepStrictEqual(
        Object.values((yield* store.query(account, plan)).d!),
        totals.map(Number),
      )
      // And they keep adding up exactly.
      yield* store.append(account, { events: [charged("identity:a", noon(15), 1)], profiles: [] })
      const row = driver.all("SELECT low, high FROM day_sums WHERE day = ?", [first])[0]!
      assert.strictEqual(
        BigInt(row.high as number) * 16_777_216n + BigInt(row.low as number),
        totals[0]! + 1n,
      )
      connection.close()
    }),
  )
})

describe("SQLite answer archive", () => {
  it.effect("keeps an answer until it expires, across reopening the file", () =>
    Effect.gen(function* () {
      const filename = join(folder, "archive.db")
      const answer = { status: 200, body: { status: "success", count: 3 } }
      const first = NodeSqlite.open({ filename })
      const archive = yield* SqliteAnswerArchive.make(first.driver)
      yield* archive.put(384649162721759, { endpoint: "events", answer, expiresAt: 10_000 })
      first.close()
      const second = NodeSqlite.open({ filename })
      const reopened = yield* SqliteAnswerArchive.make(second.driver)
      assert.deepStrictEqual(
        yield* reopened.get(384649162721759, 10_000),
        Option.some({ endpoint: "events" as const, answer, expiresAt: 10_000 }),
      )
      assert.isTrue(Option.isNone(yield* reopened.get(384649162721759, 10_001)))
      assert.isTrue(Option.isNone(yield* reopened.get(1, 0)))
      second.close()
    }),
  )
})

describe("SQLite store batches", () => {
  it.effect("stores none of a batch that fails half way, and recovers for the next one", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
      let failAt = -1
      let writes = 0
      // Fails the Nth write, as a full disk or a crash would, after earlier writes succeeded.
      const flaky: SqlDriver = {
        ...driver,
        run: (sql, params) => {
          if (++writes === failAt) throw new Error("disk I/O error")
          return driver.run(sql, params)
        },
      }
      const account = Account.make("acme")
      yield* withStore(flaky, (store) =>
        Effect.gen(function* () {
          yield* store.append(account, { events: [charged("identity:a", noon(2))], profiles: [] })
          failAt = writes + 6
          const failed = yield* Effect.exit(
            store.append(account, {
              events: [
                charged("identity:b", noon(3)),
                charged("identity:c", noon(4)),
                { ...charged("identity:d", noon(5)), name: "Viewed" },
              ],
              profiles: [{ profile: "identity:b", ts: 1, properties: { Plan: "pro" } }],
            }),
          )
          assert.isTrue(Exit.isFailure(failed))
          assert.isAbove(writes, failAt - 1, "the failure happened after some writes of the batch")
          assert.deepStrictEqual(yield* store.query(account, january(account)), {
            month: { "202401": 1 },
          })
          assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
            month: { "202401": 1 },
          })
          assert.deepStrictEqual(yield* store.eventNames(account), ["Charged"])
          assert.isTrue(Option.isNone(yield* store.profile(account, "identity:b")))
          yield* store.append(account, { events: [charged("identity:b", noon(3))], profiles: [] })
          assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
            month: { "202401": 2 },
          })
        }),
      )
      close()
    }),
  )

  it.effect(
    "logs a batch of large events in rows a Durable Object accepts, and rebuilds from them",
    () =>
      Effect.gen(function* () {
        const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
        const note = "x".repeat(500)
        const events = Array.from({ length: 1000 }, (_, i) => ({
          ...charged(`identity:${i % 50}`, noon(1 + (i % 28)), 2),
          properties: { Amount: 2, Note: note },
        }))
        yield* withStore(driver, (store) =>
          Effect.gen(function* () {
            const utc = Account.make("acme")
            yield* store.append(utc, { events, profiles: [] })
            const rows = driver.all("SELECT length(events) AS size FROM event_log")
            assert.isAbove(rows.length, 1)
            for (const row of rows) assert.isBelow(Number(row.size), (2 * 1024 * 1024) / 3)
            const sydney = Account.make("acme", { timeZone: "Australia/Sydney" })
            assert.deepStrictEqual(
              yield* store.query(sydney, january(sydney, Measure.sum("Amount"))),
              {
                month: { "202401": 2000 },
              },
            )
            assert.deepStrictEqual(yield* store.query(sydney, january(sydney, Measure.Profiles)), {
              month: { "202401": 50 },
            })
          }),
        )
        close()
      }),
  )

  it.effect("counts distinct profiles again once an append adds one to a counted bucket", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
      yield* withStore(driver, (store) =>
        Effect.gen(function* () {
          const account = Account.make("acme")
          const unique = january(account, Measure.Profiles)
          yield* store.append(account, {
            events: [charged("identity:a", noon(2)), charged("identity:b", noon(3))],
            profiles: [],
          })
          assert.deepStrictEqual(yield* store.query(account, unique), { month: { "202401": 2 } })
          // A profile already counted changes nothing; a new one on a counted day does.
          yield* store.append(account, { events: [charged("identity:a", noon(2))], profiles: [] })
          assert.deepStrictEqual(yield* store.query(account, unique), { month: { "202401": 2 } })
          yield* store.append(account, { events: [charged("identity:c", noon(2))], profiles: [] })
          assert.deepStrictEqual(yield* store.query(account, unique), { month: { "202401": 3 } })
        }),
      )
      close()
    }),
  )

  it.effect("rebuilds its rollups when the account's time zone changes", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
      // 2024-01-31T20:00Z is already February 1st in Kolkata (+05:30).
      const lateJanuary = Date.UTC(2024, 0, 31, 20) / 1000
      yield* withStore(driver, (store) =>
        Effect.gen(function* () {
          const utc = Account.make("acme")
          yield* store.append(utc, { events: [charged("identity:a", lateJanuary)], profiles: [] })
          assert.deepStrictEqual(yield* store.query(utc, january(utc)), { month: { "202401": 1 } })
          const kolkata = Account.make("acme", { timeZone: "Asia/Kolkata" })
          assert.deepStrictEqual(yield* store.query(kolkata, january(kolkata)), {
            month: { "202401": 0 },
          })
          yield* store.append(kolkata, { events: [charged("identity:b", noon(15))], profiles: [] })
          assert.deepStrictEqual(yield* store.query(kolkata, january(kolkata, Measure.Profiles)), {
            month: { "202401": 1 },
          })
        }),
      )
      close()
    }),
  )
})
