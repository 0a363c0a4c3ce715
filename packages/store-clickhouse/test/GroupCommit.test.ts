// Appends that wait for an insert under way go together in the next one (group commit).
// The store's requests go through a `fetch` that sees every insert: how many records it
// carries, and, when told to, holds it back or fails it.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import type * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberStatus from "effect/FiberStatus"
import { freshDatabase, url } from "./support/server.ts"

interface Inserts {
  readonly fetch: typeof globalThis.fetch
  /** Records carried by each insert that reached the server, in order. */
  readonly sizes: Array<number>
  /** Inserts attempted so far (the next one's ordinal). */
  attempts: number
  /** Ordinals of inserts to fail with an HTTP 500, without sending them. */
  readonly fail: Set<number>
  /** Inserts to hold back, by ordinal: `attempted` is called when it is, then it waits. */
  readonly holds: Map<number, { readonly attempted: () => void; readonly until: Promise<void> }>
}

const watchInserts = (): Inserts => {
  const inserts: Inserts = {
    sizes: [],
    attempts: 0,
    fail: new Set(),
    holds: new Map(),
    fetch: async (input, init) => {
      const query = new URL(String(input)).searchParams.get("query") ?? ""
      if (query.startsWith("INSERT")) {
        const hold = inserts.holds.get(inserts.attempts)
        const failed = inserts.fail.has(inserts.attempts)
        inserts.attempts++
        if (hold !== undefined) {
          hold.attempted()
          await hold.until
        }
        if (failed) {
          return new Response("Code: 1000. DB::Exception: refused by the test", { status: 500 })
        }
        inserts.sizes.push(
          // Records, not the slot rows that go with their events.
          (JSON.parse(String(init?.body)) as { kinds: Array<string> }).kinds.filter(
            (kind) => kind !== "slot",
          ).length,
        )
      }
      return fetch(input, init)
    },
  }
  return inserts
}

/** Holds insert `ordinal` back: `reached` completes when it is attempted. */
const holdInsert = (inserts: Inserts, ordinal: number) =>
  Effect.gen(function* () {
    const reached = yield* Deferred.make<void>()
    let release = () => {}
    inserts.holds.set(ordinal, {
      attempted: () => Deferred.unsafeDone(reached, Exit.void),
      until: new Promise((resolve) => {
        release = resolve
      }),
    })
    return { reached: Deferred.await(reached), release: Effect.sync(() => release()) }
  })

// Until every fiber waits (for the insert lock): no fiber is left to run before them.
const untilWaiting = (fibers: ReadonlyArray<Fiber.RuntimeFiber<unknown, unknown>>) =>
  Effect.gen(function* () {
    for (const fiber of fibers) {
      while (!FiberStatus.isSuspended(yield* fiber.status)) yield* Effect.yieldNow()
    }
  })

const events = (batch: number, count: number): EventStore.Batch => ({
  events: Array.from(
    { length: count },
    (_, i): Aggregator.Event => ({
      name: "Charged",
      profile: `identity:${batch}-${i}`,
      ts: Date.UTC(2024, 0, 1 + (batch % 28), 12) / 1000,
      properties: { Amount: 1 },
    }),
  ),
  profiles: [],
})

const plan = (account: Account.Settings, measure: Measure.Measure) =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from: Calendar.unsafeMakeDay(2024, 1, 1),
      to: Calendar.unsafeMakeDay(2024, 1, 31),
      measure,
      groups: [{ name: "all", granularity: "total" }],
    },
    account,
  )

// Every event stored, and each one once: the total count equals the distinct profiles.
const stored = (store: EventStore.Service, account: Account.Settings) =>
  Effect.gen(function* () {
    const count = yield* store.query(account, plan(account, Measure.Events))
    const profiles = yield* store.query(account, plan(account, Measure.Profiles))
    const total = Object.values(count.all!)[0]!
    assert.strictEqual(Object.values(profiles.all!)[0], total, "an event was stored twice")
    return total
  })

describe("ClickHouse store group commit", () => {
  const database = freshDatabase("group_commit")

  it.effect("joins the appends that wait into one insert, each batch stored whole and once", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database, fetch: inserts.fetch })
      const account = Account.make("joined")
      // The first append learns the account's event names; the rest need no look-up.
      yield* store.append(account, events(0, 10))
      yield* Effect.all(
        Array.from({ length: 20 }, (_, b) => store.append(account, events(b + 1, 50))),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(yield* stored(store, account), 10 + 20 * 50)
      assert.strictEqual(inserts.sizes[0], 10)
      const joined = inserts.sizes.slice(1)
      assert.isBelow(joined.length, 20, `one insert per append: ${joined}`)
      assert.strictEqual(
        joined.reduce((a, b) => a + b, 0),
        20 * 50,
      )
      assert.isTrue(
        joined.every((size) => size % 50 === 0),
        `a batch was split: ${joined}`,
      )
    }),
  )

  it.effect("puts at most maxRecordsPerInsert records in an insert; a bigger append is one", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make(
        { url, database, fetch: inserts.fetch },
        { maxRecordsPerInsert: 120 },
      )
      const account = Account.make("capped")
      yield* store.append(account, events(0, 300))
      yield* Effect.all(
        Array.from({ length: 10 }, (_, b) => store.append(account, events(b + 1, 50))),
        { concurrency: "unbounded" },
      )
      assert.strictEqual(yield* stored(store, account), 300 + 10 * 50)
      assert.strictEqual(inserts.sizes[0], 300)
      assert.isTrue(
        inserts.sizes.slice(1).every((size) => size <= 120),
        `${inserts.sizes}`,
      )
    }),
  )

  it.effect("has at most insertsInFlight inserts of an account under way", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make({ url, database, fetch: inserts.fetch })
      const account = Account.make("in_flight")
      yield* store.append(account, events(0, 10))
      const [one, two] = [yield* holdInsert(inserts, 1), yield* holdInsert(inserts, 2)]
      const first = yield* Effect.fork(store.append(account, events(1, 20)))
      yield* one.reached
      const second = yield* Effect.fork(store.append(account, events(2, 20)))
      yield* two.reached
      const waiting = yield* Effect.forEach([3, 4, 5], (b) =>
        Effect.fork(store.append(account, events(b, 20))),
      )
      yield* untilWaiting(waiting)
      assert.strictEqual(inserts.attempts, 3, "a third insert went out while two were under way")
      yield* one.release
      yield* two.release
      yield* Fiber.join(Fiber.all([first, second, ...waiting]))
      assert.strictEqual(yield* stored(store, account), 10 + 5 * 20)
      assert.strictEqual(inserts.attempts, 4)
      assert.strictEqual(inserts.sizes.at(-1), 60)
    }),
  )

  it.effect("fails every append of a failed insert, stores none of them, and goes on", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make(
        { url, database, fetch: inserts.fetch },
        { insertsInFlight: 1 },
      )
      const account = Account.make("failed")
      yield* store.append(account, events(0, 10))
      // Insert 1 carries the first append alone and is held until the other four wait;
      // they follow together in insert 2, which fails.
      const held = yield* holdInsert(inserts, 1)
      inserts.fail.add(2)
      const first = yield* Effect.fork(Effect.exit(store.append(account, events(1, 20))))
      yield* held.reached
      const others = yield* Effect.forEach([2, 3, 4, 5], (b) =>
        Effect.fork(Effect.exit(store.append(account, events(b, 20)))),
      )
      yield* untilWaiting(others)
      yield* held.release
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(first)))
      for (const other of others) {
        const exit = yield* Fiber.join(other)
        assert.isTrue(Exit.isFailure(exit) && String(exit.cause).includes("refused by the test"))
      }
      assert.strictEqual(yield* stored(store, account), 10 + 20)
      yield* store.append(account, events(6, 20))
      assert.strictEqual(yield* stored(store, account), 10 + 20 + 20)
      assert.deepStrictEqual(inserts.sizes, [10, 20, 20])
      assert.strictEqual(inserts.attempts, 4)
    }),
  )

  it.effect("stores nothing of an append interrupted while it waited", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make(
        { url, database, fetch: inserts.fetch },
        { insertsInFlight: 1 },
      )
      const account = Account.make("interrupted")
      yield* store.append(account, events(0, 10))
      const held = yield* holdInsert(inserts, 1)
      const first = yield* Effect.fork(store.append(account, events(1, 20)))
      yield* held.reached
      const waiting = yield* Effect.fork(store.append(account, events(2, 30)))
      yield* untilWaiting([waiting])
      yield* Fiber.interrupt(waiting)
      yield* held.release
      yield* Fiber.join(first)
      // Nor does it ride along with a later append.
      yield* store.append(account, events(3, 5))
      assert.strictEqual(yield* stored(store, account), 10 + 20 + 5)
      assert.deepStrictEqual(inserts.sizes, [10, 20, 5])
    }),
  )

  it.effect("finishes the insert of an append interrupted meanwhile; the name limit holds", () =>
    Effect.gen(function* () {
      const inserts = watchInserts()
      const store = yield* ClickHouseEventStore.make(
        { url, database, fetch: inserts.fetch },
        { limits: { ...Limits.defaults, maxEventNamesPerAccount: 1 } },
      )
      const account = Account.make("names")
      const named = (name: string): EventStore.Batch => ({
        events: [{ name, profile: "identity:a", ts: 1_700_000_000, properties: {} }],
        profiles: [],
      })
      // The first name's insert is held; its append is interrupted meanwhile, after its row
      // went out: the insert still lands. A second name waits for the account's new-name
      // lock until it has, then finds the limit reached.
      const held = yield* holdInsert(inserts, 0)
      const first = yield* Effect.fork(store.append(account, named("First")))
      yield* held.reached
      const interrupting = yield* Effect.fork(Fiber.interrupt(first))
      const second = yield* Effect.fork(store.append(account, named("Second")))
      yield* untilWaiting([second])
      yield* held.release
      yield* Fiber.join(interrupting)
      assert.deepStrictEqual(yield* Fiber.join(second), { refused: [0] })
      assert.deepStrictEqual(yield* store.eventNames(account), ["First"])
    }),
  )

  it.effect("refuses options that are not whole numbers of at least 1, saying which", () =>
    Effect.gen(function* () {
      for (const options of [{ insertsInFlight: 0 }, { maxRecordsPerInsert: 2.5 }]) {
        const exit = yield* Effect.exit(ClickHouseEventStore.make({ url, database }, options))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(
          String(Exit.isFailure(exit) && exit.cause),
          `option ${Object.keys(options)[0]} must be a whole number of at least 1`,
        )
      }
    }),
  )
})
