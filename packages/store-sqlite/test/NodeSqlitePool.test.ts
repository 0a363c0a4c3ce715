import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Measure from "@trendline/core/Measure"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { afterAll } from "vitest"
import { holdInChild, stop } from "./childHolder.ts"
import { charged, january, noon } from "./fixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-pool-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

eventStoreContract(
  "sqlite pool (writer and reader threads, file)",
  NodeSqlitePool.layer({ filename: join(folder, "contract.db"), readers: 2 }),
)

const withPool = <A, E>(
  filename: string,
  use: (store: EventStore.Service) => Effect.Effect<A, E>,
  options: Partial<NodeSqlitePool.Options> = {},
) =>
  Effect.scoped(
    Effect.flatMap(
      NodeSqlitePool.make({ filename: join(folder, filename), readers: 2, ...options }),
      ({ store }) => use(store),
    ),
  )

// Another connection to the same file, as an operator's sqlite3 would look at it.
const peek = (filename: string, sql: string) => {
  const { driver, close } = NodeSqlite.open({ filename: join(folder, filename) })
  try {
    return driver.all(sql)
  } finally {
    close()
  }
}

describe("SQLite store on worker threads", () => {
  it.effect("slices values in its threads unless told off, answering filters alike", () =>
    Effect.gen(function* () {
      const account = Account.make("acme")
      const events = [
        { ...charged("identity:a", noon(3), 5), properties: { Amount: 5, Plan: "pro" } },
        { ...charged("identity:b", noon(4), 7), properties: { Amount: 7, Plan: "free" } },
        { ...charged("identity:c", noon(4), 9), properties: { Amount: 9, Plan: "pro" } },
      ]
      const plan = {
        ...january(account, Measure.sum("Amount")),
        filters: {
          event: [{ name: "Plan", operator: "equals" as const, values: ["pro"] }],
          profile: [],
        },
      }
      for (const [file, options] of [
        ["slices-on.db", {}],
        ["slices-off.db", { slices: "off" as const }],
      ] as const) {
        const answer = yield* withPool(
          file,
          (store) =>
            Effect.zipRight(
              store.append(account, { events, profiles: [] }),
              store.query(account, plan),
            ),
          options,
        )
        assert.deepStrictEqual(answer, Aggregator.aggregate(plan, events), file)
      }
      // What the writer thread did: slices, or none and the account marked unsliced.
      assert.deepStrictEqual(peek("slices-on.db", "SELECT sliced FROM accounts"), [{ sliced: 1 }])
      // Amount 5, 7, 9 and Plan "pro", "free".
      assert.deepStrictEqual(peek("slices-on.db", "SELECT count(*) AS n FROM value_slices"), [
        { n: 5 },
      ])
      assert.deepStrictEqual(peek("slices-off.db", "SELECT sliced FROM accounts"), [{ sliced: 0 }])
      assert.deepStrictEqual(peek("slices-off.db", "SELECT count(*) AS n FROM value_slices"), [
        { n: 0 },
      ])
    }),
  )

  it.effect("every reader sees an append at once, even days it had decoded before", () =>
    withPool("fresh.db", (store) =>
      Effect.gen(function* () {
        const account = Account.make("acme")
        yield* store.append(account, {
          events: [charged("identity:a", noon(2)), charged("identity:b", noon(3))],
          profiles: [],
        })
        // Several rounds of concurrent reads reach every reader and fill their caches.
        const profiles = january(account, Measure.Profiles)
        const readAll = Effect.all(
          Array.from({ length: 6 }, () => store.query(account, profiles)),
          { concurrency: "unbounded" },
        )
        for (const result of yield* readAll)
          assert.deepStrictEqual(result, { month: { "202401": 2 } })
        yield* store.append(account, {
          events: [
            charged("identity:c", noon(2)),
            { ...charged("identity:a", noon(9)), name: "Viewed" },
          ],
          profiles: [],
        })
        for (const result of yield* readAll)
          assert.deepStrictEqual(result, { month: { "202401": 3 } })
        assert.deepStrictEqual(yield* store.eventNames(account), ["Charged", "Viewed"])
      }),
    ),
  )

  it.effect(
    "rebuilds a new time zone in the background while other accounts go on",
    () =>
      Effect.gen(function* () {
        const filename = "rebuild.db"
        const utc = Account.make("big")
        const kolkata = Account.make("big", { timeZone: "Asia/Kolkata" })
        const other = Account.make("small")
        // 240k events over January, every 3 hours 1000 from 5000 profiles, stored 10k a batch.
        const events: Array<Aggregator.Event> = []
        for (let hour = 0; hour < 240; hour++) {
          for (let i = 0; i < 1000; i++) {
            events.push({
              name: "Charged",
              profile: `identity:${(hour * 1000 + i * 7) % 5000}`,
              ts: Date.UTC(2024, 0, 1) / 1000 + hour * 3 * 3600 + i,
              properties: { Amount: i % 10 },
            })
          }
        }
        yield* withPool(filename, (store) =>
          Effect.forEach(
            Array.from({ length: 24 }, (_, batch) =>
              events.slice(batch * 10_000, batch * 10_000 + 10_000),
            ),
            (batch) => store.append(utc, { events: batch, profiles: [] }),
            { discard: true },
          ),
        )
        yield* withPool(
          filename,
          (store) =>
            Effect.gen(function* () {
              // An append in the new zone starts the rebuild; it does not wait for it.
              yield* store.append(kolkata, {
                events: [charged("identity:x", noon(20))],
                profiles: [],
              })
              assert.deepStrictEqual(
                peek(filename, "SELECT rebuild_zone FROM accounts WHERE id = 'big'"),
                [{ rebuild_zone: "Asia/Kolkata" }],
              )
              const plan = january(kolkata, Measure.Profiles)
              const waiting = yield* Effect.fork(store.query(kolkata, plan))
              // Another account reads and writes while the rebuild runs.
              yield* store.append(other, { events: [charged("identity:a", noon(2))], profiles: [] })
              assert.deepStrictEqual(yield* store.query(other, january(other)), {
                month: { "202401": 1 },
              })
              assert.deepStrictEqual(
                peek(filename, "SELECT rebuild_zone FROM accounts WHERE id = 'big'"),
                [{ rebuild_zone: "Asia/Kolkata" }],
                "the rebuild was still under way when the other account was answered",
              )
              const all = [...events, charged("identity:x", noon(20))]
              assert.deepStrictEqual(yield* Fiber.join(waiting), Aggregator.aggregate(plan, all))
              const sums = january(kolkata, Measure.sum("Amount"))
              assert.deepStrictEqual(
                yield* store.query(kolkata, sums),
                Aggregator.aggregate(sums, all),
              )
              assert.deepStrictEqual(
                peek(filename, "SELECT time_zone, rebuild_zone FROM accounts WHERE id = 'big'"),
                [{ time_zone: "Asia/Kolkata", rebuild_zone: null }],
              )
            }),
          // Short steps: the rebuild yields to other work often, as on a busy server.
          { sliceMillis: 1 },
        )
        // The replaced rollups are deleted once the rebuild is done.
        assert.deepStrictEqual(peek(filename, "SELECT count(*) AS n FROM rollup_garbage"), [
          { n: 0 },
        ])
      }),
    120_000,
  )

  it.effect("ingests an upload's text in the writer: stored, judged, or refused as not JSON", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, ingest } = yield* NodeSqlitePool.make({
          filename: join(folder, "ingest.db"),
          readers: 1,
        })
        const account = Account.make("acme")
        const receivedAt = Date.UTC(2024, 1, 1) / 1000
        const text = JSON.stringify({
          d: [
            {
              type: "event",
              identity: "alice",
              ts: noon(2),
              evtName: "Charged",
              evtData: { Amount: 3 },
            },
            { type: "event", identity: "bob", ts: noon(3), evtName: "" },
          ],
        })
        const answer = yield* ingest.ingestJson(account, text, receivedAt, Limits.defaults)
        assert.strictEqual(answer.processed, 1)
        assert.deepStrictEqual(
          answer.unprocessed.map((entry) => entry.index),
          [1],
        )
        assert.deepStrictEqual(
          yield* store.query(account, january(account, Measure.sum("Amount"))),
          {
            month: { "202401": 3 },
          },
        )
        // The API's own error crosses the thread as itself.
        const broken = yield* Effect.flip(
          ingest.ingestJson(account, '{"d": [', receivedAt, Limits.defaults),
        )
        assert.strictEqual(broken._tag, "InvalidRequest")
        assert.include(broken.message, "the body is not valid JSON")
      }),
    ),
  )

  it.effect("refuses an in-memory database, which threads cannot share", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Layer.build(NodeSqlitePool.layer({ filename: ":memory:" })).pipe(Effect.scoped),
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "needs a database file")
    }),
  )

  it.effect("fails to open a database from a newer Trendline, naming the fix", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: join(folder, "future.db") })
      driver.exec(
        "CREATE TABLE trendline_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)",
      )
      driver.run("INSERT INTO trendline_migrations (version, name) VALUES (99, 'from the future')")
      close()
      const exit = yield* Effect.exit(withPool("future.db", () => Effect.void))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "upgrade Trendline")
    }),
  )

  it.effect("refuses a second pool on the file, naming the holder, until the first closes", () =>
    Effect.gen(function* () {
      const filename = join(folder, "twice.db")
      yield* withPool("twice.db", () =>
        Effect.gen(function* () {
          const refused = yield* Effect.flip(withPool("twice.db", () => Effect.void))
          assert.include(
            refused.message,
            `the database file ${filename} is in use by pid ${process.pid}`,
          )
          assert.include(refused.message, "stop it, or point TRENDLINE_DB elsewhere")
          // A single-connection store is a writer too.
          const single = yield* Effect.flip(
            Effect.scoped(Layer.build(NodeSqlite.layer({ filename }))),
          )
          assert.include(single.message, `in use by pid ${process.pid}`)
        }),
      )
      yield* withPool("twice.db", (store) => store.health())
    }),
  )

  it.scoped("opens the file once another process holding it is killed with SIGKILL", () =>
    Effect.gen(function* () {
      const filename = join(folder, "killed.db")
      const child = yield* holdInChild(filename, "pool")
      const refused = yield* Effect.flip(withPool("killed.db", () => Effect.void))
      assert.include(refused.message, `in use by pid ${child.pid} on host`)
      yield* stop(child, "SIGKILL")
      yield* withPool("killed.db", (store) =>
        Effect.zipRight(
          store.append(Account.make("acme"), {
            events: [charged("identity:a", noon(2))],
            profiles: [],
          }),
          store.health(),
        ),
      )
    }),
  )

  it.effect("refuses a corrupt file at start, before any thread reads it", () =>
    Effect.gen(function* () {
      const filename = join(folder, "garbage.db")
      writeFileSync(filename, Buffer.alloc(10_000, "not a database "))
      const refused = yield* Effect.flip(withPool("garbage.db", () => Effect.void))
      assert.include(refused.message, `the database file ${filename} is corrupt`)
      assert.include(refused.message, "restore it from a backup")
    }),
  )

  it.effect("fails health, appends and uploads (503) once the file is deleted", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const filename = join(folder, "deleted.db")
        const { store, ingest } = yield* NodeSqlitePool.make({ filename, readers: 1 })
        const account = Account.make("acme")
        const batch = { events: [charged("identity:a", noon(2))], profiles: [] }
        yield* store.append(account, batch)
        yield* store.health()
        rmSync(filename)
        const unhealthy = yield* Effect.flip(store.health())
        assert.include(unhealthy.message, `the database file ${filename} was deleted`)
        const refused = yield* Effect.flip(store.append(account, batch))
        assert.include(refused.message, "was deleted while the server ran")
        const text = JSON.stringify({
          d: [{ type: "event", identity: "bob", ts: noon(3), evtName: "Charged" }],
        })
        const failed = yield* Effect.flip(
          ingest.ingestJson(account, text, noon(4), Limits.defaults),
        )
        assert.strictEqual(failed._tag, "StoreError")
        assert.include(failed.message, "was deleted while the server ran")
      }),
    ),
  )

  it.effect(
    "reports a write stuck on a locked database, then the write's failure, never waiting itself",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const filename = join(folder, "stuck.db")
          const { store } = yield* NodeSqlitePool.make({ filename, readers: 1 })
          const account = Account.make("acme")
          const batch = { events: [charged("identity:a", noon(2))], profiles: [] }
          yield* store.append(account, batch)
          // Another process's long transaction: the writer waits for the lock (5 s), then fails.
          const other = new DatabaseSync(filename)
          other.exec("BEGIN IMMEDIATE")
          const stuck = yield* Effect.fork(Effect.either(store.append(account, batch)))
          yield* Effect.yieldNow()
          yield* store.health()
          yield* TestClock.adjust("11 seconds")
          const waiting = yield* Effect.flip(store.health())
          assert.include(waiting.message, "has waited 11 s")
          const failed = yield* Fiber.join(stuck)
          other.exec("ROLLBACK")
          other.close()
          assert.isTrue(Either.isLeft(failed))
          const last = yield* Effect.flip(store.health())
          assert.include(last.message, "the last write failed")
          // The next write that succeeds makes it healthy again.
          yield* store.append(account, batch)
          yield* store.health()
        }),
      ),
  )

  it.effect("keeps finished answers across a restart until they expire, per account", () =>
    Effect.gen(function* () {
      const filename = join(folder, "archive.db")
      const expiresAt = Date.now() + 3_600_000
      const answer = { status: 200, body: { status: "success", count: 3 } }
      yield* Effect.scoped(
        Effect.flatMap(NodeSqlitePool.make({ filename, readers: 1 }), ({ archive }) =>
          archive("acme").put(384649162721759, { endpoint: "events", answer, expiresAt }),
        ),
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          const { archive } = yield* NodeSqlitePool.make({ filename, readers: 1 })
          const acme = archive("acme")
          assert.deepStrictEqual(
            yield* acme.get(384649162721759, expiresAt),
            Option.some({ endpoint: "events" as const, answer, expiresAt }),
          )
          assert.isTrue(Option.isNone(yield* acme.get(384649162721759, expiresAt + 1)))
          assert.isTrue(Option.isNone(yield* acme.get(1, 0)))
          // Another account sharing the file never reads acme's answers.
          assert.isTrue(Option.isNone(yield* archive("globex").get(384649162721759, expiresAt)))
        }),
      )
    }),
  )

  it.effect("provides the archive to the APIs with the store", () =>
    Effect.gen(function* () {
      const context = yield* Layer.build(
        NodeSqlitePool.layer({ filename: join(folder, "layer.db"), readers: 1 }),
      )
      assert.isTrue(Option.isSome(Context.getOption(context, AccountApi.Archive)))
      assert.isTrue(Option.isSome(Context.getOption(context, AccountApi.Ingest)))
    }).pipe(Effect.scoped),
  )
})
