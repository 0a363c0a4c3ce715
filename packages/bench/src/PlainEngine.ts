/**
 * The plain-table reference of the ClickHouse engines (`clickhouse-plain`, `chdb-plain`):
 * the same data in the table a ClickHouse user would design for these queries alone, with
 * the SQL they would write by hand, on the same server as the store. It is what the store's
 * schema is measured against (the ClickHouse issue's target: the store at or below it).
 *
 * ```sql
 * CREATE TABLE events (
 *   event UInt16,            -- the event name's number (its place in Dataset.eventNames)
 *   ts DateTime('UTC'),      -- the data set's zone: days are toDate(ts)
 *   profile UInt32,          -- the profile's number, in order of first appearance
 *   amount Int64,            -- Amount, typed
 *   platform String          -- Platform, for the filtered shapes
 * ) ENGINE = MergeTree ORDER BY (event, ts)
 * ```
 *
 * Nothing else: one account, integer ids, no JSON, no partitions, no pre-aggregation. Its
 * answers are checked against every other engine's like any engine's.
 *
 * @since 0.1.0
 */
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as ClickHouseEngine from "./ClickHouseEngine.ts"
import * as Dataset from "./Dataset.ts"
import { type Engine, timedLoad } from "./Engine.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"

const table = "events"

const quoted = (text: string): string => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`

const eventIds = new Map(Dataset.eventNames.map((name, i) => [name, i]))

// The number of an event name of the data set; a name it does not have fails.
const eventId = (name: string): number => {
  const id = eventIds.get(name)
  if (id === undefined)
    throw new Error(`the plain table holds the data set's events, not "${name}"`)
  return id
}

const values: Record<Shape.Measured, string> = {
  count: "count()",
  profiles: "uniqExact(profile)",
  sum: "sum(amount)",
}

// The column of a property the shapes filter on or rank.
const columns: Record<string, string> = {
  [Shape.sumProperty]: "amount",
  [Dataset.platformProperty]: "platform",
}

const columnOf = (property: string): string => {
  const column = columns[property]
  if (column === undefined) throw new Error(`the plain table has no column for "${property}"`)
  return column
}

/** The SQL of a shape on the plain table of `database`, keyed as the answers are. */
export const sqlOf = (database: string, shape: Shape.Shape): string => {
  const plan = Shape.plan(shape)
  const equality = Shape.textEquality(shape)
  const from = [
    `FROM ${database}.${table} WHERE event = ${eventId(shape.event)}`,
    `AND ts >= toDateTime(${plan.start}, 'UTC') AND ts < toDateTime(${plan.end}, 'UTC')`,
    ...(equality === undefined
      ? []
      : [`AND ${columnOf(equality.property)} = ${quoted(equality.value)}`]),
  ].join(" ")
  const value = values[shape.measure]
  switch (shape.trendType) {
    case "daily":
      return `SELECT toYYYYMMDD(toDate(ts)) AS key, ${value} AS value ${from} GROUP BY key`
    case "weekly":
      return `SELECT toISOYear(week) * 100 + toISOWeek(week) AS key, value FROM (SELECT toMonday(toDate(ts)) AS week, ${value} AS value ${from} GROUP BY week)`
    case "monthly":
      return `SELECT toYYYYMM(toDate(ts)) AS key, ${value} AS value ${from} GROUP BY key`
  }
}

/**
 * The SQL of a top values shape on the plain table: each value's JSON text (an integer's
 * digits, a text in quotes: the data set's texts need no escapes), counted, most first,
 * ties by the text, the first `topN`.
 */
export const topSqlOf = (database: string, shape: TopShape.TopShape): string => {
  const plan = TopShape.plan(shape)
  const column = columnOf(shape.property)
  const json = column === "amount" ? "toString(amount)" : `concat('"', ${column}, '"')`
  return [
    `SELECT ${json} AS top_value, count() AS top_count FROM ${database}.${table}`,
    `WHERE event = ${eventId(shape.event)}`,
    `AND ts >= toDateTime(${plan.start}, 'UTC') AND ts < toDateTime(${plan.end}, 'UTC')`,
    `GROUP BY top_value ORDER BY top_count DESC, top_value ASC LIMIT ${shape.topN}`,
  ].join(" ")
}

const measuredOf = (request: TrendsRequest.TrendsRequest): Shape.Measured =>
  request.unique === true ? "profiles" : request.sum_event_prop === undefined ? "count" : "sum"

// `2025-01-01 00:00:00` for an epoch second: DateTime's text form in every version.
const dateTimeText = (ts: number): string =>
  new Date(ts * 1000).toISOString().slice(0, 19).replace("T", " ")

/** The plain-table engine named `name` on `server`. */
export const make =
  (server: ClickHouseEngine.Server, name: string) => async (): Promise<Engine> => {
    const database = `trendline_plain_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
    await server.execute(`CREATE DATABASE IF NOT EXISTS ${database}`)
    await server.execute(
      `CREATE TABLE ${database}.${table} (event UInt16, ts DateTime('UTC'), profile UInt32, amount Int64, platform String) ENGINE = MergeTree ORDER BY (event, ts)`,
    )
    const version = await server.version()
    const profiles = new Map<string, number>()
    const profileId = (key: string): number => {
      let id = profiles.get(key)
      if (id === undefined) {
        id = profiles.size
        profiles.set(key, id)
      }
      return id
    }
    const rowOf = (event: Aggregator.Event): string => {
      const amount = event.properties[Shape.sumProperty]
      const platform = event.properties[Dataset.platformProperty]
      return [
        eventId(event.name),
        dateTimeText(event.ts),
        profileId(event.profile),
        typeof amount === "number" && Number.isSafeInteger(amount) ? amount : 0,
        typeof platform === "string" ? platform : "",
      ].join("\t")
    }
    const rowsOf = async (sql: string): Promise<Array<Array<string>>> =>
      (await server.execute(`${sql} FORMAT TabSeparated`))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => line.split("\t"))
    const answerOf = async (shape: Shape.Shape): Promise<Shape.Answer> => {
      const answer: Record<string, number> = { ...Shape.emptyAnswer(shape) }
      for (const [key, value] of await rowsOf(sqlOf(database, shape))) answer[key!] = Number(value)
      return answer
    }
    let rows: Array<string> = []
    const flush = async () => {
      if (rows.length === 0) return
      const body = rows.join("\n")
      rows = []
      await server.execute(`INSERT INTO ${database}.${table} FORMAT TabSeparated`, body)
    }
    return {
      name,
      version: `${version}, a plain MergeTree with integer ids, ${server.sqlVia}`,
      loadPath: `bulk TabSeparated into a plain table, ${ClickHouseEngine.bulkRows / 1000}k rows an insert`,
      load: async (batches) => {
        const loaded = await timedLoad(
          batches,
          async (batch) => {
            for (const event of batch) rows.push(rowOf(event))
            if (rows.length >= ClickHouseEngine.bulkRows) await flush()
          },
          flush,
        )
        await ClickHouseEngine.settle(server)
        return loaded
      },
      run: answerOf,
      runTrends: async (request) => {
        const result: Record<string, Record<string, number>> = {}
        await Promise.all(
          Object.entries(request.groups).map(async ([group, { trend_type }]) => {
            result[group] = await answerOf({
              event: request.event_name,
              measure: measuredOf(request),
              trendType: Shape.trendTypeOf(trend_type),
            })
          }),
        )
        return Object.fromEntries(
          Object.keys(request.groups).map((group) => [group, result[group]!]),
        ) satisfies QueryPlan.Result
      },
      runTop: async (shape) =>
        (await rowsOf(topSqlOf(database, shape))).map(([value, count]) => ({
          value: JSON.parse(value!) as string | number | boolean,
          count: Number(count),
        })),
      cold: {
        means: `before each call, ${ClickHouseEngine.cachesDropped(server)}; the client keeps nothing between calls`,
        reopen: () => ClickHouseEngine.dropCaches(server),
      },
      close: async () => undefined,
    }
  }
