/**
 * The filter language of the Counts endpoints (CleverTap Query Language, as far as the
 * public documentation describes it): `event_properties` and `common_profile_properties`,
 * each a list of `{"name", "operator", "value"}` entries that must all hold. This module
 * owns its wire form, its validation (every bad entry named, with the fix) and its meaning,
 * as a pure predicate: the reference aggregator runs it, and every store translates it.
 *
 * Meaning, where the documentation is silent (our choices):
 * - A property an event (or its profile) lacks matches no entry but `does_not_exist`,
 *   whatever the operator: `not_equals` and `does_not_contain` need the property too.
 * - Profile entries read the fields of the profile that did the event as they are when the
 *   query runs (merged from its `type: "profile"` uploads), not as they were at the event.
 * - A list of values means any of them for `equals`, `contains` and the comparisons, and
 *   none of them for `not_equals` and `does_not_contain`.
 * - Text compares exactly (`contains` is case-sensitive); a text value never equals a
 *   number property nor the other way round, except that `"True"` and `"False"` (any case)
 *   equal the booleans `true` and `false`. JSON `true` and `false` are read as those strings.
 * - The comparisons (`greater_than`, …) hold for number properties only; `equals` and
 *   `not_equals` take text and numbers, `contains` and `does_not_contain` text only.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as ApiError from "./ApiError.ts"
import * as Limits from "./Limits.ts"

/** The operators of the documentation, and what their values must be. */
export const operators = {
  equals: "text or number",
  not_equals: "text or number",
  contains: "text",
  does_not_contain: "text",
  exists: "none",
  does_not_exist: "none",
  greater_than: "number",
  greater_than_equals: "number",
  less_than: "number",
  less_than_equals: "number",
} as const

/** An operator of `operators`. */
export type Operator = keyof typeof operators

/** A value to compare with: text (booleans as `"True"` / `"False"`) or a finite number. */
export type Value = string | number

/** One entry, validated: the property, the operator and its values (none for `exists`). */
export interface Condition {
  readonly name: string
  readonly operator: Operator
  readonly values: ReadonlyArray<Value>
}

/** The filters of a request: on the event's properties and on its profile's fields. */
export interface Filters {
  readonly event: ReadonlyArray<Condition>
  readonly profile: ReadonlyArray<Condition>
}

/** No filter: every event matches. */
export const none: Filters = { event: [], profile: [] }

/** Whether `filters` has no entry. */
export const isEmpty = (filters: Filters): boolean =>
  filters.event.length === 0 && filters.profile.length === 0

/** A value as sent: text, a number, or a boolean (read as `"True"` / `"False"`). */
export type Primitive = string | number | boolean

/** One entry as sent: `{"name": "Plan", "operator": "equals", "value": ["pro", "team"]}`. */
export interface Entry {
  readonly name: string
  readonly operator: Operator
  /** Absent for `exists` and `does_not_exist`; a list means any of its values. */
  readonly value?: Primitive | ReadonlyArray<Primitive>
}

/** The most entries in one list, and the most values in one entry. */
export const maxConditions = 20
export const maxValues = 100

const ConditionSchema = Schema.Struct({
  name: Schema.String,
  operator: Schema.Literal(...(Object.keys(operators) as Array<Operator>)),
  values: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
})

/** Filters as data, for a store that runs elsewhere (a worker thread). */
export const FiltersSchema: Schema.Schema<Filters> = Schema.Struct({
  event: Schema.Array(ConditionSchema),
  profile: Schema.Array(ConditionSchema),
})

const primitiveJson = [{ type: "string" }, { type: "number" }, { type: "boolean" }]

/**
 * A list of entries in a request schema. It lets any value through and is typed as
 * entries: `decode` (a request's rules) checks it, naming each bad entry with its fix, so
 * those are the only messages a bad filter gets. Documented as the entries' JSON Schema.
 */
export const EntryList = Schema.Unknown.annotations({
  jsonSchema: {
    type: "array",
    description:
      'Conditions that must all hold. Text is compared exactly; a list of values means any of them (none of them for not_equals and does_not_contain); booleans are the strings "True" and "False".',
    maxItems: 20,
    items: {
      type: "object",
      required: ["name", "operator"],
      properties: {
        name: { type: "string", minLength: 1 },
        operator: { type: "string", enum: Object.keys(operators) },
        value: {
          description: "Absent for exists and does_not_exist",
          oneOf: [
            ...primitiveJson,
            { type: "array", minItems: 1, items: { oneOf: primitiveJson } },
          ],
        },
      },
    },
  },
}) as unknown as Schema.Schema<ReadonlyArray<Entry>>

/** The request fields that carry filters, as sent. */
export const wireFields = {
  event: "event_properties",
  profile: "common_profile_properties",
} as const

type Issue = ApiError.InvalidRequest["issues"][number]

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "a list"
      : typeof value === "object"
        ? "an object"
        : typeof value === "string"
          ? `the text ${JSON.stringify(value)}`
          : `${typeof value} ${JSON.stringify(value)}`

const operatorList = Object.keys(operators).join(", ")

// One value of an entry at `path`, checked against what its operator takes.
const checkValue = (
  path: string,
  operator: Operator,
  value: unknown,
  limits: Limits.Limits,
): Either.Either<Value, Issue> => {
  const takes = operators[operator]
  const fail = (message: string) => Either.left({ path, message })
  if (typeof value === "boolean") {
    return takes === "number"
      ? fail(`"${operator}" compares numbers, not a boolean: send a number`)
      : Either.right(value ? "True" : "False")
  }
  if (typeof value === "string") {
    if (takes === "number")
      return fail(
        value.trim() !== "" && Number.isFinite(Number(value))
          ? `"${operator}" compares numbers: send ${Number(value)}, not the text ${JSON.stringify(value)}`
          : `"${operator}" compares numbers; the value is ${describe(value)}: send a number`,
      )
    if (new TextEncoder().encode(value).byteLength > limits.maxPropertyValueBytes)
      return fail(
        `is longer than ${limits.maxPropertyValueBytes} bytes, the longest property value an upload stores: no property can equal or contain it`,
      )
    return Either.right(value)
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return fail("must be a finite number")
    if (takes === "text")
      return fail(
        `"${operator}" looks for text; the value is the number ${value}: send it as text ("${value}") or use "equals"`,
      )
    return Either.right(value)
  }
  return fail(
    `must be text, a number, or a list of them; it is ${describe(value)} (nested lists and objects are not filters)`,
  )
}

// One entry of the list at `list`, position `index`.
const conditionOf = (
  list: string,
  index: number,
  entry: unknown,
  limits: Limits.Limits,
): Either.Either<Condition, ReadonlyArray<Issue>> => {
  const path = `${list}[${index}]`
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    return Either.left([
      {
        path,
        message: `must be an object {"name": …, "operator": …, "value": …}; it is ${describe(entry)}`,
      },
    ])
  const { name, operator, value } = entry as Record<string, unknown>
  const issues: Array<Issue> = []
  if (typeof name !== "string" || name === "")
    issues.push({
      path: `${path}.name`,
      message: `must name a property (non-empty text); it is ${name === undefined ? "missing" : describe(name)}`,
    })
  else if (name.length > limits.maxPropertyNameLength)
    issues.push({
      path: `${path}.name`,
      message: `is longer than ${limits.maxPropertyNameLength} characters, the longest property name an upload stores`,
    })
  if (typeof operator !== "string" || !Object.hasOwn(operators, operator)) {
    issues.push({
      path: `${path}.operator`,
      message: `must be one of ${operatorList}; it is ${operator === undefined ? "missing" : describe(operator)}`,
    })
    return Either.left(issues)
  }
  const op = operator as Operator
  if (operators[op] === "none") {
    if (value !== undefined)
      issues.push({
        path: `${path}.value`,
        message: `"${op}" takes no value: remove "value"`,
      })
    return issues.length > 0
      ? Either.left(issues)
      : Either.right({ name: name as string, operator: op, values: [] })
  }
  if (value === undefined || value === null) {
    issues.push({
      path: `${path}.value`,
      message: `"${op}" needs a value (${operators[op]}, or a list of them); it is ${value === null ? "null" : "missing"}`,
    })
    return Either.left(issues)
  }
  const listed = Array.isArray(value)
  const raw: ReadonlyArray<unknown> = listed ? value : [value]
  if (listed && raw.length === 0)
    issues.push({
      path: `${path}.value`,
      message: "is an empty list: list at least one value, or remove the entry",
    })
  if (raw.length > maxValues)
    issues.push({
      path: `${path}.value`,
      message: `lists ${raw.length} values; at most ${maxValues} are allowed: split the query`,
    })
  const values: Array<Value> = []
  for (const [i, item] of raw.entries()) {
    const checked = checkValue(listed ? `${path}.value[${i}]` : `${path}.value`, op, item, limits)
    if (Either.isLeft(checked)) issues.push(checked.left)
    else values.push(checked.right)
  }
  return issues.length > 0
    ? Either.left(issues)
    : Either.right({ name: name as string, operator: op, values })
}

// One list field (`event_properties` or `common_profile_properties`), absent meaning none.
const listOf = (
  field: string,
  input: unknown,
  limits: Limits.Limits,
): Either.Either<ReadonlyArray<Condition>, ReadonlyArray<Issue>> => {
  if (input === undefined) return Either.right([])
  if (!Array.isArray(input))
    return Either.left([
      {
        path: field,
        message: `must be a list of {"name", "operator", "value"} entries; it is ${describe(input)}`,
      },
    ])
  if (input.length > maxConditions)
    return Either.left([
      {
        path: field,
        message: `has ${input.length} entries; at most ${maxConditions} are allowed`,
      },
    ])
  const conditions: Array<Condition> = []
  const issues: Array<Issue> = []
  for (const [index, entry] of input.entries()) {
    const checked = conditionOf(field, index, entry, limits)
    if (Either.isLeft(checked)) issues.push(...checked.left)
    else conditions.push(checked.right)
  }
  return issues.length > 0 ? Either.left(issues) : Either.right(conditions)
}

/**
 * The filters of a request body (its `event_properties` and `common_profile_properties`,
 * each optional), or every problem with them, each at its path
 * (`event_properties[1].value`) with what to do.
 *
 * @example Filter.decode({ event_properties: [{ name: "Plan", operator: "equals", value: "pro" }] })
 */
export const decode = (
  body: { readonly [field: string]: unknown },
  limits: Limits.Limits = Limits.defaults,
): Either.Either<Filters, ReadonlyArray<Issue>> => {
  const event = listOf(wireFields.event, body[wireFields.event], limits)
  const profile = listOf(wireFields.profile, body[wireFields.profile], limits)
  const issues = [
    ...(Either.isLeft(event) ? event.left : []),
    ...(Either.isLeft(profile) ? profile.left : []),
  ]
  if (Either.isRight(event) && Either.isRight(profile))
    return Either.right({ event: event.right, profile: profile.right })
  return Either.left(issues)
}

/**
 * The filters of a request that its rules already checked (`decode` found no issue):
 * `QueryPlan` reads them so. Throws on a request that skipped the rules.
 */
export const ofCheckedRequest = (request: { readonly [field: string]: unknown }): Filters =>
  Either.getOrThrowWith(
    decode(request),
    (issues) => new Error(`filters of an unchecked request: ${JSON.stringify(issues)}`),
  )

const isBooleanText = (value: Value, property: boolean): boolean =>
  typeof value === "string" && value.toLowerCase() === (property ? "true" : "false")

const equal = (property: unknown, value: Value): boolean =>
  typeof property === "boolean" ? isBooleanText(value, property) : property === value

const holds = (operator: Operator, property: unknown, value: Value): boolean => {
  switch (operator) {
    case "equals":
    case "not_equals":
      return equal(property, value)
    case "contains":
    case "does_not_contain":
      return typeof property === "string" && property.includes(value as string)
    case "greater_than":
      return typeof property === "number" && property > (value as number)
    case "greater_than_equals":
      return typeof property === "number" && property >= (value as number)
    case "less_than":
      return typeof property === "number" && property < (value as number)
    case "less_than_equals":
      return typeof property === "number" && property <= (value as number)
    case "exists":
    case "does_not_exist":
      return true
  }
}

/**
 * Whether `properties` (an event's, or a profile's fields; `undefined` for a profile never
 * uploaded) satisfy one condition. Uploads store no `null`, so a property is present when
 * it is not `undefined`.
 */
export const satisfies = (
  condition: Condition,
  properties: { readonly [name: string]: unknown } | undefined,
): boolean => {
  const property =
    properties !== undefined && Object.hasOwn(properties, condition.name)
      ? properties[condition.name]
      : undefined
  if (condition.operator === "does_not_exist") return property === undefined
  if (property === undefined) return false
  if (condition.operator === "exists") return true
  const any = condition.values.some((value) => holds(condition.operator, property, value))
  return condition.operator === "not_equals" || condition.operator === "does_not_contain"
    ? !any
    : any
}

/** Whether an event with `properties`, done by a profile with `profile`'s fields, matches. */
export const matches = (
  filters: Filters,
  properties: { readonly [name: string]: unknown },
  profile: { readonly [name: string]: unknown } | undefined,
): boolean =>
  filters.event.every((condition) => satisfies(condition, properties)) &&
  filters.profile.every((condition) => satisfies(condition, profile))
