import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Measure from "@trendline/core/Measure"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { afterAll } from "vitest"
import * as Engine from "../src/internal/engine.ts"
import {
  maxBoundParameters,
  parametersAfterFirst,
  rowsPerStatement,
  tuples,
} from "../src/internal/statements.ts"
import { charged, january, noon } from "./fixtures.ts"
import { checkLargeBatches } from "./largeBatches.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-large-batches-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// The statements of the rollups, by how they start.
const rollupStatements = [
  "INSERT INTO day_counts",
  "INSERT INTO day_sums",
  "INSERT INTO day_profiles",
  "SELECT event, day,",
  "INSERT INTO day_changes",
]

// `driver`, recording the most parameters bound to a statement: to a rollup statement by
// how it starts, to any other by its text.
const countingParameters = (driver: SqlDriver) => {
  const most = new Map<string, number>()
  const count = (sql: string, params: ReadonlyArray<unknown>) => {
    const start = rollupStatements.find((text) => sql.startsWith(text)) ?? sql
    most.set(start, Math.max(most.get(start) ?? 0, params.length))
  }
  const counting: SqlDriver = {
    ...driver,
    all: (sql, params = []) => {
      count(sql, params)
      return driver.all(sql, params)
    },
    run: (sql, params = []) => {
      count(sql, params)
      return driver.run(sql, params)
    },
  }
  return { counting, most }
}

describe("statements of many rows", () => {
  it("number the parameters after the shared first one, within the limit", () => {
    assert.strictEqual(tuples(2, 2), "(?1, ?2, ?3), (?1, ?4, ?5)")
    assert.strictEqual(parametersAfterFirst(3), "?2, ?3, ?4")
    for (const perRow of [1, 2, 3, 4, 5]) {
      const rows = rowsPerStatement(perRow)
      assert.isAtMost(1 + rows * perRow, maxBoundParameters)
      assert.isAbove(1 + (rows + 1) * perRow, maxBoundParameters)
    }
  })
})

describe("SQLite store, batches larger than one statement", () => {
  // The writer of a pool also logs the day sets it changed (`day_changes`).
  for (const role of ["single", "writer"] as const) {
    it.effect(`answers as the reference store, binding at most 100 parameters (${role})`, () =>
      Effect.gen(function* () {
        const { driver } = NodeSqlite.open({ filename: ":memory:" })
        const { counting, most } = countingParameters(driver)
        SqliteEventStore.migrate(counting)
        const store = SqliteEventStore.fromEngine(Engine.make(counting, role)).service
        yield* checkLargeBatches(store, "large")
        assert.isAtMost(Math.max(...most.values()), maxBoundParameters)
        // Full statements of the rollups: 33 counts, 19 sums, 24 parts, 49 days read or logged.
        const full = {
          "INSERT INTO day_counts": 1 + 33 * 3,
          "INSERT INTO day_sums": 1 + 19 * 5,
          "INSERT INTO day_profiles": 1 + 24 * 4,
          "SELECT event, day,": 1 + 49 * 2,
          "INSERT INTO day_changes": role === "writer" ? 1 + 49 * 2 : undefined,
        }
        for (const [start, parameters] of Object.entries(full))
          assert.strictEqual(most.get(start), parameters, start)
      }),
    )
  }

  it.effect("gives one profile to keys that SQLite stores alike, as it did key by key", () =>
    Effect.gen(function* () {
      const store = yield* SqliteEventStore.make(NodeSqlite.open({ filename: ":memory:" }).driver)
      const account = Account.make("surrogates")
      yield* store.append(account, {
        events: [charged("identity:x\uD800", noon(2)), charged("identity:x\uFFFD", noon(2))],
        profiles: [{ profile: "identity:x\uD800", ts: 1, properties: { Plan: "pro" } }],
      })
      assert.deepStrictEqual(yield* store.query(account, january(account, Measure.Profiles)), {
        month: { "202401": 1 },
      })
      assert.deepStrictEqual(
        Option.map(yield* store.profile(account, "identity:x\uFFFD"), (found) => found.properties),
        Option.some({ Plan: "pro" }),
      )
    }),
  )

  it.effect("answers as the reference store on the pool's writer and readers", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store } = yield* NodeSqlitePool.make({
          filename: join(folder, "pool.db"),
          readers: 1,
        })
        yield* checkLargeBatches(store, "large-pool")
      }),
    ),
  )
})
