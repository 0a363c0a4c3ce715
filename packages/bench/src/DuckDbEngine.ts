/**
 * DuckDB as the benchmark's yardstick. The data set is written to a CSV file in a temporary
 * folder and read with one `CREATE TABLE … AS SELECT … FROM read_csv(…)`: on 1M events that
 * beat the row appender (0.8M events/s) and appending data chunks (1.0M events/s) at
 * about 1.4M events/s. Each shape is one grouped query over the raw events; buckets are
 * formatted after grouping (`%G%V` is the ISO year and week, Trendline's weekly rule).
 * The table has a column per property the shapes read: `amount` for sums, and `platform`
 * (`Dataset.platformProperty`, NULL when an event lacks it) for the filtered shapes'
 * `platform = $2`.
 *
 * @since 0.1.0
 */

import { once } from "node:events"
import { createWriteStream } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
} from "@duckdb/node-api"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Dataset from "./Dataset.ts"
import { type Engine, timedLoad } from "./Engine.ts"
import * as Shape from "./Shape.ts"

/** Where DuckDB keeps its table, how many threads it may use (default: every core), and its order. */
export interface Options {
  readonly storage: "file" | "memory"
  readonly threads?: number | undefined
  /**
   * Store the table sorted by (name, ts), so a query's `name = …` skips the row groups of
   * other events through DuckDB's min/max zone maps (default true). On 10M events it made
   * loading about 35% slower and the ~1% event's queries about 10 times faster.
   */
  readonly clustered?: boolean | undefined
}

const buckets: Record<Shape.TrendType, { readonly bucket: string; readonly format: string }> = {
  daily: { bucket: "CAST(ts AS DATE)", format: "%Y%m%d" },
  weekly: { bucket: "date_trunc('week', ts)", format: "%G%V" },
  monthly: { bucket: "date_trunc('month', ts)", format: "%Y%m" },
}

const values: Record<Shape.Measured, string> = {
  count: "count(*)",
  profiles: "count(DISTINCT profile)",
  sum: "sum(amount)",
}

/** The table's column of each text property a filter may compare. */
export const textColumns: { readonly [property: string]: string } = {
  [Dataset.platformProperty]: "platform",
}

// The column a filtered shape compares, or undefined without a filter.
const filterColumn = (shape: Shape.Shape): string | undefined => {
  const equality = Shape.textEquality(shape)
  if (equality === undefined) return undefined
  const column = textColumns[equality.property]
  if (column === undefined) {
    throw new Error(`DuckDB's table has no column for the property ${equality.property}`)
  }
  return column
}

/** The SQL of a shape; `$1` is the event name, `$2` the filter's value when it has one. */
export const sqlOf = (shape: Shape.Shape): string => {
  const plan = Shape.plan(shape)
  const { bucket, format } = buckets[shape.trendType]
  const column = filterColumn(shape)
  return [
    `SELECT strftime(bucket, '${format}') AS key, value FROM (`,
    `  SELECT ${bucket} AS bucket, ${values[shape.measure]} AS value FROM events`,
    `  WHERE name = $1`,
    ...(column === undefined ? [] : [`    AND ${column} = $2`]),
    `    AND ts >= make_timestamp(${plan.start}::BIGINT * 1000000)`,
    `    AND ts < make_timestamp(${plan.end}::BIGINT * 1000000)`,
    `  GROUP BY bucket)`,
  ].join("\n")
}

const csvField = (text: string): string =>
  /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text

// Names and profiles repeat: escape each distinct string once.
const cachedCsvField = () => {
  const cache = new Map<string, string>()
  return (text: string): string => {
    let field = cache.get(text)
    if (field === undefined) {
      field = csvField(text)
      cache.set(text, field)
    }
    return field
  }
}

/** A DuckDB database in a temporary folder (or in memory), with an empty `events` table. */
export const make = async (options: Options): Promise<Engine> => {
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-duckdb-"))
  const open = () =>
    DuckDBInstance.create(
      options.storage === "file" ? join(folder, "events.duckdb") : ":memory:",
      options.threads === undefined ? {} : { threads: String(options.threads) },
    )
  let instance = await open()
  let connection: DuckDBConnection = await instance.connect()
  const statements = new Map<string, DuckDBPreparedStatement>()
  const clustered = options.clustered ?? true
  const [[version]] = (await connection.runAndReadAll("SELECT version()")).getRows() as [[string]]
  const [[threads]] = (
    await connection.runAndReadAll("SELECT current_setting('threads')")
  ).getRows() as [[bigint]]

  const load: Engine["load"] = async (batches) => {
    const file = join(folder, "events.csv")
    const out = createWriteStream(file)
    const name = cachedCsvField()
    const profile = cachedCsvField()
    const platform = cachedCsvField()
    return timedLoad(
      batches,
      async (batch) => {
        let text = ""
        for (const event of batch) {
          const amount = Aggregator.summand(event.properties[Shape.sumProperty])
          // An event without the text property has an empty field: NULL, equal to nothing.
          const value = event.properties[Dataset.platformProperty]
          const platformField = typeof value === "string" && value !== "" ? platform(value) : ""
          text += `${name(event.name)},${profile(event.profile)},${event.ts},${amount},${platformField}\n`
        }
        if (!out.write(text)) await once(out, "drain")
      },
      async () => {
        out.end()
        await once(out, "finish")
        await connection.run(
          [
            "CREATE TABLE events AS",
            "SELECT name, profile, make_timestamp(ts * 1000000) AS ts, amount, platform",
            `FROM read_csv('${file.replaceAll("'", "''")}', header = false, auto_detect = false,`,
            "  columns = {'name': 'VARCHAR', 'profile': 'VARCHAR', 'ts': 'BIGINT', 'amount': 'INTEGER', 'platform': 'VARCHAR'})",
            ...(clustered ? ["ORDER BY name, ts"] : []),
          ].join("\n"),
        )
        await connection.run("CHECKPOINT")
        await rm(file)
      },
    )
  }

  const run: Engine["run"] = async (shape) => {
    const sql = sqlOf(shape)
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = await connection.prepare(sql)
      statements.set(sql, statement)
    }
    const equality = Shape.textEquality(shape)
    statement.bind(equality === undefined ? [shape.event] : [shape.event, equality.value])
    const rows = (await statement.runAndReadAll()).getRows()
    const answer: Record<string, number> = { ...Shape.emptyAnswer(shape) }
    for (const [key, value] of rows) answer[String(key)] = Number(value)
    return answer
  }

  const release = () => {
    for (const statement of statements.values()) statement.destroySync()
    statements.clear()
    connection.closeSync()
    instance.closeSync()
  }

  const engine: Engine = {
    name: "duckdb",
    version: `DuckDB ${version}, ${threads} threads, ${options.storage === "file" ? "file" : "in memory"}`,
    loadPath: clustered ? "CSV + read_csv, sorted by name, ts" : "CSV + read_csv",
    load,
    run,
    close: async () => {
      release()
      await rm(folder, { recursive: true, force: true })
    },
  }
  if (options.storage !== "file") return engine
  return {
    ...engine,
    cold: {
      means:
        "a new instance and connection on the same file before each call (empty buffer pool, statements prepared again)",
      reopen: async () => {
        release()
        instance = await open()
        connection = await instance.connect()
      },
    },
  }
}
