import { assert, describe, it } from "@effect/vitest"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as Option from "effect/Option"
import * as fc from "fast-check"

const day = Calendar.unsafeMakeDay
const anyDay = fc.integer({ min: day(1990, 1, 1), max: day(2100, 12, 31) })
const trendType = fc.constantFrom<Bucket.DayTrendType>(
  "daily",
  "weekly",
  "monthly",
  "quarterly",
  "yearly",
)
const weekStart = fc.constantFrom<Bucket.WeekStart>("monday", "sunday")
const range = fc
  .tuple(anyDay, fc.integer({ min: 0, max: 800 }))
  .map(([from, length]) => [from, from + length] as const)

describe("week keys", () => {
  it("follows ISO 8601 by default at year ends", () => {
    const weekly = (y: number, m: number, d: number) => Bucket.keyOf("weekly", day(y, m, d))
    assert.strictEqual(weekly(2020, 12, 31), "202053")
    assert.strictEqual(weekly(2021, 1, 1), "202053")
    assert.strictEqual(weekly(2021, 1, 3), "202053")
    assert.strictEqual(weekly(2021, 1, 4), "202101")
    assert.strictEqual(weekly(2026, 12, 31), "202653")
    assert.strictEqual(weekly(2024, 12, 30), "202501")
    assert.strictEqual(weekly(2016, 12, 24), "201651")
    assert.strictEqual(weekly(2017, 1, 1), "201652")
    assert.strictEqual(weekly(2017, 1, 2), "201701")
    assert.strictEqual(Bucket.weeksInYear(2020), 53)
    assert.strictEqual(Bucket.weeksInYear(2021), 52)
  })

  it("matches the week number Intl-free ISO definition: the year of the week's Thursday", () => {
    fc.assert(
      fc.property(anyDay, (d) => {
        const thursday = d - (Calendar.isoWeekday(d) - 1) + 3
        const { year } = Calendar.toCivil(thursday)
        const week = Math.ceil(Calendar.dayOfYear(thursday) / 7)
        assert.deepStrictEqual(Bucket.yearWeek(d, "monday"), { year, week })
      }),
    )
  })

  it("numbers Sunday-start weeks by the year of their Wednesday (week mode 6)", () => {
    const weekly = (y: number, m: number, d: number) =>
      Bucket.keyOf("weekly", day(y, m, d), "sunday")
    assert.strictEqual(weekly(2017, 1, 1), "201701") // a Sunday
    assert.strictEqual(weekly(2016, 12, 31), "201652") // the Saturday before
    assert.strictEqual(weekly(2021, 1, 2), "202053") // Sun 2020-12-27 .. Sat 2021-01-02
    assert.strictEqual(weekly(2021, 1, 3), "202101")
    assert.strictEqual(weekly(2026, 1, 3), "202553") // Sun 2025-12-28 .. Sat 2026-01-03: Wed is 2025-12-31
    assert.strictEqual(weekly(2026, 1, 4), "202601")
    fc.assert(
      fc.property(anyDay, (d) => {
        const sunday = d - (Calendar.isoWeekday(d) % 7)
        const wednesday = sunday + 3
        const { year } = Calendar.toCivil(wednesday)
        assert.deepStrictEqual(Bucket.yearWeek(d, "sunday"), {
          year,
          week: Math.ceil(Calendar.dayOfYear(wednesday) / 7),
        })
        assert.strictEqual(Calendar.isoWeekday(Bucket.startOfWeek(d, "sunday")), 7)
      }),
    )
  })
})

// An independent definition by counting: list a year's weeks in order, keep those with at
// least four of their seven days in the year, and number them from 1.
const weekNumbersByCounting = (year: number, firstWeekday: number): Map<number, string> => {
  const keys = new Map<number, string>()
  const jan1 = day(year, 1, 1)
  let start = jan1 - ((Calendar.isoWeekday(jan1) - firstWeekday + 7) % 7)
  let week = 0
  for (; start <= day(year, 12, 31); start += 7) {
    let inYear = 0
    for (let d = start; d < start + 7; d++) if (Calendar.toCivil(d).year === year) inYear++
    if (inYear < 4) continue
    week++
    for (let d = start; d < start + 7; d++) keys.set(d, `${year}${String(week).padStart(2, "0")}`)
  }
  return keys
}

describe("week numbering by counting", () => {
  it("matches ISO (Monday) and week mode 6 (Sunday) for every day of 1990-2060", () => {
    for (const [weekStart, firstWeekday] of [
      ["monday", 1],
      ["sunday", 7],
    ] as const) {
      for (let year = 1990; year <= 2060; year++) {
        for (const [d, key] of weekNumbersByCounting(year, firstWeekday)) {
          assert.strictEqual(
            Bucket.keyOf("weekly", d, weekStart),
            key,
            `${weekStart} ${Calendar.formatIsoDate(d)}`,
          )
        }
      }
    }
  })
})

describe("buckets of a range", () => {
  it("puts every day of a range in exactly one bucket, in order, with no gaps", () => {
    fc.assert(
      fc.property(trendType, weekStart, range, (type, start, [from, to]) => {
        const buckets = Bucket.bucketsOf(type, from, to, start)
        assert.strictEqual(buckets[0]?.first, from)
        assert.strictEqual(buckets.at(-1)?.last, to)
        for (const [i, bucket] of buckets.entries()) {
          assert.isAtMost(bucket.first, bucket.last)
          if (i > 0) {
            const previous = buckets[i - 1]!
            assert.strictEqual(bucket.first, previous.last + 1)
            assert.isTrue(bucket.key > previous.key, "keys ascend")
          }
          for (const d of [bucket.first, bucket.last])
            assert.strictEqual(Bucket.keyOf(type, d, start), bucket.key)
        }
      }),
    )
  })

  it("turns a key back into its whole range, which holds exactly the days with that key", () => {
    fc.assert(
      fc.property(trendType, weekStart, anyDay, (type, start, d) => {
        const key = Bucket.keyOf(type, d, start)
        const whole = Option.getOrThrow(Bucket.rangeOfKey(type, key, start))
        assert.strictEqual(whole.key, key)
        assert.isTrue(whole.first <= d && d <= whole.last)
        assert.strictEqual(Bucket.keyOf(type, whole.first, start), key)
        assert.strictEqual(Bucket.keyOf(type, whole.last, start), key)
        assert.notStrictEqual(Bucket.keyOf(type, whole.first - 1, start), key)
        assert.notStrictEqual(Bucket.keyOf(type, whole.last + 1, start), key)
      }),
    )
  })

  it("clips weeks and months cut by the range and keeps every empty bucket", () => {
    const from = day(2016, 12, 24)
    const to = day(2017, 1, 3)
    assert.deepStrictEqual(
      Bucket.bucketsOf("weekly", from, to).map((b) => [
        b.key,
        Calendar.toDateInt(b.first),
        Calendar.toDateInt(b.last),
      ]),
      [
        ["201651", 20161224, 20161225],
        ["201652", 20161226, 20170101],
        ["201701", 20170102, 20170103],
      ],
    )
    assert.deepStrictEqual(
      Bucket.bucketsOf("monthly", from, to).map((b) => [
        b.key,
        Calendar.toDateInt(b.first),
        Calendar.toDateInt(b.last),
      ]),
      [
        ["201612", 20161224, 20161231],
        ["201701", 20170101, 20170103],
      ],
    )
    assert.deepStrictEqual(
      Bucket.bucketsOf("quarterly", day(2024, 2, 29), day(2025, 1, 2)).map((b) => [
        b.key,
        Calendar.toDateInt(b.first),
        Calendar.toDateInt(b.last),
      ]),
      [
        ["2024Q1", 20240229, 20240331],
        ["2024Q2", 20240401, 20240630],
        ["2024Q3", 20240701, 20240930],
        ["2024Q4", 20241001, 20241231],
        ["2025Q1", 20250101, 20250102],
      ],
    )
    assert.deepStrictEqual(
      Bucket.bucketsOf("yearly", from, to).map((b) => [
        b.key,
        Calendar.toDateInt(b.first),
        Calendar.toDateInt(b.last),
      ]),
      [
        ["2016", 20161224, 20161231],
        ["2017", 20170101, 20170103],
      ],
    )
    assert.strictEqual(Bucket.bucketsOf("daily", from, to).length, 11)
    assert.deepStrictEqual(Bucket.bucketsOf("daily", to, from), [])
  })

  it("rejects keys that are not keys of the trend type", () => {
    for (const [type, key] of [
      ["weekly", "202054"],
      ["weekly", "202153"],
      ["weekly", "202100"],
      ["weekly", "20211"],
      ["monthly", "202113"],
      ["monthly", "202100"],
      ["monthly", "2021011"],
      ["daily", "20210230"],
      ["daily", "202102"],
      ["quarterly", "2021Q0"],
      ["quarterly", "2021Q5"],
      ["quarterly", "2021q1"],
      ["quarterly", "202101"],
      ["quarterly", "0999Q1"],
      ["yearly", "202"],
      ["yearly", "20211"],
      ["yearly", "0999"],
    ] as const) {
      assert.isTrue(Option.isNone(Bucket.rangeOfKey(type, key)), `${type} ${key}`)
    }
    assert.isTrue(Option.isSome(Bucket.rangeOfKey("quarterly", "2024Q4")))
    assert.isTrue(Option.isSome(Bucket.rangeOfKey("yearly", "9999")))
    assert.isTrue(Option.isSome(Bucket.rangeOfKey("weekly", "202053")))
    assert.isTrue(Option.isSome(Bucket.rangeOfKey("weekly", "202553", "sunday")))
    assert.isTrue(Option.isNone(Bucket.rangeOfKey("weekly", "202653", "sunday")))
  })
})

describe("hours", () => {
  const zones = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
  ]

  it("has 23 and 25 hours on New York's DST days, keyed from the day's first instant", () => {
    const spring = Bucket.hoursOf(day(2025, 3, 9), day(2025, 3, 9), "America/New_York")
    assert.strictEqual(spring.length, 23)
    assert.deepStrictEqual(
      spring.map((hour) => hour.key),
      Array.from({ length: 23 }, (_, h) => `20250309${String(h).padStart(2, "0")}`),
    )
    // 02:00 does not exist: the third hour is 03:00 EDT (07:00 UTC).
    assert.strictEqual(spring[2]!.start, Date.UTC(2025, 2, 9, 7) / 1000)
    const autumn = Bucket.hoursOf(day(2025, 11, 2), day(2025, 11, 2), "America/New_York")
    assert.strictEqual(autumn.length, 25)
    // 01:00 EDT (05:00 UTC), then 01:00 EST (06:00 UTC).
    assert.strictEqual(autumn[1]!.start, Date.UTC(2025, 10, 2, 5) / 1000)
    assert.strictEqual(autumn[2]!.start, Date.UTC(2025, 10, 2, 6) / 1000)
    assert.strictEqual(autumn[24]!.key, "2025110224")
    assert.strictEqual(Bucket.hoursInDay(day(2025, 11, 2), "America/New_York"), 25)
    assert.strictEqual(Bucket.hoursInDay(day(2025, 11, 3), "America/New_York"), 24)
  })

  it("ends a day that is not whole hours long with a short hour (Lord Howe's 30-minute DST)", () => {
    // 2025-04-06: clocks go back 30 minutes at 02:00, a day of 24.5 hours.
    const hours = Bucket.hoursOf(day(2025, 4, 6), day(2025, 4, 6), "Australia/Lord_Howe")
    assert.strictEqual(hours.length, 25)
    assert.strictEqual(hours[24]!.end! - hours[24]!.start!, 1800)
  })

  it("tiles every day of a range with its hours, in order, each key back to its instants", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: day(1975, 1, 1), max: day(2060, 12, 31) }),
        fc.integer({ min: 0, max: 3 }),
        (zone, from, length) => {
          const hours = Bucket.hoursOf(from, from + length, zone)
          assert.strictEqual(hours[0]!.start, Calendar.startOfDay(from, zone))
          assert.strictEqual(hours.at(-1)!.end, Calendar.startOfDay(from + length + 1, zone))
          for (const [i, hour] of hours.entries()) {
            assert.isAbove(hour.end!, hour.start!)
            assert.isAtMost(hour.end! - hour.start!, 3600)
            if (i > 0) {
              assert.strictEqual(hour.start, hours[i - 1]!.end)
              assert.isTrue(hour.key > hours[i - 1]!.key, "keys ascend")
            }
            assert.strictEqual(Calendar.dayOfTimestamp(hour.start!, zone), hour.first)
            assert.strictEqual(Calendar.dayOfTimestamp(hour.end! - 1, zone), hour.first)
            assert.strictEqual(
              Bucket.hourOf(hour.end! - 1, Calendar.startOfDay(hour.first, zone)),
              i - hours.findIndex((h) => h.first === hour.first),
            )
            assert.deepStrictEqual(Option.getOrThrow(Bucket.rangeOfHourKey(hour.key, zone)), hour)
          }
        },
      ),
    )
  })

  it("refuses keys of no hour", () => {
    for (const key of ["2025030923", "2025030900x", "202503090", "2025023001", "2025030999"])
      assert.isTrue(Option.isNone(Bucket.rangeOfHourKey(key, "America/New_York")), key)
    assert.isTrue(Option.isSome(Bucket.rangeOfHourKey("2025110224", "America/New_York")))
  })
})
