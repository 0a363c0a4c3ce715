import { createClient } from "@clickhouse/client-web"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { identifier } from "@trendline/store-clickhouse/ClickHouseSql"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as CuttingProxy from "./support/CuttingProxy.ts"
import { charged, day, errorMessage, measures, planOf, utc } from "./support/fixtures.ts"
import { admin, freshDatabase, select, serverVersion, url } from "./support/server.ts"

eventStoreContract(
  `clickhouse ${await serverVersion()}`,
  ClickHouseEventStore.layer({ url, database: freshDatabase("contract") }),
)

describe("ClickHouse store schema", () => {
  it.effect("creates its database, records each migration once, and refuses a newer schema", () =>
    Effect.gen(function* () {
      const database = freshDatabase("migrations")
      const migrations = `${identifier(database)}.trendline_migrations`
      yield* ClickHouseEventStore.make({ url, database })
      yield* ClickHouseEventStore.make({ url, database })
      const applied = yield* Effect.promise(() =>
        select(
          `SELECT version, count() AS times FROM ${migrations} GROUP BY version ORDER BY version`,
        ),
      )
      assert.deepStrictEqual(applied, [
        { version: 1, times: "1" },
        { version: 2, times: "1" },
        { version: 3, times: "1" },
        // Distributed tables, on a cluster only: nothing on one server.
        { version: 4, times: "1" },
      ])
      const tables = yield* Effect.promise(() =>
        select<{ name: string; engine: string }>(
          `SELECT name, engine FROM system.tables WHERE database = '${database}' ORDER BY name`,
        ),
      )
      assert.deepStrictEqual(tables, [
        { name: "trendline_batch_fan_out", engine: "MaterializedView" },
        { name: "trendline_batches", engine: "Null" },
        { name: "trendline_health", engine: "ReplacingMergeTree" },
        { name: "trendline_migrations", engine: "MergeTree" },
        { name: "trendline_records", engine: "MergeTree" },
      ])
      yield* Effect.promise(() =>
        admin.command({
          query: `INSERT INTO ${migrations} (version, name, applied) VALUES (99, 'from the future', now())`,
        }),
      )
      const exit = yield* Effect.exit(ClickHouseEventStore.make({ url, database }))
      assert.include(errorMessage(exit), "newer than this Trendline")
    }),
  )

  it.effect("fails with a StoreError when no server answers", () =>
    Effect.gen(function* () {
      const proxy = yield* Effect.promise(() => CuttingProxy.start(url))
      yield* Effect.promise(() => proxy.close())
      const exit = yield* Effect.exit(ClickHouseEventStore.make({ url: proxy.url }))
      assert.include(errorMessage(exit), "ClickHouse store: connecting failed")
    }),
  )
})

describe("ClickHouse store batches", () => {
  const database = freshDatabase("batches")
  const parts = () =>
    Effect.promise(() =>
      select<{ n: string }>(
        `SELECT count() AS n FROM system.parts WHERE database = '${database}' AND table = 'trendline_records' AND active`,
      ),
    ).pipe(Effect.map(([row]) => Number(row!.n)))

  // Three months of events with large properties, and profile upserts: a batch whose rows
  // would fall into three partitions if partitions followed the events' months.
  const bigBatch: EventStore.Batch = {
    events: Array.from({ length: 600 }, (_, i) => ({
      ...charged(`identity:${i % 40}`, utc(2024, 1 + (i % 3), 1 + (i % 28)), i),
      properties: { Amount: i, Note: "n".repeat(200) },
    })),
    profiles: [{ profile: "identity:1", ts: 1, properties: { Plan: "pro" } }],
  }
  const quarter = (account: Account.Settings) => planOf(account, day(2024, 1, 1), day(2024, 3, 31))

  it.effect("stores nothing of a batch whose connection is cut, wherever it is cut", () =>
    Effect.gen(function* () {
      const account = Account.make("acme")
      const direct = yield* ClickHouseEventStore.make({ url, database })
      const proxy = yield* Effect.promise(() => CuttingProxy.start(url))
      const viaProxy = yield* ClickHouseEventStore.make({ url: proxy.url, database })
      const before = yield* parts()
      // After the first byte, in the middle, and just before the row's closing brace.
      for (const at of [() => 1, (length: number) => length / 2, (length: number) => length - 2]) {
        const cut = proxy.cutNextInsert((length) => Math.floor(at(length)))
        const exit = yield* Effect.exit(viaProxy.append(account, bigBatch))
        assert.include(errorMessage(exit), "ClickHouse store: append failed")
        const { forwarded, length, response } = yield* Effect.promise(() => cut)
        assert.isBelow(forwarded, length)
        assert.match(
          response,
          /DB::Exception/,
          `the server refused ${forwarded} of ${length} bytes`,
        )
        assert.strictEqual(yield* parts(), before)
        assert.deepStrictEqual((yield* direct.query(account, quarter(account))).all, {
          [QueryPlan.totalKey]: 0,
        })
        assert.isTrue(Option.isNone(yield* direct.profile(account, "identity:1")))
        assert.deepStrictEqual(yield* direct.eventNames(account), [])
      }
      // The same batch through the same proxy, not cut: all of it, as ONE new part.
      yield* viaProxy.append(account, bigBatch)
      assert.strictEqual(yield* parts(), before + 1)
      for (const measure of measures) {
        const plan = planOf(account, day(2024, 1, 1), day(2024, 3, 31), measure)
        assert.deepStrictEqual(
          yield* direct.query(account, plan),
          Aggregator.aggregate(plan, bigBatch.events),
        )
      }
      assert.isTrue(Option.isSome(yield* direct.profile(account, "identity:1")))
      yield* Effect.promise(() => proxy.close())
      const gone = yield* Effect.exit(viaProxy.append(account, bigBatch))
      assert.include(errorMessage(gone), "ClickHouse store: append failed")
      assert.deepStrictEqual((yield* direct.query(account, quarter(account))).all, {
        [QueryPlan.totalKey]: bigBatch.events.length,
      })
    }),
  )

  it.effect("(why a batch is one row: several rows cut between rows are a valid insert)", () =>
    Effect.gen(function* () {
      const scratch = `${identifier(database)}.several_rows`
      yield* Effect.promise(async () => {
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}` })
        await admin.command({
          query: `CREATE TABLE ${scratch} (n UInt8) ENGINE = MergeTree ORDER BY n`,
        })
      })
      const proxy = yield* Effect.promise(() => CuttingProxy.start(url))
      const viaProxy = createClient({ url: proxy.url })
      const values = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]
      const twoRows = values
        .slice(0, 2)
        .map((row) => `${JSON.stringify(row)}\n`)
        .join("").length
      const cut = proxy.cutNextInsert(() => twoRows)
      yield* Effect.exit(
        Effect.tryPromise(() => viaProxy.insert({ table: scratch, values, format: "JSONEachRow" })),
      )
      assert.strictEqual((yield* Effect.promise(() => cut)).forwarded, twoRows)
      assert.deepStrictEqual(
        yield* Effect.promise(() => select(`SELECT n FROM ${scratch} ORDER BY n`)),
        [{ n: 1 }, { n: 2 }],
      )
      yield* Effect.promise(() => proxy.close())
    }),
  )

  it.effect("merges profile upserts of equal ts in arrival order", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database })
      const account = Account.make("ties")
      for (const Plan of ["free", "pro", "team"]) {
        yield* store.append(account, {
          events: [],
          profiles: [{ profile: "identity:a", ts: 100, properties: { Plan } }],
        })
      }
      assert.deepStrictEqual(
        yield* store.profile(account, "identity:a"),
        Option.some({ profile: "identity:a", ts: 100, properties: { Plan: "team" } }),
      )
    }),
  )

  it.effect("keeps names with quotes, backslashes, NUL and lone surrogates apart", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database })
      const account = Account.make("o'brien\\\0")
      const names = ["Charged", "it's", "back\\slash", "nul\0", "' OR ''='", "\uD800"]
      const ts = utc(2024, 1, 2)
      yield* store.append(account, {
        events: names.map((name, i) => ({ name, profile: `p${i}`, ts, properties: { n: i } })),
        profiles: [{ profile: "it's\\", ts, properties: { Quote: "'\\\0" } }],
      })
      assert.deepStrictEqual(
        yield* store.eventNames(account),
        ["' OR ''='", "Charged", "back\\slash", "it's", "nul\0", "\uFFFD"].sort(),
      )
      for (const name of names) {
        const plan = QueryPlan.make(
          {
            eventName: name,
            from: day(2024, 1, 2),
            to: day(2024, 1, 2),
            measure: Measure.Events,
            groups: [{ name: "d", granularity: "daily" }],
          },
          account,
        )
        assert.deepStrictEqual(yield* store.query(account, plan), { d: { "20240102": 1 } }, name)
      }
      assert.deepStrictEqual(
        yield* store.profile(account, "it's\\"),
        Option.some({ profile: "it's\\", ts, properties: { Quote: "'\\\0" } }),
      )
    }),
  )
})

describe("ClickHouse store answers", () => {
  it.effect("are the same when the server adds extremes rows to every answer", () =>
    Effect.gen(function* () {
      // `extremes=1` in a user's profile on the server, here on every request.
      const withExtremes: typeof fetch = (input, init) => {
        const target = new URL(String(input))
        target.searchParams.set("extremes", "1")
        return fetch(target, init)
      }
      const store = yield* ClickHouseEventStore.make({
        url,
        database: freshDatabase("extremes"),
        fetch: withExtremes,
      })
      const account = Account.make("extremes")
      const events = [
        charged("identity:a", utc(2024, 1, 1), 5),
        charged("identity:b", utc(2024, 1, 2), 7),
        charged("identity:a", utc(2024, 1, 9), 1),
      ]
      yield* store.append(account, { events, profiles: [] })
      for (const measure of measures) {
        const several = planOf(account, day(2024, 1, 1), day(2024, 1, 31), measure)
        const one = { ...several, groups: several.groups.slice(0, 1) }
        for (const plan of [several, one]) {
          assert.deepStrictEqual(
            yield* store.query(account, plan),
            Aggregator.aggregate(plan, events),
          )
        }
      }
    }),
  )
})
