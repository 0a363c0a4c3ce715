// Slot rows (`BatchRow.addSlots`): counts and sums of whole days read the slot rows of the
// events (and the events stored before slots existed), exactly as the reference; a zone
// whose days do not start on 15-minute boundaries reads the events; large sums stay exact.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as Effect from "effect/Effect"
import { BatchRow, keyShards } from "../src/internal/BatchRow.ts"
import { shardKeyOf } from "../src/internal/connection.ts"
import { day, planOf } from "./support/fixtures.ts"
import { freshDatabase, url } from "./support/server.ts"

let accounts = 0
const freshAccount = (timeZone: string) =>
  Account.make(`slots-${Date.now().toString(36)}-${++accounts}`, { timeZone })

// A store whose requests' bodies are kept.
const recording = (database: string) => {
  const bodies: Array<string> = []
  return Effect.map(
    ClickHouseEventStore.make({
      url,
      database,
      fetch: (input, init) => {
        if (typeof init?.body === "string") bodies.push(init.body)
        return fetch(input, init)
      },
    }),
    (store) => ({ store, bodies }),
  )
}

// Events every 61 seconds over `days` days from `first`, Amount varying: about 12
// `Charged` a slot (slot rows) and 3 `Viewed` (read as events).
const eventsFrom = (first: number, days: number, amount = (i: number) => (i % 11) - 3) =>
  Array.from({ length: Math.floor((days * 86_400) / 61) }, (_, i) => ({
    name: i % 5 === 0 ? "Viewed" : "Charged",
    profile: `identity:u${i % 17}`,
    ts: first + i * 433,
    properties: { Amount: amount(i) },
  }))

describe("ClickHouse store slot rows", () => {
  const database = freshDatabase("slots")

  it.effect(
    "count and sum whole days from slot rows, as the reference, in zones off the hour",
    () =>
      Effect.gen(function* () {
        const { store, bodies } = yield* recording(database)
        for (const zone of ["Asia/Kolkata", "Pacific/Chatham", "America/New_York"]) {
          const account = freshAccount(zone)
          const events = eventsFrom(Date.UTC(2025, 2, 1) / 1000, 20)
          yield* store.append(account, { events: events.slice(0, 1500), profiles: [] })
          yield* store.append(account, { events: events.slice(1500), profiles: [] })
          for (const measure of [Measure.Events, Measure.sum("Amount")]) {
            bodies.length = 0
            // New York's DST starts on March 9th, inside the range.
            const plan = planOf(account, day(2025, 3, 2), day(2025, 3, 18), measure)
            assert.deepStrictEqual(
              yield* store.query(account, plan),
              Aggregator.aggregate(plan, events),
            )
            const query = bodies.find((body) => body.includes("AS value"))!
            assert.include(query, "kind = 'slot'", `${zone}: read from slot rows`)
          }
        }
      }),
  )

  it.effect("reads the events where days do not start on 15 minutes (Monrovia, 1971)", () =>
    Effect.gen(function* () {
      const { store, bodies } = yield* recording(database)
      // Liberia kept local mean time, 44 minutes 30 seconds behind UTC, until 1972.
      const account = freshAccount("Africa/Monrovia")
      const events = eventsFrom(Date.UTC(1971, 5, 1) / 1000, 6)
      yield* store.append(account, { events, profiles: [] })
      const plan = planOf(account, day(1971, 6, 2), day(1971, 6, 5), Measure.Events)
      assert.isFalse(QueryPlan.daysStartOnMultiplesOf(plan, 900))
      assert.deepStrictEqual(yield* store.query(account, plan), Aggregator.aggregate(plan, events))
      const query = bodies.find((body) => body.includes("AS value"))!
      assert.notInclude(query, "kind = 'slot'")
    }),
  )

  it.effect("counts events stored before slot rows beside those stored with them", () =>
    Effect.gen(function* () {
      const { store } = yield* recording(database)
      const account = freshAccount("UTC")
      const events = eventsFrom(Date.UTC(2025, 2, 1) / 1000, 4)
      // As a store of schema version 2 wrote them: events of kind 'event', no slot rows.
      const before = events.slice(0, 400)
      const row = new BatchRow()
      for (const event of before)
        row.add("event", event.name, event.ts, event.profile, event.properties)
      const rows = before.map((event, i) => ({
        account: account.id,
        kind: "event",
        name: event.name,
        ts: event.ts,
        profile: event.profile,
        properties: JSON.stringify(event.properties),
        prop_keys: row.key_lists[i],
        prop_ints: row.int_lists[i],
        received: 0,
        seq: i,
      }))
      const inserted = yield* Effect.promise(() =>
        fetch(
          `${url}/?query=${encodeURIComponent(`INSERT INTO \`${database}\`.trendline_records FORMAT JSONEachRow`)}`,
          { method: "POST", body: rows.map((each) => JSON.stringify(each)).join("\n") },
        ),
      )
      assert.isTrue(inserted.ok, yield* Effect.promise(() => inserted.text()))
      yield* store.append(account, { events: events.slice(400), profiles: [] })
      for (const measure of [Measure.Events, Measure.sum("Amount"), Measure.Profiles]) {
        const plan = planOf(account, day(2025, 3, 1), day(2025, 3, 4), measure)
        assert.deepStrictEqual(
          yield* store.query(account, plan),
          Aggregator.aggregate(plan, events),
        )
      }
    }),
  )

  it.effect("keeps sums exact where a slot's would pass 2^53", () =>
    Effect.gen(function* () {
      const { store } = yield* recording(database)
      const account = freshAccount("UTC")
      const big = Number.MAX_SAFE_INTEGER - 10
      const events = eventsFrom(Date.UTC(2025, 2, 1) / 1000, 1, (i) => (i % 2 === 0 ? big : 7))
      yield* store.append(account, { events, profiles: [] })
      const plan = planOf(account, day(2025, 3, 1), day(2025, 3, 1), Measure.sum("Amount"))
      assert.deepStrictEqual(yield* store.query(account, plan), Aggregator.aggregate(plan, events))
    }),
  )

  it("writes a slot row per event name and 15 minutes with 4 events or more, after the records", () => {
    const row = new BatchRow()
    const t = Date.UTC(2025, 0, 1) / 1000
    const add = (name: string, ts: number, properties: Record<string, unknown>) =>
      row.add("event", name, ts, "identity:x", properties)
    add("A", t + 10, { Amount: 2, Other: 1 })
    row.add("profile", "identity:x", t, "identity:x", { Plan: "pro" })
    add("A", t + 899, { Amount: 3 })
    add("A", t + 300, {})
    add("A", t + 600, { Amount: -1 })
    // Three of A in the next slot, and one of B: read as events.
    add("A", t + 900, { Amount: 5 })
    add("A", t + 901, { Amount: 5 })
    add("A", t + 902, { Amount: 5 })
    add("B", t + 20, { Amount: -4 })
    const slotted = row.addSlots()
    assert.strictEqual(slotted, row)
    assert.deepStrictEqual(slotted.kinds, [
      "slotted",
      "profile",
      "slotted",
      "slotted",
      "slotted",
      "event",
      "event",
      "event",
      "event",
      "slot",
    ])
    assert.deepStrictEqual(
      [slotted.names[9], slotted.timestamps[9], slotted.property_texts[9]],
      ["A", t, "4"],
    )
    assert.deepStrictEqual(
      [slotted.key_lists[9], slotted.int_lists[9]],
      [
        ["Amount", "Other"],
        [4, 1],
      ],
    )
  })

  it("cuts a row into one per shard of its profiles, each with the upload key and the batch's shards", () => {
    const row = new BatchRow()
    const t = Date.UTC(2025, 0, 1) / 1000
    // Shard keys by the profile's last letter: a → 0, b → 1, c → 2.
    const keyOf = (profile: string) => profile.charCodeAt(profile.length - 1) - 97
    row.add("event", "A", t, "identity:a", { Amount: 1 })
    row.add("event", "A", t + 1, "identity:c", {})
    row.add("profile", "identity:a", t, "identity:a", { Plan: "pro" })
    row.add("event", "B", t + 2, "identity:a", {})
    row.addKey({ key: "k", fingerprint: "f", now: 0, expiresAt: 5000 }, [4])
    const pieces = row.byShard(keyOf)
    assert.deepStrictEqual([...pieces.keys()], [0, 2])
    const first = pieces.get(0)!
    assert.deepStrictEqual(first.kinds, ["event", "profile", "event", "key"])
    assert.deepStrictEqual(first.names, ["A", "identity:a", "B", "k"])
    assert.deepStrictEqual(first.key_lists.at(-1), ["shard", "span", "span"])
    assert.deepStrictEqual(first.int_lists.at(-1), [0, 0, 2])
    assert.deepStrictEqual(keyShards(first.key_lists.at(-1)!, first.int_lists.at(-1)!), {
      own: 0,
      span: [0, 2],
    })
    const third = pieces.get(2)!
    assert.deepStrictEqual(third.kinds, ["event", "key"])
    assert.deepStrictEqual(third.int_lists.at(-1), [2, 0, 2])
    assert.deepStrictEqual([third.timestamps[1], third.property_texts[1]], [5000, "[4]"])
    // A piece stored before is left out, and still counts in the batch's shards.
    const rest = row.byShard(keyOf, new Set([0]))
    assert.deepStrictEqual([...rest.keys()], [2])
    assert.deepStrictEqual(rest.get(2)!.int_lists.at(-1), [2, 0, 2])
    // A batch of no records keeps its key on the key's own shard.
    const empty = new BatchRow()
    empty.addKey({ key: "b", fingerprint: "f", now: 0, expiresAt: 5000 }, [0])
    assert.deepStrictEqual([...empty.byShard(keyOf).keys()], [1])
  })

  it("places a profile by FNV-1a of its code units, so its shard never changes between versions", () => {
    // FNV-1a's published 32-bit values for "", "a" and "foobar".
    const total = 2 ** 32 - 1
    assert.strictEqual(shardKeyOf("", total), 0x811c9dc5 % total)
    assert.strictEqual(shardKeyOf("a", total), 0xe40c292c % total)
    assert.strictEqual(shardKeyOf("foobar", total), 0xbf9cf968 % total)
    const counts = [0, 0, 0]
    for (let i = 0; i < 3000; i++) counts[shardKeyOf(`identity:${i}`, 3)]!++
    for (const count of counts) assert.isAbove(count, 900)
  })
})
