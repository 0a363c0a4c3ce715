import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
import * as Either from "effect/Either"
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

describe("today", () => {
  const at = (iso: string) => Date.parse(iso)

  it("is the account's local day at the instant, in milliseconds as clocks give them", () => {
    assert.strictEqual(
      Calendar.today(at("2016-12-31T18:30:00.000Z"), "Asia/Kolkata"),
      day(2017, 1, 1),
    )
    assert.strictEqual(
      Calendar.today(at("2016-12-31T18:29:59.999Z"), "Asia/Kolkata"),
      day(2016, 12, 31),
    )
    assert.strictEqual(Calendar.today(at("2016-12-31T18:29:59.999Z"), "UTC"), day(2016, 12, 31))
    // The same instant is a different day on either side of the date line.
    assert.strictEqual(
      Calendar.today(at("2024-06-01T11:00:00Z"), "Pacific/Kiritimati"),
      day(2024, 6, 2),
    )
    assert.strictEqual(
      Calendar.today(at("2024-06-01T11:00:00Z"), "Pacific/Pago_Pago"),
      day(2024, 6, 1),
    )
    // Before 1970 milliseconds round down, not towards zero.
    assert.strictEqual(Calendar.today(-1, "UTC"), day(1969, 12, 31))
  })

  it("follows DST changes: the day turns at local midnight whatever the offset", () => {
    // New York springs forward on 2024-03-10 (EST -05 until 02:00, then EDT -04).
    assert.strictEqual(
      Calendar.today(at("2024-03-10T04:59:59.999Z"), "America/New_York"),
      day(2024, 3, 9),
    )
    assert.strictEqual(
      Calendar.today(at("2024-03-10T05:00:00Z"), "America/New_York"),
      day(2024, 3, 10),
    )
    assert.strictEqual(
      Calendar.today(at("2024-03-11T03:59:59Z"), "America/New_York"),
      day(2024, 3, 10),
    )
    assert.strictEqual(
      Calendar.today(at("2024-03-11T04:00:00Z"), "America/New_York"),
      day(2024, 3, 11),
    )
    // London falls back on 2024-10-27: midnight is 23:00Z before, 00:00Z after.
    assert.strictEqual(
      Calendar.today(at("2024-10-26T22:59:59Z"), "Europe/London"),
      day(2024, 10, 26),
    )
    assert.strictEqual(
      Calendar.today(at("2024-10-26T23:00:00Z"), "Europe/London"),
      day(2024, 10, 27),
    )
    assert.strictEqual(
      Calendar.today(at("2024-10-27T23:59:59Z"), "Europe/London"),
      day(2024, 10, 27),
    )
    assert.strictEqual(
      Calendar.today(at("2024-10-28T00:00:00Z"), "Europe/London"),
      day(2024, 10, 28),
    )
    // São Paulo 2018-11-04 had no midnight: the day began at 01:00 local (03:00Z).
    assert.strictEqual(
      Calendar.today(at("2018-11-04T02:59:59Z"), "America/Sao_Paulo"),
      day(2018, 11, 3),
    )
    assert.strictEqual(
      Calendar.today(at("2018-11-04T03:00:00Z"), "America/Sao_Paulo"),
      day(2018, 11, 4),
    )
    // Samoa skipped 2011-12-30: one second after the 29th it was the 31st.
    assert.strictEqual(
      Calendar.today(at("2011-12-30T09:59:59Z"), "Pacific/Apia"),
      day(2011, 12, 29),
    )
    assert.strictEqual(
      Calendar.today(at("2011-12-30T10:00:00Z"), "Pacific/Apia"),
      day(2011, 12, 31),
    )
  })

  it("agrees with dayOfTimestamp on random instants", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1950, 0, 1), max: Date.UTC(2050, 0, 1) }),
        fc.constantFrom(...zones),
        (millis, zone) => {
          assert.strictEqual(
            Calendar.today(millis, zone),
            Calendar.dayOfTimestamp(Math.floor(millis / 1000), zone),
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it("refuses a clock it cannot read and a zone it does not know", () => {
    assert.throws(() => Calendar.today(Number.NaN, "UTC"), RangeError)
    assert.throws(() => Calendar.today(0, "Mars/Olympus_Mons"), RangeError)
  })
})

describe("parseDay", () => {
  const parsed = (text: string) => Either.getOrThrow(Calendar.parseDay(text))
  const failure = (text: string) => {
    const result = Calendar.parseDay(text)
    if (Either.isRight(result)) throw new Error(`${JSON.stringify(text)} must be refused`)
    return result.left
  }

  it("reads YYYYMMDD and YYYY-MM-DD, spaces around ignored", () => {
    assert.strictEqual(parsed("20161224"), day(2016, 12, 24))
    assert.strictEqual(parsed("2016-12-24"), day(2016, 12, 24))
    assert.strictEqual(parsed("  2016-12-24\t"), day(2016, 12, 24))
    assert.strictEqual(parsed("10000101"), day(1000, 1, 1))
    assert.strictEqual(parsed("9999-12-31"), day(9999, 12, 31))
  })

  it("knows month ends and leap years", () => {
    for (const [text, valid] of [
      ["20240229", true], // divisible by 4
      ["20230229", false],
      ["20000229", true], // divisible by 400
      ["21000229", false], // divisible by 100, not 400
      ["2024-04-30", true],
      ["2024-04-31", false],
      ["2024-12-31", true],
      ["2024-12-32", false],
      ["2024-01-31", true],
    ] as const) {
      assert.strictEqual(Either.isRight(Calendar.parseDay(text)), valid, text)
    }
  })

  it("round-trips every day through both forms", () => {
    fc.assert(
      fc.property(anyDay, (d) => {
        assert.strictEqual(parsed(Calendar.formatDateKey(d)), d)
        assert.strictEqual(parsed(Calendar.formatIsoDate(d)), d)
      }),
    )
  })

  it("says why a date of the right form does not exist", () => {
    assert.strictEqual(
      failure("20250231").message,
      "20250231 is not a real calendar date: February 2025 has 28 days",
    )
    assert.strictEqual(
      failure(" 2024-02-30 ").message,
      "2024-02-30 is not a real calendar date: February 2024 has 29 days",
    )
    assert.match(failure("2024-13-01").message, /month must be 01 to 12/)
    assert.match(failure("20240001").message, /month must be 01 to 12/)
    assert.match(failure("20240100").message, /day of the month starts at 01/)
    assert.match(failure("0999-12-31").message, /year must be between 1000 and 9999/)
    assert.strictEqual(failure("20250231").reason, "NotADate")
    assert.strictEqual(failure("20250231")._tag, "DayParseError")
  })

  it("refuses other forms and blank text, saying which forms it reads", () => {
    for (const text of [
      "jan",
      "2025011",
      "202501011",
      "2025-1-5",
      "2025/01/05",
      "2025-0105",
      "01-05-2025",
      "+20250105",
      "2025-01-05T00:00",
      "２０２５０１０５",
    ]) {
      const error = failure(text)
      assert.strictEqual(error.reason, "Form", text)
      assert.include(error.message, "YYYYMMDD or YYYY-MM-DD", text)
      assert.include(error.message, JSON.stringify(text.trim()), text)
    }
    for (const text of ["", "   "]) {
      assert.strictEqual(failure(text).reason, "Empty")
      assert.match(failure(text).message, /^is empty; give a date as YYYYMMDD or YYYY-MM-DD/)
    }
  })
})
