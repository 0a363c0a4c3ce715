// The Node server end to end: `node src/node.ts` as a child process on a free port, a fresh
// SQLite file, two accounts in different calendars, and every query answering `partial`
// (sync budget 0) so each answer comes through the polling path. Answers are compared with
// core's reference aggregator over the same events.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import type * as Extensions from "@trendline/core/Extensions"
import * as Uploads from "@trendline/core/testing/Uploads"
import { afterAll, beforeAll } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

interface TestAccount {
  readonly id: string
  readonly passcode: string
  readonly timezone: string
  readonly weekStart: "monday" | "sunday"
}

const acme: TestAccount = {
  id: "acme",
  passcode: "acme-passcode",
  timezone: "Asia/Kolkata",
  weekStart: "monday",
}
const globex: TestAccount = {
  id: "globex",
  passcode: "globex-passcode",
  timezone: "America/New_York",
  weekStart: "sunday",
}
const settingsOf = (account: TestAccount): Account.Settings =>
  Account.make(account.id, { timeZone: account.timezone, weekStart: account.weekStart })

type EventRecord = Uploads.EventRecord

// From a day before January 2025 to half a day after February: some events fall outside
// the queried range in one zone and inside it in another.
const generate = (seed: number, count: number, names: ReadonlyArray<string>): Array<EventRecord> =>
  Uploads.eventRecords({
    seed,
    count,
    names,
    profiles: ["alice", "bob", "carol", "dave", "erin", "frank", "grace"],
    from: Date.UTC(2024, 11, 31) / 1000,
    to: Date.UTC(2025, 2, 1, 12) / 1000,
  })

const acmeEvents = generate(1, 360, ["Charged", "App Opened"])
const globexEvents = generate(2, 120, ["Charged"])

const range = { from: 20250101, to: 20250228 }
const groups = {
  days: { trend_type: "daily" },
  weeks: { trend_type: "weekly" },
  months: { trend_type: "monthly" },
  quarters: { trend_type: "quarterly" },
  years: { trend_type: "yearly" },
} as const
const measures = {
  count: {},
  unique: { unique: true },
  sum_event_prop: { sum_event_prop: "Amount" },
} as const

const expectedTrends = (account: TestAccount, events: ReadonlyArray<EventRecord>, body: unknown) =>
  Uploads.expectedTrends(settingsOf(account), events, body)

const expectedCount = (account: TestAccount, events: ReadonlyArray<EventRecord>, body: unknown) =>
  Uploads.expectedCount(settingsOf(account), events, body)
const expectedProfileCount = (
  account: TestAccount,
  events: ReadonlyArray<EventRecord>,
  body: unknown,
) => Uploads.expectedProfileCount(settingsOf(account), events, body)

// ---------------------------------------------------------------------------------------
// The server

type Server = ServerProcess.ServerProcess

const start = (database: string): Promise<Server> =>
  ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: JSON.stringify([acme, globex]),
    TRENDLINE_SYNC_BUDGET_MS: "0",
  })

const headersOf = (account: TestAccount) => ({
  "X-CleverTap-Account-Id": account.id,
  "X-CleverTap-Passcode": account.passcode,
  "Content-Type": "application/json",
})

const folder = mkdtempSync(join(tmpdir(), "trendline-e2e-"))
let server: Server | undefined
let requests = 0

const call = async (
  account: TestAccount,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> => {
  requests++
  const response = await fetch(`${server!.url}${path}`, {
    method,
    headers: headersOf(account),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

// The server runs the query as soon as it answers `partial`: a poll right away nearly
// always finds it done. On a busy machine it may take longer: polls every 20 ms, as a
// client would, for up to a minute (far beyond any of these small queries).
const pollEveryMs = 20
const pollForMs = 60_000

/** POSTs a read, expects `partial`, and polls its req_id until the answer is final. */
const query = async (
  account: TestAccount,
  path:
    | "/1/counts/trends.json"
    | "/1/counts/events.json"
    | "/1/counts/profiles.json"
    | "/1/counts/top.json",
  body: unknown,
): Promise<Record<string, unknown>> => {
  const first = await call(account, "POST", path, body)
  assert.strictEqual(first.status, 200, JSON.stringify(first.body))
  assert.strictEqual(first.body.status, "partial", "sync budget 0: every read answers partial")
  const reqId = first.body.req_id
  assert.isTrue(Number.isSafeInteger(reqId), `req_id ${String(reqId)}`)
  const deadline = Date.now() + pollForMs
  for (;;) {
    const answer = await call(account, "GET", `${path}?req_id=${reqId}`)
    assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
    if (answer.body.status !== "partial") return answer.body
    if (Date.now() > deadline)
      throw new Error(`req_id ${reqId} still partial after ${pollForMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, pollEveryMs))
  }
}

const upload = async (account: TestAccount, events: ReadonlyArray<EventRecord>) => {
  const batch = 100
  for (let i = 0; i < events.length; i += batch) {
    const records = events.slice(i, i + batch)
    const answer = await call(account, "POST", "/1/upload", { d: records })
    assert.strictEqual(answer.status, 200)
    assert.deepStrictEqual(answer.body, {
      status: "success",
      processed: records.length,
      unprocessed: [],
    })
  }
}

beforeAll(async () => {
  server = await start(join(folder, "trendline.db"))
})

afterAll(() => {
  // Normally the last test has stopped it; after a failure, this does.
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null)
    server.child.kill("SIGKILL")
  rmSync(folder, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------
// The tests run in order, on one server.

describe("the Node server, end to end", () => {
  it("takes uploads of generated events in batches, for two accounts", async () => {
    await upload(acme, acmeEvents)
    await upload(globex, globexEvents)
  })

  for (const [account, events] of [
    [acme, acmeEvents],
    [globex, globexEvents],
  ] as const) {
    for (const [measure, fields] of Object.entries(measures)) {
      it(`answers ${account.id}'s ${measure} trends, daily to yearly, as the reference aggregator after polling`, async () => {
        const body = { event_name: "Charged", ...range, groups, ...fields }
        const answer = await query(account, "/1/counts/trends.json", body)
        assert.deepStrictEqual(answer, expectedTrends(account, events, body))
      })
    }

    it(`answers ${account.id}'s totals and bucket metadata under "trendline", after polling`, async () => {
      for (const fields of Object.values(measures)) {
        const plain = { event_name: "Charged", ...range, groups, ...fields }
        const body = { ...plain, totals: true, bucket_meta: true, compare: "previous_period" }
        // 59 days (2025-01-01..02-28) before: 2024-11-03..2024-12-31.
        const earlier = expectedTrends(account, events, { ...plain, from: 20241103, to: 20241231 })
        const answer = await query(account, "/1/counts/trends.json", body)
        const { trendline, ...rest } = answer
        // The groups as without extensions; the extensions last.
        assert.deepStrictEqual(rest, expectedTrends(account, events, plain))
        assert.strictEqual(Object.keys(answer).at(-1), "trendline")
        const extras = trendline as Extensions.Extras
        const totals = Uploads.expectedTotals(settingsOf(account), events, body)
        for (const [name, group] of Object.entries(extras.groups)) {
          assert.strictEqual(group.total, totals[name], `${name} ${JSON.stringify(fields)}`)
          // Every bucket, each over by now (the range is in 2025).
          assert.deepStrictEqual(
            Object.keys(group.buckets ?? {}),
            Object.keys(rest[name] as Record<string, number>),
          )
          assert.isTrue(Object.values(group.buckets ?? {}).every((meta) => meta.complete))
          // Each bucket beside the earlier period's bucket at its position.
          const compared = group.compare!
          assert.deepStrictEqual([compared.from, compared.to], [20241103, 20241231])
          const before = Object.entries(earlier[name] as Record<string, number>)
          Object.entries(rest[name] as Record<string, number>).forEach(([key, value], b) => {
            const counterpart = before[b]
            assert.deepStrictEqual(
              [compared.buckets[key]?.previous_key, compared.buckets[key]?.previous],
              counterpart === undefined ? [null, null] : counterpart,
            )
            if (counterpart !== undefined)
              assert.strictEqual(compared.buckets[key]?.change, value - counterpart[1])
          })
        }
        // January 1st's first second in the account's zone, with its offset.
        const zone = settingsOf(account).timeZone
        assert.strictEqual(
          extras.groups.days?.buckets?.["20250101"]?.first,
          Calendar.formatInstant(
            Calendar.startOfDay(Calendar.unsafeMakeDay(2025, 1, 1), zone),
            zone,
          ),
        )
      }
    })

    it(`breaks ${account.id}'s trends down by a property's top values, adding up to each group`, async () => {
      for (const fields of [measures.count, measures.sum_event_prop]) {
        const plain = { event_name: "Charged", ...range, groups: { days: groups.days }, ...fields }
        const spec = { property_type: "event_properties", name: "Amount", top_n: 3 } as const
        const body = { ...plain, groups: { days: { ...groups.days, breakdown: spec } } }
        const answer = await query(account, "/1/counts/trends.json", body)
        const breakdown = (answer.trendline as Extensions.Extras).groups.days!.breakdown!
        // The top values as top.json ranks them, each series as the reference counts the
        // events with that value.
        const top = Uploads.expectedTop(settingsOf(account), events, {
          event_name: "Charged",
          ...range,
          groups: { days: spec },
        }).days as ReadonlyArray<{ value: number }>
        assert.deepStrictEqual(
          breakdown.series.map((each) => each.value),
          top.map((entry) => entry.value),
        )
        for (const each of breakdown.series) {
          const only = events.filter((record) => record.evtData.Amount === each.value)
          assert.deepStrictEqual(each.buckets, expectedTrends(account, only, plain).days)
        }
        const days = answer.days as Record<string, number>
        for (const [key, value] of Object.entries(days))
          assert.strictEqual(
            breakdown.series.reduce((sum, each) => sum + (each.buckets[key] ?? 0), 0) +
              (breakdown.other?.buckets[key] ?? Number.NaN),
            value,
          )
      }
    })

    it(`answers ${account.id}'s event count as the reference aggregator`, async () => {
      const body = { event_name: "Charged", ...range }
      const expected = expectedCount(account, events, body)
      assert.isAbove(expected, 0)
      assert.deepStrictEqual(await query(account, "/1/counts/events.json", body), {
        status: "success",
        count: expected,
      })
    })

    it(`answers ${account.id}'s profile count as the reference aggregator`, async () => {
      const body = { event_name: "Charged", ...range }
      const expected = expectedProfileCount(account, events, body)
      assert.isAbove(expected, 0)
      assert.isBelow(expected, expectedCount(account, events, body))
      assert.deepStrictEqual(await query(account, "/1/counts/profiles.json", body), {
        status: "success",
        count: expected,
      })
    })
  }

  it("answers filtered trends and counts as the reference aggregator", async () => {
    // Profile records of some of acme's profiles: their fields as they are now count.
    const profiles = [
      ["alice", "pro"],
      ["bob", "free"],
      ["carol", "team"],
      ["alice", "team"],
    ].map(([identity, plan], i) => ({
      type: "profile",
      identity,
      ts: Date.UTC(2025, 0, 1 + i) / 1000,
      profileData: { Plan: plan, Beta: i % 2 === 0 },
    }))
    const answer = await call(acme, "POST", "/1/upload", { d: profiles })
    assert.deepStrictEqual(answer.body, { status: "success", processed: 4, unprocessed: [] })
    const records = [...acmeEvents, ...profiles]
    const filters = [
      { event_properties: [{ name: "Amount", operator: "greater_than", value: 50 }] },
      {
        common_profile_properties: [{ name: "Plan", operator: "equals", value: ["team", "free"] }],
      },
      {
        event_properties: [{ name: "Amount", operator: "less_than_equals", value: 30 }],
        common_profile_properties: [{ name: "Beta", operator: "equals", value: "True" }],
      },
      { common_profile_properties: [{ name: "Plan", operator: "does_not_exist" }] },
    ]
    for (const filter of filters) {
      for (const fields of Object.values(measures)) {
        const body = { event_name: "Charged", ...range, groups, ...fields, ...filter }
        assert.deepStrictEqual(
          await query(acme, "/1/counts/trends.json", body),
          Uploads.expectedTrends(settingsOf(acme), records, body),
          JSON.stringify(body),
        )
      }
      const count = { event_name: "Charged", ...range, ...filter }
      assert.deepStrictEqual(await query(acme, "/1/counts/events.json", count), {
        status: "success",
        count: Uploads.expectedCount(settingsOf(acme), records, count),
      })
    }
    // The top values of an event property and of a profile field, filtered or not.
    for (const filter of [{}, ...filters]) {
      const body = {
        event_name: "Charged",
        ...range,
        ...filter,
        groups: {
          amounts: { property_type: "event_properties", name: "Amount", top_n: 5 },
          fewest: { property_type: "event_properties", name: "Amount", order: "asc", top_n: 3 },
          plans: { property_type: "profile_fields", name: "Plan" },
        },
      }
      assert.deepStrictEqual(
        await query(acme, "/1/counts/top.json", body),
        Uploads.expectedTop(settingsOf(acme), records, body),
        JSON.stringify(body),
      )
    }
    const bad = await call(acme, "POST", "/1/counts/trends.json", {
      event_name: "Charged",
      ...range,
      groups,
      event_properties: [{ name: "Amount", operator: "contains", value: 5 }],
    })
    assert.strictEqual(bad.status, 400)
    assert.strictEqual(
      bad.body.error,
      'event_properties[0].value: "contains" looks for text; the value is the number 5: send it as text ("5") or use "equals"',
    )
  })

  it("keeps accounts apart: globex sees none of acme's events or queries", async () => {
    const body = { event_name: "App Opened", ...range }
    assert.deepStrictEqual(await query(globex, "/1/counts/events.json", body), {
      status: "success",
      count: 0,
    })
    const { status, ...trends } = await query(globex, "/1/counts/trends.json", {
      ...body,
      groups,
    })
    assert.strictEqual(status, "success")
    for (const buckets of Object.values(trends) as Array<Record<string, number>>) {
      assert.isTrue(Object.values(buckets).every((value) => value === 0))
    }
    // acme's own answer is not zero, and its req_id means nothing to globex.
    const pending = await call(acme, "POST", "/1/counts/events.json", body)
    assert.strictEqual(pending.body.status, "partial")
    const stolen = await call(globex, "GET", `/1/counts/events.json?req_id=${pending.body.req_id}`)
    assert.strictEqual(stolen.status, 404)
    assert.strictEqual(stolen.body.status, "fail")
  })

  it("stops cleanly on SIGTERM, having logged one JSON line per request", async () => {
    const running = server!
    running.child.kill("SIGTERM")
    assert.deepStrictEqual(await running.exited, { code: 0, signal: null })
    const logs = running.lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.strictEqual(logs.length, requests, "one line per request")
    for (const log of logs) {
      assert.oneOf(log.method, ["GET", "POST"])
      assert.match(String(log.path), /^\/1\/(upload|counts\/(trends|events|profiles|top)\.json)$/)
      assert.isTrue(Number.isInteger(log.status), JSON.stringify(log))
      assert.isTrue(typeof log.durationMs === "number" && log.durationMs >= 0, JSON.stringify(log))
    }
    assert.isTrue(logs.some((log) => log.path === "/1/upload" && log.status === 200))
    assert.isTrue(logs.some((log) => log.status === 404))
  })
})
