// The client (`@trendline/client`) end to end against the real Node server
// (`apps/worker/src/node.ts`) as a child process: a fresh SQLite file, one account, and
// every read answering `partial` (sync budget 0) so each answer comes through the client's
// polling. Answers are compared with core's reference aggregator over the same events.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { type Client, createClient } from "@trendline/client"
import * as Account from "@trendline/core/Account"
import * as ApiError from "@trendline/core/ApiError"
import * as Calendar from "@trendline/core/Calendar"
import * as Limits from "@trendline/core/Limits"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as ServerProcess from "@trendline/worker/testing/ServerProcess"
import * as Schedule from "effect/Schedule"
import { afterAll, beforeAll } from "vitest"

const account = {
  id: "acme",
  passcode: "acme-passcode",
  timezone: "Asia/Kolkata",
  weekStart: "sunday",
} as const
const settings = Account.make(account.id, {
  timeZone: account.timezone,
  weekStart: account.weekStart,
})

// From a day before January 2025 to half a day after February, so the range edges matter.
const firstTs = Date.UTC(2024, 11, 31) / 1000
const events = Uploads.eventRecords({
  seed: 7,
  count: 1500,
  names: ["Charged", "Charged", "App Opened"],
  profiles: ["alice", "bob", "carol", "dave", "erin"],
  from: firstTs,
  to: Date.UTC(2025, 2, 1, 12) / 1000,
})
// One record without identity, in the second batch: the server refuses it alone (523).
const refusedAt = 1200
const records: ReadonlyArray<unknown> = [
  ...events.slice(0, refusedAt),
  { type: "event", ts: firstTs, evtName: "Charged", evtData: {} },
  ...events.slice(refusedAt),
]

const range = { from: 20250101, to: 20250228 }
const groups = {
  days: { trend_type: "daily" },
  weeks: { trend_type: "weekly" },
  months: { trend_type: "monthly" },
} as const

// ---------------------------------------------------------------------------------------
// The server

type Server = ServerProcess.ServerProcess

const start = (database: string): Promise<Server> =>
  ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: JSON.stringify([account]),
    TRENDLINE_SYNC_BUDGET_MS: "0",
  })

const folder = mkdtempSync(join(tmpdir(), "trendline-client-e2e-"))
let server: Server | undefined
let client: Client

beforeAll(async () => {
  server = await start(join(folder, "trendline.db"))
  client = createClient({
    baseUrl: server.url,
    accountId: account.id,
    passcode: account.passcode,
    weekStart: account.weekStart,
    pollSchedule: Schedule.spaced("20 millis"),
    // Looser than the server's, so a request the server refuses gets to it.
    limits: Limits.make({ maxGroups: 10 }),
  })
})

afterAll(async () => {
  await client?.close()
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill("SIGTERM")
    await server.exited
  }
  rmSync(folder, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------
// The tests run in order, on one server.

describe("the client against the Node server", () => {
  it("uploads the events in batches; the refused record keeps its index", async () => {
    const result = await client.upload(records)
    assert.strictEqual(result.processed, events.length)
    assert.deepStrictEqual(
      result.unprocessed.map((entry) => [entry.index, entry.code]),
      [[refusedAt, 523]],
    )
  })

  for (const [measure, fields] of [
    ["count", {}],
    ["unique", { unique: true }],
    ["sum_event_prop", { sum_event_prop: "Amount" }],
  ] as const) {
    it(`answers ${measure} trends by day, week and month as the reference aggregator`, async () => {
      const body = { event_name: "Charged", ...range, groups, ...fields }
      const states: Array<string> = []
      const answer = await client.trends(body, {
        onProgress: (state) => states.push(state._tag),
      })
      assert.include(states, "Pending", "sync budget 0: the answer came through polling")
      const { status, ...expected } = Uploads.expectedTrends(settings, records, body)
      assert.deepStrictEqual<unknown>(answer.body, { status, ...expected })
      for (const [name, buckets] of Object.entries(
        expected as Record<string, Record<string, number>>,
      )) {
        const group = answer.groups[name as keyof typeof groups]
        assert.deepStrictEqual(
          group.buckets.map((bucket) => [bucket.key, bucket.value]),
          Object.entries(buckets),
          `${name}: the client dates the server's buckets in the account's calendar`,
        )
        const values = Object.values(buckets)
        assert.strictEqual(
          group.total,
          values.reduce((sum, value) => sum + value, 0),
        )
        assert.strictEqual(group.max, Math.max(...values))
      }
    })
  }

  it("answers hourly groups and rolling windows as the reference aggregator", async () => {
    // February in Kolkata: 28 days of 24 hours; a week of distinct profiles ending each day.
    const body = {
      event_name: "Charged",
      from: 20250201,
      to: 20250228,
      unique: true,
      groups: { hours: { trend_type: "hourly" }, days: { trend_type: "daily", rolling: 7 } },
    } as const
    const answer = await client.trends(body)
    const { status, ...expected } = Uploads.expectedTrends(settings, records, body)
    const { trendline, ...plain } = answer.body as Record<string, unknown>
    assert.deepStrictEqual<unknown>(plain, { status, ...expected })
    assert.strictEqual(Object.keys(answer.groups.hours.buckets).length, 28 * 24)
    assert.strictEqual(answer.groups.hours.buckets[0]?.key, "2025020100")
    const week = (day: number) => ({
      event_name: "Charged",
      from: Calendar.toDateInt(day - 6),
      to: Calendar.toDateInt(day),
    })
    const first = Calendar.unsafeMakeDay(2025, 2, 1)
    assert.deepStrictEqual(answer.extras?.groups.days?.rolling, {
      days: 7,
      buckets: Object.fromEntries(
        Array.from({ length: 28 }, (_, i) => [
          Calendar.formatDateKey(first + i),
          Uploads.expectedProfileCount(settings, records, week(first + i)),
        ]),
      ),
    })
    assert.deepStrictEqual(trendline, answer.extras)
  })

  it("counts events as the reference aggregator", async () => {
    const body = { event_name: "Charged", ...range }
    const expected = Uploads.expectedCount(settings, records, body)
    assert.isAbove(expected, 0)
    assert.strictEqual(await client.eventCount(body), expected)
  })

  it("counts distinct profiles as the reference aggregator", async () => {
    const body = { event_name: "Charged", ...range }
    const expected = Uploads.expectedProfileCount(settings, records, body)
    assert.isAbove(expected, 0)
    assert.isBelow(expected, Uploads.expectedCount(settings, records, body))
    assert.strictEqual(await client.profileCount(body), expected)
  })

  it("rejects a request the server refuses with an InvalidRequest Error", async () => {
    const tooMany = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`g${i}`, { trend_type: "daily" as const }]),
    )
    const error: unknown = await client
      .trends({ event_name: "Charged", ...range, groups: tooMany })
      .then(
        () => assert.fail("expected a rejection"),
        (error: unknown) => error,
      )
    assert.instanceOf(error, Error)
    assert.instanceOf(error, ApiError.InvalidRequest)
    assert.strictEqual(error._tag, "InvalidRequest")
    assert.match(error.message, /^groups: has 6 groups but at most 5/)
  })
})
