import { assert, describe, it } from "@effect/vitest"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Effect from "effect/Effect"
import * as Results from "../src/Results.ts"

const requestOf = (from: number, to: number, groups: Record<string, { trend_type: string }>) =>
  Effect.runSync(TrendsRequest.decode({ event_name: "Charged", from, to, groups }))

const isoDay = (date: Date): string => date.toISOString().slice(0, 10)

// Buckets as `key start..end = value`, easy to read in a failure.
const lines = (group: Results.GroupResult | undefined): ReadonlyArray<string> =>
  (group?.buckets ?? []).map(
    (bucket) => `${bucket.key} ${isoDay(bucket.start)}..${isoDay(bucket.end)} = ${bucket.value}`,
  )

describe("Results.decode", () => {
  const days = requestOf(20240101, 20240105, { days: { trend_type: "daily" } })
  const sparse = { days: { "20240102": 3, "20240104": 5 } }

  it("fills the buckets the answer left out with 0 by default, and figures over all", () => {
    const { days: group } = Results.decode(days, sparse)
    assert.deepStrictEqual(lines(group), [
      "20240101 2024-01-01..2024-01-01 = 0",
      "20240102 2024-01-02..2024-01-02 = 3",
      "20240103 2024-01-03..2024-01-03 = 0",
      "20240104 2024-01-04..2024-01-04 = 5",
      "20240105 2024-01-05..2024-01-05 = 0",
    ])
    assert.strictEqual(group!.trendType, "daily")
    assert.deepStrictEqual(
      { total: group!.total, min: group!.min, max: group!.max, mean: group!.mean },
      { total: 8, min: 0, max: 5, mean: 1.6 },
    )
  })

  it("keeps only the answered buckets without zero-fill, and figures over those", () => {
    const { days: group } = Results.decode(days, sparse, { zeroFill: false })
    assert.deepStrictEqual(lines(group), [
      "20240102 2024-01-02..2024-01-02 = 3",
      "20240104 2024-01-04..2024-01-04 = 5",
    ])
    assert.deepStrictEqual(
      { total: group!.total, min: group!.min, max: group!.max, mean: group!.mean },
      { total: 8, min: 3, max: 5, mean: 4 },
    )
  })

  it("gives zeros for figures when there is no bucket at all", () => {
    const { days: group } = Results.decode(days, {}, { zeroFill: false })
    assert.deepStrictEqual(group!.buckets, [])
    assert.deepStrictEqual(
      { total: group!.total, min: group!.min, max: group!.max, mean: group!.mean },
      { total: 0, min: 0, max: 0, mean: 0 },
    )
  })

  it("zero-fills a group the answer does not have", () => {
    const { days: group } = Results.decode(days, { other: { "20240101": 9 } })
    assert.deepStrictEqual(
      group!.buckets.map((bucket) => bucket.value),
      [0, 0, 0, 0, 0],
    )
  })

  it("clips the first and last week and month to the range", () => {
    const request = requestOf(20240103, 20240310, {
      weeks: { trend_type: "weekly" },
      months: { trend_type: "monthly" },
    })
    const result = Results.decode(request, { weeks: { "202401": 2 }, months: { "202402": 6 } })
    assert.deepStrictEqual(lines(result.weeks).slice(0, 2), [
      "202401 2024-01-03..2024-01-07 = 2",
      "202402 2024-01-08..2024-01-14 = 0",
    ])
    assert.deepStrictEqual(lines(result.weeks).at(-1), "202410 2024-03-04..2024-03-10 = 0")
    assert.strictEqual(result.weeks!.buckets.length, 10)
    assert.deepStrictEqual(lines(result.months), [
      "202401 2024-01-03..2024-01-31 = 0",
      "202402 2024-02-01..2024-02-29 = 6",
      "202403 2024-03-01..2024-03-10 = 0",
    ])
    assert.strictEqual(result.months!.mean, 2)
  })

  it("dates weekly keys by the account's week start", () => {
    const request = requestOf(20161225, 20170107, { weeks: { trend_type: "weekly" } })
    assert.deepStrictEqual(lines(Results.decode(request, {}, { weekStart: "sunday" }).weeks), [
      "201652 2016-12-25..2016-12-31 = 0",
      "201701 2017-01-01..2017-01-07 = 0",
    ])
    assert.deepStrictEqual(lines(Results.decode(request, {}).weeks), [
      "201651 2016-12-25..2016-12-25 = 0",
      "201652 2016-12-26..2017-01-01 = 0",
      "201701 2017-01-02..2017-01-07 = 0",
    ])
  })

  it("keeps a key the request did not expect, in key order, dated by the key", () => {
    const request = requestOf(20240108, 20240121, { weeks: { trend_type: "weekly" } })
    // 202401 is not a week of the range, but a server (another convention, another range) sent it.
    const { weeks } = Results.decode(request, { weeks: { "202401": 1, "202402": 2, "202403": 3 } })
    assert.deepStrictEqual(lines(weeks), [
      "202401 2024-01-01..2024-01-07 = 1",
      "202402 2024-01-08..2024-01-14 = 2",
      "202403 2024-01-15..2024-01-21 = 3",
    ])
    assert.strictEqual(weeks!.total, 6)
    const { days: daily } = Results.decode(days, { days: { "20231231": 4, "20240103": 1 } })
    assert.deepStrictEqual(lines(daily).slice(0, 2), [
      "20231231 2023-12-31..2023-12-31 = 4",
      "20240101 2024-01-01..2024-01-01 = 0",
    ])
    assert.strictEqual(daily!.buckets.length, 6)
  })

  it("decodes every requested group", () => {
    const request = requestOf(20240101, 20240102, {
      a: { trend_type: "daily" },
      b: { trend_type: "monthly" },
    })
    const result = Results.decode(request, { a: { "20240101": 1 }, b: { "202401": 7 } })
    assert.deepStrictEqual(Object.keys(result), ["a", "b"])
    assert.strictEqual(result.a!.total, 1)
    assert.deepStrictEqual(lines(result.b), ["202401 2024-01-01..2024-01-02 = 7"])
  })
})
