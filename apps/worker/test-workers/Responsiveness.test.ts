// An account's object stays responsive while it works long: a query over a year of distinct
// profiles, or the rebuild of its rollups in a new time zone, runs in slices, and the object
// serves other calls between them. The work is long because of the data (a year of days,
// 700 to 1000 visitors each, stored through the object's own upload method); nothing waits
// on purpose. The store's clock stands still while code runs, as it does once deployed
// (`deployedClock`). Assertions are about what each call answered, never about durations.
import { evictDurableObject, runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as Uploads from "@trendline/core/testing/Uploads"
import type * as WireAnswer from "@trendline/core/WireAnswer"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { afterEach, beforeEach, vi } from "vitest"
import type * as DurableBackend from "../src/DurableBackend.ts"
import { configOf, hostIn, type Stub } from "./fixtures.ts"

/**
 * Deployed, `performance.now()` (the clock the store slices its work by) does not move
 * while code runs, only between events; workerd in tests lets it run. Held still, it shows
 * that the object's slices do not depend on it.
 */
const deployedClock = () => {
  const now = performance.now()
  vi.spyOn(performance, "now").mockReturnValue(now)
}

beforeEach(deployedClock)
afterEach(() => {
  vi.restoreAllMocks()
})

// A sync budget small enough for the year's query to outlast, and far from zero.
const smallBudget = 20

/**
 * The object behind `stub` serving `account` with a sync budget of `syncBudget`, its slices
 * a tenth of a millisecond of estimated work: the year's query here pauses about fifty
 * times (each pause a timer turn), as a query over years of a large account does in slices
 * of the deployed size.
 */
const hostOf = (
  stub: Stub,
  account: Account.Settings,
  syncBudget = smallBudget,
  sliceMillis = 0.1,
  yieldNow?: Effect.Effect<void>,
) =>
  hostIn(stub, configOf([account], { ...AccountApi.defaultOptions, syncBudget }), {
    sliceMillis,
    yieldNow,
  })

/**
 * A wait between slices that the test can hold: the store's usual wait (a timer turn,
 * during which the object takes other calls), then, while `held`, until `release`. A query
 * held at a slice is surely under way while the calls the test makes meanwhile are served.
 */
const makeGate = () => {
  let opened: Deferred.Deferred<void> | undefined
  return {
    hold: () => {
      opened = Deferred.unsafeMake<void>(FiberId.none)
    },
    release: () => {
      if (opened !== undefined) Deferred.unsafeDone(opened, Exit.void)
      opened = undefined
    },
    yieldNow: Effect.zipRight(
      SqliteEventStore.macrotask,
      Effect.suspend(() => (opened === undefined ? Effect.void : Deferred.await(opened))),
    ),
  }
}

const dayStart = Date.UTC(2024, 0, 1) / 1000
const days = 366
const receivedAt = Math.floor(Date.UTC(2025, 0, 1) / 1000)

/**
 * A year (2024) of visits: 700 to 1000 visitors a day (fewer towards the weekend), each
 * day's drawn from a window of profiles that moves on by 300 a day, at times spread over
 * the day (so that a day cut in another zone holds other visits).
 */
const visits = (): Array<Uploads.EventRecord> =>
  Array.from({ length: days }, (_, day) => {
    const visitors = 1000 - (day % 7) * 50
    return Array.from(
      { length: visitors },
      (_, i): Uploads.EventRecord => ({
        type: "event",
        identity: `visitor-${(day * 300 + i) % 20_000}`,
        ts: dayStart + day * 86_400 + Math.floor((i * 86_400) / visitors),
        evtName: "Visit",
        evtData: { Amount: 1 + (i % 7) },
      }),
    )
  }).flat()

const yearOfVisitors = {
  event_name: "Visit",
  from: 20240101,
  to: 20241231,
  unique: true,
  groups: {
    days: { trend_type: "daily" },
    weeks: { trend_type: "weekly" },
    months: { trend_type: "monthly" },
  },
}

/** An object of its own holding the year of visits, stored in uploads of 1000. */
const loaded = async (
  name: string,
  syncBudget = smallBudget,
  sliceMillis?: number,
  yieldNow?: Effect.Effect<void>,
) => {
  const account = Account.make(name)
  const stub = env.ACCOUNTS.getByName(name)
  const host = hostOf(stub, account, syncBudget, sliceMillis, yieldNow)
  const records = visits()
  const answers: Array<WireAnswer.Json> = []
  for (let start = 0; start < records.length; start += 1000) {
    const d = records.slice(start, start + 1000)
    answers.push((await host.upload(account.id, { d }, receivedAt)).body)
  }
  for (const body of answers) assert.strictEqual(body.status, "success", JSON.stringify(body))
  assert.strictEqual(
    answers.reduce((sum, body) => sum + Number(body.processed), 0),
    records.length,
  )
  return { account, stub, host, records }
}

const reqIdOf = (answer: WireAnswer.WireAnswer) => {
  assert.strictEqual(answer.body.status, "partial", JSON.stringify(answer.body))
  return String(answer.body.req_id)
}

/** Polls a read until it is no longer `partial`, as a client does: every 10 ms, 1000 times at most. */
const settled = async (
  host: DurableBackend.AccountRpc,
  account: Account.Settings,
  endpoint: AccountApi.ReadEndpoint,
  first: WireAnswer.WireAnswer,
) => {
  let answer = first
  for (let polls = 0; answer.body.status === "partial" && polls < 1000; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    answer = await host.poll(account.id, endpoint, String(answer.body.req_id))
  }
  return answer
}

describe("AccountObject while it works long", () => {
  it("answers a year of distinct profiles `partial` within a small budget, then exactly", async () => {
    const { account, host, records } = await loaded("long-query")
    const first = await host.trends(account.id, yearOfVisitors)
    reqIdOf(first)
    const final = await settled(host, account, "trends", first)
    assert.deepStrictEqual(final, {
      status: 200,
      body: Uploads.expectedTrends(account, records, yearOfVisitors),
    })
  })

  it("serves a poll, an upload and another query between the slices of a long query", async () => {
    // A budget of 1 ms: the query answers `partial` after its first slice, and waits at
    // its next pause until the calls below are answered (the gate is held): they meet it
    // under way however busy the machine. (Left to the timers alone, a loaded run once saw
    // the query done before the last poll.)
    const gate = makeGate()
    const { account, host, records } = await loaded("busy-query", 1, 0.1, gate.yieldNow)
    gate.hold()
    const first = await host.trends(account.id, yearOfVisitors)
    const reqId = reqIdOf(first)

    const signups = Uploads.eventRecords({
      seed: 7,
      count: 50,
      names: ["Signup"],
      profiles: ["ann", "ben", "cid"],
      from: dayStart,
      to: dayStart + days * 86_400,
    })
    const visitsInMarch = { event_name: "Visit", from: 20240301, to: 20240331 }
    const [poll, upload, count] = await Promise.all([
      host.poll(account.id, "trends", reqId),
      host.upload(account.id, { d: signups }, receivedAt),
      host.eventCount(account.id, visitsInMarch),
    ])
    const after = await host.poll(account.id, "trends", reqId)
    // An object held by the query would have answered these only once it was done: the
    // polls would say `success`. They say `partial`, the last one after all the others;
    // the count, which needs no slice, answers at once, within even this budget.
    assert.deepStrictEqual(
      { poll: poll.body, upload: upload.body, count: count.body, after: after.body },
      {
        poll: { status: "partial", req_id: Number(reqId) },
        upload: { status: "success", processed: 50, unprocessed: [] },
        count: { status: "success", count: Uploads.expectedCount(account, records, visitsInMarch) },
        after: { status: "partial", req_id: Number(reqId) },
      },
    )

    gate.release()
    const final = await settled(host, account, "trends", after)
    assert.deepStrictEqual(final.body, Uploads.expectedTrends(account, records, yearOfVisitors))
    const signupCount = { event_name: "Signup", from: 20240101, to: 20241231 }
    const stored = await settled(
      host,
      account,
      "events",
      await host.eventCount(account.id, signupCount),
    )
    assert.deepStrictEqual(stored.body, {
      status: "success",
      count: Uploads.expectedCount(account, signups, signupCount),
    })
  })

  it("rebuilds its rollups in a new time zone in the background, serving calls meanwhile", async () => {
    const { account, stub, records } = await loaded("new-zone")
    // The next deployment's configuration: the account moved to India (UTC+05:30). A
    // deployment restarts the object.
    const moved = Account.make(account.id, { timeZone: "Asia/Kolkata" })
    await evictDurableObject(stub)
    const host = hostOf(stub, moved)
    const visitCount = { event_name: "Visit", from: 20240301, to: 20240331 }
    const late = Uploads.eventRecords({
      seed: 9,
      count: 20 * 25,
      names: ["Visit"],
      profiles: ["late-1", "late-2", "late-3", "late-4"],
      from: dayStart,
      to: dayStart + days * 86_400,
    })
    // The first query in the new zone starts the rebuild. Behind it come another query and
    // twenty uploads at once, more than the 15 the gate admits in flight: each upload runs
    // whole between two steps of the rebuild, so none is refused.
    const [first, countFirst, ...uploads] = await Promise.all([
      host.trends(moved.id, yearOfVisitors),
      host.eventCount(moved.id, visitCount),
      ...Array.from({ length: 20 }, (_, i) =>
        host.upload(moved.id, { d: late.slice(i * 25, (i + 1) * 25) }, receivedAt),
      ),
    ])
    const reqId = reqIdOf(first)
    reqIdOf(countFirst)
    const poll = await host.poll(moved.id, "trends", reqId)
    // The store's own record: the rebuild towards the new zone is still under way.
    const rebuilding = await runInDurableObject(stub, (_object, state) =>
      state.storage.sql.exec("SELECT rebuild_zone FROM accounts").toArray(),
    )
    assert.deepStrictEqual(
      {
        uploads: uploads.map((upload: WireAnswer.WireAnswer) => upload.body),
        poll: poll.body,
        rebuilding,
      },
      {
        uploads: uploads.map(() => ({ status: "success", processed: 25, unprocessed: [] })),
        poll: { status: "partial", req_id: Number(reqId) },
        rebuilding: [{ rebuild_zone: "Asia/Kolkata" }],
      },
    )

    // Queries in the new zone answer once the rollups are cut in it, the uploads included.
    const final = await settled(host, moved, "trends", poll)
    const countFinal = await settled(host, moved, "events", countFirst)
    const all = [...records, ...late]
    assert.deepStrictEqual(final.body, Uploads.expectedTrends(moved, all, yearOfVisitors))
    assert.notDeepEqual(final.body, Uploads.expectedTrends(account, all, yearOfVisitors))
    assert.deepStrictEqual(countFinal.body, {
      status: "success",
      count: Uploads.expectedCount(moved, all, visitCount),
    })
  })
})
