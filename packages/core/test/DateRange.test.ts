import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import * as fc from "fast-check"

const day = Calendar.unsafeMakeDay
const keys = (range: DateRange.DateRange) => [
  Calendar.formatIsoDate(range.from),
  Calendar.formatIsoDate(range.to),
]
const anyDay = fc.integer({ min: day(1900, 1, 1), max: day(2100, 12, 31) })

describe("presets", () => {
  const today = day(2026, 11, 26)

  it("count back from today, both ends included", () => {
    assert.deepStrictEqual(keys(DateRange.lastDays(1, today)), ["2026-11-26", "2026-11-26"])
    assert.deepStrictEqual(keys(DateRange.lastDays(7, today)), ["2026-11-20", "2026-11-26"])
    assert.deepStrictEqual(keys(DateRange.lastDays(30, today)), ["2026-10-28", "2026-11-26"])
    assert.deepStrictEqual(keys(DateRange.lastDays(90, today)), ["2026-08-29", "2026-11-26"])
    assert.deepStrictEqual(keys(DateRange.thisMonth(today)), ["2026-11-01", "2026-11-26"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(today)), ["2026-10-01", "2026-10-31"])
    assert.deepStrictEqual(keys(DateRange.thisYear(today)), ["2026-01-01", "2026-11-26"])
    assert.strictEqual(DateRange.length(DateRange.lastDays(7, today)), 7)
  })

  it("cross month and year ends, and count February's leap day", () => {
    assert.deepStrictEqual(keys(DateRange.lastDays(7, day(2025, 1, 3))), [
      "2024-12-28",
      "2025-01-03",
    ])
    assert.deepStrictEqual(keys(DateRange.lastDays(2, day(2024, 3, 1))), [
      "2024-02-29",
      "2024-03-01",
    ])
    assert.deepStrictEqual(keys(DateRange.lastDays(2, day(2023, 3, 1))), [
      "2023-02-28",
      "2023-03-01",
    ])
    assert.deepStrictEqual(keys(DateRange.lastDays(366, day(2024, 12, 31))), [
      "2024-01-01",
      "2024-12-31",
    ])
    // Last month from January is last year's December.
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2026, 1, 15))), [
      "2025-12-01",
      "2025-12-31",
    ])
    // Last month's end: 28, 29, 30 or 31 days, whatever day of this month today is.
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2024, 3, 31))), [
      "2024-02-01",
      "2024-02-29",
    ])
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2023, 3, 31))), [
      "2023-02-01",
      "2023-02-28",
    ])
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(1900, 3, 1))), ["1900-02-01", "1900-02-28"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2000, 3, 1))), ["2000-02-01", "2000-02-29"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2024, 5, 1))), ["2024-04-01", "2024-04-30"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(day(2024, 8, 1))), ["2024-07-01", "2024-07-31"])
    // On the first of a month or of a year, "this" is one day.
    assert.deepStrictEqual(keys(DateRange.thisMonth(day(2024, 2, 1))), ["2024-02-01", "2024-02-01"])
    assert.deepStrictEqual(keys(DateRange.thisYear(day(2024, 1, 1))), ["2024-01-01", "2024-01-01"])
    assert.deepStrictEqual(keys(DateRange.thisYear(day(2024, 12, 31))), [
      "2024-01-01",
      "2024-12-31",
    ])
    assert.strictEqual(DateRange.length(DateRange.thisYear(day(2024, 12, 31))), 366)
    assert.strictEqual(DateRange.length(DateRange.thisYear(day(2023, 12, 31))), 365)
  })

  it("hold for every day: today ends this month and year, last month ends the day before", () => {
    fc.assert(
      fc.property(anyDay, (today) => {
        const { year, month } = Calendar.toCivil(today)
        const last = DateRange.lastMonth(today)
        assert.strictEqual(last.to + 1, DateRange.thisMonth(today).from)
        assert.strictEqual(Calendar.toCivil(last.from).day, 1)
        const previous = month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 }
        assert.strictEqual(
          DateRange.length(last),
          Calendar.daysInMonth(previous.year, previous.month),
        )
        assert.strictEqual(DateRange.thisMonth(today).to, today)
        assert.strictEqual(DateRange.thisYear(today).to, today)
        assert.strictEqual(Calendar.dayOfYear(today), DateRange.length(DateRange.thisYear(today)))
      }),
    )
  })

  it("are one function of a preset value", () => {
    const today = day(2024, 3, 10)
    assert.deepStrictEqual(
      DateRange.ofPreset({ _tag: "LastDays", days: 30 }, today),
      DateRange.lastDays(30, today),
    )
    assert.deepStrictEqual(
      DateRange.ofPreset({ _tag: "ThisMonth" }, today),
      DateRange.thisMonth(today),
    )
    assert.deepStrictEqual(
      DateRange.ofPreset({ _tag: "LastMonth" }, today),
      DateRange.lastMonth(today),
    )
    assert.deepStrictEqual(
      DateRange.ofPreset({ _tag: "ThisYear" }, today),
      DateRange.thisYear(today),
    )
  })

  it("refuses a number of days that is not a positive integer", () => {
    for (const days of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => DateRange.lastDays(days, day(2024, 1, 1)), RangeError)
    }
  })

  it("count an inverted range as empty", () => {
    assert.strictEqual(DateRange.length({ from: day(2024, 1, 2), to: day(2024, 1, 1) }), 0)
  })
})

describe("today's presets in the account's zone", () => {
  it("turn over at the account's midnight, not the machine's or UTC's", () => {
    // 2024-03-31T23:30Z is already April 1st in Berlin (CEST, +02) but March in New York.
    const now = Date.parse("2024-03-31T23:30:00Z")
    const berlin = Calendar.today(now, "Europe/Berlin")
    const newYork = Calendar.today(now, "America/New_York")
    assert.deepStrictEqual(keys(DateRange.thisMonth(berlin)), ["2024-04-01", "2024-04-01"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(berlin)), ["2024-03-01", "2024-03-31"])
    assert.deepStrictEqual(keys(DateRange.thisMonth(newYork)), ["2024-03-01", "2024-03-31"])
    assert.deepStrictEqual(keys(DateRange.lastMonth(newYork)), ["2024-02-01", "2024-02-29"])
  })
})
