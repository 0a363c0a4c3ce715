import { runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { describe, it } from "@effect/vitest"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import { checkLargeBatches } from "../test/largeBatches.ts"

describe("event store in a Durable Object, batches larger than one statement", () => {
  // Durable Object SQL refuses a statement of more than 100 parameters: each batch here
  // brings more new profiles, names and profile records than one statement holds.
  it.effect("answers as the reference store", () =>
    Effect.promise(() =>
      runInDurableObject(env.EVENT_STORE.getByName("large-batches"), (_object, state) =>
        Effect.runPromise(
          Effect.flatMap(
            SqliteEventStore.make(DurableObjectSqlite.make(state.storage), { sliceMillis: 0 }),
            (store) => checkLargeBatches(store, "large"),
          ),
        ),
      ),
    ),
  )
})
