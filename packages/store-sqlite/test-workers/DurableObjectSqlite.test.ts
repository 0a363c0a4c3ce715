import { evictDurableObject, runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { migrations } from "../src/internal/migrations.ts"
import { charged, january, noon } from "../test/fixtures.ts"
import type { EventStoreObject } from "./worker.ts"

// Workers RPC refuses objects whose prototype is not `Object.prototype` ("Could not
// serialize object of type ..."): fast-check builds null-prototype records, and a plan's
// measure is a `Data` value. Arguments cross as plain copies.
const plain = <A>(value: A): A =>
  (Array.isArray(value)
    ? value.map(plain)
    : typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]))
      : value) as A

// The port over RPC to one object, as a server would call it.
const storeOn = (stub: DurableObjectStub<EventStoreObject>): EventStore.Service => {
  const call = <A>(operation: string, send: () => Promise<A>) =>
    Effect.tryPromise({
      try: send,
      catch: (cause) =>
        new EventStore.StoreError({
          message: `Durable Object store: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause,
        }),
    })
  return {
    append: (account, batch, key) =>
      Effect.flatMap(
        call(
          "append",
          (): Promise<
            | EventStore.AppendReceipt
            | { readonly keyReused: string }
            | { readonly storeError: string }
          > =>
            stub.append(plain(account), plain(batch), key === undefined ? undefined : plain(key)),
        ),
        (
          receipt,
        ): Effect.Effect<EventStore.AppendReceipt, EventStore.StoreError | EventStore.KeyReused> =>
          "keyReused" in receipt
            ? Effect.fail(new EventStore.KeyReused({ key: receipt.keyReused }))
            : "storeError" in receipt
              ? Effect.fail(
                  new EventStore.StoreError({
                    message: `Durable Object store: append failed: ${receipt.storeError}`,
                  }),
                )
              : Effect.succeed(receipt),
      ),
    query: (account, plan) => call("query", () => stub.query(plain(account), plain(plan))),
    top: (account, plan) => call("top", () => stub.top(plain(account), plain(plan))),
    eventNames: (account) => call("eventNames", () => stub.eventNames(plain(account))),
    profile: (account, key) =>
      Effect.map(
        call("profile", () => stub.profile(plain(account), key)),
        (profile) => Option.fromNullable(profile),
      ),
    health: () => call("health", () => stub.health()),
  }
}

// One object for the whole contract: every contract test works in an account of its own.
eventStoreContract(
  "sqlite (Durable Object)",
  Layer.sync(EventStore.EventStore, () => storeOn(env.EVENT_STORE.getByName("contract"))),
)

describe("event store in a Durable Object", () => {
  it.effect("keeps its data when the object is evicted and built again", () =>
    Effect.gen(function* () {
      const account = Account.make("acme")
      const stub = env.EVENT_STORE.getByName("eviction")
      yield* storeOn(stub).append(account, {
        events: [charged("identity:a", noon(2), 5), charged("identity:b", noon(3), 7)],
        profiles: [{ profile: "identity:a", ts: 1, properties: { Plan: "pro" } }],
      })
      const before = yield* Effect.promise(() => runInDurableObject(stub, (object) => object))
      yield* Effect.promise(() => evictDurableObject(stub))

      // A new stub for the same name reaches a new instance over the same storage.
      const store = storeOn(env.EVENT_STORE.getByName("eviction"))
      assert.deepStrictEqual(yield* store.query(account, january(account)), {
        month: { "202401": 2 },
      })
      const after = yield* Effect.promise(() => runInDurableObject(stub, (object) => object))
      assert.notStrictEqual(after, before, "eviction built a new instance")
      assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
        month: { "202401": 2 },
      })
      assert.deepStrictEqual(yield* store.query(account, january(account, Measure.sum("Amount"))), {
        month: { "202401": 12 },
      })
      assert.deepStrictEqual(yield* store.eventNames(account), ["Charged"])
      assert.deepStrictEqual(
        yield* store.profile(account, "identity:a"),
        Option.some({ profile: "identity:a", ts: 1, properties: { Plan: "pro" } }),
      )
      // New events after the reload continue the same profile numbering.
      yield* store.append(account, {
        events: [charged("identity:a", noon(4)), charged("identity:c", noon(4))],
        profiles: [],
      })
      assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
        month: { "202401": 3 },
      })
    }),
  )

  it.effect("records its migrations in the object's own SQLite database", () =>
    Effect.gen(function* () {
      const stub = env.EVENT_STORE.getByName("migrations")
      const tables = yield* Effect.promise(() =>
        runInDurableObject(stub, (_object, state) => ({
          migrations: state.storage.sql
            .exec(
              "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
              "trendline_migrations",
            )
            .toArray(),
          versions: state.storage.sql
            .exec("SELECT version FROM trendline_migrations ORDER BY version")
            .toArray(),
        })),
      )
      assert.deepStrictEqual(tables.migrations, [{ name: "trendline_migrations" }])
      assert.deepStrictEqual(
        tables.versions,
        migrations.map(({ version }) => ({ version })),
      )
    }),
  )

  it.effect("fails with a StoreError, and stores nothing, when the object refuses a batch", () =>
    Effect.gen(function* () {
      const account = Account.make("acme")
      const store = storeOn(env.EVENT_STORE.getByName("refusal"))
      yield* store.append(account, { events: [charged("identity:a", noon(2))], profiles: [] })
      // A profile whose properties are no JSON (a bigint) fails the batch after its events
      // were written: none of them may stay. Uploads never send one; the port on its own can.
      const failure = yield* Effect.flip(
        store.append(account, {
          events: [charged("identity:b", noon(3))],
          profiles: [{ profile: "identity:b", ts: noon(3), properties: { Bio: 1n } }],
        }),
      )
      assert.strictEqual(failure._tag, "StoreError")
      assert.deepStrictEqual(yield* store.query(account, january(account)), {
        month: { "202401": 1 },
      })
    }),
  )
})

// The driver on its own, inside an object (tables of its own, beside the store's).
const inObject = <A>(use: (driver: ReturnType<typeof DurableObjectSqlite.make>) => A) =>
  Effect.promise(() =>
    runInDurableObject(env.EVENT_STORE.getByName("driver"), (_object, state) =>
      use(DurableObjectSqlite.make(state.storage)),
    ),
  )

describe("DurableObjectSqlite driver", () => {
  it.effect("runs a script of several statements, whatever follows the last one", () =>
    Effect.gen(function* () {
      const names = yield* inObject((driver) => {
        driver.exec(`
          -- a comment before
          CREATE TABLE script_a (x TEXT); CREATE TABLE "script;b" (y TEXT);;
          INSERT INTO script_a VALUES ('-- not a comment; nor the end');
          -- a comment after the last statement
          ;
        `)
        driver.exec("  -- nothing at all\n")
        driver.exec("")
        return {
          tables: driver.all(
            "SELECT name FROM sqlite_master WHERE name LIKE 'script%' ORDER BY name",
          ),
          rows: driver.all("SELECT x FROM script_a"),
        }
      })
      assert.deepStrictEqual(names, {
        tables: [{ name: "script;b" }, { name: "script_a" }],
        rows: [{ x: "-- not a comment; nor the end" }],
      })
    }),
  )

  it.effect("round-trips blobs as Uint8Array, views included", () =>
    Effect.gen(function* () {
      const rows = yield* inObject((driver) => {
        driver.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
        const backing = new Uint8Array([9, 9, 1, 2, 3, 9])
        driver.run("INSERT INTO blobs VALUES (?, ?)", [1, backing.subarray(2, 5)])
        driver.run("INSERT INTO blobs VALUES (?, ?)", [2, new Uint8Array(0)])
        return driver.all("SELECT id, data FROM blobs ORDER BY id")
      })
      for (const { data } of rows) assert.instanceOf(data, Uint8Array)
      assert.deepStrictEqual(
        rows.map(({ data }) => [...(data as Uint8Array)]),
        [[1, 2, 3], []],
      )
    }),
  )

  it.effect("binds safe bigints as integers and refuses the others", () =>
    Effect.gen(function* () {
      const result = yield* inObject((driver) => {
        driver.exec("CREATE TABLE integers (n INTEGER)")
        driver.run("INSERT INTO integers VALUES (?)", [BigInt(Number.MAX_SAFE_INTEGER)])
        driver.run("INSERT INTO integers VALUES (?)", [-5n])
        const refused = (value: bigint) => {
          try {
            driver.run("INSERT INTO integers VALUES (?)", [value])
            return "bound"
          } catch (error) {
            return error instanceof RangeError ? "refused" : String(error)
          }
        }
        return {
          big: refused(2n ** 53n),
          small: refused(-(2n ** 53n)),
          stored: driver.all("SELECT n, typeof(n) AS type FROM integers ORDER BY n"),
        }
      })
      assert.deepStrictEqual(result, {
        big: "refused",
        small: "refused",
        stored: [
          { n: -5, type: "integer" },
          { n: Number.MAX_SAFE_INTEGER, type: "integer" },
        ],
      })
    }),
  )

  it.effect("reports the rows a statement changed, not the index entries it wrote", () =>
    Effect.gen(function* () {
      const changes = yield* inObject((driver) => {
        driver.exec(
          "CREATE TABLE counted (id INTEGER PRIMARY KEY, key TEXT UNIQUE, n INTEGER); CREATE INDEX counted_n ON counted (n)",
        )
        const upsert = `INSERT INTO counted (id, key, n) VALUES (?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET n = n + excluded.n`
        return [
          driver.run(upsert, [1, "a", 1]).changes,
          driver.run(upsert, [1, "a", 1]).changes,
          driver.run(upsert, [2, "b", 1]).changes,
          driver.run("UPDATE counted SET n = 0").changes,
          driver.run("DELETE FROM counted WHERE id = 99").changes,
        ]
      })
      assert.deepStrictEqual(changes, [1, 1, 1, 2, 0])
    }),
  )

  it.effect("keeps none of a transaction's writes when its body throws", () =>
    Effect.gen(function* () {
      const rows = yield* inObject((driver) => {
        driver.exec("CREATE TABLE atomic (id INTEGER PRIMARY KEY)")
        try {
          driver.transaction(() => {
            driver.run("INSERT INTO atomic VALUES (1)")
            throw new Error("half way")
          })
        } catch {}
        driver.transaction(() => driver.run("INSERT INTO atomic VALUES (2)"))
        return driver.all("SELECT id FROM atomic")
      })
      assert.deepStrictEqual(rows, [{ id: 2 }])
    }),
  )

  it.effect("refuses more bound parameters than a Durable Object allows, saying so", () =>
    Effect.gen(function* () {
      const message = yield* inObject((driver) => {
        const select = (n: number) =>
          driver.all(
            `SELECT ${Array.from({ length: n }, () => "?").join(", ")}`,
            Array.from({ length: n }, (_, i) => i),
          )
        select(DurableObjectSqlite.maxBoundParameters)
        try {
          select(DurableObjectSqlite.maxBoundParameters + 1)
          return "bound"
        } catch (error) {
          return String(error)
        }
      })
      assert.include(message, "101 parameters, more than the 100 a Durable Object allows")
    }),
  )
})
