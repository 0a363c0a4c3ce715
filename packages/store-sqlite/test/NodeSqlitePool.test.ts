import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Measure from "@trendline/core/Measure"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { afterAll } from "vitest"
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
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(answer.body.processed, 1)
        assert.deepStrictEqual(
          (answer.body.unprocessed as Array<{ index: number }>).map((entry) => entry.index),
          [1],
        )
        assert.deepStrictEqual(
          yield* store.query(account, january(account, Measure.sum("Amount"))),
          {
            month: { "202401": 3 },
          },
        )
        const broken = yield* ingest.ingestJson(account, '{"d": [', receivedAt, Limits.defaults)
        assert.strictEqual(broken.status, 400)
        assert.include(String(broken.body.error), "the body is not valid JSON")
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
})
