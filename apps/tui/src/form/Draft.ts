/**
 * The query form's data: what the user typed (`Draft`), the form's whole state
 * (`FormState`), the choices it offers, and the request a draft stands for: trends, or
 * with the "top values" measure a top values query of one property. Dates follow core's
 * rules: presets are `DateRange`'s, typed dates are read by `Calendar.parseDay`.
 *
 * A trends draft may ask for Trendline's extensions (`Extras`: exact totals, bucket
 * metadata). Until the user chooses, it follows the backend's default, which the screen
 * knows and the draft does not: on in local mode, off against a remote server, which may be
 * the hosted API that does not know them. The other extensions are off until chosen: a
 * comparison with an earlier period, rolling windows on the daily groups, and a breakdown
 * of every group by an event property's top values.
 */
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import type * as Extensions from "@trendline/core/Extensions"
import * as TopCounts from "@trendline/core/TopCounts"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"
import * as Extras from "../Extras.ts"
import * as QueryRequest from "../QueryRequest.ts"
import { wireList } from "./Conditions.ts"

export type TrendType = TrendsRequest.TrendType
/** The trend choices, shortest buckets first; hourly ranges cover at most 31 days (core). */
export const trendTypes: ReadonlyArray<TrendType> = Bucket.TrendType.literals

/** What a new group takes, the next unused: whole days (an hour is chosen, not added). */
export const addedTrendTypes: ReadonlyArray<TrendType> = trendTypes.filter(Bucket.isDayTrendType)

/** The earlier period a trends query is compared with (`"compare"`), or none. */
export type Compare = "off" | Extensions.CompareTo
export const compareChoices: ReadonlyArray<{ readonly id: Compare; readonly label: string }> = [
  { id: "off", label: "off" },
  { id: "previous_period", label: "previous period" },
  { id: "previous_year", label: "a year earlier" },
]

/** The rolling windows the form offers, in days (0: none); core takes 1 to 90. */
export const rollingChoices: ReadonlyArray<number> = [0, 7, 14, 28, 30, 90]

/** A rolling choice in words: `off`, `7 days`. */
export const rollingLabel = (days: number): string => (days === 0 ? "off" : `${days} days`)

/** What the query measures; `top` asks for a property's top values instead of a trend. */
export type Measure = "events" | "profiles" | "sum" | "top"
export const measures: ReadonlyArray<{ readonly id: Measure; readonly label: string }> = [
  { id: "events", label: "count events" },
  { id: "profiles", label: "unique profiles" },
  { id: "sum", label: "sum of a property" },
  { id: "top", label: "top values of a property" },
]

/** Whose value the top values count: the event's property or its profile's field. */
export type TopSource = "event" | "profile"
export const topSources: ReadonlyArray<{ readonly id: TopSource; readonly label: string }> = [
  { id: "event", label: "event property" },
  { id: "profile", label: "profile field" },
]

export type TopOrder = "desc" | "asc"
export const topOrders: ReadonlyArray<{ readonly id: TopOrder; readonly label: string }> = [
  { id: "desc", label: "most frequent first" },
  { id: "asc", label: "least frequent first" },
]

export type Preset =
  | "last7"
  | "last30"
  | "last90"
  | "thisMonth"
  | "lastMonth"
  | "thisYear"
  | "custom"
export const presets: ReadonlyArray<{
  readonly id: Preset
  readonly label: string
  /** Core's range of the preset; `custom` is what was typed. */
  readonly range?: DateRange.Preset
}> = [
  { id: "last7", label: "last 7 days", range: { _tag: "LastDays", days: 7 } },
  { id: "last30", label: "last 30 days", range: { _tag: "LastDays", days: 30 } },
  { id: "last90", label: "last 90 days", range: { _tag: "LastDays", days: 90 } },
  { id: "thisMonth", label: "this month", range: { _tag: "ThisMonth" } },
  { id: "lastMonth", label: "last month", range: { _tag: "LastMonth" } },
  { id: "thisYear", label: "this year", range: { _tag: "ThisYear" } },
  { id: "custom", label: "custom" },
]

export interface Group {
  readonly id: number
  readonly name: string
  readonly trendType: TrendType
  /** False while the name follows the trend type ("daily"); true once the user typed one. */
  readonly named: boolean
}

/** What the form holds, as typed. */
export interface Draft {
  readonly eventName: string
  readonly preset: Preset
  readonly from: string
  readonly to: string
  readonly measure: Measure
  /** The integer property a sum adds up. */
  readonly property: string
  /** The property (or profile field) whose top values are asked for. */
  readonly topProperty: string
  readonly topSource: TopSource
  /** How many values, as typed (blank: core's default). */
  readonly topN: string
  readonly topOrder: TopOrder
  /** Conditions on the event's properties, `;` between them (`Conditions.conditionsOf`). */
  readonly where: string
  /** Conditions on the profile's fields, the same way. */
  readonly profileWhere: string
  readonly groups: ReadonlyArray<Group>
  /**
   * Whether a trends query asks for Trendline's totals and bucket metadata, as the user
   * chose; `undefined` until they do, when the backend's default holds (`extrasOn`).
   */
  readonly extras: boolean | undefined
  /** The earlier period each bucket is set beside. */
  readonly compare: Compare
  /** The days of each daily group's rolling windows; 0: none. */
  readonly rolling: number
  /** The event property every group is broken down by (its top values); blank: none. */
  readonly breakdown: string
}

/** Whether the draft asks for the extensions, given the backend's default. */
export const extrasOn = (draft: Draft, byDefault: boolean): boolean => draft.extras ?? byDefault

/** What the Extras choice reads, on and off. */
export const extrasLabels = { on: "exact totals, incomplete buckets marked", off: "off" } as const

/** A focusable field: `event`, `preset`, …, or a group's `group:<id>:name` / `group:<id>:type`. */
export type FieldId =
  | "event"
  | "preset"
  | "from"
  | "to"
  | "measure"
  | "property"
  | "topProperty"
  | "topSource"
  | "topN"
  | "topOrder"
  | "where"
  | "profileWhere"
  | `group:${number}:name`
  | `group:${number}:type`
  | "breakdown"
  | "extras"
  | "compare"
  | "rolling"

/** Where an issue is shown: a field, the groups as a whole, or the form. */
export type IssueTarget = FieldId | "groups" | "form"

export interface FormState {
  readonly draft: Draft
  readonly focus: FieldId
  readonly cursor: number
  /** Keys go into the focused text field; Esc stops typing (then `q` quits). */
  readonly typing: boolean
  /** The highlighted suggestion (`Suggestions.highlightedIndex`). */
  readonly suggestion: number
  /** Fields the user has left: their issues show before the first run. */
  readonly touched: ReadonlySet<IssueTarget>
  /** Enter was pressed once: every issue shows. */
  readonly attempted: boolean
  readonly nextGroupId: number
}

export type Command = "submit" | "quit" | "help"

// ---------------------------------------------------------------------------------------
// Dates

/** The days of a preset, relative to `today` (core's `DateRange`); `custom` has none. */
export const presetRange = (
  preset: Preset,
  today: Calendar.Day,
): DateRange.DateRange | undefined => {
  const range = presets.find((p) => p.id === preset)?.range
  return range === undefined ? undefined : DateRange.ofPreset(range, today)
}

/**
 * A typed date as the wire value: the `YYYYMMDD` integer of the day `Calendar.parseDay`
 * reads, blank as missing, anything else as typed (core refuses it; `issuesOf` shows why
 * with `parseDay`'s message).
 */
export const dateValue = (text: string): unknown =>
  text.trim() === ""
    ? undefined
    : Either.match(Calendar.parseDay(text), {
        onLeft: () => text.trim(),
        onRight: Calendar.toDateInt,
      })

/** A typed date as a day, when it is one. */
export const parseDate = (text: string): Option.Option<Calendar.Day> =>
  Either.getRight(Calendar.parseDay(text))

/** Why a typed date is not a day; none for a day, or for a blank (core says it is missing). */
export const dateProblem = (text: string): string | undefined =>
  text.trim() === ""
    ? undefined
    : Either.match(Calendar.parseDay(text), {
        onLeft: (error) => error.message,
        onRight: () => undefined,
      })

// ---------------------------------------------------------------------------------------
// Top values

/**
 * A typed top N as the wire value: the integer typed, blank as missing (core's default,
 * `TopCounts.defaultTopN`), anything else as typed (core refuses it; `topNProblem` says why).
 */
export const topNValue = (text: string): unknown =>
  text.trim() === "" ? undefined : /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim()

/** Why a typed top N is not a number of values; none for an integer (core judges its range). */
export const topNProblem = (text: string): string | undefined =>
  typeof topNValue(text) === "string"
    ? `"${text.trim()}" is not a whole number: give how many values to show, from 1 to ${TopCounts.maxTopN}, e.g. ${TopCounts.defaultTopN}`
    : undefined

/**
 * The name of the one group of a top values draft: the property's, as `trendline query
 * --top` names it, unless that cannot name a group (blank, `status`, `__proto__`).
 */
export const topGroupName = (property: string): string => {
  const name = property.trim()
  if (name === "") return "values"
  return name === "status" || name === "__proto__" ? `${name} values` : name
}

// ---------------------------------------------------------------------------------------
// Draft and wire body

/** A group's name that follows its trend type: `weekly`, or `weekly2` when that is taken. */
export const autoName = (
  trendType: TrendType,
  groups: ReadonlyArray<Group>,
  self?: number,
): string => {
  const taken = new Set(groups.filter((group) => group.id !== self).map((group) => group.name))
  if (!taken.has(trendType)) return trendType
  for (let n = 2; ; n++) if (!taken.has(`${trendType}${n}`)) return `${trendType}${n}`
}

/** The draft with a preset chosen: its days fill `from` and `to`. */
export const withPreset = (draft: Draft, preset: Preset, today: Calendar.Day): Draft => {
  const range = presetRange(preset, today)
  return range === undefined
    ? { ...draft, preset }
    : {
        ...draft,
        preset,
        from: Calendar.formatDateKey(range.from),
        to: Calendar.formatDateKey(range.to),
      }
}

export const initialDraft = (today: Calendar.Day): Draft =>
  withPreset(
    {
      eventName: "",
      preset: "custom",
      from: "",
      to: "",
      measure: "events",
      property: "Amount",
      topProperty: "",
      topSource: "event",
      topN: String(TopCounts.defaultTopN),
      topOrder: "desc",
      where: "",
      profileWhere: "",
      groups: [{ id: 0, name: "daily", trendType: "daily", named: false }],
      extras: undefined,
      compare: "off",
      rolling: 0,
      breakdown: "",
    },
    "last30",
    today,
  )

export const initialState = (today: Calendar.Day): FormState => ({
  draft: initialDraft(today),
  focus: "event",
  cursor: 0,
  typing: true,
  suggestion: 0,
  touched: new Set(),
  attempted: false,
  nextGroupId: 1,
})

// The one group of a top values body: `{"Category": {"property_type": …, "name": …}}`.
const topGroups = (draft: Draft): Record<string, unknown> => {
  const topN = topNValue(draft.topN)
  return {
    [topGroupName(draft.topProperty)]: {
      property_type: draft.topSource === "profile" ? "profile_fields" : "event_properties",
      name: draft.topProperty.trim(),
      ...(topN === undefined ? {} : { top_n: topN }),
      ...(draft.topOrder === "asc" ? { order: "asc" } : {}),
    },
  }
}

// A trends group as the wire has it: its type, the draft's breakdown, and its rolling
// windows when it is daily (core takes them on daily groups only).
const trendsGroup = (draft: Draft, group: Group): Record<string, unknown> => {
  const breakdown = draft.breakdown.trim()
  return {
    trend_type: group.trendType,
    ...(breakdown === ""
      ? {}
      : { breakdown: { property_type: "event_properties", name: breakdown } }),
    ...(draft.rolling > 0 && group.trendType === "daily" ? { rolling: draft.rolling } : {}),
  }
}

/**
 * The wire body the draft stands for, exactly what would be sent: a trends body, or with
 * the `top` measure a top values body (the same event, range and filters, one group). A
 * trends body asks for the extensions when the draft does, `extrasByDefault` if the user
 * has not chosen (the backend's default; off unless given), and for a comparison, rolling
 * windows and a breakdown when chosen.
 */
export const toWireBody = (draft: Draft, extrasByDefault = false): Record<string, unknown> => {
  const body: Record<string, unknown> = { event_name: draft.eventName.trim() }
  const from = dateValue(draft.from)
  const to = dateValue(draft.to)
  if (from !== undefined) body.from = from
  if (to !== undefined) body.to = to
  if (draft.measure === "profiles") body.unique = true
  if (draft.measure === "sum") body.sum_event_prop = draft.property.trim()
  const eventProperties = wireList(draft.where)
  const profileProperties = wireList(draft.profileWhere)
  if (eventProperties !== undefined) body.event_properties = eventProperties
  if (profileProperties !== undefined) body.common_profile_properties = profileProperties
  body.groups =
    draft.measure === "top"
      ? topGroups(draft)
      : Object.fromEntries(draft.groups.map((group) => [group.name, trendsGroup(draft, group)]))
  if (draft.measure !== "top" && extrasOn(draft, extrasByDefault))
    Object.assign(body, Extras.fieldsOf(Extras.both))
  if (draft.measure !== "top" && draft.compare !== "off") body.compare = draft.compare
  return body
}

/**
 * The request the draft stands for: top values with the `top` measure, else trends (with
 * the extensions as `toWireBody` decides).
 */
export const toRequest = (draft: Draft, extrasByDefault = false): QueryRequest.QueryRequest =>
  draft.measure === "top"
    ? QueryRequest.top(toWireBody(draft))
    : QueryRequest.trends(toWireBody(draft, extrasByDefault))
