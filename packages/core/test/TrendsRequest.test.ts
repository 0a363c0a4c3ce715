import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as Calendar from "@trendline/core/Calendar"
import * as Limits from "@trendline/core/Limits"
import * as Measure from "@trendline/core/Measure"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fc from "fast-check"

const seedJson =
  '{"event_name":"Charged","from":20161224,"to":20170103,"unique":false,"sum_event_prop":"Amount","groups":{"foo":{"trend_type":"daily"},"bar":{"trend_type":"weekly"},"foobar":{"trend_type":"monthly"}}}'

const day = (key: number): Calendar.Day => Option.getOrThrow(Calendar.parseDateKey(key))

const valid = {
  event_name: "Charged",
  from: 20240101,
  to: 20240131,
  groups: { days: { trend_type: "daily" } },
}

const with_ = (overrides: Record<string, unknown>) => ({ ...valid, ...overrides })

const groupsOf = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`g${i}`, { trend_type: "daily" }]))

const fail = (input: unknown, limits?: Limits.Limits) =>
  Effect.flip(TrendsRequest.decode(input, limits))

const messageAt = (error: ApiError.InvalidRequest, path: string): string => {
  const issue = error.issues.find((issue) => issue.path === path)
  return issue === undefined
    ? assert.fail(`no issue at "${path}" in ${JSON.stringify(error.issues)}`)
    : issue.message
}

describe("TrendsRequest.decode", () => {
  it.effect("decodes the seed's example payload", () =>
    Effect.gen(function* () {
      const request = yield* TrendsRequest.decode(JSON.parse(seedJson))
      assert.deepStrictEqual(request, {
        event_name: "Charged",
        from: day(20161224),
        to: day(20170103),
        unique: false,
        sum_event_prop: "Amount",
        groups: {
          foo: { trend_type: "daily" },
          bar: { trend_type: "weekly" },
          foobar: { trend_type: "monthly" },
        },
      })
      assert.deepStrictEqual(TrendsRequest.measure(request), Measure.sum("Amount"))
    }),
  )

  it.effect("ignores unknown fields, at the top and inside groups", () =>
    Effect.gen(function* () {
      const request = yield* TrendsRequest.decode({
        ...valid,
        segment: 7,
        groups: { days: { trend_type: "daily", color: "red" } },
      })
      assert.deepStrictEqual(request, {
        event_name: "Charged",
        from: day(20240101),
        to: day(20240131),
        groups: { days: { trend_type: "daily" } },
      })
    }),
  )

  it.effect("rejects a body that is not a JSON object, at the root path", () =>
    Effect.gen(function* () {
      for (const [input, got] of [
        [null, "null"],
        [[valid], "an array"],
        ["{}", `"{}"`],
        [42, "42"],
        [undefined, "nothing"],
      ] as const) {
        const error = yield* fail(input)
        assert.strictEqual(error.issues.length, 1)
        assert.include(messageAt(error, ""), "must be a JSON object")
        assert.include(messageAt(error, ""), `got ${got}`)
      }
    }),
  )

  it.effect("reports every missing required field, saying what to add", () =>
    Effect.gen(function* () {
      const error = yield* fail({})
      assert.deepStrictEqual(
        error.issues.map((issue) => issue.path),
        ["event_name", "from", "to", "groups"],
      )
      assert.include(messageAt(error, "event_name"), `is missing; add the event's name`)
      assert.include(messageAt(error, "from"), `"from": 20161224`)
      assert.include(messageAt(error, "groups"), "add at least one group")
    }),
  )

  it.effect("reports mistyped fields with what was received", () =>
    Effect.gen(function* () {
      const error = yield* fail({
        event_name: 5,
        from: "20240101",
        to: null,
        groups: [],
        unique: "yes",
        sum_event_prop: 3,
      })
      assert.strictEqual(
        messageAt(error, "event_name"),
        `must be the event's name as a string, e.g. "Charged"; got 5`,
      )
      assert.include(
        messageAt(error, "from"),
        `integer date in YYYYMMDD form, e.g. 20161224; got "20240101"`,
      )
      assert.include(messageAt(error, "to"), "got null")
      assert.include(messageAt(error, "groups"), "got an array")
      assert.include(
        messageAt(error, "unique"),
        `true (count profiles) or false (count events); got "yes"`,
      )
      assert.include(messageAt(error, "sum_event_prop"), `e.g. "Amount"; got 3`)
      assert.strictEqual(error.issues.length, 6)
    }),
  )

  it.effect("reports a malformed group at its dotted path", () =>
    Effect.gen(function* () {
      const error = yield* fail(with_({ groups: { a: 3, b: {}, c: { trend_type: "daily" } } }))
      assert.deepStrictEqual(
        error.issues.map((issue) => issue.path),
        ["groups.a", "groups.b.trend_type"],
      )
      assert.include(messageAt(error, "groups.a"), `an object like {"trend_type": "daily"}; got 3`)
      assert.include(messageAt(error, "groups.b.trend_type"), "is missing")
    }),
  )

  it.effect("rejects an unknown trend_type with one issue listing the allowed values", () =>
    Effect.gen(function* () {
      const error = yield* fail(with_({ groups: { foo: { trend_type: "minutely" } } }))
      assert.deepStrictEqual(error.issues, [
        {
          path: "groups.foo.trend_type",
          message: `must be "daily", "weekly", "monthly", "hourly", "quarterly" or "yearly"; got "minutely"`,
        },
      ])
    }),
  )

  it.effect("limits a range with an hourly group to 31 days, naming the last day allowed", () =>
    Effect.gen(function* () {
      const ok = yield* TrendsRequest.decode(
        with_({ from: 20250101, to: 20250131, groups: { h: { trend_type: "hourly" } } }),
      )
      assert.strictEqual(ok.groups.h?.trend_type, "hourly")
      const error = yield* fail(
        with_({
          from: 20250101,
          to: 20250201,
          groups: { d: { trend_type: "daily" }, h: { trend_type: "hourly" } },
        }),
      )
      assert.deepStrictEqual(error.issues, [
        {
          path: "to",
          message: `the range covers 32 days but a range with an hourly group ("h") covers at most 31; set "to" to 20250131 or earlier, or make the group daily`,
        },
      ])
      // A server's own limit.
      yield* TrendsRequest.decode(
        with_({ from: 20250101, to: 20250201, groups: { h: { trend_type: "hourly" } } }),
        Limits.make({ maxHourlyDays: 32 }),
      )
    }),
  )

  it.effect("takes rolling windows of 1 to 90 days on daily groups only", () =>
    Effect.gen(function* () {
      const ok = yield* TrendsRequest.decode(
        with_({ groups: { wau: { trend_type: "daily", rolling: 7 } } }),
      )
      assert.strictEqual(ok.groups.wau?.rolling, 7)
      const issues = (group: unknown, extra: Record<string, unknown> = {}) =>
        Effect.map(fail(with_({ ...extra, groups: { g: group } })), (error) => error.issues)
      assert.deepStrictEqual(yield* issues({ trend_type: "daily", rolling: 91 }), [
        {
          path: "groups.g.rolling",
          message:
            "must be between 1 and 90 days (7 for weekly active, 30 for monthly active); it is 91",
        },
      ])
      assert.deepStrictEqual(yield* issues({ trend_type: "daily", rolling: 0 }), [
        {
          path: "groups.g.rolling",
          message:
            "must be between 1 and 90 days (7 for weekly active, 30 for monthly active); it is 0",
        },
      ])
      assert.deepStrictEqual(yield* issues({ trend_type: "weekly", rolling: 7 }), [
        {
          path: "groups.g.rolling",
          message: `needs a daily group (a window ends on each day); set "trend_type": "daily", or leave "rolling" out`,
        },
      ])
      assert.deepStrictEqual(yield* issues({ trend_type: "daily", rolling: 2.5 }), [
        {
          path: "groups.g.rolling",
          message: "must be a whole number of days, 1 to 90; got 2.5",
        },
      ])
      assert.deepStrictEqual(
        yield* issues({ trend_type: "daily", rolling: 30 }, { from: 10000110, to: 10000120 }),
        [
          {
            path: "groups.g.rolling",
            message:
              "the first window of 30 days ending 10000110 starts before 1000-01-01; start the range later, or use a shorter window",
          },
        ],
      )
    }),
  )

  describe("dates", () => {
    it.effect("rejects dates that do not exist, suggesting a real one", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ from: 20230230, to: 20231301 }))
        assert.strictEqual(
          messageAt(error, "from"),
          "20230230 is not a real calendar date; give an existing date in YYYYMMDD form, e.g. 20230228",
        )
        assert.include(messageAt(error, "to"), "20231301 is not a real calendar date")
        assert.include(messageAt(error, "to"), "e.g. 20161224")
      }),
    )

    it.effect("rejects numbers that are not eight-digit integers", () =>
      Effect.gen(function* () {
        for (const from of [2024011, 202401011, 20240101.5, -20240101]) {
          const error = yield* fail(with_({ from }))
          assert.include(messageAt(error, "from"), `must be an integer date in YYYYMMDD form`)
          assert.include(messageAt(error, "from"), `got ${from}`)
        }
      }),
    )

    it.effect("accepts February 29th of a leap year only", () =>
      Effect.gen(function* () {
        const request = yield* TrendsRequest.decode(with_({ from: 20240229, to: 20240301 }))
        assert.strictEqual(request.from, day(20240229))
        const error = yield* fail(with_({ from: 20230229, to: 20230301 }))
        assert.include(messageAt(error, "from"), "20230229 is not a real calendar date")
      }),
    )

    it.effect("rejects from after to and suggests swapping", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ from: 20240102, to: 20240101 }))
        assert.deepStrictEqual(
          error.issues.map((issue) => issue.path),
          ["from"],
        )
        assert.include(messageAt(error, "from"), `20240102 is after "to" (20240101)`)
        assert.include(messageAt(error, "from"), "swap")
      }),
    )

    it.effect("accepts a one-day range", () =>
      Effect.gen(function* () {
        const request = yield* TrendsRequest.decode(with_({ from: 20240101, to: 20240101 }))
        assert.strictEqual(request.to - request.from, 0)
      }),
    )

    it.effect("allows 366 days counting both ends and rejects 367 by default", () =>
      Effect.gen(function* () {
        const request = yield* TrendsRequest.decode(with_({ from: 20240101, to: 20241231 }))
        assert.strictEqual(request.to - request.from + 1, 366)
        const error = yield* fail(with_({ from: 20240101, to: 20250101 }))
        assert.strictEqual(
          messageAt(error, "to"),
          `the range 20240101..20250101 covers 367 days (both ends count) but at most 366 are allowed; set "to" to 20241231 or earlier, or split the query`,
        )
      }),
    )

    it.effect("applies a custom maxRangeDays", () =>
      Effect.gen(function* () {
        const limits = Limits.make({ maxRangeDays: 7 })
        yield* TrendsRequest.decode(with_({ from: 20240101, to: 20240107 }), limits)
        const error = yield* fail(with_({ from: 20240101, to: 20240108 }), limits)
        assert.include(messageAt(error, "to"), "covers 8 days")
        assert.include(messageAt(error, "to"), "at most 7")
        // The default limit would have accepted a longer range.
        const longer = with_({ from: 20240101, to: 20240301 })
        yield* TrendsRequest.decode(longer)
        yield* fail(longer, limits)
      }),
    )
  })

  describe("groups", () => {
    it.effect("requires at least one group", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ groups: {} }))
        assert.include(messageAt(error, "groups"), "must contain at least one group")
      }),
    )

    it.effect("allows maxGroups groups and rejects one more", () =>
      Effect.gen(function* () {
        const request = yield* TrendsRequest.decode(with_({ groups: groupsOf(5) }))
        assert.strictEqual(Object.keys(request.groups).length, 5)
        const error = yield* fail(with_({ groups: groupsOf(6) }))
        assert.include(messageAt(error, "groups"), "has 6 groups but at most 5 are allowed")
      }),
    )

    it.effect("applies a custom maxGroups", () =>
      Effect.gen(function* () {
        const limits = Limits.make({ maxGroups: 2 })
        yield* TrendsRequest.decode(with_({ groups: groupsOf(2) }), limits)
        const error = yield* fail(with_({ groups: groupsOf(3) }), limits)
        assert.include(messageAt(error, "groups"), "at most 2")
        yield* TrendsRequest.decode(with_({ groups: groupsOf(8) }), Limits.make({ maxGroups: 8 }))
      }),
    )

    it.effect("rejects an empty or blank group name", () =>
      Effect.gen(function* () {
        for (const name of ["", "  "]) {
          const error = yield* fail(with_({ groups: { [name]: { trend_type: "daily" } } }))
          assert.include(messageAt(error, "groups"), "a group with an empty name")
        }
      }),
    )

    it.effect("rejects the reserved group name status, saying why", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ groups: { status: { trend_type: "daily" } } }))
        const message = messageAt(error, "groups.status")
        assert.include(message, "reserved")
        assert.include(message, "collide")
        assert.include(message, "rename the group")
      }),
    )

    it.effect("rejects __proto__ as a group name instead of losing the group", () =>
      Effect.gen(function* () {
        const error = yield* fail(
          JSON.parse(
            '{"event_name":"A","from":20240101,"to":20240102,"groups":{"__proto__":{"trend_type":"daily"}}}',
          ),
        )
        assert.include(messageAt(error, "groups.__proto__"), "cannot name a group")
      }),
    )
  })

  describe("event_name", () => {
    it.effect("rejects an empty or blank name", () =>
      Effect.gen(function* () {
        for (const event_name of ["", " \t "]) {
          const error = yield* fail(with_({ event_name }))
          assert.include(messageAt(error, "event_name"), "must not be empty")
        }
      }),
    )

    it.effect("allows maxEventNameLength characters and rejects one more", () =>
      Effect.gen(function* () {
        yield* TrendsRequest.decode(with_({ event_name: "e".repeat(120) }))
        const error = yield* fail(with_({ event_name: "e".repeat(121) }))
        assert.include(messageAt(error, "event_name"), "is 121 characters long")
        assert.include(messageAt(error, "event_name"), "at most 120")
      }),
    )

    it.effect("counts characters, not UTF-16 units", () =>
      Effect.gen(function* () {
        const request = yield* TrendsRequest.decode(with_({ event_name: "🎉".repeat(120) }))
        assert.strictEqual(request.event_name.length, 240)
        yield* fail(with_({ event_name: "🎉".repeat(121) }))
      }),
    )

    it.effect("applies a custom maxEventNameLength", () =>
      Effect.gen(function* () {
        const limits = Limits.make({ maxEventNameLength: 4 })
        yield* TrendsRequest.decode(with_({ event_name: "Open" }), limits)
        const error = yield* fail(with_({ event_name: "Opens" }), limits)
        assert.include(messageAt(error, "event_name"), "at most 4")
      }),
    )
  })

  describe("unique and sum_event_prop", () => {
    it.effect("rejects unique: true with sum_event_prop, asking to pick one", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ unique: true, sum_event_prop: "Amount" }))
        assert.strictEqual(error.issues.length, 1)
        assert.include(messageAt(error, "sum_event_prop"), `cannot be combined with "unique": true`)
        assert.include(messageAt(error, "sum_event_prop"), "pick one")
      }),
    )

    it.effect("rejects a blank sum_event_prop", () =>
      Effect.gen(function* () {
        const error = yield* fail(with_({ sum_event_prop: " " }))
        assert.include(messageAt(error, "sum_event_prop"), "must not be empty")
      }),
    )

    it.effect("derives the measure from unique and sum_event_prop", () =>
      Effect.gen(function* () {
        const measureOf = (fields: Record<string, unknown>) =>
          Effect.map(TrendsRequest.decode(with_(fields)), TrendsRequest.measure)
        assert.deepStrictEqual(yield* measureOf({}), Measure.Events)
        assert.deepStrictEqual(yield* measureOf({ unique: false }), Measure.Events)
        assert.deepStrictEqual(yield* measureOf({ unique: true }), Measure.Profiles)
        const sum = yield* measureOf({ unique: false, sum_event_prop: "Amount" })
        assert.isTrue(Measure.Measure.$is("Sum")(sum))
        assert.deepStrictEqual(sum, Measure.sum("Amount"))
        assert.deepStrictEqual(
          yield* measureOf({ sum_event_prop: "Amount" }),
          Measure.sum("Amount"),
        )
      }),
    )
  })

  it.effect("reports every problem together, not only the first", () =>
    Effect.gen(function* () {
      const error = yield* fail({
        event_name: " ",
        from: 20230230,
        to: 20230101,
        unique: true,
        sum_event_prop: "Amount",
        groups: { ...groupsOf(5), status: { trend_type: "minutely" } },
      })
      assert.deepStrictEqual(error.issues.map((issue) => issue.path).sort(), [
        "event_name",
        "from",
        "groups",
        "groups.status",
        "groups.status.trend_type",
        "sum_event_prop",
      ])
    }),
  )

  it.effect("names the field in the wire fail body", () =>
    Effect.gen(function* () {
      const error = yield* fail(with_({ groups: { foo: { trend_type: "Yearly" } } }))
      const body = ApiError.toFailBody(error)
      assert.strictEqual(body.code, 400)
      assert.strictEqual(
        body.error,
        `groups.foo.trend_type: must be "daily", "weekly", "monthly", "hourly", "quarterly" or "yearly"; got "Yearly"`,
      )
      assert.deepStrictEqual(ApiError.fromFailBody(body, 400), error)
    }),
  )
})

describe("TrendsRequest.encode", () => {
  it.effect("encodes the decoded seed back to its wire form", () =>
    Effect.gen(function* () {
      const wire = JSON.parse(seedJson)
      const request = yield* TrendsRequest.decode(wire)
      assert.deepStrictEqual(TrendsRequest.encode(request), wire)
    }),
  )

  it("turns a request built in code into integer dates", () => {
    const wire = TrendsRequest.encode({
      event_name: "Open",
      from: Calendar.unsafeMakeDay(2021, 1, 1),
      to: Calendar.unsafeMakeDay(2021, 1, 31),
      groups: { weeks: { trend_type: "weekly" } },
      unique: true,
    })
    assert.deepStrictEqual(wire, {
      event_name: "Open",
      from: 20210101,
      to: 20210131,
      groups: { weeks: { trend_type: "weekly" } },
      unique: true,
    })
  })

  it("throws on a day that has no YYYYMMDD key", () => {
    assert.throws(() =>
      TrendsRequest.encode({
        event_name: "Open",
        from: Calendar.unsafeMakeDay(10000, 1, 1),
        to: Calendar.unsafeMakeDay(10000, 1, 2),
        groups: { days: { trend_type: "daily" } },
      }),
    )
  })

  it("round-trips any valid range through the wire form", () => {
    const first = Calendar.unsafeMakeDay(1000, 1, 1)
    const last = Calendar.unsafeMakeDay(9999, 12, 31)
    fc.assert(
      fc.property(
        fc.integer({ min: first, max: last - 365 }),
        fc.integer({ min: 0, max: 365 }),
        (from, length) => {
          const request: TrendsRequest.TrendsRequest = {
            event_name: "Charged",
            from,
            to: from + length,
            groups: { days: { trend_type: "daily" } },
          }
          const decoded = Effect.runSync(TrendsRequest.decode(TrendsRequest.encode(request)))
          assert.deepStrictEqual(decoded, request)
        },
      ),
    )
  })
})
