// How the store answers a top counts plan (core's `TopCounts`): one query per group, run
// by ClickHouse on 18.16 and current releases alike.
//
// - What a value is: the JSON text of the property's value as the store keeps it. Records
//   keep their properties as `JSON.stringify` wrote them (BatchRow.ts), and a value's text
//   inside that object is `JSON.stringify(value)`: one text per value (a number's shortest
//   round-trip decimal, -0 as `0`; a string's escapes as JavaScript writes them), the text
//   `TopCounts.reference` counts by. So the SQL groups by that text, and the same value
//   always falls in one group; `"5"` (text) and `5` (number) are different texts, and so
//   are `true` and `"true"`. The text is read where the conditions of filters find the
//   property, to the value's end (a regular expression that skips a string's escapes:
//   `eventValueSql`, and for profile fields `mergedFieldsSql`); `''` is a missing property,
//   and `null` counts for nothing (`TopCounts.isValue`).
// - Event properties: the plan's events (its name, `[start, end)`, its filters through
//   `filteredSource`), grouped by the value's text. Profile fields: the events counted per
//   profile, joined to each profile's field as it is now (the upserts folded as every store
//   folds them: `mergedFieldsSql`), summed per value; a profile without the field, or
//   without records, counts for nothing.
// - Order: by count (`DESC`, or `ASC` for `"order": "asc"`), then by the value's text:
//   ClickHouse compares strings byte by byte, which is the UTF-8 byte order of the JSON
//   text that `TopCounts.rank` asks for ("😀" before "～", which UTF-16 orders the other
//   way); then `LIMIT top_n`. Each returned text is decoded here with `JSON.parse`.
import type * as Account from "@trendline/core/Account"
import type * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Effect from "effect/Effect"
import { integerLiteral, stringLiteral } from "../ClickHouseSql.ts"
import { type Connection, storeError } from "./connection.ts"
import { eventValueSql, filteredSource, mergedFieldsSql } from "./filters.ts"
import { tables } from "./migrations.ts"

// The texts that are no value: a missing property, and null.
const noValue = "('', 'null')"

/**
 * The query of one group over `source` (the FROM and WHERE of the plan's events): rows of
 * (`top_value`, the value's JSON text; `top_count`), in the group's order, at most `topN`.
 */
export const groupSql = (
  group: TopCounts.GroupPlan,
  source: string,
  records: string,
  account: string,
): string => {
  const order = `ORDER BY top_count ${group.order === "asc" ? "ASC" : "DESC"}, top_value ASC
    LIMIT ${integerLiteral(Math.max(0, group.topN))}`
  if (group.source === "event")
    return `SELECT top_value, count() AS top_count
    FROM (SELECT ${eventValueSql(group.property)} AS top_value ${source})
    WHERE top_value NOT IN ${noValue}
    GROUP BY top_value
    ${order}`
  // 18.16 needs the strictness of a join (ANY is exact here: each profile is one row on the
  // right), current releases an alias for each side.
  return `SELECT top_value, sum(top_events) AS top_count
    FROM (SELECT profile, count() AS top_events ${source} GROUP BY profile) AS top_events_by_profile
    ANY INNER JOIN (
      SELECT filter_key AS profile, filter_field_0 AS top_value
      FROM (${mergedFieldsSql([group.property], records, account)})
      WHERE top_value NOT IN ${noValue}
    ) AS top_fields USING profile
    GROUP BY top_value
    ${order}`
}

// A value's JSON text as the server returned it, decoded; anything but a value a group
// counts means the stored text is not what this store wrote.
const decodedValue = (text: string): TopCounts.Value => {
  const value: unknown = JSON.parse(text)
  if (!TopCounts.isValue(value)) throw new Error(`a stored value reads as ${text}`)
  return value
}

/** The store's `top`: one query per group, each ordered and cut by the server. */
export const make =
  ({ query, table }: Connection) =>
  (
    account: Account.Settings,
    plan: TopCounts.TopPlan,
  ): Effect.Effect<TopCounts.TopResult, EventStore.StoreError> => {
    // `ts` is a whole number of seconds, never negative: `ts >= start` is `ts >=
    // ceil(start)`, and `ts < end` is `ts < ceil(end)`.
    const start = Math.max(Math.ceil(plan.start), 0)
    const end = Math.ceil(plan.end)
    if (!(start < end) || plan.groups.length === 0)
      return Effect.succeed(Object.fromEntries(plan.groups.map((group) => [group.name, []])))
    const records = table(tables.records)
    // Instants past the largest safe integer are not stored (`ts` comes from JavaScript).
    const below = Math.min(end, Number.MAX_SAFE_INTEGER)
    const where = `account = ${stringLiteral(account.id)} AND kind IN ('event', 'slotted') AND name = ${stringLiteral(plan.eventName)}
      AND ts >= ${integerLiteral(Math.min(start, below))} AND ts < ${integerLiteral(below)}`
    const source = Filter.isEmpty(plan.filters)
      ? `FROM ${records} WHERE ${where}`
      : filteredSource(plan.filters, records, account.id, where)
    return Effect.map(
      Effect.forEach(
        plan.groups,
        (group) =>
          Effect.flatMap(
            query<{ top_value: string; top_count: string }>(
              "top",
              groupSql(group, source, records, account.id),
            ),
            (found) =>
              Effect.try({
                try: (): ReadonlyArray<TopCounts.Entry> =>
                  found.map((row) => ({
                    value: decodedValue(row.top_value),
                    count: Number(row.top_count),
                  })),
                catch: storeError("top"),
              }),
          ),
        { concurrency: 4 },
      ),
      (entries) => Object.fromEntries(plan.groups.map((group, g) => [group.name, entries[g]!])),
    )
  }
