// The Node server on ClickHouse instead of SQLite: TRENDLINE_CLICKHOUSE_URL selects the
// store. The ClickHouse server is the store package's throwaway one (Debian's
// clickhouse-server on free ports in a temporary folder).
import * as Account from "@trendline/core/Account"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as ClickHouseServer from "@trendline/store-clickhouse/testing/ClickHouseServer"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

let stopClickHouse: (() => Promise<void>) | undefined
let server: ServerProcess.ServerProcess | undefined
let baseUrl = ""

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

beforeAll(async () => {
  const clickhouse = await ClickHouseServer.start()
  stopClickHouse = clickhouse.stop
  const url = clickhouse.url
  server = await ServerProcess.start({
    TRENDLINE_CLICKHOUSE_URL: url,
    TRENDLINE_CLICKHOUSE_DATABASE: `trendline_e2e_${process.pid}`,
    TRENDLINE_ACCOUNTS: JSON.stringify([
      { id: "acme", passcode: "acme-passcode", timezone: "Asia/Kolkata", weekStart: "sunday" },
    ]),
  })
  baseUrl = server.url
}, 60_000)

afterAll(async () => {
  await server?.stop()
  await stopClickHouse?.()
})

describe("the Node server on ClickHouse", () => {
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
})
