// The Node server under concurrent load, end to end: the store works on threads of its own,
// so the serving thread keeps its promises while queries and uploads are really in flight.
// The slowness is real: acme's reads each hold a reader thread (TRENDLINE_TEST_SLOW_READS,
// as a heavy query would), and a connection of the test holds the database's write lock,
// as a long transaction of another process would.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as ApiError from "@trendline/core/ApiError"
import * as Uploads from "@trendline/core/testing/Uploads"
import { afterAll, beforeAll } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

const acme = { id: "acme", passcode: "acme-passcode", timezone: "Asia/Kolkata" }
const globex = { id: "globex", passcode: "globex-passcode", timezone: "UTC" }
type TestAccount = typeof acme

// Each of acme's reads holds a reader for this long; the budget is far shorter.
const slowReadMs = 1500
const budgetMs = 250

const events = (seed: number) =>
  Uploads.eventRecords({
    seed,
    count: 200,
    names: ["Charged"],
    profiles: ["alice", "bob", "carol", "dave"],
    from: Date.UTC(2025, 0, 1) / 1000,
    to: Date.UTC(2025, 1, 1) / 1000,
  })
const acmeEvents = events(1)
const globexEvents = events(2)
const trends = {
  event_name: "Charged",
  from: 20250101,
  to: 20250131,
  groups: { days: { trend_type: "daily" }, weeks: { trend_type: "weekly" } },
  unique: true,
}
const expected = (account: TestAccount, records: ReadonlyArray<Uploads.EventRecord>) =>
  Uploads.expectedTrends(Account.make(account.id, { timeZone: account.timezone }), records, trends)

const folder = mkdtempSync(join(tmpdir(), "trendline-load-"))
const database = join(folder, "trendline.db")
let server: ServerProcess.ServerProcess | undefined

beforeAll(async () => {
  server = await ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: JSON.stringify([acme, globex]),
    TRENDLINE_SYNC_BUDGET_MS: String(budgetMs),
    TRENDLINE_TEST_SLOW_READS: JSON.stringify({ acme: slowReadMs }),
  })
})

afterAll(async () => {
  await server?.stop()
  rmSync(folder, { recursive: true, force: true })
})

interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
}

const call = async (
  account: TestAccount | undefined,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<Answer> => {
  const response = await fetch(`${server!.url}${path}`, {
    method,
    headers:
      account === undefined
        ? {}
        : {
            "X-CleverTap-Account-Id": account.id,
            "X-CleverTap-Passcode": account.passcode,
            "Content-Type": "application/json",
          },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const upload = async (account: TestAccount, records: ReadonlyArray<Uploads.EventRecord>) => {
  const answer = await call(account, "POST", "/1/upload", { d: records })
  assert.deepStrictEqual(answer, {
    status: 200,
    body: { status: "success", processed: records.length, unprocessed: [] },
  })
}

// Polls as a client does, a bounded number of times, until the answer is final.
const settle = async (account: TestAccount, reqId: unknown): Promise<Answer> => {
  for (let poll = 0; poll < 200; poll++) {
    const answer = await call(account, "GET", `/1/counts/trends.json?req_id=${reqId}`)
    if (answer.body.status !== "partial") return answer
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`req_id ${reqId} still partial after 200 polls`)
}

describe("the Node server under concurrent load", () => {
  it("takes both accounts' events", async () => {
    await upload(acme, acmeEvents)
    await upload(globex, globexEvents)
  })

  it("answers a slow read partial within its budget, gates the fourth, and serves others meanwhile", async () => {
    const reads = await Promise.all(
      Array.from({ length: 4 }, () => call(acme, "POST", "/1/counts/trends.json", trends)),
    )
    const partial = reads.filter((read) => read.status === 200)
    const refused = reads.filter((read) => read.status === 429)
    assert.strictEqual(partial.length, 3, JSON.stringify(reads))
    for (const read of partial) assert.strictEqual(read.body.status, "partial")
    assert.deepStrictEqual(
      refused[0]?.body,
      ApiError.toFailBody(new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })),
    )

    // While acme's reads hold their threads, globex's read and /health answer at once.
    const other = await call(globex, "POST", "/1/counts/trends.json", trends)
    assert.deepStrictEqual(other, { status: 200, body: expected(globex, globexEvents) })
    assert.deepStrictEqual(await call(undefined, "GET", "/health"), {
      status: 200,
      body: { status: "ok" },
    })
    // ...and acme's reads were still running then: the last one is partial to this poll.
    const last = partial.at(-1)!.body.req_id
    const meanwhile = await call(acme, "GET", `/1/counts/trends.json?req_id=${last}`)
    assert.deepStrictEqual(meanwhile.body, { status: "partial", req_id: last })

    for (const read of partial) {
      assert.deepStrictEqual(await settle(acme, read.body.req_id), {
        status: 200,
        body: expected(acme, acmeEvents),
      })
    }
  })

  it("counts uploads in flight while the writer waits for the database, and stores every admitted one", async () => {
    // Another process's long transaction: the server's writer waits for the lock.
    const lock = new DatabaseSync(database)
    lock.exec("BEGIN IMMEDIATE")
    const batches = Array.from({ length: 16 }, (_, i) =>
      events(100 + i)
        .slice(0, 10)
        .map((record) => ({ ...record, identity: `batch-${i}` })),
    )
    const answers = batches.map((batch) => call(acme, "POST", "/1/upload", { d: batch }))
    try {
      // 15 uploads are in flight; the one more is refused, and answered first.
      const first = await Promise.race(answers.map((answer, i) => answer.then(() => i)))
      const refused = await answers[first]!
      assert.deepStrictEqual(refused, {
        status: 429,
        body: ApiError.toFailBody(
          new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }),
        ),
      })
      // Reads (WAL) and /health go on while every upload waits.
      assert.strictEqual((await call(undefined, "GET", "/health")).status, 200)
      const read = await call(globex, "POST", "/1/counts/trends.json", trends)
      assert.deepStrictEqual(read.body, expected(globex, globexEvents))
    } finally {
      lock.exec("COMMIT")
      lock.close()
    }
    const settled = await Promise.all(answers)
    const stored = batches.filter((_, i) => settled[i]!.status === 200)
    assert.strictEqual(stored.length, 15)
    for (const answer of settled.filter((a) => a.status === 200))
      assert.deepStrictEqual(answer.body, { status: "success", processed: 10, unprocessed: [] })
    // Every admitted upload is in the answers, none of the refused one.
    const read = await call(acme, "POST", "/1/counts/trends.json", trends)
    const final = read.body.status === "partial" ? await settle(acme, read.body.req_id) : read
    assert.deepStrictEqual(final.body, expected(acme, [...acmeEvents, ...stored.flat()]))
  })
})
