// The test run's ClickHouse server (see ../clickhouseServer.ts) and databases of its own
// for each test, dropped when the file's tests are done.
import { createClient } from "@clickhouse/client-web"
import { identifier } from "@trendline/store-clickhouse/ClickHouseSql"
import { afterAll, inject } from "vitest"

export const url = inject("clickhouseUrl")

/** A client for looking behind the store's back. */
export const admin = createClient({ url })

/** Rows of a query, as JSON objects. */
export const select = async <A = Record<string, unknown>>(query: string): Promise<Array<A>> =>
  (await admin.query({ query, format: "JSONEachRow" })).json<A>()

/** The server's version, e.g. `18.16.1`. */
export const serverVersion = async (): Promise<string> =>
  (await select<{ v: string }>("SELECT version() AS v"))[0]!.v

const created: Array<string> = []
let databases = 0

/** A database name no other test uses; it is dropped after the file's tests. */
export const freshDatabase = (purpose: string): string => {
  const name = `trendline_test_${purpose}_${process.pid}_${Date.now().toString(36)}_${++databases}`
  created.push(name)
  return name
}

afterAll(async () => {
  for (const name of created) {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${identifier(name)}` })
  }
  await admin.close()
})
