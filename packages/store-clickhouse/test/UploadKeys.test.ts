// Upload keys (`append(account, batch, key)`): a batch is stored once per key, whatever the
// concurrency, the restarts and the failures in between, and `health`.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { identifier, stringLiteral } from "@trendline/store-clickhouse/ClickHouseSql"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { migrations, type Schema, tables } from "../src/internal/migrations.ts"
import * as CuttingProxy from "./support/CuttingProxy.ts"
import { admin, freshDatabase, select, url } from "./support/server.ts"

const ts = Date.UTC(2024, 0, 15, 12) / 1000

// The schema's statements for a database on one server.
const oneServer = (database: string): Schema => ({
  table: (name) => `${identifier(database)}.${identifier(name)}`,
  database,
  cluster: undefined,
  replicated: false,
})
const now = Date.UTC(2026, 0, 1)

const keyOf = (key: string, fingerprint = "body-1", at = now): EventStore.UploadKey => ({
  key,
  fingerprint,
  now: at,
  expiresAt: at + 86_400_000,
})

// Events of `names` (one profile each, so a count of distinct profiles tells a batch stored
// twice), and a profile upsert.
const batchOf = (tag: string, names: ReadonlyArray<string> = ["Charged"]): EventStore.Batch => ({
  events: names.map(
    (name, i): Aggregator.Event => ({
      name,
      profile: `identity:${tag}-${i}`,
      ts,
      properties: { Amount: 1 },
    }),
  ),
  profiles: [{ profile: `identity:${tag}-0`, ts, properties: { Plan: "pro" } }],
})

const total = (store: EventStore.Service, account: Account.Settings, measure: Measure.Measure) =>
  Effect.map(
    store.query(
      account,
      QueryPlan.make(
        {
          eventName: "Charged",
          from: Calendar.unsafeMakeDay(2024, 1, 15),
          to: Calendar.unsafeMakeDay(2024, 1, 15),
          measure,
          groups: [{ name: "all", granularity: "total" }],
        },
        account,
      ),
    ),
    (result) => result.all![QueryPlan.totalKey]!,
  )

// "Charged" events stored, each once: the count equals the distinct profiles.
const stored = (store: EventStore.Service, account: Account.Settings) =>
  Effect.gen(function* () {
    const count = yield* total(store, account, Measure.Events)
    assert.strictEqual(yield* total(store, account, Measure.Profiles), count, "stored twice")
    return count
  })

const failure = <A, E>(exit: Exit.Exit<A, E>): string => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  return Exit.isFailure(exit) ? String(exit.cause) : ""
}

interface Inserts {
  readonly fetch: typeof globalThis.fetch
  /** Records carried by each insert that reached the server. */
  readonly sizes: Array<number>
  /** What to do with the next insert (named `queryId`) instead of sending it as is. */
  next: ((send: () => Promise<Response>, queryId: string) => Promise<Response>) | undefined
}

// A `fetch` that sees every insert, and can do something else with the next one.
const watchInserts = (): Inserts => {
  const inserts: Inserts = {
    sizes: [],
    next: undefined,
    fetch: (input, init) => {
      const params = new URL(String(input)).searchParams
      const query = params.get("query") ?? ""
      if (!query.startsWith("INSERT INTO") || !query.includes("trendline_batches")) {
        return fetch(input, init)
      }
      const send = () => {
        inserts.sizes.push(
          // Records, not the slot rows that go with their events.
          (JSON.parse(String(init?.body)) as { kinds: Array<string> }).kinds.filter(
            (kind) => kind !== "slot",
          ).length,
        )
        return fetch(input, init)
      }
      const instead = inserts.next
      inserts.next = undefined
      return instead === undefined ? send() : instead(send, params.get("query_id") ?? "")
    },
  }
  return inserts
}

describe("ClickHouse store upload keys", () => {
  const database = freshDatabase("upload_keys")

  it.effect("stores a batch once when appends with its key run at the same time", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database, fetch: inserts.fetch })
      const account = Account.make("concurrent")
      const batch = batchOf("once", ["Charged", "Charged", "Charged"])
      const receipts = yield* Effect.all(
        Array.from({ length: 6 }, () => store.append(account, batch, keyOf("k-concurrent"))),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(receipts.filter((receipt) => receipt.replayed !== true).length, 1)
      for (const receipt of receipts) assert.deepStrictEqual(receipt.refused, [])
      assert.strictEqual(yield* stored(store, account), 3)
      assert.deepStrictEqual(inserts.sizes, [3 + 1 + 1], "one insert: 3 events, 1 profile, 1 key")

      // Another body with the key at the same time: one of them is stored, the other is
      // refused (or replayed, when it has the stored one's body).
      const other = Account.make("concurrent-conflict")
      const outcomes = yield* Effect.all(
        ["body-a", "body-b", "body-a", "body-b"].map((fingerprint) =>
          Effect.either(store.append(other, batch, keyOf("k-conflict", fingerprint))),
        ),
        { concurrency: "unbounded" },
      )
      const stores = outcomes.filter(
        (outcome) => outcome._tag === "Right" && outcome.right.replayed !== true,
      )
      assert.strictEqual(stores.length, 1)
      const reused = outcomes.filter(
        (outcome) => outcome._tag === "Left" && outcome.left._tag === "KeyReused",
      )
      assert.strictEqual(reused.length, 2)
      assert.strictEqual(yield* stored(store, other), 3)
    }),
  )

  it.effect("stores once per key when many keys and their retries are joined in inserts", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database, fetch: inserts.fetch })
      const account = Account.make("joined")
      yield* store.append(account, batchOf("warm-up"))
      const keys = Array.from({ length: 10 }, (_, i) => `k-joined-${i}`)
      const receipts = yield* Effect.all(
        [...keys, ...keys].map((key) => store.append(account, batchOf(key), keyOf(key))),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(receipts.filter((receipt) => receipt.replayed === true).length, 10)
      assert.strictEqual(yield* stored(store, account), 1 + 10)
      // Each key went out once: 10 keyed batches of 3 records after the warm-up's 2.
      assert.strictEqual(
        inserts.sizes.reduce((a, b) => a + b, 0),
        2 + 10 * 3,
      )
    }),
  )

  it.effect("replays a key after the store layer is built again, and refuses another body", () =>
    Effect.gen(function* () {
      const account = Account.make("restarted")
      const options = { limits: { ...Limits.defaults, maxEventNamesPerAccount: 1 } }
      const withStore = <A, E>(
        use: (store: EventStore.Service) => Effect.Effect<A, E>,
      ): Effect.Effect<A, E | EventStore.StoreError> =>
        Effect.provide(
          Effect.flatMap(EventStore.EventStore, use),
          ClickHouseEventStore.layer({ url, database }, options),
        )
      // "Viewed" passes the one-name limit: refused at position 1.
      const batch = batchOf("restarted", ["Charged", "Viewed", "Charged"])
      const first = yield* withStore((store) => store.append(account, batch, keyOf("k-restart")))
      assert.deepStrictEqual({ ...first }, { refused: [1] })
      const again = yield* withStore((store) =>
        store.append(account, batch, keyOf("k-restart", "body-1", now + 60_000)),
      )
      assert.deepStrictEqual({ ...again }, { refused: [1], replayed: true })
      const reused = yield* withStore((store) =>
        Effect.flip(store.append(account, batch, keyOf("k-restart", "body-2", now + 120_000))),
      )
      assert.strictEqual(reused._tag, "KeyReused")
      assert.strictEqual(reused._tag === "KeyReused" && reused.key, "k-restart")
      assert.strictEqual(yield* withStore((store) => stored(store, account)), 2)
      // Once expired, the key is forgotten: another batch is stored, under a new expiry.
      const expired = yield* withStore((store) =>
        store.append(
          account,
          batchOf("restarted-later", ["Charged", "Viewed", "Charged"]),
          keyOf("k-restart", "body-2", now + 86_400_000),
        ),
      )
      assert.notStrictEqual(expired.replayed, true)
      assert.strictEqual(yield* withStore((store) => stored(store, account)), 2 * 2)
    }),
  )

  it.effect("stores neither a batch nor its key when its connection is cut", () =>
    Effect.gen(function* () {
      const proxy = yield* Effect.promise(() => CuttingProxy.start(url))
      const store = yield* ClickHouseEventStore.make({ url: proxy.url, database })
      const account = Account.make("cut")
      const batch = batchOf("cut", ["Charged", "Charged"])
      const cut = proxy.cutNextInsert((length) => Math.floor(length / 2))
      const exit = yield* Effect.exit(store.append(account, batch, keyOf("k-cut")))
      assert.include(failure(exit), "ClickHouse store: append failed")
      assert.match((yield* Effect.promise(() => cut)).response, /DB::Exception/)
      const retry = yield* store.append(account, batch, keyOf("k-cut"))
      assert.notStrictEqual(retry.replayed, true)
      assert.strictEqual(yield* stored(store, account), 2)
      yield* Effect.promise(() => proxy.close())
    }),
  )

  it.effect("replays a key whose insert was stored though its answer was lost", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database, fetch: inserts.fetch })
      const account = Account.make("lost-answer")
      const batch = batchOf("lost", ["Charged", "Charged"])
      inserts.next = async (send) => {
        await (await send()).text()
        throw new TypeError("fetch failed", { cause: new Error("the test lost the answer") })
      }
      const exit = yield* Effect.exit(store.append(account, batch, keyOf("k-lost")))
      assert.include(failure(exit), "the test lost the answer")
      const retry = yield* store.append(account, batch, keyOf("k-lost"))
      assert.deepStrictEqual({ ...retry }, { refused: [], replayed: true })
      assert.strictEqual(yield* stored(store, account), 2)
    }),
  )

  // Live: the store waits (for the server to finish the insert) on the real clock.
  it.live("holds a key while the server still writes an insert that failed here", () =>
    Effect.gen(function* () {
      // A database of its own, whose batches take the server 2 s to write: its fan-out
      // view sleeps before it writes the records.
      const slow = freshDatabase("upload_keys_slow")
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database: slow, fetch: inserts.fetch })
      const table = (name: string) => `${identifier(slow)}.${identifier(name)}`
      const fanOut = migrations[0]!
        .statements(oneServer(slow))
        .find((statement) => statement.startsWith("CREATE MATERIALIZED VIEW"))!
      yield* Effect.promise(async () => {
        await admin.command({ query: `DROP TABLE ${table(tables.fanOut)}` })
        await admin.command({ query: `${fanOut} WHERE sleep(2) = 0` })
      })
      const account = Account.make("in-doubt")
      const batch = batchOf("in-doubt", ["Charged", "Charged"])
      // The request goes out whole, and fails here (a timeout, say) once the server runs
      // it; the server goes on writing it.
      const sent = yield* Deferred.make<void>()
      inserts.next = async (send, queryId) => {
        send().catch(() => {})
        Deferred.unsafeDone(sent, Exit.void)
        const running = `SELECT count() AS n FROM system.processes WHERE query_id = ${stringLiteral(queryId)}`
        while ((await select<{ n: string }>(running))[0]?.n !== "1") {
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        throw new TypeError("fetch failed", { cause: new Error("the test timed out") })
      }
      const first = yield* Effect.fork(Effect.exit(store.append(account, batch, keyOf("k-slow"))))
      yield* Deferred.await(sent)
      const retry = yield* Effect.fork(store.append(account, batch, keyOf("k-slow")))
      assert.include(failure(yield* Fiber.join(first)), "the test timed out")
      assert.deepStrictEqual({ ...(yield* Fiber.join(retry)) }, { refused: [], replayed: true })
      assert.strictEqual(yield* stored(store, account), 2)
    }),
  )

  it.effect("carries records stored before upload keys existed over to the new schema", () =>
    Effect.gen(function* () {
      // A database as version 1 of the schema left it, with a batch in it.
      const old = freshDatabase("upload_keys_v1")
      const table = (name: string) => `${identifier(old)}.${identifier(name)}`
      yield* Effect.promise(async () => {
        await admin.command({ query: `CREATE DATABASE ${identifier(old)}` })
        await admin.command({
          query: `CREATE TABLE ${table(tables.migrations)} (
            version UInt32, name String, applied DateTime
          ) ENGINE = MergeTree ORDER BY version`,
        })
        for (const statement of migrations[0]!.statements(oneServer(old))) {
          await admin.command({ query: statement })
        }
        await admin.command({
          query: `INSERT INTO ${table(tables.migrations)} (version, name, applied) VALUES (1, ${stringLiteral(migrations[0]!.name)}, now())`,
        })
        await admin.insert({
          table: table(tables.batches),
          format: "JSONEachRow",
          values: [
            {
              account: "carried",
              received: Math.floor(Date.now() / 1000),
              seq: 1,
              kinds: ["event", "event", "profile"],
              names: ["Charged", "Charged", "identity:a"],
              timestamps: [ts, ts, ts],
              profiles: ["identity:a", "identity:b", "identity:a"],
              property_texts: ['{"Amount":2}', '{"Amount":3}', '{"Plan":"free"}'],
              key_lists: [["Amount"], ["Amount"], []],
              int_lists: [[2], [3], []],
            },
          ],
        })
      })
      const parts = () =>
        Effect.promise(() =>
          select<{ name: string }>(
            `SELECT name FROM system.parts WHERE database = ${stringLiteral(old)} AND table = ${stringLiteral(tables.records)} AND active ORDER BY name`,
          ),
        )
      const before = yield* parts()
      const store = yield* ClickHouseEventStore.make({ url, database: old })
      assert.deepStrictEqual(yield* parts(), before, "the migration rewrote a part")
      const account = Account.make("carried")
      assert.strictEqual(yield* stored(store, account), 2)
      assert.strictEqual(yield* total(store, account, Measure.sum("Amount")), 5)
      assert.deepStrictEqual(
        Option.map(yield* store.profile(account, "identity:a"), (found) => found.properties),
        Option.some({ Plan: "free" }),
      )
      const batch = batchOf("after", ["Charged"])
      assert.notStrictEqual((yield* store.append(account, batch, keyOf("k-v2"))).replayed, true)
      assert.strictEqual((yield* store.append(account, batch, keyOf("k-v2"))).replayed, true)
      assert.strictEqual(yield* total(store, account, Measure.Events), 3)
      assert.deepStrictEqual(yield* store.eventNames(account), ["Charged"])
    }),
  )
})

describe("ClickHouse store health", () => {
  const database = freshDatabase("health")

  it.effect("reads the records and writes a part", () =>
    Effect.gen(function* () {
      const store = yield* ClickHouseEventStore.make({ url, database })
      yield* store.health()
      yield* store.health()
      const [written] = yield* Effect.promise(() =>
        select<{ n: string }>(
          `SELECT count() AS n FROM system.parts WHERE database = ${stringLiteral(database)} AND table = ${stringLiteral(tables.health)}`,
        ),
      )
      assert.isAtLeast(Number(written!.n), 1)
    }),
  )

  it.effect("fails saying why when the server cannot be reached", () =>
    Effect.gen(function* () {
      const proxy = yield* Effect.promise(() => CuttingProxy.start(url))
      const store = yield* ClickHouseEventStore.make({ url: proxy.url, database })
      yield* store.health()
      yield* Effect.promise(() => proxy.close())
      const exit = yield* Effect.exit(store.health())
      const message = failure(exit)
      assert.include(message, "ClickHouse store: health failed: fetch failed")
      assert.include(message, "ECONNREFUSED")
    }),
  )

  it.effect("fails saying why when the server refuses writes, or a table is gone", () =>
    Effect.gen(function* () {
      let readOnly = false
      // A user the server makes read-only (readonly = 2 still lets queries pass settings).
      const fetchAs: typeof fetch = (input, init) => {
        const target = new URL(String(input))
        if (readOnly) target.searchParams.set("readonly", "2")
        return fetch(target, init)
      }
      const own = freshDatabase("health_refused")
      const store = yield* ClickHouseEventStore.make({ url, database: own, fetch: fetchAs })
      yield* store.health()
      readOnly = true
      assert.include(failure(yield* Effect.exit(store.health())), "readonly mode")
      readOnly = false
      yield* store.health()
      yield* Effect.promise(() =>
        admin.command({ query: `DROP TABLE ${identifier(own)}.${identifier(tables.records)}` }),
      )
      assert.match(failure(yield* Effect.exit(store.health())), /health failed: .*doesn't exist/)
    }),
  )
})
