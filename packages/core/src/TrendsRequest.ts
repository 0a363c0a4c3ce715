/**
 * The Trends request body (`POST /1/counts/trends.json`): its wire schema, the decoded
 * request with `from`/`to` as calendar days, and `decode`, which checks every rule and
 * reports every broken one at once, each naming its field and the fix.
 *
 * The field schemas and rules on `event_name`, `from` and `to` are exported for the other
 * count requests (`EventCount`), so every endpoint reads those fields the same way.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as ApiError from "./ApiError.ts"
import * as Bucket from "./Bucket.ts"
import * as Calendar from "./Calendar.ts"
import * as Extensions from "./Extensions.ts"
import * as Filter from "./Filter.ts"
import * as Limits from "./Limits.ts"
import * as Measure from "./Measure.ts"

// ---------------------------------------------------------------------------------------
// Messages

// Echoes the received value back, short enough to sit inside a one-line error.
const describe = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "an object"
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  }
  return String(value)
}

// `override` is needed where the schema is a union (a literal list): without it Effect
// reports one "Expected …" line per member instead of our sentence.
const mustBe = (expected: string, override = false) => ({
  message: (issue: ParseResult.ParseIssue) => ({
    message: `must be ${expected}; got ${describe(issue.actual)}`,
    override,
  }),
})

const required = <S extends Schema.Schema.All>(schema: S, fix: string) =>
  Schema.propertySignature(schema).annotations({ missingMessage: () => `is missing; ${fix}` })

const exampleGroups = `{"days": {"trend_type": "daily"}}`

// ---------------------------------------------------------------------------------------
// Field schemas

/** How a group is broken down: one bucket per hour, day, week, month, quarter or year. */
export const TrendType = Bucket.TrendType.annotations(
  mustBe(`"daily", "weekly", "monthly", "hourly", "quarterly" or "yearly"`, true),
)
export type TrendType = Bucket.TrendType

/** The wire `event_name`: any string here; `eventRules` rejects blank and overlong names. */
export const EventName = Schema.String.annotations(
  mustBe(`the event's name as a string, e.g. "Charged"`),
)

const dateForm = "an integer date in YYYYMMDD form, e.g. 20161224"

// A real date of the same month when there is one, so the fix is one edit away.
const nearestDate = (key: number): number => {
  const year = Math.floor(key / 10_000)
  const month = Math.floor(key / 100) % 100
  return month >= 1 && month <= 12 && year >= Calendar.minYear && year <= Calendar.maxYear
    ? year * 10_000 + month * 100 + Calendar.daysInMonth(year, month)
    : 20161224
}

/**
 * A wire date `YYYYMMDD` (the integer `20161224`) decoded to a `Calendar.Day`; only real
 * calendar dates pass (`20230230` does not).
 */
export const DateKey = Schema.transformOrFail(
  Schema.Number.annotations(mustBe(dateForm)),
  Schema.Int,
  {
    strict: true,
    decode: (key, _, ast) =>
      Option.match(Calendar.parseDateKey(key), {
        onSome: ParseResult.succeed,
        onNone: () =>
          ParseResult.fail(
            new ParseResult.Type(
              ast,
              key,
              Number.isInteger(key) && key >= 10_000_000 && key <= 99_999_999
                ? `${key} is not a real calendar date; give an existing date in YYYYMMDD form, e.g. ${nearestDate(key)}`
                : `must be ${dateForm}; got ${describe(key)}`,
            ),
          ),
      }),
    // Days outside years 1000-9999 have no eight-digit key; refusing them here keeps a
    // request built in code from reaching the wire as a date the server cannot read.
    encode: (day, _, ast) => {
      const key = Calendar.toDateInt(day)
      return Option.isSome(Calendar.parseDateKey(key))
        ? ParseResult.succeed(key)
        : ParseResult.fail(
            new ParseResult.Type(
              ast,
              day,
              `day ${day} is outside the years ${Calendar.minYear}-${Calendar.maxYear}`,
            ),
          )
    },
  },
)

/** The most series a breakdown answers (each is a query of its own). */
export const maxBreakdownValues = 20

/** The longest rolling window of a group, in days. */
export const maxRollingDays = 90

/**
 * Trendline's: a group broken down by the values of a property, one series per top value
 * and an "other" series (`Extensions`): `{"property_type": "event_properties", "name":
 * "Platform", "top_n": 3}` (`top_n` 5 by default, at most `maxBreakdownValues`).
 */
export const Breakdown = Schema.Struct({
  property_type: required(
    Schema.Literal("event_properties", "profile_fields").annotations(
      mustBe(`"event_properties" or "profile_fields"`, true),
    ),
    `add "property_type": "event_properties" (the event's) or "profile_fields" (its profile's)`,
  ),
  name: required(
    Schema.String.annotations(mustBe(`a property's name, e.g. "Platform"`)),
    `add the property's "name", e.g. "Platform"`,
  ),
  top_n: Schema.optionalWith(
    Schema.Int.annotations(mustBe(`a whole number of series, 1 to ${maxBreakdownValues}`)),
    { exact: true },
  ),
}).annotations(mustBe(`an object like {"property_type": "event_properties", "name": "Platform"}`))
export type Breakdown = typeof Breakdown.Type

/** One group of the request: `{"trend_type": "daily"}`. Extra fields are ignored. */
export const Group = Schema.Struct({
  trend_type: required(
    TrendType,
    `add "trend_type": "daily", "weekly", "monthly", "hourly", "quarterly" or "yearly"`,
  ),
  breakdown: Schema.optionalWith(Breakdown, { exact: true }),
  /**
   * Trendline's: per day, the measure over the `rolling` days ending that day
   * (`Extensions`); daily groups only, 1 to `maxRollingDays`.
   */
  rolling: Schema.optionalWith(
    Schema.Int.annotations(mustBe(`a whole number of days, 1 to ${maxRollingDays}`)),
    { exact: true },
  ),
}).annotations(mustBe(`an object like {"trend_type": "daily"}`))
export type Group = typeof Group.Type

/** The wire `groups`: group name to group; `decode` checks the names and their count. */
export const Groups = Schema.Record({ key: Schema.String, value: Group }).annotations(
  mustBe(`an object of named groups, e.g. ${exampleGroups}`),
)

/** The fields every count request shares, with their messages; spread into a `Schema.Struct`. */
export const eventFields = {
  event_name: required(EventName, `add the event's name, e.g. "event_name": "Charged"`),
  from: required(DateKey, `add the first day of the range, e.g. "from": 20161224`),
  to: required(DateKey, `add the last day of the range, e.g. "to": 20170103`),
  /** Conditions on the event's properties (`Filter`), checked by `eventRules`. */
  event_properties: Schema.optionalWith(Filter.EntryList, { exact: true }),
  /** Conditions on the fields of the profile that did the event, checked by `eventRules`. */
  common_profile_properties: Schema.optionalWith(Filter.EntryList, { exact: true }),
}

// ---------------------------------------------------------------------------------------
// The request

/**
 * The trends request: the wire body (`Encoded`) decodes to `from`/`to` as `Calendar.Day`.
 * Unknown fields are ignored. This schema checks shapes only; `decode` adds the rules.
 */
export const TrendsRequest = Schema.Struct({
  ...eventFields,
  groups: required(Groups, `add at least one group, e.g. "groups": ${exampleGroups}`),
  unique: Schema.optionalWith(
    Schema.Boolean.annotations(mustBe("true (count profiles) or false (count events)")),
    { exact: true },
  ),
  sum_event_prop: Schema.optionalWith(
    Schema.String.annotations(mustBe(`the name of an integer event property, e.g. "Amount"`)),
    { exact: true },
  ),
  /** Trendline's: each group's total over the range (`Extensions`). */
  totals: Schema.optionalWith(
    Schema.Boolean.annotations(mustBe("true (answer each group's total) or false")),
    { exact: true },
  ),
  /** Trendline's: each bucket's instants, completeness and days (`Extensions`). */
  bucket_meta: Schema.optionalWith(
    Schema.Boolean.annotations(mustBe("true (describe each bucket) or false")),
    { exact: true },
  ),
  /** Trendline's: the same groups over an earlier period, bucket by bucket (`Extensions`). */
  compare: Schema.optionalWith(
    Schema.Literal("previous_period", "previous_year").annotations(
      mustBe(`"previous_period" or "previous_year"`, true),
    ),
    { exact: true },
  ),
})
export type TrendsRequest = typeof TrendsRequest.Type

/** The request as sent on the wire: `from`/`to` are integers like `20161224`. */
export type Encoded = typeof TrendsRequest.Encoded

/**
 * The measure a request asks for. `decode` rejects `unique: true` with `sum_event_prop`;
 * a request built in code with both sums.
 */
export const measure = (request: {
  readonly unique?: boolean
  readonly sum_event_prop?: string
}): Measure.Measure =>
  request.sum_event_prop !== undefined
    ? Measure.sum(request.sum_event_prop)
    : request.unique === true
      ? Measure.Profiles
      : Measure.Events

// ---------------------------------------------------------------------------------------
// Rules

/** A request body known to be a JSON object, before its fields are checked. */
export type Body = { readonly [key: string]: unknown }

/** Whether a value is a JSON object (a body, or a group). */
export const isObject = (input: unknown): input is Body =>
  typeof input === "object" && input !== null && !Array.isArray(input)

/** Rules beyond the shape: each reads the fields it needs and ignores ill-formed ones. */
export type Rules = (body: Body, limits: Limits.Limits) => ReadonlyArray<ApiError.Issue>

// A field the rules can use: present and well-formed (its shape issue is reported apart).
const field = <A, I>(schema: Schema.Schema<A, I>, body: Body, key: string): Option.Option<A> =>
  Object.hasOwn(body, key) ? Schema.decodeUnknownOption(schema)(body[key]) : Option.none()

const isBody = (input: unknown): input is Body =>
  typeof input === "object" && input !== null && !Array.isArray(input)

// Counts code points, not UTF-16 units: an emoji is one character to whoever named the event.
const characters = (text: string): number => Array.from(text).length

const eventNameIssues = (name: string, limits: Limits.Limits): Array<ApiError.Issue> => {
  if (name.trim() === "") {
    return [
      {
        path: "event_name",
        message: `must not be empty; give the name of the event to count, e.g. "Charged"`,
      },
    ]
  }
  const length = characters(name)
  return length > limits.maxEventNameLength
    ? [
        {
          path: "event_name",
          message: `is ${length} characters long; event names have at most ${limits.maxEventNameLength} characters, so use the name the events were uploaded with`,
        },
      ]
    : []
}

const rangeIssues = (
  from: Calendar.Day,
  to: Calendar.Day,
  limits: Limits.Limits,
): Array<ApiError.Issue> => {
  const fromKey = Calendar.toDateInt(from)
  const toKey = Calendar.toDateInt(to)
  if (from > to) {
    return [
      {
        path: "from",
        message: `${fromKey} is after "to" (${toKey}); the range must start on or before its last day, so swap the two dates`,
      },
    ]
  }
  const days = to - from + 1
  return days > limits.maxRangeDays
    ? [
        {
          path: "to",
          message: `the range ${fromKey}..${toKey} covers ${days} days (both ends count) but at most ${limits.maxRangeDays} are allowed; set "to" to ${Calendar.toDateInt(from + limits.maxRangeDays - 1)} or earlier, or split the query`,
        },
      ]
    : []
}

/**
 * The rules on `event_name`, `from`, `to` and the filters: a named event, a range within
 * the limit, and well-formed filter entries (`Filter.decode`).
 */
export const eventRules: Rules = (body, limits) => [
  ...Either.match(Filter.decode(body, limits), { onLeft: (issues) => issues, onRight: () => [] }),
  ...Option.match(field(EventName, body, "event_name"), {
    onNone: () => [],
    onSome: (name) => eventNameIssues(name, limits),
  }),
  ...Option.match(Option.all([field(DateKey, body, "from"), field(DateKey, body, "to")]), {
    onNone: () => [],
    onSome: ([from, to]) => rangeIssues(from, to, limits),
  }),
]

/**
 * The rules on the names of a request's groups (trends or top counts): at least one, at
 * most `limits.maxGroups`, none empty, none `status` (the answer's own key).
 */
export const groupIssues = (groups: Body, limits: Limits.Limits): Array<ApiError.Issue> => {
  const names = Object.keys(groups)
  const issues: Array<ApiError.Issue> = []
  if (names.length === 0) {
    issues.push({
      path: "groups",
      message: `must contain at least one group; add one, e.g. ${exampleGroups}`,
    })
  }
  if (names.length > limits.maxGroups) {
    issues.push({
      path: "groups",
      message: `has ${names.length} groups but at most ${limits.maxGroups} are allowed in one request; remove some or split them across requests`,
    })
  }
  for (const name of names) {
    if (name.trim() === "") {
      issues.push({
        path: "groups",
        message: `has a group with an empty name; give every group a name, e.g. "days"`,
      })
    } else if (name === "status") {
      issues.push({
        path: "groups.status",
        message: `"status" is reserved: the success response puts each group beside its "status" key, so they would collide; rename the group, e.g. "status_trend"`,
      })
    } else if (name === "__proto__") {
      // JSON.parse keeps it as a key, but every object write turns it into a prototype.
      issues.push({
        path: "groups.__proto__",
        message: `"__proto__" cannot name a group (JavaScript objects treat it specially); rename the group`,
      })
    }
  }
  return issues
}

const measureIssues = (body: Body): Array<ApiError.Issue> => {
  const sum = field(Schema.String, body, "sum_event_prop")
  if (Option.isNone(sum)) return []
  if (sum.value.trim() === "") {
    return [
      {
        path: "sum_event_prop",
        message: `must not be empty; give the integer property to sum, e.g. "Amount", or leave the field out to count events`,
      },
    ]
  }
  return body.unique === true
    ? [
        {
          path: "sum_event_prop",
          message: `cannot be combined with "unique": true (unique counts profiles, sum_event_prop sums a property); pick one: remove "sum_event_prop", or set "unique" to false`,
        },
      ]
    : []
}

// `trendline` holds the extensions' answers (`Extensions.reservedKey`), as `status` the
// answer's status: a group may not take either name.
const reservedGroupIssues = (groups: Body): Array<ApiError.Issue> =>
  Object.hasOwn(groups, Extensions.reservedKey)
    ? [
        {
          path: `groups.${Extensions.reservedKey}`,
          message: `"${Extensions.reservedKey}" is reserved: the answer puts Trendline's extensions (totals, bucket_meta) under that key beside the groups; rename the group, e.g. "${Extensions.reservedKey}_trend"`,
        },
      ]
    : []

// The period a comparison reads must be a calendar range the stores can hold.
const compareIssues = (body: Body): Array<ApiError.Issue> => {
  const kind = field(Schema.Literal("previous_period", "previous_year"), body, "compare")
  const from = field(DateKey, body, "from")
  const to = field(DateKey, body, "to")
  if (Option.isNone(kind) || Option.isNone(from) || Option.isNone(to) || from.value > to.value)
    return []
  const [first] = Extensions.previousRange(kind.value, from.value, to.value)
  return first < Calendar.unsafeMakeDay(Calendar.minYear, 1, 1)
    ? [
        {
          path: "compare",
          message: `the ${kind.value === "previous_year" ? "year" : "period"} before ${Calendar.toDateInt(from.value)} starts before ${Calendar.minYear}-01-01; compare a later range, or leave "compare" out`,
        },
      ]
    : []
}

const breakdownIssues = (groups: Body, limits: Limits.Limits): Array<ApiError.Issue> =>
  Object.entries(groups).flatMap(([group, value]) => {
    if (!isBody(value) || !isBody(value.breakdown)) return []
    const path = `groups.${group}.breakdown`
    const { name, top_n: topN } = value.breakdown
    const issues: Array<ApiError.Issue> = []
    if (typeof name === "string" && name.trim() === "")
      issues.push({ path: `${path}.name`, message: `must name a property, e.g. "Platform"` })
    else if (typeof name === "string" && characters(name) > limits.maxPropertyNameLength)
      issues.push({
        path: `${path}.name`,
        message: `is longer than ${limits.maxPropertyNameLength} characters, the longest property name an upload stores`,
      })
    if (
      typeof topN === "number" &&
      Number.isInteger(topN) &&
      (topN < 1 || topN > maxBreakdownValues)
    )
      issues.push({
        path: `${path}.top_n`,
        message: `must be between 1 and ${maxBreakdownValues} (each value is a series); it is ${topN}`,
      })
    return issues
  })

// Hourly groups: a range of at most `limits.maxHourlyDays` days.
const hourlyIssues = (body: Body, limits: Limits.Limits): Array<ApiError.Issue> => {
  const from = field(DateKey, body, "from")
  const to = field(DateKey, body, "to")
  if (!isBody(body.groups) || Option.isNone(from) || Option.isNone(to) || from.value > to.value)
    return []
  const days = to.value - from.value + 1
  const hourly = Object.entries(body.groups).find(
    ([, group]) => isBody(group) && group.trend_type === "hourly",
  )
  return hourly !== undefined && days > limits.maxHourlyDays
    ? [
        {
          path: "to",
          message: `the range covers ${days} days but a range with an hourly group ("${hourly[0]}") covers at most ${limits.maxHourlyDays}; set "to" to ${Calendar.toDateInt(from.value + limits.maxHourlyDays - 1)} or earlier, or make the group daily`,
        },
      ]
    : []
}

// Rolling windows: daily groups, 1 to `maxRollingDays` days, reaching no further back than
// the years a store holds.
const rollingIssues = (body: Body): Array<ApiError.Issue> => {
  if (!isBody(body.groups)) return []
  const from = field(DateKey, body, "from")
  return Object.entries(body.groups).flatMap(([group, value]) => {
    if (!isBody(value) || typeof value.rolling !== "number" || !Number.isInteger(value.rolling))
      return []
    const path = `groups.${group}.rolling`
    const days = value.rolling
    if (days < 1 || days > maxRollingDays)
      return [
        {
          path,
          message: `must be between 1 and ${maxRollingDays} days (7 for weekly active, 30 for monthly active); it is ${days}`,
        },
      ]
    if (value.trend_type !== "daily" && typeof value.trend_type === "string")
      return [
        {
          path,
          message: `needs a daily group (a window ends on each day); set "trend_type": "daily", or leave "rolling" out`,
        },
      ]
    return Option.isSome(from) &&
      from.value - days + 1 < Calendar.unsafeMakeDay(Calendar.minYear, 1, 1)
      ? [
          {
            path,
            message: `the first window of ${days} days ending ${Calendar.toDateInt(from.value)} starts before ${Calendar.minYear}-01-01; start the range later, or use a shorter window`,
          },
        ]
      : []
  })
}

const trendsRules: Rules = (body, limits) => [
  ...compareIssues(body),
  ...hourlyIssues(body, limits),
  ...rollingIssues(body),
  ...(isBody(body.groups) ? breakdownIssues(body.groups, limits) : []),
  ...eventRules(body, limits),
  ...(isBody(body.groups)
    ? [...groupIssues(body.groups, limits), ...reservedGroupIssues(body.groups)]
    : []),
  ...measureIssues(body),
]

// ---------------------------------------------------------------------------------------
// Decoding

const pathOf = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join(".")

/** Schema failures as API issues: `{ path: "groups.foo.trend_type", message: "must be …" }`. */
export const issuesOf = (error: ParseResult.ParseError): Array<ApiError.Issue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: pathOf(issue.path),
    message: issue.message,
  }))

/**
 * A request decoder: the body must be a JSON object; then its shape issues and the
 * `rules` issues are reported together in one `InvalidRequest`.
 *
 * @example
 * const decodeCount = makeDecoder(Schema.Struct(eventFields), eventRules)
 */
export const makeDecoder =
  <A, I>(schema: Schema.Schema<A, I>, rules: Rules) =>
  (
    input: unknown,
    limits: Limits.Limits = Limits.defaults,
  ): Effect.Effect<A, ApiError.InvalidRequest> =>
    Effect.suspend(() => {
      if (!isBody(input)) {
        return Effect.fail(
          ApiError.InvalidRequest.field(
            "",
            `the request body must be a JSON object, e.g. {"event_name": "Charged", "from": 20161224, "to": 20170103, "groups": ${exampleGroups}}; got ${describe(input)}`,
          ),
        )
      }
      const decoded = Schema.decodeUnknownEither(schema, { errors: "all" })(input)
      const issues = [
        ...(Either.isLeft(decoded) ? issuesOf(decoded.left) : []),
        ...rules(input, limits),
      ]
      if (Arr.isNonEmptyReadonlyArray(issues)) {
        return Effect.fail(new ApiError.InvalidRequest({ issues }))
      }
      // A Left always formats to at least one issue, so this is a Right.
      return Either.isRight(decoded) ? Effect.succeed(decoded.right) : Effect.die(decoded.left)
    })

/**
 * Reads a trends request body, checking every rule against `limits`; fails with one
 * `InvalidRequest` listing every problem, e.g. `groups.foo.trend_type: must be …`.
 */
export const decode: (
  input: unknown,
  limits?: Limits.Limits,
) => Effect.Effect<TrendsRequest, ApiError.InvalidRequest> = makeDecoder(TrendsRequest, trendsRules)

/**
 * The wire body of a request built in code, ready for `JSON.stringify`. It checks shapes
 * only (the server applies the rules) and throws on a day outside the years 1000-9999.
 */
export const encode: (request: TrendsRequest) => Encoded = Schema.encodeSync(TrendsRequest)
