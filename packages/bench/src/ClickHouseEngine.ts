/**
 * ClickHouse behind the engine interface, two ways on one server and one table:
 *
 * - `clickhouse`: Trendline's store (`@trendline/store-clickhouse`), events appended through
 *   the port 1000 at a time (one insert each), shapes answered by the port's `query` with
 *   core's plans.
 * - `clickhouse-sql`: the hand-written query of each shape, sent straight to the HTTP
 *   interface, on the store's own `trendline_records` table. After `clickhouse` has loaded
 *   a size it loads nothing and queries that table; alone, it creates the table through
 *   the store's migrations and bulk-inserts the events, 100k rows an insert.
 *
 * @since 0.1.0
 */
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as Effect from "effect/Effect"
import { type Engine, timedLoad } from "./Engine.ts"
import * as Shape from "./Shape.ts"
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
 * (daily `YYYYMMDD`, weekly ISO `YYYYWW`, monthly `YYYYMM`).
 */
export const sqlOf = (database: string, shape: Shape.Shape): string => {
  const plan = Shape.plan(shape)
  const where = [
    `account = ${quoted(Shape.account.id)} AND kind = 'event' AND name = ${quoted(shape.event)}`,
    `AND ts >= ${plan.start} AND ts < ${plan.end}`,
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

/** The two engines of one server, sharing each size's table. */
export interface Engines {
  readonly clickhouse: () => Promise<Engine>
  readonly clickhouseSql: () => Promise<Engine>
}

/**
 * Engines on the server at `url`. Each size gets a fresh database, left for the server's
 * folder to take away; `clickhouse-sql` made after `clickhouse` in the same size takes
 * the database `clickhouse` filled.
 */
export const make = (url: string): Engines => {
  let databases = 0
  let unclaimed: { readonly database: string; loaded: boolean } | undefined
  const serverVersion = async () =>
    `ClickHouse ${(await execute(url, "SELECT version()")).trim()} (Debian's clickhouse-server)`

  const openStore = (database: string) =>
    Effect.runPromise(ClickHouseEventStore.make({ url, database }))

  const clickhouse = async (): Promise<Engine> => {
    const database = `trendline_bench_${++databases}`
    const store = await openStore(database)
    const shared = { database, loaded: false }
    unclaimed = shared
    const engine = fromEventStore(
      "clickhouse",
      `${await serverVersion()}, Trendline's store over @clickhouse/client-web`,
      store,
      // No DROP DATABASE: on 18.16 it waits for the table's background merges (about a
      // minute after a 10M-event load); the server's folder goes when the server stops.
      async () => {
        if (unclaimed === shared) unclaimed = undefined
      },
    )
    return {
      ...engine,
      loadPath: "append, batches of 1000 (1 insert each)",
      load: async (batches) => {
        const loaded = await engine.load(batches)
        shared.loaded = true
        return loaded
      },
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
        await execute(url, `INSERT INTO ${database}.${records} FORMAT JSONEachRow`, body)
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
        throw new Error("clickhouse-sql shares the clickhouse engine's table, which was not loaded")
      }
      const events = Number(
        await execute(
          url,
          `SELECT count() FROM ${database}.${records} WHERE account = ${quoted(Shape.account.id)} AND kind = 'event'`,
        ),
      )
      return { millis: 0, events }
    }

    return {
      name: "clickhouse-sql",
      version: `${version}, hand-written SQL over fetch (TabSeparated answers)`,
      loadPath: owned
        ? `bulk JSONEachRow into ${records}, ${bulkRows / 1000}k rows an insert`
        : "none: the clickhouse engine's table",
      load: owned ? bulkLoad : sharedLoad,
      run: async (shape) => {
        const text = await execute(url, `${sqlOf(database, shape)} FORMAT TabSeparated`)
        const answer: Record<string, number> = { ...Shape.emptyAnswer(shape) }
        for (const line of text.split("\n")) {
          if (line === "") continue
          const [key, value] = line.split("\t")
          answer[key!] = Number(value)
        }
        return answer
      },
      close: async () => undefined,
    }
  }

  return { clickhouse, clickhouseSql }
}
