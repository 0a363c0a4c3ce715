// The worker under concurrent uploads inside workerd, as `test/concurrency.e2e.test.ts` loads
// the Node server: four accounts in four calendars take bodies of 1 to 1000 records at once,
// several in flight per account and across accounts, each under its own `Idempotency-Key`;
// some are sent twice at once, as a client whose first call seemed lost would. The records
// span 1970 to 2100, denser around 2024, and carry integer amounts near and past ±2^53.
// Then every account's trends and event counts over several ranges must be exactly the
// reference aggregator's over the records, each stored once.
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Uploads from "@trendline/core/testing/Uploads"
import { acme, globex, hooli, type TestAccount, umbrella } from "./accounts.ts"
import { type EventRecord, expectedCount, expectedTrends, type Reply, send } from "./fixtures.ts"

const trendsPath = "/1/counts/trends.json"
const eventsPath = "/1/counts/events.json"
const charged = "Concurrency Charged"
const viewed = "Concurrency Viewed"
const profiles = Array.from({ length: 40 }, (_, i) => `customer-${i}`)

const epochSeconds = (year: number, month = 1, day = 1) => Date.UTC(year, month - 1, day) / 1000
// Each year holds a few dozen events of an account; December 2023 to February 2025, thousands.
const wide = { from: 0, to: epochSeconds(2100) }
const dense = { from: epochSeconds(2023, 12), to: epochSeconds(2025, 3) }

// Integers at and past the edge of exact doubles, and past 64 bits: the safe ones add up past
// 2^53 within a day, a week or a month; 2^53 and beyond are stored but add nothing to a sum.
const largeAmounts = [
  9_007_199_254_740_000,
  Number.MAX_SAFE_INTEGER,
  -9_007_199_254_740_000,
  Number.MIN_SAFE_INTEGER,
  4_503_599_627_370_496,
  2 ** 53,
  2 ** 60,
  -(2 ** 60),
  2 ** 63,
  -(2 ** 63),
  1e300,
  -1,
  -99,
]

/** `records` with about two in five amounts replaced by large or negative ones. */
const withLargeAmounts = (seed: number, records: ReadonlyArray<EventRecord>) => {
  // Not the records' own seed: which amounts change owes nothing to how they were drawn.
  const next = Uploads.random(seed * 7919 + 1)
  return records.map((record): EventRecord => {
    if (next() >= 0.4) return record
    const amount = largeAmounts[Math.floor(next() * largeAmounts.length)]!
    return { ...record, evtData: { Amount: amount } }
  })
}

/** One upload body and the key that makes its retries store it once. */
interface KeyedBody {
  readonly key: string
  readonly records: ReadonlyArray<EventRecord>
}

// Per account: four full bodies and eight smaller ones, over either span.
const shapes = [
  [1000, dense],
  [1, wide],
  [1000, wide],
  [17, dense],
  [1000, dense],
  [64, wide],
  [1000, wide],
  [150, dense],
  [2, wide],
  [333, dense],
  [7, wide],
  [999, wide],
] as const

const bodiesOf = (account: TestAccount, accountIndex: number): ReadonlyArray<KeyedBody> =>
  shapes.map(([count, span], i) => {
    const seed = 1000 * (accountIndex + 1) + i
    const records = Uploads.eventRecords({
      seed,
      count,
      names: [charged, viewed],
      profiles,
      ...span,
    })
    return { key: `concurrency-${account.id}-${i}`, records: withLargeAmounts(seed, records) }
  })

// A client backs off and tries again while the account's upload gate is full (429). In
// workerd none comes: an object runs each upload to its end before it takes the next call,
// so no two are ever in flight inside it. The retry is what a client must do all the same.
const maxRefusals = 100
const backoff = (refusals: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 ** refusals)))

/** Uploads `body` as a client does: again, with the same key, after each 429. */
const uploadUntilAdmitted = async (account: TestAccount, body: KeyedBody) => {
  for (let refusals = 0; refusals < maxRefusals; refusals++) {
    const reply = await send("/1/upload", {
      as: account,
      json: { d: body.records },
      headers: { "Idempotency-Key": body.key },
    })
    if (reply.status !== 429) return reply
    await backoff(refusals)
  }
  throw new Error(`${account.id}: ${body.key} refused ${maxRefusals} times`)
}

/** POSTs a read (the test env answers `partial`) and polls it every 5 ms until it is done. */
const readToEnd = async (
  path: typeof trendsPath | typeof eventsPath,
  account: TestAccount,
  body: unknown,
): Promise<Reply> => {
  let reply = await send(path, { as: account, json: body })
  assert.strictEqual(reply.body.status, "partial", JSON.stringify(reply.body))
  const reqId = String(reply.body.req_id)
  for (let polls = 0; reply.body.status === "partial" && polls < 2000; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    reply = await send(`${path}?req_id=${reqId}`, { as: account })
  }
  return reply
}

/** The buckets where `answer` differs from `expected`, as `group.bucket: got X, expected Y`. */
const wrongBuckets = (answer: Reply["body"], expected: Record<string, unknown>) => {
  const wrong: Array<string> = []
  const groups = new Set([...Object.keys(answer), ...Object.keys(expected)])
  groups.delete("status")
  for (const group of groups) {
    const got = (answer[group] ?? {}) as Record<string, unknown>
    const want = (expected[group] ?? {}) as Record<string, unknown>
    for (const bucket of new Set([...Object.keys(got), ...Object.keys(want)])) {
      if (got[bucket] !== want[bucket])
        wrong.push(`${group}.${bucket}: got ${got[bucket]}, expected ${want[bucket]}`)
    }
  }
  return wrong
}

// Each at most 366 days: the epoch's first year (its first day is 1969-12-31 in New York),
// a leap century, the dense months across two year ends and two DST seasons, the data's end
// (2100 is no leap year).
const trendsRanges = [
  { from: 19691231, to: 19701231 },
  { from: 20000101, to: 20001231 },
  { from: 20231201, to: 20241130 },
  { from: 20240301, to: 20250228 },
  { from: 20990301, to: 21000228 },
]
const measures = [{}, { unique: true }, { sum_event_prop: "Amount" }]
const countRequests = [
  { event_name: charged, from: 19700101, to: 19701231 },
  { event_name: charged, from: 20240101, to: 20241231 },
  { event_name: viewed, from: 20250101, to: 20250228 },
  { event_name: viewed, from: 20990101, to: 20991231 },
]

const trendsBody = (range: { from: number; to: number }, measure: Record<string, unknown>) => ({
  event_name: charged,
  ...range,
  groups: {
    days: { trend_type: "daily" },
    weeks: { trend_type: "weekly" },
    months: { trend_type: "monthly" },
  },
  ...measure,
})

const accounts = [acme, globex, umbrella, hooli]
const bodies = new Map(accounts.map((account, i) => [account.id, bodiesOf(account, i)]))
const recordsOf = (account: TestAccount) => bodies.get(account.id)!.flatMap((body) => body.records)

/**
 * Sends every body of every account at once, every third one twice, and checks that each
 * call (retried after any 429) answers 200 with all its records processed.
 */
const uploadAllAtOnce = async (): Promise<void> => {
  const calls = accounts.flatMap((account) => {
    const sends = bodies
      .get(account.id)!
      .flatMap((body, i) => (i % 3 === 0 ? [body, body] : [body]))
    // More than the account's upload gate admits, were they all in flight together.
    assert.isAbove(sends.length, Number(env.TRENDLINE_MAX_UPLOADS))
    return sends.map((body) =>
      uploadUntilAdmitted(account, body).then((reply) => ({ account, body, reply })),
    )
  })
  for (const { account, body, reply } of await Promise.all(calls)) {
    assert.deepStrictEqual(
      { status: reply.status, body: reply.body },
      {
        status: 200,
        body: { status: "success", processed: body.records.length, unprocessed: [] },
      },
      `${account.id}: ${body.key}`,
    )
  }
}

/**
 * Reads the account's trends and event counts, one at a time (three may be in flight), and
 * checks each against the reference aggregator over all its records; gives how many monthly
 * sums went past 2^53.
 */
const checkReads = async (account: TestAccount): Promise<number> => {
  const records = recordsOf(account)
  let sumsPastExact = 0
  for (const range of trendsRanges) {
    for (const measure of measures) {
      const body = trendsBody(range, measure)
      const answer = await readToEnd(trendsPath, account, body)
      const expected = expectedTrends(account, records, body)
      const label = `${account.id} ${JSON.stringify(body)}`
      assert.strictEqual(answer.status, 200, `${label}: ${JSON.stringify(answer.body)}`)
      assert.deepStrictEqual(wrongBuckets(answer.body, expected), [], label)
      assert.deepStrictEqual(answer.body, expected, label)
      const months = Object.values(expected.months as Record<string, number>)
      if ("sum_event_prop" in measure)
        sumsPastExact += months.filter((sum) => Math.abs(sum) > Number.MAX_SAFE_INTEGER).length
      // Every range holds events of every account: no comparison is of empty answers.
      else
        assert.isTrue(
          months.some((n) => n > 0),
          label,
        )
    }
  }
  for (const body of countRequests) {
    const answer = await readToEnd(eventsPath, account, body)
    const count = expectedCount(account, records, body)
    const label = `${account.id} ${JSON.stringify(body)}`
    assert.deepStrictEqual(
      { status: answer.status, body: answer.body },
      { status: 200, body: { status: "success", count } },
      label,
    )
    assert.isAbove(count, 0, label)
  }
  return sumsPastExact
}

describe("the worker under concurrent uploads", () => {
  it("stores every upload of four accounts sent at once exactly once and answers every read as the reference aggregator", async () => {
    await uploadAllAtOnce()
    const sumsPastExact = await Promise.all(accounts.map(checkReads))
    // The amounts did what they are there for: monthly sums past 2^53 in every account.
    for (const [i, count] of sumsPastExact.entries()) assert.isAbove(count, 0, accounts[i]!.id)
  })
})
