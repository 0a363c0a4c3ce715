import { runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as Effect from "effect/Effect"

const inObject = <A>(use: (driver: ReturnType<typeof DurableObjectSqlite.make>) => A) =>
  Effect.promise(() =>
    runInDurableObject(env.EVENT_STORE.getByName("driver-changes"), (_object, state) =>
      use(DurableObjectSqlite.make(state.storage)),
    ),
  )

describe("DurableObjectSqlite driver, rows changed", () => {
  it.effect("answers a statement's count when read again, and refuses it after the next one", () =>
    Effect.gen(function* () {
      const outcome = yield* inObject((driver) => {
        driver.exec("CREATE TABLE changed (id INTEGER PRIMARY KEY)")
        const insert = driver.run("INSERT INTO changed (id) VALUES (1), (2), (3)")
        const counts = [insert.changes, insert.changes]
        const update = driver.run("UPDATE changed SET id = id + 10 WHERE id < 3")
        driver.all("SELECT count(*) AS n FROM changed")
        let late: unknown
        try {
          late = update.changes
        } catch (error) {
          late = error instanceof Error ? error.message : error
        }
        return { counts, late }
      })
      assert.deepStrictEqual(outcome.counts, [3, 3])
      assert.include(String(outcome.late), "read `changes` right after its statement")
    }),
  )
})
