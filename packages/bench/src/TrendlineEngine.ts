/**
 * Trendline's event stores behind the benchmark's engine interface: the SQLite store
 * (`@trendline/store-sqlite`, the one being measured) and core's in-memory reference store
 * (for smoke runs at tiny sizes: it copies its whole event list on every append).
 *
 * Events go in through the port's `append`, 1000 to a batch, as an upload would send them;
 * shapes are answered by the port's `query` with the plan core builds for a trends request,
 * top values shapes by the port's `top` with the plan core builds for a top counts request,
 * requests with Trendline's extensions by core's API over the store.
 *
 * @since 0.1.0
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import { type Engine, timedLoad } from "./Engine.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"

/**
 * Any store of the event store port as an engine: `store` gives the store calls go to (a
 * reopened engine swaps it); `release` runs on `close`.
 */
export const fromEventStore = (
  name: string,
  version: string,
  store: () => EventStore.Service,
  release: () => Promise<void> = async () => undefined,
): Engine => ({
  name,
  version,
  loadPath: "append, batches of 1000",
  load: (batches) =>
    timedLoad(batches, async (batch) => {
      const { refused } = await Effect.runPromise(
        store().append(Shape.account, { events: batch, profiles: [] }),
      )
      if (refused.length > 0) {
        throw new Error(`${name} refused ${refused.length} events of a batch: over a limit?`)
      }
    }),
  run: async (shape) => {
    const result = await Effect.runPromise(store().query(Shape.account, Shape.plan(shape)))
    return result[Shape.group]!
  },
  runTrends: (request) =>
    Effect.runPromise(store().query(Shape.account, QueryPlan.fromTrends(request, Shape.account))),
  runTop: async (shape) => {
    const result = await Effect.runPromise(store().top(Shape.account, TopShape.plan(shape)))
    return result[TopShape.group]!
  },
  runExtended: async (body) => {
    // Core's API over the store, as the server's, with a budget no answer outlasts (never
    // `partial`).
    const answer = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(
          AccountApi.make(Shape.account, { ...AccountApi.defaultOptions, syncBudget: "1 hour" }),
          (api) => WireAnswer.ofApi(api).trends(body),
        ),
      ).pipe(Effect.provideService(EventStore.EventStore, store())),
    )
    if (answer.status !== 200) {
      throw new Error(`${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    }
    return answer.body
  },
  close: release,
})

/** Core's in-memory reference store. */
export const memory = async (): Promise<Engine> => {
  const store = await Effect.runPromise(EventStore.makeMemory())
  return fromEventStore("memory", "core's reference store", () => store)
}

/** Where the SQLite store keeps its database: a file in a temporary folder, or memory. */
export interface SqliteOptions {
  readonly storage: "file" | "memory"
}

/**
 * Trendline's SQLite store over `node:sqlite`, in a fresh database. On a file it is timed
 * cold too: before each cold call the connection is closed and a new one opened, with a
 * new store over it (empty page cache, no decoded day sets, no remembered counts).
 */
export const sqlite = async (options: SqliteOptions): Promise<Engine> => {
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-sqlite-"))
  const filename = options.storage === "file" ? join(folder, "events.db") : ":memory:"
  let connection = NodeSqlite.open({ filename })
  let store = await Effect.runPromise(SqliteEventStore.make(connection.driver))
  const sqliteVersion = connection.driver.all("SELECT sqlite_version() AS v")[0]?.v
  const engine = fromEventStore(
    "sqlite",
    `SQLite ${sqliteVersion} (node:sqlite), ${options.storage === "file" ? "file, WAL" : "in memory"}`,
    () => store,
    async () => {
      connection.close()
      await rm(folder, { recursive: true, force: true })
    },
  )
  if (options.storage !== "file") return engine
  return {
    ...engine,
    cold: {
      means:
        "a new connection and a new store on the same file before each call (empty SQLite page cache, no decoded day sets, no remembered distinct counts)",
      reopen: async () => {
        connection.close()
        connection = NodeSqlite.open({ filename })
        store = await Effect.runPromise(SqliteEventStore.make(connection.driver))
      },
    },
  }
}
