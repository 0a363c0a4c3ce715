// The store on current ClickHouse. Debian's server (the rest of this suite) is 18.16, from
// 2018; the store writes SQL that both read alike, and here core's contract checks that
// claim on chdb: current ClickHouse embedded in this process, reached by
// `@clickhouse/client` through chdb's own connection instead of HTTP. Same store, same SQL.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient } from "@clickhouse/client"
import { assert, describe, it } from "@effect/vitest"
import * as EventStore from "@trendline/core/EventStore"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import { createChdbConnection } from "chdb/connection"
import * as Layer from "effect/Layer"
import { afterAll } from "vitest"
import { bucketStartsContract } from "./support/BucketStarts.ts"

const folder = mkdtempSync(join(tmpdir(), "trendline-chdb-"))
// chdb builds its connection on its own copy of @clickhouse/client-common (1.23.0), whose
// types TypeScript tells apart from the same ones inside @clickhouse/client 1.23.1.
type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>
const client = createClient({
  connection: createChdbConnection({ path: folder }) as unknown as Connection,
})
afterAll(async () => {
  await client.close()
  rmSync(folder, { recursive: true, force: true })
})

const version = (
  (await (
    await client.query({ query: "SELECT version() AS v", format: "JSONEachRow" })
  ).json()) as Array<{ v: string }>
)[0]!.v

describe("current ClickHouse", () => {
  it("is a current release, not 18.16", () => {
    assert.isAtLeast(Number(version.split(".")[0]), 25, version)
  })
})

eventStoreContract(
  `clickhouse ${version} (chdb)`,
  Layer.effect(
    EventStore.EventStore,
    ClickHouseEventStore.fromClient(client, { database: "contract" }),
  ),
)

bucketStartsContract(
  `clickhouse ${version} (chdb)`,
  ClickHouseEventStore.fromClient(client, { database: "starts" }),
)
