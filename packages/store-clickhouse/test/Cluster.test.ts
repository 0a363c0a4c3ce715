// The store on a real cluster: Debian clickhouse-server processes as two shards of two
// replicas each, with ZooKeeper (`testing/ClickHouseCluster.ts`), and `cluster` set. Core's
// contract runs on it; its answers (counts, distinct profiles, sums, filters, top counts)
// are the reference store's; each profile's records live on one shard; a batch that only
// some shards stored is completed exactly once by its retry; and a replica stopped during
// ingestion loses nothing that was acknowledged.
import { createClient } from "@clickhouse/client-web"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { identifier } from "@trendline/store-clickhouse/ClickHouseSql"
import * as ClickHouseCluster from "@trendline/store-clickhouse/testing/ClickHouseCluster"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as fc from "fast-check"
import { afterAll } from "vitest"
import { shardKeyOf } from "../src/internal/connection.ts"
import { errorMessage } from "./support/fixtures.ts"
import { freshDatabase, url as oneServer } from "./support/server.ts"

const cluster = await ClickHouseCluster.start({ shards: 2, replicas: 2 })
afterAll(() => cluster.stop())

const storeOn = (database: string) =>
  ClickHouseEventStore.make({ url: cluster.url, database, cluster: cluster.name })

// A node's own client, to look at its local tables.
const nodeClients = cluster.nodes.map((node) => createClient({ url: node.url }))
afterAll(() => Promise.all(nodeClients.map((client) => client.close())))
const selectOn = async <A>(node: number, query: string): Promise<Array<A>> =>
  (await nodeClients[node]!.query({ query, format: "JSONEachRow" })).json<A>()
const nodeOf = (shard: number, replica: number) =>
  cluster.nodes.findIndex((node) => node.shard === shard && node.replica === replica)

eventStoreContract(
  `clickhouse cluster of ${cluster.shards} shards × ${cluster.replicas} replicas`,
  ClickHouseEventStore.layer({ url: cluster.url, database: "contract", cluster: cluster.name }),
)

const day = Calendar.unsafeMakeDay
const from = day(2024, 3, 1)
const to = day(2024, 4, 14)
let accounts = 0
const freshAccount = () =>
  Account.make(`cluster-${Date.now().toString(36)}-${++accounts}`, {
    timeZone: "America/New_York",
    weekStart: "sunday",
  })

// Events of 60 profiles over the range (across New York's DST change), with amounts and
// plans; upserts of half of the profiles.
const batchOf = (tag: string, size: number): EventStore.Batch => {
  const events: Array<Aggregator.Event> = []
  for (let i = 0; i < size; i++) {
    events.push({
      name: i % 5 === 0 ? "Viewed" : "Charged",
      profile: `${tag}:${(i * 7) % 60}`,
      ts: (from + (i % 45)) * 86_400 + ((i * 7919) % 86_400),
      properties: { Amount: i % 13, Plan: i % 3 === 0 ? "pro" : "free" },
    })
  }
  const profiles: Array<EventStore.Profile> = []
  for (let p = 0; p < 60; p += 2) {
    profiles.push({
      profile: `${tag}:${p}`,
      ts: from * 86_400,
      properties: { Country: p % 4 === 0 ? "IN" : "US" },
    })
  }
  return { events, profiles }
}

const groups = [
  { name: "day", granularity: "daily" },
  { name: "week", granularity: "weekly" },
  { name: "month", granularity: "monthly" },
  { name: "all", granularity: "total" },
] as const

const plans = (account: Account.Settings) =>
  [
    Filter.none,
    { event: [], profile: [{ name: "Country", operator: "equals", values: ["IN"] }] },
  ].flatMap((filters) =>
    [Measure.Events, Measure.Profiles, Measure.sum("Amount")].map((measure) =>
      QueryPlan.make(
        { eventName: "Charged", from, to, measure, groups, filters: filters as Filter.Filters },
        account,
      ),
    ),
  )

// Top plans as the API makes them from a request.
const topPlan = (account: Account.Settings): TopCounts.TopPlan =>
  TopCounts.plan(
    Effect.runSync(
      TopCounts.decode({
        event_name: "Charged",
        from: Calendar.toDateInt(from),
        to: Calendar.toDateInt(to),
        groups: {
          plan: { name: "Plan", property_type: "event_properties" },
          country: { name: "Country", property_type: "profile_fields" },
        },
      }),
    ),
    account,
  )

// Every answer of the store is the reference store's.
const sameAnswers = (
  store: EventStore.Service,
  reference: EventStore.Service,
  account: Account.Settings,
) =>
  Effect.gen(function* () {
    for (const plan of plans(account)) {
      assert.deepStrictEqual(
        yield* store.query(account, plan),
        yield* reference.query(account, plan),
        `${plan.measure._tag} ${JSON.stringify(plan.filters)}`,
      )
    }
    assert.deepStrictEqual(
      yield* store.top(account, topPlan(account)),
      yield* reference.top(account, topPlan(account)),
    )
    assert.deepStrictEqual(yield* store.eventNames(account), yield* reference.eventNames(account))
  })

const keyOf = (key: string, fingerprint = "body"): EventStore.UploadKey => ({
  key,
  fingerprint,
  now: Date.now(),
  expiresAt: Date.now() + 3_600_000,
})

// Each shard's profiles of the account, read on the shard's first replica.
const profilesByShard = (database: string, account: Account.Settings) =>
  Effect.promise(() =>
    Promise.all(
      Array.from({ length: cluster.shards }, (_, s) =>
        selectOn<{ profile: string }>(
          nodeOf(s + 1, 1),
          `SELECT DISTINCT profile FROM ${identifier(database)}.trendline_records
           WHERE account = '${account.id}' AND kind IN ('event', 'slotted', 'profile')`,
        ).then((rows) => rows.map((row) => row.profile)),
      ),
    ),
  )

describe("the store on a cluster", () => {
  it.effect(
    "answers as the reference store, one server and the cluster alike, each profile on one shard",
    () =>
      Effect.gen(function* () {
        const database = "answers"
        const store = yield* storeOn(database)
        const single = yield* ClickHouseEventStore.make({
          url: oneServer,
          database: freshDatabase("cluster_single"),
        })
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        for (const part of ["a", "b", "c"]) {
          const batch = batchOf(part, 400)
          yield* store.append(account, batch)
          yield* single.append(account, batch)
          yield* reference.append(account, batch)
        }
        yield* sameAnswers(store, reference, account)
        yield* sameAnswers(single, reference, account)
        // A store opened through another server of the cluster (whose own table of applied
        // migrations is empty: it runs them again, changing nothing) answers alike.
        const elsewhere = yield* ClickHouseEventStore.make({
          url: cluster.nodes[nodeOf(2, 2)]!.url,
          database,
          cluster: cluster.name,
        })
        yield* sameAnswers(elsewhere, reference, account)
        // Profiles spread over both shards, none on two, each where the store's hash says.
        const byShard = yield* profilesByShard(database, account)
        for (const profiles of byShard) assert.isAbove(profiles.length, 20)
        const [first, second] = byShard
        assert.deepStrictEqual(
          first!.filter((profile) => second!.includes(profile)),
          [],
        )
        byShard.forEach((profiles, s) => {
          for (const profile of profiles) assert.strictEqual(shardKeyOf(profile, 2), s, profile)
        })
      }),
  )

  it.effect(
    "refuses a cluster the server does not define, or one without ZooKeeper, saying why",
    () =>
      Effect.gen(function* () {
        const unknown = yield* Effect.exit(
          ClickHouseEventStore.make({ url: cluster.url, database: "nowhere", cluster: "events" }),
        )
        const message = errorMessage(unknown)
        assert.include(message, 'the server has no cluster "events"')
        assert.include(message, cluster.name)
        // The single test server knows the packaged config's example clusters, but has no
        // ZooKeeper.
        const noKeeper = yield* Effect.exit(
          ClickHouseEventStore.make({
            url: oneServer,
            database: freshDatabase("cluster_no_keeper"),
            cluster: "test_shard_localhost",
          }),
        )
        assert.include(
          errorMessage(noKeeper),
          'cluster "test_shard_localhost" needs ZooKeeper (or ClickHouse Keeper)',
        )
      }),
  )

  it.effect(
    "a keyed batch that only one shard stored is completed by its retry, exactly once",
    () =>
      Effect.gen(function* () {
        const database = "partial"
        // The first insert of batches reaches shard 1 only, and fails here: the insert
        // that a shard stored and another did not (a shard lost during the write).
        let cut = true
        const store = yield* ClickHouseEventStore.make({
          url: cluster.url,
          database,
          cluster: cluster.name,
          fetch: async (input, init) => {
            const query = new URL(String(input)).searchParams.get("query") ?? ""
            if (!cut || !query.startsWith("INSERT INTO") || !query.includes("trendline_batches"))
              return fetch(input, init)
            cut = false
            const rows = String(init?.body)
              .split("\n")
              .filter((line) => line !== "")
            const first = rows.filter((line) => (JSON.parse(line) as { shard: number }).shard === 0)
            assert.isAbove(rows.length, first.length, "the batch has rows for both shards")
            await (await fetch(input, { ...init, body: `${first.join("\n")}\n` })).text()
            throw new TypeError("fetch failed", { cause: new Error("shard 2 went away") })
          },
        })
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        const batch = batchOf("p", 300)
        const failed = yield* Effect.exit(store.append(account, batch, keyOf("k-partial")))
        assert.isTrue(Exit.isFailure(failed), "the append fails")
        const [onFirst, onSecond] = yield* profilesByShard(database, account)
        assert.isAbove(onFirst!.length, 0, "shard 1 stored its rows")
        assert.strictEqual(onSecond!.length, 0, "shard 2 stored nothing")
        // The retry stores shard 2's rows only, and replays the first receipt.
        const receipt = yield* store.append(account, batch, keyOf("k-partial"))
        assert.deepStrictEqual({ ...receipt }, { refused: [], replayed: true })
        const again = yield* store.append(account, batch, keyOf("k-partial"))
        assert.deepStrictEqual({ ...again }, { refused: [], replayed: true })
        yield* reference.append(account, batch)
        yield* sameAnswers(store, reference, account)
        // Another body with the same key is refused, as on one server.
        const reused = yield* Effect.exit(store.append(account, batch, keyOf("k-partial", "x")))
        assert.isTrue(Exit.isFailure(reused))
      }),
  )

  it.effect(
    "keyed appends joined into inserts that some shards stored are each completed once by their retries",
    () =>
      Effect.gen(function* () {
        // Each run: appends of random batches at once (the store joins them into few
        // inserts); the first inserts (as many as there are cuts, or all) each lose the rows
        // of a random shard and fail; the appends are retried at once, with their keys.
        // Answers must be the reference's.
        let cutShards: Array<number> = []
        const inserts = { cut: 0 }
        const store = yield* ClickHouseEventStore.make(
          {
            url: cluster.url,
            database: "partial_joined",
            cluster: cluster.name,
            fetch: async (input, init) => {
              const query = new URL(String(input)).searchParams.get("query") ?? ""
              if (!query.startsWith("INSERT INTO")) return fetch(input, init)
              const cut = cutShards.shift()
              if (cut === undefined) return fetch(input, init)
              inserts.cut++
              const kept = String(init?.body)
                .split("\n")
                .filter(
                  (line) => line !== "" && (JSON.parse(line) as { shard: number }).shard !== cut,
                )
              if (kept.length > 0)
                await (await fetch(input, { ...init, body: `${kept.join("\n")}\n` })).text()
              throw new TypeError("fetch failed", {
                cause: new Error(`shard ${cut + 1} went away`),
              })
            },
          },
          // Small inserts: several of them, each joining a few appends.
          { maxRecordsPerInsert: 150 },
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 2, maxLength: 6 }),
              fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 4 }),
              async (sizes, cuts) => {
                const account = freshAccount()
                const reference = await Effect.runPromise(EventStore.makeMemory())
                const batches = sizes.map((size, i) => batchOf(`j${i}`, size))
                const append = (i: number) =>
                  store.append(account, batches[i]!, keyOf(`k-joined-${account.id}-${i}`))
                cutShards = [...cuts]
                await Effect.runPromise(
                  Effect.forEach(batches, (_, i) => Effect.exit(append(i)), {
                    concurrency: "unbounded",
                  }),
                )
                cutShards = []
                const retried = await Effect.runPromise(
                  Effect.forEach(batches, (_, i) => append(i), { concurrency: "unbounded" }),
                )
                for (const receipt of retried) assert.deepStrictEqual(receipt.refused, [])
                for (const batch of batches)
                  await Effect.runPromise(reference.append(account, batch))
                await Effect.runPromise(sameAnswers(store, reference, account))
              },
            ),
            { numRuns: 6 },
          ),
        )
        assert.isAtLeast(inserts.cut, 6)
      }),
    120_000,
  )

  it.live(
    "a shard down fails appends and reads with the server's reason, and stores nothing",
    () =>
      Effect.gen(function* () {
        const store = yield* storeOn("shard_down")
        const account = freshAccount()
        const down = cluster.nodes.filter((node) => node.shard === 2)
        yield* Effect.promise(() => Promise.all(down.map((node) => node.stop())))
        const append = yield* Effect.exit(store.append(account, batchOf("d", 100)))
        const query = yield* Effect.exit(store.query(account, plans(account)[0]!))
        yield* Effect.promise(() => Promise.all(down.map((node) => node.restart())))
        for (const exit of [Exit.asVoid(append), Exit.asVoid(query)]) {
          assert.isTrue(Exit.isFailure(exit))
          assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "Connection refused")
        }
        const [onFirst, onSecond] = yield* profilesByShard("shard_down", account)
        assert.deepStrictEqual([onFirst!.length, onSecond!.length], [0, 0])
      }),
    120_000,
  )

  it.live(
    "a replica stopped during ingestion loses nothing that was acknowledged",
    () =>
      Effect.gen(function* () {
        const database = "replica_stop"
        const store = yield* storeOn(database)
        const reference = yield* EventStore.makeMemory()
        const account = freshAccount()
        // The first replica of shard 2: where the store's inserts and reads of that shard
        // go while it runs (`load_balancing = in_order`).
        const stopped = cluster.nodes[nodeOf(2, 1)]!
        const peer = nodeOf(2, 2)
        // Appends that fail (the replica went away under them) are retried with their
        // key, as a client does, until they are acknowledged.
        const append = (i: number) =>
          Effect.gen(function* () {
            const batch = batchOf(`r${i}`, 50)
            const key = keyOf(`k-replica-${i}`)
            yield* store
              .append(account, batch, key)
              .pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 50 }))
            yield* reference.append(account, batch)
          })
        const sync = (node: number) =>
          Effect.promise(() =>
            nodeClients[node]!.command({
              query: `SYSTEM SYNC REPLICA ${identifier(database)}.trendline_records`,
            }),
          )
        yield* Effect.forEach(
          Array.from({ length: 10 }, (_, i) => i),
          append,
          {
            concurrency: 3,
          },
        )
        // What the stopping replica acknowledged has reached its peer; then it stops, and
        // ingestion goes on through the peer.
        yield* sync(peer)
        yield* Effect.promise(() => stopped.stop())
        yield* Effect.forEach(
          Array.from({ length: 10 }, (_, i) => 10 + i),
          append,
          {
            concurrency: 3,
          },
        )
        yield* sameAnswers(store, reference, account)
        // Back: it catches up, and both replicas hold the same records.
        yield* Effect.promise(() => stopped.restart())
        yield* sync(nodeOf(2, 1))
        yield* sameAnswers(store, reference, account)
        const counts = yield* Effect.promise(() =>
          Promise.all(
            [nodeOf(2, 1), peer].map((node) =>
              selectOn<{ n: string }>(
                node,
                `SELECT count() AS n FROM ${identifier(database)}.trendline_records
                 WHERE account = '${account.id}'`,
              ),
            ),
          ),
        )
        assert.deepStrictEqual(counts[0], counts[1])
      }),
    180_000,
  )
})
