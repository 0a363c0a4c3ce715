// A plan's filters (core's `Filter`) as SQL over the stored records, with the meaning of
// `Filter.satisfies` exactly, in the SQL that 18.16 and current ClickHouse read alike.
//
// What is read: `properties`, the record's properties as `JSON.stringify` wrote them (see
// BatchRow.ts), so a property's type is in its JSON value: a string is `"…"`, a boolean
// `true`/`false`, `null` is null (present, equal to nothing), a number is its shortest
// round-trip decimal (`5`, `0.5`, `1.5e-7`, `1e+21`: every integer past 2^53 as the double
// it is). `prop_ints` holds safe integers only, and leaves out zeros: no use here.
// Uploads store flat properties (no objects or arrays), which the reading below relies on.
//
// - Where a property is. 18.16 has no JSON functions but `visitParam*`, which find a name
//   anywhere in the text (also inside another key) and cut strings ending in `\\` short. In
//   `JSON.stringify`'s output of a flat object, `,"` occurs only where a key starts (a quote
//   inside a string is `\"`) and `{"` only at the start, so the key `k` (JSON-encoded, with
//   its quotes) is where `{k:` starts the text or `,k:` is found: its value follows.
// - Comparing a value: the stored JSON value is compared with the JSON of the condition's
//   values as text (`JSON.stringify` of a number is one text per number, -0 being "0"),
//   which is exact and keeps types apart: the text "5" is `"5"`, the number `5`; "True"
//   (any case) adds `true`.
// - `contains` reads the string with `visitParamExtractString` (escapes undone) on a text
//   that starts with it, and looks for each value as bytes (UTF-8 is self-synchronizing:
//   a substring of valid UTF-8 is a substring of code points). A value with a lone UTF-16
//   surrogate is looked for as U+FFFD, as every string in SQL is (`wellFormed`), where
//   JavaScript's `includes` could find half of a pair: requests escaping one are the
//   only way to send it.
// - Comparisons: ClickHouse reads decimal text into Float64 inexactly (18.16 misreads about
//   1 random double in 10 by an ulp; so do its float literals), so numbers are compared as
//   decimals instead: the text is cut into a sign, an exponent and digits (0.DIGITS x
//   10^EXPONENT), compared as (exponent, digits as text) against the value's, cut the same
//   way here. Shortest round-trip decimals order as their doubles do (each lies in its
//   double's rounding interval), so this is the comparison of the doubles, exactly; equal
//   numbers are found by text first (trailing zeros then never matter).
// - Profile fields are the profile's records (kind 'profile') folded as core's
//   `EventStore.mergeProfile` folds them, in the order they arrived (`seq`): a record whose
//   `ts` is at least every earlier record's sets its fields; an older one only adds the
//   fields no earlier record had. So a field's value is the one of the last such "leading"
//   record that has it, else of the first record that has it. Leading records are found
//   without window functions (18.16 has none): per profile, the records' `ts` in `seq`
//   order, and `arrayCumSumNonNegative` of the falls from one to the next is how far each
//   lies below the running maximum (0: leading). A profile with no record has no field.
//   The profiles that satisfy the profile conditions are a subquery over the account's
//   profile records (`profile IN (…)`; `NOT IN` the failing ones when every condition is
//   `does_not_exist`, which profiles without records satisfy). Their values are read with
//   a regular expression (`extract`), which finds a string's end; events use position().
// - The event conditions read columns that a subquery over the plan's events computes once
//   per event (where each property's value starts; a string's text, a number's parts): the
//   same expressions written out in every condition grow the SQL exponentially.
// - Values are literals (`stringLiteral`, `integerLiteral`): 18.16 has no query parameters.
import * as Filter from "@trendline/core/Filter"
import { integerLiteral, stringLiteral } from "../ClickHouseSql.ts"

/**
 * A property of a record, as SQL over its stored JSON value. The expressions that need
 * work per record (a string's text, a number's parts) are columns of a subquery, computed
 * once; conditions name them (repeating them would grow the SQL past ClickHouse's limits).
 */
interface StoredValue {
  /** Whether the record has the property (a null one too). */
  readonly present: string
  /** The first character of its JSON value: `"`, `t`, `f`, `n`, or a number's. */
  readonly head: string
  /** Whether its JSON value is one of `texts` (JSON values, as `JSON.stringify` writes them). */
  readonly isOneOf: (texts: ReadonlyArray<string>) => string
  /** The string, escapes undone (when `head` is `"`). */
  readonly text: string
  /** The number's JSON text and its decimal parts (when it is a number). */
  readonly number: DecimalSql
}

/** What conditions read of a property beyond its presence and JSON value. */
interface Needs {
  readonly text: boolean
  readonly number: boolean
}

const needsOf = (conditions: ReadonlyArray<Filter.Condition>, name: string): Needs => {
  const operators = conditions
    .filter((condition) => condition.name === name)
    .map((condition) => condition.operator)
  return {
    text: operators.some((operator) => operator === "contains" || operator === "does_not_contain"),
    number: operators.some((operator) => Filter.operators[operator] === "number"),
  }
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).byteLength

const list = (texts: ReadonlyArray<string>): string => texts.map(stringLiteral).join(", ")

// A string's value read from SQL text `json` that starts with its JSON value.
const decoded = (json: string): string => `visitParamExtractString(concat('{"v":', ${json}), 'v')`

// Where the JSON value of the key `name` starts in `properties` (1-based), 0 when absent.
const startSql = (name: string): string => {
  const key = JSON.stringify(name)
  const first = `{${key}:`
  const later = `,${key}:`
  const laterAt = `position(properties, ${stringLiteral(later)})`
  return `if(startsWith(properties, ${stringLiteral(first)}), ${integerLiteral(utf8Length(first) + 1)}, if(${laterAt} > 0, ${laterAt} + ${integerLiteral(utf8Length(later))}, 0))`
}

// The columns a subquery over records computes for an event property (index `i`): where
// its value starts, and what `needs` asks for.
const eventColumns = (name: string, i: number, needs: Needs): Array<string> => {
  const start = `filter_start_${i}`
  return [
    `${startSql(name)} AS ${start}`,
    ...(needs.text ? [`${decoded(`substring(properties, ${start})`)} AS filter_text_${i}`] : []),
    // A number's JSON text is at most 25 characters, and ends at `,` or `}`.
    ...(needs.number
      ? numberColumns(
          `replaceOne(splitByChar(',', substring(properties, ${start}, 32))[1], '}', '')`,
          i,
        )
      : []),
  ]
}

/** An event property whose columns (`eventColumns`) have index `i`. */
const eventProperty = (i: number): StoredValue => {
  const start = `filter_start_${i}`
  return {
    present: `(${start} > 0)`,
    head: `substring(properties, ${start}, 1)`,
    isOneOf: (texts) => {
      if (texts.length === 0) return "0"
      // The value's first bytes, and the one past them, which ends it (`,` or `}`).
      const byLength = new Map<number, Array<string>>()
      for (const text of texts) {
        const length = utf8Length(text)
        byLength.set(length, [...(byLength.get(length) ?? []), text])
      }
      return any(
        [...byLength].map(
          ([length, texts]) =>
            `(substring(properties, ${start}, ${integerLiteral(length)}) IN (${list(texts)}) AND substring(properties, ${start} + ${integerLiteral(length)}, 1) IN (',', '}'))`,
        ),
      )
    },
    text: `filter_text_${i}`,
    number: numberOf(i),
  }
}

// The columns of a profile's merged field (index `i`, its JSON value `filter_field_${i}`).
const fieldColumns = (i: number, needs: Needs): Array<string> => [
  ...(needs.text ? [`${decoded(`concat(filter_field_${i}, '}')`)} AS filter_text_${i}`] : []),
  ...(needs.number ? numberColumns(`filter_field_${i}`, i) : []),
]

/** A profile's merged field whose columns (`fieldColumns`) have index `i`. */
const fieldProperty = (i: number): StoredValue => {
  const json = `filter_field_${i}`
  return {
    present: `(${json} != '')`,
    head: `substring(${json}, 1, 1)`,
    isOneOf: (texts) => (texts.length === 0 ? "0" : `${json} IN (${list(texts)})`),
    text: `filter_text_${i}`,
    number: numberOf(i),
  }
}

/** A number as a decimal 0.DIGITS x 10^EXPONENT (digits without leading zeros; none for 0). */
interface Decimal {
  readonly negative: boolean
  readonly exponent: number
  readonly digits: string
}

/** The decimal of a JSON number's text, as `numberColumns` cuts it in SQL. */
export const decimalOf = (json: string): Decimal => {
  const negative = json.startsWith("-")
  const [mantissa = "", power = ""] = (negative ? json.slice(1) : json).split("e")
  const shift = power === "" ? 0 : Number(power)
  const [whole = "", fraction = ""] = mantissa.split(".")
  if (whole === "0") {
    const digits = fraction.replace(/^0+/, "")
    return { negative, exponent: shift - (fraction.length - digits.length), digits }
  }
  return { negative, exponent: whole.length + shift, digits: whole + fraction }
}

/** A number's columns: its JSON text and the parts of its decimal. */
interface DecimalSql {
  readonly json: string
  readonly negative: string
  readonly exponent: string
  readonly digits: string
}

const numberOf = (i: number): DecimalSql => ({
  json: `filter_number_${i}`,
  negative: `filter_negative_${i}`,
  exponent: `filter_exponent_${i}`,
  digits: `filter_digits_${i}`,
})

/** The columns of `numberOf(i)`, from the SQL `json` (a JSON number's text), as `decimalOf`. */
const numberColumns = (json: string, i: number): Array<string> => {
  const { json: text, negative, exponent, digits } = numberOf(i)
  const mantissa = `replaceOne(splitByChar('e', ${text})[1], '-', '')`
  const shift = `toInt64(toInt32OrZero(splitByChar('e', ${text})[2]))`
  const whole = `splitByChar('.', ${mantissa})[1]`
  const fraction = `splitByChar('.', ${mantissa})[2]`
  const significant = `replaceRegexpOne(${fraction}, '^0+', '')`
  return [
    `${json} AS ${text}`,
    `startsWith(${text}, '-') AS ${negative}`,
    `if(${whole} = '0', ${shift} - toInt64(length(${fraction}) - length(${significant})), toInt64(length(${whole})) + ${shift}) AS ${exponent}`,
    `if(${whole} = '0', ${significant}, concat(${whole}, ${fraction})) AS ${digits}`,
  ]
}

// Whether the number is greater than `value`, when it is not equal to it (equality is told
// by text).
const greaterSql = (number: DecimalSql, value: number): string => {
  const bound = decimalOf(JSON.stringify(value))
  const exponent = integerLiteral(bound.exponent)
  const digits = stringLiteral(bound.digits)
  if (bound.digits === "") return `(NOT ${number.negative} AND ${number.digits} != '')`
  if (!bound.negative)
    return `(NOT ${number.negative} AND ${number.digits} != '' AND (${number.exponent} > ${exponent} OR (${number.exponent} = ${exponent} AND ${number.digits} > ${digits})))`
  // Below zero, the smaller magnitude is the greater number; zero and above are greater.
  return `(NOT ${number.negative} OR ${number.exponent} < ${exponent} OR (${number.exponent} = ${exponent} AND ${number.digits} < ${digits}))`
}

// `property > bound` (or >=, <, <=) for the number property, as JavaScript compares them.
const comparison = (
  number: DecimalSql,
  operator: "greater_than" | "greater_than_equals" | "less_than" | "less_than_equals",
  bound: number,
): string => {
  if (Number.isNaN(bound)) return "0"
  if (bound === Number.POSITIVE_INFINITY)
    return operator === "less_than" || operator === "less_than_equals" ? "1" : "0"
  if (bound === Number.NEGATIVE_INFINITY)
    return operator === "greater_than" || operator === "greater_than_equals" ? "1" : "0"
  const equal = `(${number.json} = ${stringLiteral(JSON.stringify(bound))})`
  const greater = greaterSql(number, bound)
  switch (operator) {
    case "greater_than":
      return `(NOT ${equal} AND ${greater})`
    case "greater_than_equals":
      return `(${equal} OR ${greater})`
    case "less_than":
      return `(NOT ${equal} AND NOT ${greater})`
    case "less_than_equals":
      return `(${equal} OR NOT ${greater})`
  }
}
// The JSON values equal to one of `values` by `Filter`'s rule: the same text or number, and
// `true` / `false` for "True" / "False" in any case. Only finite numbers are in JSON.
const equalTexts = (values: ReadonlyArray<Filter.Value>): Array<string> => {
  const texts = new Set<string>()
  for (const value of values) {
    if (typeof value === "number" && !Number.isFinite(value)) continue
    texts.add(JSON.stringify(value))
    if (typeof value === "string") {
      const lower = value.toLowerCase()
      if (lower === "true" || lower === "false") texts.add(lower)
    }
  }
  return [...texts]
}

const any = (tests: ReadonlyArray<string>): string =>
  tests.length === 0 ? "0" : tests.length === 1 ? tests[0]! : `(${tests.join(" OR ")})`

/** One condition as SQL over a stored property: `Filter.satisfies`. */
const conditionSql = (condition: Filter.Condition, property: StoredValue): string => {
  const { operator, values } = condition
  const isString = `(${property.head} = '"')`
  const isNumber = `(${property.head} NOT IN ('"', 't', 'f', 'n'))`
  switch (operator) {
    case "exists":
      return property.present
    case "does_not_exist":
      return `NOT ${property.present}`
    case "equals":
      return `(${property.present} AND ${property.isOneOf(equalTexts(values))})`
    case "not_equals":
      return `(${property.present} AND NOT ${property.isOneOf(equalTexts(values))})`
    case "contains":
    case "does_not_contain": {
      // `includes` reads a number as its text, as JavaScript does.
      const found = any(
        [...new Set(values.map(String))].map(
          (value) => `position(${property.text}, ${stringLiteral(value)}) > 0`,
        ),
      )
      const contains = `(${isString} AND ${found})`
      return operator === "contains"
        ? `(${property.present} AND ${contains})`
        : `(${property.present} AND NOT ${contains})`
    }
    case "greater_than":
    case "greater_than_equals":
    case "less_than":
    case "less_than_equals": {
      // Greater than any of the values is greater than the least of them (less: the most).
      // JavaScript compares a number with text by reading the text as a number.
      const numbers = values.map(Number).filter((value) => !Number.isNaN(value))
      if (numbers.length === 0) return "0"
      const bound =
        operator === "greater_than" || operator === "greater_than_equals"
          ? Math.min(...numbers)
          : Math.max(...numbers)
      return `(${property.present} AND ${isNumber} AND ${comparison(property.number, operator, bound)})`
    }
  }
}

const all = (tests: ReadonlyArray<string>): string =>
  tests.length === 1 ? tests[0]! : `(${tests.join(" AND ")})`

// A JSON value at the start of a text: a string (to its closing quote, escapes skipped), or
// anything else up to the `,` or `}` that ends it.
const jsonValuePattern = '("(?:[^"\\\\]|\\\\.)*"|[^,}]*)'

// The JSON value of the key `name` in `properties` ('' when absent), with a regular
// expression: it needs the value's end, which position() cannot find in a string. Read for
// profile records only (an expression is about 8 times slower than position()).
const valueExtracted = (name: string): string => {
  const key = `${JSON.stringify(name)}:`.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&")
  return `extract(properties, ${stringLiteral(`[{,]${key}${jsonValuePattern}`)})`
}

/**
 * The JSON value of the key `name` in an event's `properties` ('' when absent), as SQL: the
 * text `JSON.stringify` wrote for the value. Where it starts is found as conditions find it
 * (position()), its end by a regular expression anchored there, which is twice as fast as
 * searching for the key with one (1M events on 18.16: 165 ms against 320).
 */
export const eventValueSql = (name: string): string => {
  const start = startSql(name)
  return `if(${start} > 0, extract(substring(properties, ${start}), ${stringLiteral(`^${jsonValuePattern}`)}), '')`
}

const namesOf = (conditions: ReadonlyArray<Filter.Condition>): Array<string> => [
  ...new Set(conditions.map((condition) => condition.name)),
]

/**
 * A query of the profiles with records in `account` (their keys, `filter_key`), each with
 * its merged field `names[i]` as `filter_field_${i}` (its JSON value, '' when the profile
 * lacks it), folded as `EventStore.mergeProfile` folds the upserts, and the `columns` of
 * each field computed from it.
 */
export const mergedFieldsSql = (
  names: ReadonlyArray<string>,
  records: string,
  account: string,
  columns: (i: number) => ReadonlyArray<string> = () => [],
): string => {
  // Lambda parameters and aliases are prefixed: 18.16 lets a query's aliases capture the
  // parameters of its lambdas.
  const bySeq = (column: string) =>
    `arraySort((filter_x, filter_q) -> filter_q, groupArray(${column}), groupArray(seq))`
  const leading = `arrayMap(filter_below -> filter_below = 0, arrayCumSumNonNegative(arrayMap(filter_step -> negate(filter_step), arrayDifference(filter_ts))))`
  const merged = (i: number) => {
    const values = `filter_values_${i}`
    const lastLeading = `arrayFirstIndex((filter_v, filter_l) -> filter_v != '' AND filter_l, arrayReverse(${values}), filter_leading_reversed)`
    const first = `arrayFirstIndex(filter_v -> filter_v != '', ${values})`
    return `if(${lastLeading} > 0, arrayElement(arrayReverse(${values}), ${lastLeading}), arrayElement(${values}, ${first})) AS filter_field_${i}`
  }
  return `SELECT filter_key, ${names.flatMap((_, i) => [merged(i), ...columns(i)]).join(", ")}
      FROM (
        SELECT filter_key, arrayReverse(${leading}) AS filter_leading_reversed,
          ${names.map((_, i) => `filter_values_${i}`).join(", ")}
        FROM (
          SELECT name AS filter_key, ${bySeq("ts")} AS filter_ts,
            ${names.map((_, i) => `${bySeq(`filter_value_${i}`)} AS filter_values_${i}`).join(", ")}
          FROM (
            SELECT name, ts, seq, ${names.map((name, i) => `${valueExtracted(name)} AS filter_value_${i}`).join(", ")}
            FROM ${records}
            WHERE account = ${stringLiteral(account)} AND kind = 'profile'
          )
          GROUP BY name
        )
      )`
}

// The profiles (their keys) with records in `account` whose merged fields satisfy every
// one of `conditions`; or, `failing`, those that do not.
const profilesSql = (
  conditions: ReadonlyArray<Filter.Condition>,
  records: string,
  account: string,
  failing: boolean,
): string => {
  const names = namesOf(conditions)
  const match = all(
    conditions.map((condition) =>
      conditionSql(condition, fieldProperty(names.indexOf(condition.name))),
    ),
  )
  return `SELECT filter_key FROM (
      ${mergedFieldsSql(names, records, account, (i) => fieldColumns(i, needsOf(conditions, names[i]!)))}
    )
    WHERE ${failing ? `NOT (${match})` : match}`
}

/**
 * The FROM and WHERE of a query of the account's events that `where` selects (over the
 * columns of `records`), keeping those that satisfy `filters`: the events' columns `ts`,
 * `profile`, `prop_keys` and `prop_ints`. Not called for no filter: that query reads the
 * table directly, as before filters.
 */
export const filteredSource = (
  filters: Filter.Filters,
  records: string,
  account: string,
  where: string,
): string => {
  const names = namesOf(filters.event)
  const tests = filters.event.map((condition) =>
    conditionSql(condition, eventProperty(names.indexOf(condition.name))),
  )
  if (filters.profile.length > 0) {
    // A profile without records has no field: it satisfies only `does_not_exist`.
    const withoutRecords = filters.profile.every(
      (condition) => condition.operator === "does_not_exist",
    )
    tests.push(
      withoutRecords
        ? `profile NOT IN (${profilesSql(filters.profile, records, account, true)})`
        : `profile IN (${profilesSql(filters.profile, records, account, false)})`,
    )
  }
  const columns = names.flatMap((name, i) => eventColumns(name, i, needsOf(filters.event, name)))
  return `FROM (
      SELECT ts, profile, prop_keys, prop_ints, properties${columns.map((column) => `, ${column}`).join("")}
      FROM ${records}
      WHERE ${where}
    )
    WHERE ${tests.length === 0 ? "1" : tests.join(" AND ")}`
}
