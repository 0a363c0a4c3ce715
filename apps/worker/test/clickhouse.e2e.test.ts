// The Node server on ClickHouse instead of SQLite: TRENDLINE_CLICKHOUSE_URL selects the
// store, on one server and on a cluster (TRENDLINE_CLICKHOUSE_CLUSTER: two shards with
// ZooKeeper). The servers are the store package's throwaway ones (Debian's
// clickhouse-server on free ports in temporary folders).
import * as Account from "@trendline/core/Account"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as ClickHouseCluster from "@trendline/store-clickhouse/testing/ClickHouseCluster"
import * as ClickHouseServer from "@trendline/store-clickhouse/testing/ClickHouseServer"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

const account = Account.make("acme", { timeZone: "Asia/Kolkata", weekStart: "sunday" })
const headers = {
  "X-CleverTap-Account-Id": "acme",
  "X-CleverTap-Passcode": "acme-passcode",
  "Content-Type": "application/json",
}
const records = Array.from({ length: 60 }, (_, i) => ({
  type: "event",
  identity: `user-${i % 7}`,
  ts: Date.UTC(2024, 11, 20) / 1000 + i * 21_600,
  evtName: "Charged",
  evtData: { Amount: i },
}))

const suite = (
  name: string,
  startClickHouse: () => Promise<{
    readonly url: string
    readonly cluster?: string
    readonly stop: () => Promise<void>
  }>,
) =>
  describe(name, () => {
    let stopClickHouse: (() => Promise<void>) | undefined
    let server: ServerProcess.ServerProcess | undefined
    let baseUrl = ""

    beforeAll(async () => {
      const clickhouse = await startClickHouse()
      stopClickHouse = clickhouse.stop
      server = await ServerProcess.start({
        TRENDLINE_CLICKHOUSE_URL: clickhouse.url,
        TRENDLINE_CLICKHOUSE_DATABASE: `trendline_e2e_${process.pid}`,
        ...(clickhouse.cluster === undefined
          ? {}
          : { TRENDLINE_CLICKHOUSE_CLUSTER: clickhouse.cluster }),
        TRENDLINE_ACCOUNTS: JSON.stringify([
          { id: "acme", passcode: "acme-passcode", timezone: "Asia/Kolkata", weekStart: "sunday" },
        ]),
      })
      baseUrl = server.url
    }, 90_000)

    afterAll(async () => {
      await server?.stop()
      await stopClickHouse?.()
    })

    it("stores uploads in ClickHouse and answers trends as the reference aggregator does", async () => {
      const upload = await fetch(`${baseUrl}/1/upload`, {
        method: "POST",
        headers,
        body: JSON.stringify({ d: records }),
      })
      assert.deepStrictEqual(await upload.json(), {
        status: "success",
        processed: 60,
        unprocessed: [],
      })
      for (const measure of [{}, { unique: true }, { sum_event_prop: "Amount" }]) {
        const body = {
          event_name: "Charged",
          from: 20241221,
          to: 20250103,
          groups: {
            d: { trend_type: "daily" },
            w: { trend_type: "weekly" },
            m: { trend_type: "monthly" },
          },
          ...measure,
        }
        const answer = (await (
          await fetch(`${baseUrl}/1/counts/trends.json`, {
            method: "POST",
            headers,
            body: JSON.stringify(body),
          })
        ).json()) as Record<string, unknown>
        assert.deepStrictEqual(
          answer,
          Uploads.expectedTrends(account, records, body),
          JSON.stringify(measure),
        )
      }
    })

    it("stores an upload sent twice with one Idempotency-Key once", async () => {
      const refunds = records.map((record) => ({ ...record, evtName: "Refunded" }))
      for (let attempt = 0; attempt < 2; attempt++) {
        const upload = await fetch(`${baseUrl}/1/upload`, {
          method: "POST",
          headers: { ...headers, "Idempotency-Key": "refunds-1" },
          body: JSON.stringify({ d: refunds }),
        })
        assert.strictEqual(upload.status, 200)
        assert.deepStrictEqual(await upload.json(), {
          status: "success",
          processed: 60,
          unprocessed: [],
        })
      }
      for (const measure of [{}, { unique: true }]) {
        const body = {
          event_name: "Refunded",
          from: 20241221,
          to: 20250103,
          groups: { w: { trend_type: "weekly" } },
          ...measure,
        }
        const answer = await fetch(`${baseUrl}/1/counts/trends.json`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        })
        assert.deepStrictEqual(
          await answer.json(),
          Uploads.expectedTrends(account, refunds, body),
          JSON.stringify(measure),
        )
      }
    })
  })

suite("the Node server on ClickHouse", ClickHouseServer.start)
suite("the Node server on a ClickHouse cluster of two shards", async () => {
  const cluster = await ClickHouseCluster.start({ shards: 2, replicas: 1 })
  return { url: cluster.url, cluster: cluster.name, stop: cluster.stop }
})
