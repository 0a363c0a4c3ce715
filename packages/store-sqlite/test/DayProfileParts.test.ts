// Day sets of distinct profiles stored in parts (a Durable Object refuses a BLOB over 2 MB):
// the parts an append rewrites, the union that counts them, and migration 5, which cuts the
// sets that version 4 stored whole.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { afterAll } from "vitest"
import { migrations } from "../src/internal/migrations.ts"
import * as ProfileSets from "../src/internal/profileSets.ts"
import { accountAtVersion, noon } from "./fixtures.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-parts-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const maxPart = ProfileSets.maxPartProfiles
const day15 = Calendar.unsafeMakeDay(2024, 1, 15)

// The stored parts of one day, as migration 5 and the store write them.
const partsOf = (driver: SqlDriver, day: number) =>
  driver.all(
    "SELECT part, length(profiles) AS bytes FROM day_profiles WHERE day = ? ORDER BY part",
    [day],
  )

const daily = (account: Account.Settings, from: number, to: number) =>
  QueryPlan.make(
    {
      eventName: "Opened",
      from,
      to,
      measure: Measure.Profiles,
      groups: [{ name: "day", granularity: "daily" }],
    },
    account,
  )

const opened = (profile: string, ts: number) => ({ name: "Opened", profile, ts, properties: {} })

const sameNumbers = (a: Uint32Array, b: Uint32Array): boolean =>
  a.length === b.length && a.every((value, i) => value === b[i])

describe("day sets in parts", () => {
  it("rewrites only the parts from the first new number on, and reads the same set back", () => {
    // Sets of up to three parts, and numbers added anywhere in them or past their end.
    const cases = fc.record({
      size: fc.integer({ min: 0, max: 3 * maxPart }),
      step: fc.integer({ min: 1, max: 3 }),
      added: fc.array(fc.integer({ min: 0, max: 10 * maxPart }), { minLength: 1, maxLength: 20 }),
    })
    fc.assert(
      fc.property(cases, ({ size, step, added }) => {
        const existing = Uint32Array.from({ length: size }, (_, i) => i * step)
        const merged = ProfileSets.merge(existing, ProfileSets.sortedSet(Uint32Array.from(added)))
        const stored = new Map<number, Uint8Array>(
          ProfileSets.partsFrom(existing, 0).map(({ part, blob }) => [part, blob.slice()]),
        )
        if (merged === existing) return
        const from = ProfileSets.firstDifference(existing, merged)
        // The first position that differs: the parts before it hold the same numbers.
        assert.isTrue(sameNumbers(existing.subarray(0, from), merged.subarray(0, from)))
        assert.notStrictEqual(merged[from], existing[from])
        const written = ProfileSets.partsFrom(merged, from)
        assert.strictEqual(written[0]!.part, Math.floor(from / maxPart))
        for (const { part, blob } of written) stored.set(part, blob)
        const parts = [...stored.keys()].sort((a, b) => a - b).map((part) => stored.get(part)!)
        assert.isTrue(sameNumbers(ProfileSets.fromParts(parts), merged))
        for (const blob of parts) assert.isAtMost(blob.byteLength, 1_000_000)
      }),
      { numRuns: 40 },
    )
  })

  it("counts a union one set at a time, again and again with one counter", () => {
    const union = new ProfileSets.UnionCounter()
    const sets = fc.array(fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 200 }), {
      maxLength: 8,
    })
    fc.assert(
      fc.property(sets, (lists) => {
        union.reset()
        for (const list of lists) union.add(ProfileSets.sortedSet(Uint32Array.from(list)))
        assert.strictEqual(union.size, new Set(lists.flat()).size)
      }),
    )
  })

  it.effect("keeps every part of a growing day under 2 MB, and counts it exactly", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
      // The parts each append writes.
      let written: Array<number> = []
      const recording: SqlDriver = {
        ...driver,
        run: (sql, params) => {
          // (acct, then event, day, part and profiles a row)
          if (sql.includes("INSERT INTO day_profiles"))
            for (let i = 3; i < params!.length; i += 4) written.push(Number(params![i]))
          return driver.run(sql, params)
        },
      }
      const store = yield* SqliteEventStore.make(recording)
      const account = Account.make("acme")
      const append = (events: ReadonlyArray<ReturnType<typeof opened>>) => {
        written = []
        return Effect.as(store.append(account, { events, profiles: [] }), written)
      }
      // Profile numbers are given in order of first sight: p0 is 0, p1 is 1…
      const batch = (from: number, count: number, ts: number) =>
        Array.from({ length: count }, (_, i) => opened(`p${from + i}`, ts))
      yield* append(batch(0, 10, noon(14)))
      assert.deepStrictEqual(yield* append(batch(10, 2 * maxPart, noon(15))), [0, 1])
      assert.deepStrictEqual(partsOf(driver, day15), [
        { part: 0, bytes: 1_000_000 },
        { part: 1, bytes: 1_000_000 },
      ])
      // A number inside the first part moves every later one: each part is written again.
      assert.deepStrictEqual(
        yield* append([...batch(3, 1, noon(15)), ...batch(2 * maxPart + 10, 5, noon(15))]),
        [0, 1, 2],
      )
      // A new number past the end: only the last part.
      assert.deepStrictEqual(yield* append(batch(2 * maxPart + 15, 1, noon(15))), [2])
      assert.deepStrictEqual(yield* append(batch(0, 2, noon(16))), [0])
      assert.deepStrictEqual(partsOf(driver, day15), [
        { part: 0, bytes: 1_000_000 },
        { part: 1, bytes: 1_000_000 },
        { part: 2, bytes: 28 },
      ])
      const days = yield* store.query(account, daily(account, day15 - 1, day15 + 1))
      assert.deepStrictEqual(Object.values(days.day!), [10, 2 * maxPart + 7, 2])
      // A store with nothing decoded reads the parts back, a day and three days at a time.
      const reopened = yield* SqliteEventStore.make(driver)
      assert.deepStrictEqual(
        yield* reopened.query(account, daily(account, day15 - 1, day15 + 1)),
        days,
      )
      const together = QueryPlan.make(
        {
          eventName: "Opened",
          from: day15 - 1,
          to: day15 + 1,
          measure: Measure.Profiles,
          groups: [{ name: "all", granularity: "monthly" }],
        },
        account,
      )
      assert.deepStrictEqual(Object.values((yield* reopened.query(account, together)).all!), [
        2 * maxPart + 16,
      ])
      close()
    }),
  )
})

describe("SQLite schema migration 5", () => {
  it.effect("cuts version 4's day sets into parts, and they keep growing exactly", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: join(folder, "version4.db") })
      accountAtVersion(driver, 4)
      driver.run("INSERT INTO event_names (acct, id, name) VALUES (1, 0, 'Opened')")
      // What version 4 kept: one BLOB a day, 2.4 MB here (a file on Node takes it), 4 bytes
      // on the next day, and an empty one after.
      const large = Uint32Array.from({ length: 600_001 }, (_, i) => i * 3)
      const days: Array<[number, Uint32Array]> = [
        [day15, large],
        [day15 + 1, Uint32Array.of(7)],
        [day15 + 2, new Uint32Array(0)],
      ]
      for (const [day, set] of days)
        driver.run("INSERT INTO day_profiles (acct, event, day, profiles) VALUES (1, 0, ?, ?)", [
          day,
          ProfileSets.toBlob(set),
        ])
      const store = yield* SqliteEventStore.make(driver)
      // These rollups were written by hand, with no event log to rebuild them from: marked
      // sliced, so that the append below starts no rebuild (which would fold the empty log).
      driver.run("UPDATE accounts SET sliced = 1")
      assert.deepStrictEqual(
        driver.all(
          "SELECT day, part, length(profiles) AS bytes FROM day_profiles ORDER BY day, part",
        ),
        [
          { day: day15, part: 0, bytes: 1_000_000 },
          { day: day15, part: 1, bytes: 1_000_000 },
          { day: day15, part: 2, bytes: 400_004 },
          { day: day15 + 1, part: 0, bytes: 4 },
          { day: day15 + 2, part: 0, bytes: 0 },
        ],
      )
      const stored = ProfileSets.fromParts(
        driver
          .all("SELECT profiles FROM day_profiles WHERE day = ? ORDER BY part", [day15])
          .map((row) => row.profiles as Uint8Array),
      )
      assert.deepStrictEqual(stored, large)
      const account = Account.make("acme")
      assert.deepStrictEqual(
        Object.values((yield* store.query(account, daily(account, day15, day15 + 2))).day!),
        [600_001, 1, 0],
      )
      // The migrated parts are the store's own: an append after them keeps them exact.
      driver.run("INSERT INTO profiles (acct, no, key) VALUES (1, 1, 'p1'), (1, 1800003, 'p-last')")
      yield* store.append(account, {
        events: [opened("p1", noon(15)), opened("p-last", noon(15)), opened("p1", noon(17))],
        profiles: [],
      })
      assert.deepStrictEqual(
        Object.values((yield* store.query(account, daily(account, day15, day15 + 2))).day!),
        [600_003, 1, 1],
      )
      assert.deepStrictEqual(partsOf(driver, day15), [
        { part: 0, bytes: 1_000_000 },
        { part: 1, bytes: 1_000_000 },
        { part: 2, bytes: 400_012 },
      ])
      assert.deepStrictEqual(
        driver.all("SELECT max(version) AS version FROM trendline_migrations"),
        [{ version: migrations.at(-1)!.version }],
      )
      close()
    }),
  )
})
