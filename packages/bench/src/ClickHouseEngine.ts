/**
 * ClickHouse behind the engine interface, two ways on one server and one table:
 *
 * - `clickhouse`: Trendline's store (`@trendline/store-clickhouse`), events appended through
 *   the port 100k at a time with two appends under way (a bulk import), shapes answered by
 *   the port's `query` with core's plans. At the smaller sizes the same data is also loaded
 *   as uploads would send it, 1000 events an append: one at a time, and 16 at a time with
 *   the store's group commit off (one insert an append) and on, each into a database of its
 *   own, for the load table.
 * - `clickhouse-cluster`: the store in cluster mode on a cluster of two shards on this machine
 *   (`clusterServer`), loaded and queried as `clickhouse`.
 * - `clickhouse-sql`: the hand-written query of each shape, of each combined request and of
 *   each top values shape, sent straight to the HTTP interface, on the store's own
 *   `trendline_records` table. After `clickhouse` has loaded a size it loads nothing and
 *   queries that table; alone, it creates the table through the store's migrations and
 *   bulk-inserts the events, 100k rows an insert.
 *
 * @since 0.1.0
 */

import type * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import type * as ClickHouseCluster from "@trendline/store-clickhouse/testing/ClickHouseCluster"
import * as Effect from "effect/Effect"
import { type Engine, pipelinedLoad, timedLoad } from "./Engine.ts"
import { shortCount } from "./Markdown.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"
import { fromEventStore } from "./TrendlineEngine.ts"

const records = "trendline_records"

/** Rows of a bulk insert of `clickhouse-sql` when it loads alone. */
export const bulkRows = 100_000

/** Runs one statement on the HTTP interface; the body of the answer as text. */
export const execute = async (url: string, sql: string, body?: string): Promise<string> => {
  const response = await fetch(
    body === undefined ? url : `${url}/?query=${encodeURIComponent(sql)}`,
    { method: "POST", body: body ?? sql },
  )
  const text = await response.text()
  if (!response.ok) throw new Error(`ClickHouse: HTTP ${response.status}: ${text.slice(0, 500)}`)
  return text
}

const quoted = (text: string): string => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`

const day = "toDate(toDateTime(ts), 'UTC')"

const values: Record<Shape.Measured, string> = {
  count: "count()",
  profiles: "uniqExact(profile)",
  sum: `sum(arrayElement(prop_ints, indexOf(prop_keys, ${quoted(Shape.sumProperty)})))`,
}

/**
 * The hand-written SQL of a shape on the store's table of `database`: one event's
 * contiguous range of the sort key, grouped by the bucket, keyed as the answers are
 * (daily `YYYYMMDD`, weekly ISO `YYYYWW`, monthly `YYYYMM`). A filtered shape's text
 * equality reads the property from the stored JSON with `visitParamExtractString` (on
 * 18.16 and current ClickHouse alike): `''` for an event without it, which no shape's
 * value is.
 */
export const sqlOf = (database: string, shape: Shape.Shape): string => {
  const plan = Shape.plan(shape)
  const equality = Shape.textEquality(shape)
  const where = [
    `account = ${quoted(Shape.account.id)} AND kind IN ('event', 'slotted') AND name = ${quoted(shape.event)}`,
    `AND ts >= ${plan.start} AND ts < ${plan.end}`,
    ...(equality === undefined
      ? []
      : [
          `AND visitParamExtractString(properties, ${quoted(equality.property)}) = ${quoted(equality.value)}`,
        ]),
  ].join(" ")
  const from = `FROM ${database}.${records} WHERE ${where}`
  const value = values[shape.measure]
  switch (shape.trendType) {
    case "daily":
      return `SELECT toYYYYMMDD(${day}) AS key, ${value} AS value ${from} GROUP BY key`
    case "weekly":
      return `SELECT toISOYear(week) * 100 + toISOWeek(week) AS key, value FROM (SELECT toMonday(${day}) AS week, ${value} AS value ${from} GROUP BY week)`
    case "monthly":
      return `SELECT toYYYYMM(${day}) AS key, ${value} AS value ${from} GROUP BY key`
  }
}

/**
 * The hand-written SQL of a top values shape on the store's table of `database`: the
 * property's JSON text as the stored JSON has it (`visitParamExtractRaw`: `312`, `"ios"`;
 * `''` for an event without it), counted per text, most first, ties by the text (bytes, as
 * `TopCounts.rank` orders them), the first `topN`.
 */
export const topSqlOf = (database: string, shape: TopShape.TopShape): string => {
  const plan = TopShape.plan(shape)
  return [
    `SELECT top_value, count() AS top_count FROM (SELECT visitParamExtractRaw(properties, ${quoted(shape.property)}) AS top_value`,
    `FROM ${database}.${records} WHERE account = ${quoted(Shape.account.id)} AND kind IN ('event', 'slotted') AND name = ${quoted(shape.event)}`,
    `AND ts >= ${plan.start} AND ts < ${plan.end})`,
    `WHERE top_value NOT IN ('', 'null') GROUP BY top_value ORDER BY top_count DESC, top_value ASC LIMIT ${shape.topN}`,
  ].join(" ")
}

/** What a trends request measures, as a shape's `measure`. */
const measuredOf = (request: TrendsRequest.TrendsRequest): Shape.Measured =>
  request.unique === true ? "profiles" : request.sum_event_prop === undefined ? "count" : "sum"

/**
 * The hand-written SQL of a whole trends request: each group's shape query, labelled with
 * the group's name, in one `UNION ALL` (one round trip).
 */
export const combinedSqlOf = (database: string, request: TrendsRequest.TrendsRequest): string =>
  Object.entries(request.groups)
    .map(
      ([name, group]) =>
        `SELECT ${quoted(name)} AS grp, key, value FROM (${sqlOf(database, {
          event: request.event_name,
          measure: measuredOf(request),
          trendType: Shape.trendTypeOf(group.trend_type),
        })})`,
    )
    .join(" UNION ALL ")

/**
 * How the store is loaded: batch size, appends under way, and whether the store may join
 * appends that wait into one insert (its group commit; without it, one insert an append).
 */
interface AppendWay {
  readonly batchSize: number
  readonly inFlight: number
  readonly joined: boolean
}

const bulk: AppendWay = { batchSize: 100_000, inFlight: 2, joined: true }
const uploads: ReadonlyArray<AppendWay> = [
  { batchSize: 1000, inFlight: 1, joined: true },
  { batchSize: 1000, inFlight: 16, joined: false },
  { batchSize: 1000, inFlight: 16, joined: true },
]

const describeWay = (way: AppendWay): string =>
  `append, batches of ${shortCount(way.batchSize)}, ${way.inFlight === 1 ? "one at a time" : `${way.inFlight} at a time`}${way.joined ? "" : ", not joined"}`

// The store's options for a way: "not joined" caps an insert at one append's records.
const optionsOf = (way: AppendWay): ClickHouseEventStore.Options =>
  way.joined ? {} : { maxRecordsPerInsert: way.batchSize }

const appendingTo =
  (store: EventStore.Service) =>
  async (events: ReadonlyArray<Aggregator.Event>): Promise<void> => {
    const { refused } = await Effect.runPromise(
      store.append(Shape.account, { events, profiles: [] }),
    )
    if (refused.length > 0) throw new Error(`the store refused ${refused.length} events`)
  }

/**
 * Waits (untimed, at most two minutes) until the server has no merges under way: parts
 * that a load leaves behind are merged in the background, which would slow whichever query
 * ran meanwhile. Queries are then timed on a settled table, as a server usually has.
 */
export const settle = async (server: Server): Promise<void> => {
  const deadline = Date.now() + 120_000
  const merging = async () =>
    (await everyServer(server, "SELECT count() FROM system.merges")).reduce(
      (sum, count) => sum + Number(count),
      0,
    )
  while (Date.now() < deadline && (await merging()) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

// A statement run on each server behind `server` (every server of a cluster), its answers.
const everyServer = (server: Server, sql: string): Promise<ReadonlyArray<string>> =>
  server.onEveryServer === undefined
    ? Promise.all([server.execute(sql)])
    : server.onEveryServer(sql)

/** A ClickHouse the two engines run on: how to send SQL, and how to open the store. */
export interface Server {
  /** For the report: `"ClickHouse 18.16.1 (Debian's clickhouse-server)"`. */
  readonly version: () => Promise<string>
  /** How the store and the hand-written SQL reach it, for the report. */
  readonly storeVia: string
  readonly sqlVia: string
  /** Runs one statement, `body` being an insert's data; the answer as text. */
  readonly execute: (sql: string, body?: string) => Promise<string>
  /**
   * On a cluster: runs a statement on every server (dropping caches, counting merges);
   * `execute` runs it on the one the store talks to.
   */
  readonly onEveryServer?: (sql: string) => Promise<ReadonlyArray<string>>
  readonly openStore: (
    database: string,
    options?: ClickHouseEventStore.Options,
  ) => Promise<EventStore.Service>
  /**
   * The caches this server keeps between queries that a cold call must not find, as
   * `SYSTEM DROP … CACHE` names: `["MARK", "UNCOMPRESSED"]`.
   */
  readonly caches: ReadonlyArray<string>
}

/** The caches of Debian's ClickHouse 18.16 that `SYSTEM DROP … CACHE` empties. */
export const caches1816: ReadonlyArray<string> = ["MARK", "UNCOMPRESSED"]

/** Empties the server's caches: what a cold call must not find. */
export const dropCaches = async (server: Server): Promise<void> => {
  for (const cache of server.caches) await everyServer(server, `SYSTEM DROP ${cache} CACHE`)
}

export const cachesDropped = (server: Server): string => {
  const names = server.caches.map((cache) => cache.toLowerCase())
  const list =
    names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`
  return `the server's ${list} caches dropped (SYSTEM DROP … CACHE)`
}

/** The server at `url`, over its HTTP interface. */
export const httpServer = (url: string): Server => ({
  version: async () =>
    `ClickHouse ${(await execute(url, "SELECT version()")).trim()} (Debian's clickhouse-server)`,
  storeVia: "Trendline's store over @clickhouse/client-web",
  sqlVia: "hand-written SQL over fetch (TabSeparated answers)",
  execute: (sql, body) => execute(url, sql, body),
  openStore: (database, options) =>
    Effect.runPromise(ClickHouseEventStore.make({ url, database }, options)),
  caches: caches1816,
})

/**
 * A cluster of Debian servers (`testing/ClickHouseCluster`) with the store in cluster mode:
 * events go through its Distributed tables to the shards of their profiles, queries read
 * every shard.
 */
export const clusterServer = (cluster: ClickHouseCluster.Cluster): Server => ({
  version: async () =>
    `ClickHouse ${(await execute(cluster.url, "SELECT version()")).trim()} (Debian's clickhouse-server), a cluster of ${cluster.shards} shards × ${cluster.replicas} replica${cluster.replicas === 1 ? "" : "s"} on this machine`,
  storeVia: "Trendline's store over @clickhouse/client-web, on the cluster",
  sqlVia: "hand-written SQL over fetch (TabSeparated answers)",
  execute: (sql, body) => execute(cluster.url, sql, body),
  onEveryServer: (sql) => Promise.all(cluster.nodes.map((node) => execute(node.url, sql))),
  openStore: (database, options) =>
    Effect.runPromise(
      ClickHouseEventStore.make({ url: cluster.url, database, cluster: cluster.name }, options),
    ),
  caches: caches1816,
})

/** The two engines of one server, sharing each size's table. */
export interface Engines {
  readonly clickhouse: () => Promise<Engine>
  readonly clickhouseSql: () => Promise<Engine>
}

/** The engines' names: `clickhouse` and `clickhouse-sql` by default. */
export interface Names {
  readonly store: string
  readonly sql: string
}

/**
 * Engines on the server at `url` (see `on`).
 */
export const make = (url: string): Engines =>
  on(httpServer(url), { store: "clickhouse", sql: "clickhouse-sql" })

/**
 * Engines on a server. Each size gets a fresh database, left for the server's folder to
 * take away; the SQL engine made after the store's in the same size takes the database
 * the store filled.
 */
export const on = (server: Server, names: Names): Engines => {
  let databases = 0
  let unclaimed: { readonly database: string; loaded: boolean } | undefined
  const serverVersion = server.version
  const openStore = server.openStore

  const clickhouse = async (): Promise<Engine> => {
    const database = `trendline_bench_${++databases}`
    let store = await openStore(database)
    const shared = { database, loaded: false }
    unclaimed = shared
    const engine = fromEventStore(
      names.store,
      `${await serverVersion()}, ${server.storeVia}`,
      () => store,
      // No DROP DATABASE: on 18.16 it waits for the table's background merges (about a
      // minute after a 10M-event load); the server's folder goes when the server stops.
      async () => {
        if (unclaimed === shared) unclaimed = undefined
      },
    )
    const load = pipelinedLoad(appendingTo(store), bulk.batchSize, bulk.inFlight)
    return {
      ...engine,
      cold: {
        means: `before each call, a new store instance and ${cachesDropped(server)}`,
        reopen: async () => {
          await dropCaches(server)
          store = await openStore(database)
        },
      },
      loadPath: describeWay(bulk),
      load: async (batches) => {
        const loaded = await load(batches)
        shared.loaded = true
        await settle(server)
        return loaded
      },
      otherLoads: uploads.map((way) => ({
        loadPath: describeWay(way),
        load: async (batches) => {
          const loaded = await pipelinedLoad(
            appendingTo(await openStore(`trendline_bench_${++databases}`, optionsOf(way))),
            way.batchSize,
            way.inFlight,
          )(batches)
          await settle(server)
          return loaded
        },
      })),
    }
  }

  const clickhouseSql = async (): Promise<Engine> => {
    const shared = unclaimed
    unclaimed = undefined
    const owned = shared === undefined
    const database = shared?.database ?? `trendline_bench_${++databases}`
    // The store's migrations create the table the hand-written SQL reads.
    if (owned) await openStore(database)
    const version = await serverVersion()

    const bulkLoad: Engine["load"] = (batches) => {
      let rows: Array<string> = []
      const flush = async () => {
        if (rows.length === 0) return
        const body = rows.join("\n")
        rows = []
        await server.execute(`INSERT INTO ${database}.${records} FORMAT JSONEachRow`, body)
      }
      const received = Math.floor(Date.now() / 1000)
      let seq = 0
      return timedLoad(
        batches,
        async (batch) => {
          for (const event of batch) {
            const amount = event.properties[Shape.sumProperty]
            const ints = typeof amount === "number" && Number.isSafeInteger(amount)
            rows.push(
              JSON.stringify({
                account: Shape.account.id,
                kind: "event",
                name: event.name,
                ts: event.ts,
                profile: event.profile,
                properties: JSON.stringify(event.properties),
                prop_keys: ints ? [Shape.sumProperty] : [],
                prop_ints: ints ? [amount] : [],
                received,
                seq: seq++,
              }),
            )
          }
          if (rows.length >= bulkRows) await flush()
        },
        flush,
      )
    }

    const sharedLoad: Engine["load"] = async () => {
      if (shared?.loaded !== true) {
        throw new Error(
          `${names.sql} shares the ${names.store} engine's table, which was not loaded`,
        )
      }
      const events = Number(
        await server.execute(
          `SELECT count() FROM ${database}.${records} WHERE account = ${quoted(Shape.account.id)} AND kind IN ('event', 'slotted')`,
        ),
      )
      return { millis: 0, events }
    }

    return {
      name: names.sql,
      version: `${version}, ${server.sqlVia}`,
      loadPath: owned
        ? `bulk JSONEachRow into ${records}, ${bulkRows / 1000}k rows an insert`
        : `none: the ${names.store} engine's table`,
      load: owned
        ? async (batches) => {
            const loaded = await bulkLoad(batches)
            await settle(server)
            return loaded
          }
        : sharedLoad,
      run: async (shape) => {
        const text = await server.execute(`${sqlOf(database, shape)} FORMAT TabSeparated`)
        const answer: Record<string, number> = { ...Shape.emptyAnswer(shape) }
        for (const line of text.split("\n")) {
          if (line === "") continue
          const [key, value] = line.split("\t")
          answer[key!] = Number(value)
        }
        return answer
      },
      runTrends: async (request) => {
        const text = await server.execute(`${combinedSqlOf(database, request)} FORMAT TabSeparated`)
        const result: Record<string, Record<string, number>> = {}
        for (const [name, group] of Object.entries(request.groups)) {
          result[name] = {
            ...Shape.emptyAnswer({
              event: request.event_name,
              measure: measuredOf(request),
              trendType: Shape.trendTypeOf(group.trend_type),
            }),
          }
        }
        for (const line of text.split("\n")) {
          if (line === "") continue
          const [name, key, value] = line.split("\t")
          result[name!]![key!] = Number(value)
        }
        return result satisfies QueryPlan.Result
      },
      runTop: async (shape) => {
        const text = await server.execute(`${topSqlOf(database, shape)} FORMAT TabSeparated`)
        return text
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => {
            const [value, count] = line.split("\t")
            return { value: JSON.parse(value!) as string | number | boolean, count: Number(count) }
          })
      },
      cold: {
        means: `before each call, ${cachesDropped(server)}; the client keeps nothing between calls`,
        reopen: () => dropCaches(server),
      },
      close: async () => undefined,
    }
  }

  return { clickhouse, clickhouseSql }
}
