/**
 * Current ClickHouse in the benchmark: chdb 3.4 (ClickHouse 26.7 embedded in this process)
 * as a second server for the ClickHouse engines, next to Debian's 18.16:
 *
 * - `chdb`: Trendline's store, through `fromClient` with `@clickhouse/client` over chdb's
 *   own connection (no HTTP): the same store and the same SQL as `clickhouse`.
 * - `chdb-sql`: the same hand-written SQL as `clickhouse-sql`, through a chdb session.
 *
 * chdb holds one data folder per process: it is opened on first use, for the whole run,
 * and removed by `close`.
 *
 * @since 0.1.0
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@clickhouse/client"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { Session } from "chdb"
import { createChdbConnection } from "chdb/connection"
import chdbPackage from "chdb/package.json" with { type: "json" }
import * as Effect from "effect/Effect"
import * as ClickHouseEngine from "./ClickHouseEngine.ts"

// chdb builds its connection on its own copy of @clickhouse/client-common (1.23.0), whose
// types TypeScript tells apart from the same ones inside @clickhouse/client 1.23.1.
type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>

interface Opened {
  readonly folder: string
  readonly session: Session
  readonly client: ReturnType<typeof createClient>
}

let opened: Opened | undefined

const open = (): Opened => {
  if (opened === undefined) {
    const folder = mkdtempSync(join(tmpdir(), "trendline-bench-chdb-"))
    opened = {
      folder,
      session: new Session(folder),
      client: createClient({
        connection: createChdbConnection({ path: folder }) as unknown as Connection,
      }),
    }
  }
  return opened
}

/**
 * The caches of current ClickHouse that remember something of a query's data between
 * queries (the query condition cache is on by default since 25.3). Not the compiled
 * expression cache: that is code, which every engine's cold call finds compiled.
 */
export const cachesOfCurrent: ReadonlyArray<string> = [
  "MARK",
  "UNCOMPRESSED",
  "PRIMARY INDEX",
  "QUERY CONDITION",
  "QUERY",
  "MMAP",
  "PAGE",
  "INDEX MARK",
  "INDEX UNCOMPRESSED",
]

/** chdb as a server of the ClickHouse engines. */
export const server = (): ClickHouseEngine.Server => {
  const { session, client } = open()
  const execute = async (sql: string, body?: string) =>
    (
      await session.queryAsync(body === undefined ? sql : `${sql}\n${body}`, {
        format: "TabSeparated",
      })
    ).text()
  return {
    version: async () =>
      `ClickHouse ${(await execute("SELECT version()")).trim()} (chdb ${chdbPackage.version}, in this process)`,
    storeVia: "Trendline's store over @clickhouse/client with chdb's connection",
    sqlVia: "hand-written SQL through a chdb session (TabSeparated answers)",
    execute,
    openStore: (database, options) =>
      Effect.runPromise(ClickHouseEventStore.fromClient(client, { database }, options)),
    caches: cachesOfCurrent,
  }
}

/** The `chdb` and `chdb-sql` engines. */
export const make = (): ClickHouseEngine.Engines =>
  ClickHouseEngine.on(server(), { store: "chdb", sql: "chdb-sql" })

/** Closes chdb and removes its folder, when it was opened. */
export const close = async (): Promise<void> => {
  if (opened === undefined) return
  const { folder, session, client } = opened
  opened = undefined
  await client.close()
  session.close()
  rmSync(folder, { recursive: true, force: true })
}
