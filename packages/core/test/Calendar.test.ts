import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
import * as Option from "effect/Option"
import * as fc from "fast-check"

const day = Calendar.unsafeMakeDay
const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString()
const hours = (range: readonly [number, number]): number => (range[1] - range[0]) / 3600

// Days between 1900 and 2100: covers historical DST rules and the far future.
const anyDay = fc.integer({ min: day(1900, 1, 1), max: day(2100, 12, 31) })
const zones = [
  "UTC",
  "Europe/London",
  "America/New_York",
  "America/Sao_Paulo",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "Australia/Lord_Howe",
  "Pacific/Apia",
] as const

describe("civil dates", () => {
  it("round-trips every day through its year, month and day", () => {
    fc.assert(
      fc.property(anyDay, (d) => {
        const { year, month, day: dom } = Calendar.toCivil(d)
        assert.strictEqual(Option.getOrThrow(Calendar.makeDay(year, month, dom)), d)
      }),
    )
  })

  it("numbers days from 1970-01-01, a Thursday", () => {
    assert.strictEqual(day(1970, 1, 1), 0)
    assert.strictEqual(day(1969, 12, 31), -1)
    assert.strictEqual(day(2000, 3, 1), 11017)
    assert.strictEqual(Calendar.isoWeekday(0), 4)
    assert.strictEqual(Calendar.isoWeekday(day(2026, 11, 26)), 4)
    assert.strictEqual(Calendar.isoWeekday(day(2021, 1, 4)), 1)
  })

  it("parses YYYYMMDD keys only when they are real dates", () => {
    assert.deepStrictEqual(Calendar.parseDateKey(20240229), Option.some(day(2024, 2, 29)))
    assert.deepStrictEqual(Calendar.parseDateKey("20161224"), Option.some(day(2016, 12, 24)))
    for (const bad of [
      20230230, 20230229, 21000229, 20231301, 20230001, 20230100, 2023011, 202301011, 20230101.5,
      -20230101,
    ]) {
      assert.isTrue(Option.isNone(Calendar.parseDateKey(bad)), `${bad} must be rejected`)
    }
    assert.isTrue(Option.isNone(Calendar.parseDateKey("2023-01-01")))
    assert.isTrue(Option.isSome(Calendar.parseDateKey(20000229)), "2000 is a leap year")
  })

  it("formats and parses keys as inverses", () => {
    fc.assert(
      fc.property(anyDay, (d) => {
        assert.strictEqual(Option.getOrThrow(Calendar.parseDateKey(Calendar.toDateInt(d))), d)
        assert.match(Calendar.formatIsoDate(d), /^\d{4}-\d{2}-\d{2}$/)
      }),
    )
  })
})

describe("time zones", () => {
  it("knows IANA names and rejects others", () => {
    assert.isTrue(Calendar.isTimeZone("Asia/Kolkata"))
    assert.isFalse(Calendar.isTimeZone("Mars/Olympus_Mons"))
    assert.isFalse(Calendar.isTimeZone(""))
    for (const zone of [
      "America/Port-au-Prince",
      "Etc/GMT+5",
      "UTC",
      "America/Argentina/Buenos_Aires",
    ]) {
      assert.isTrue(Calendar.isTimeZone(zone), zone)
    }
    // Intl accepts these, but SQL engines read them differently (or not at all).
    for (const zone of ["asia/kolkata", "utc", "+05:30", "-0800", " UTC", "Europe/London "]) {
      assert.isFalse(Calendar.isTimeZone(zone), zone)
    }
  })

  it("puts every instant of a day's range in that day, and the next instant in the next", () => {
    fc.assert(
      fc.property(
        anyDay,
        fc.constantFrom(...zones),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (d, zone, at) => {
          const [start, end] = Calendar.dayRange(d, zone)
          assert.isAtMost(start, end)
          if (start === end) return // a day the zone skipped (Samoa, 2011-12-30)
          const instant = start + Math.floor(at * (end - start - 1))
          assert.strictEqual(Calendar.dayOfTimestamp(instant, zone), d)
          assert.strictEqual(Calendar.dayOfTimestamp(start, zone), d)
          assert.strictEqual(Calendar.dayOfTimestamp(end - 1, zone), d)
          assert.isAbove(Calendar.dayOfTimestamp(end, zone), d)
          assert.isBelow(Calendar.dayOfTimestamp(start - 1, zone), d)
        },
      ),
      { numRuns: 300 },
    )
  })

  it("agrees with Intl on the local date of random instants", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2_000_000_000, max: 4_000_000_000 }),
        fc.constantFrom(...zones),
        (ts, zone) => {
          const parts = new Intl.DateTimeFormat("en-CA", {
            timeZone: zone,
            year: "numeric",
            month: "2-digit",
            day: "2-digit",
          }).format(ts * 1000)
          assert.strictEqual(Calendar.formatIsoDate(Calendar.dayOfTimestamp(ts, zone)), parts)
        },
      ),
      { numRuns: 300 },
    )
  })

  it("handles DST days in Europe/London and America/New_York", () => {
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 3, 31), "Europe/London")), 23)
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 10, 27), "Europe/London")), 25)
    assert.strictEqual(
      iso(Calendar.startOfDay(day(2024, 10, 27), "Europe/London")),
      "2024-10-26T23:00:00.000Z",
    )
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 3, 10), "America/New_York")), 23)
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 11, 3), "America/New_York")), 25)
    assert.strictEqual(
      iso(Calendar.startOfDay(day(2024, 11, 3), "America/New_York")),
      "2024-11-03T04:00:00.000Z",
    )
    // 01:30 happens twice on 2024-11-03 in New York; both are that day.
    assert.strictEqual(
      Calendar.dayOfTimestamp(Date.UTC(2024, 10, 3, 5, 30) / 1000, "America/New_York"),
      day(2024, 11, 3),
    )
    assert.strictEqual(
      Calendar.dayOfTimestamp(Date.UTC(2024, 10, 3, 6, 30) / 1000, "America/New_York"),
      day(2024, 11, 3),
    )
  })

  it("starts a day at its first existing instant when DST skips midnight (São Paulo)", () => {
    // 2018-11-04: clocks jumped from 00:00 to 01:00 (-03 to -02); there was no midnight.
    const [start, end] = Calendar.dayRange(day(2018, 11, 4), "America/Sao_Paulo")
    assert.strictEqual(iso(start), "2018-11-04T03:00:00.000Z")
    assert.strictEqual(hours([start, end]), 23)
    // 2019-02-17 00:00 (-02) went back to 2019-02-16 23:00 (-03): the 16th had 25 hours.
    assert.strictEqual(hours(Calendar.dayRange(day(2019, 2, 16), "America/Sao_Paulo")), 25)
    assert.strictEqual(
      iso(Calendar.startOfDay(day(2019, 2, 17), "America/Sao_Paulo")),
      "2019-02-17T03:00:00.000Z",
    )
  })

  it("handles zones without DST and with odd offsets", () => {
    const [start, end] = Calendar.dayRange(day(2024, 6, 1), "Asia/Kolkata")
    assert.strictEqual(iso(start), "2024-05-31T18:30:00.000Z")
    assert.strictEqual(hours([start, end]), 24)
    assert.strictEqual(
      Calendar.dayOfTimestamp(Date.UTC(2016, 11, 31, 18, 30) / 1000, "Asia/Kolkata"),
      day(2017, 1, 1),
    )
    assert.strictEqual(
      Calendar.dayOfTimestamp(Date.UTC(2016, 11, 31, 18, 29, 59) / 1000, "Asia/Kolkata"),
      day(2016, 12, 31),
    )
    // Chatham: +13:45 in summer, +12:45 in winter; DST ends 2024-04-07 at 03:45 local.
    assert.strictEqual(
      iso(Calendar.startOfDay(day(2024, 4, 7), "Pacific/Chatham")),
      "2024-04-06T10:15:00.000Z",
    )
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 4, 7), "Pacific/Chatham")), 25)
    assert.strictEqual(hours(Calendar.dayRange(day(2024, 7, 1), "Pacific/Chatham")), 24)
  })

  it("refuses instants and days it cannot place instead of looping or guessing", () => {
    for (const ts of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e13,
      -1e12,
    ]) {
      assert.throws(() => Calendar.dayOfTimestamp(ts, "UTC"), RangeError)
    }
    for (const d of [1.5, day(999, 12, 31), day(10000, 1, 2)]) {
      assert.throws(() => Calendar.startOfDay(d, "UTC"), RangeError)
    }
    assert.strictEqual(
      Calendar.formatIsoDate(
        Calendar.dayOfTimestamp(Calendar.startOfDay(day(9999, 12, 30), "UTC"), "UTC"),
      ),
      "9999-12-30",
    )
  })

  it("gives a day the zone skipped an empty range (Samoa crossed the date line in 2011)", () => {
    const [start, end] = Calendar.dayRange(day(2011, 12, 30), "Pacific/Apia")
    assert.strictEqual(start, end)
    assert.strictEqual(Calendar.dayOfTimestamp(start, "Pacific/Apia"), day(2011, 12, 31))
  })
})
