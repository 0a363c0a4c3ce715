// The store's schema, one migration per version, applied in order when a store opens.
// A migration is never edited once released: later changes are new migrations. Every
// statement is idempotent (IF NOT EXISTS; an ALTER to the type a column already has does
// nothing), because ClickHouse has no DDL transactions: a migration interrupted half way,
// or run by two servers at once, is simply run again.
import type { Client } from "../ClickHouseEventStore.ts"
import { identifier, integerLiteral, stringLiteral } from "../ClickHouseSql.ts"
import { rows } from "./connection.ts"

/** Where the store's tables live: a function from a table name to its qualified name. */
export type TableName = (table: string) => string

export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: (table: TableName) => ReadonlyArray<string>
}

export const tables = {
  migrations: "trendline_migrations",
  records: "trendline_records",
  batches: "trendline_batches",
  fanOut: "trendline_batch_fan_out",
  health: "trendline_health",
} as const

const kind = "Enum8('event' = 1, 'profile' = 2)"
const kindWithKeys = "Enum8('event' = 1, 'profile' = 2, 'key' = 3)"
const kindWithSlots = "Enum8('event' = 1, 'profile' = 2, 'key' = 3, 'slotted' = 4, 'slot' = 5)"

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "records, batches and their fan-out view",
    statements: (table) => [
      // Every event and every profile upsert, one row each. One event's rows of an account
      // are one contiguous range of the sort key, ordered by time; a profile's upserts are
      // another (its key is kept in `name`).
      // Partitions follow the month a batch was received, not the month of its events:
      // rows of one insert that fall into several partitions are written as several parts,
      // one after the other, and that insert would no longer be atomic. (`received` is epoch
      // seconds as a plain integer, which every server version reads alike in JSON.)
      `CREATE TABLE IF NOT EXISTS ${table(tables.records)} (
        account String,
        kind ${kind},
        name String,
        ts UInt64,
        profile String,
        properties String,
        prop_keys Array(String),
        prop_ints Array(Int64),
        received UInt32,
        seq UInt64
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(toDateTime(received))
      ORDER BY (account, kind, name, ts)`,
      // A batch arrives as ONE row of parallel arrays, so a request cut short anywhere is
      // a JSON row cut short, which ClickHouse refuses whole. (Several JSONEachRow rows cut
      // at a row boundary would be a valid, shorter insert.) The Null engine keeps nothing;
      // the view below turns the row into records, written as one block into one partition.
      `CREATE TABLE IF NOT EXISTS ${table(tables.batches)} (
        account String,
        received UInt32,
        seq UInt64,
        kinds Array(${kind}),
        names Array(String),
        timestamps Array(UInt64),
        profiles Array(String),
        property_texts Array(String),
        key_lists Array(Array(String)),
        int_lists Array(Array(Int64))
      ) ENGINE = Null`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${table(tables.fanOut)}
      TO ${table(tables.records)}
      AS SELECT
        account, kind, name, ts, profile,
        property_text AS properties, key_list AS prop_keys, int_list AS prop_ints,
        received, seq + position AS seq
      FROM ${table(tables.batches)}
      ARRAY JOIN
        kinds AS kind, names AS name, timestamps AS ts, profiles AS profile,
        property_texts AS property_text, key_lists AS key_list, int_lists AS int_list,
        arrayEnumerate(kinds) AS position`,
    ],
  },
  {
    version: 2,
    name: "upload keys as records of kind key; the health table",
    statements: (table) => [
      // An upload key is a record of its batch (kind 'key': `name` the key, `ts` its expiry
      // in epoch milliseconds, `profile` the request's fingerprint, `properties` the refused
      // positions as JSON), so it is written in the same row, block and part as the batch:
      // both are stored or neither. It sorts as (account, 'key', key, expiry): a look-up is
      // a range of the primary key, no skip index needed.
      // Adding a value to an Enum8 changes metadata only: no part is rewritten, every
      // existing record stays as it is (18.16 and current servers alike). The records table
      // first, so that no batch row can carry a kind its records cannot hold.
      `ALTER TABLE ${table(tables.records)} MODIFY COLUMN kind ${kindWithKeys}`,
      `ALTER TABLE ${table(tables.batches)} MODIFY COLUMN kinds Array(${kindWithKeys})`,
      // What `health` writes: one tiny part each time (the truest test that the server can
      // write now), which merges collapse into one row.
      `CREATE TABLE IF NOT EXISTS ${table(tables.health)} (
        probe UInt8,
        checked UInt32
      ) ENGINE = ReplacingMergeTree(checked)
      ORDER BY probe`,
    ],
  },
  {
    version: 3,
    name: "slot rows of counts and sums, and the events they count",
    statements: (table) => [
      // From this version on, a batch row also holds 'slot' records, per event name and 15
      // minutes of UTC with enough of its events, with their count and integer sums
      // (BatchRow.addSlots), stored with them in one part; the events they count are of
      // kind 'slotted', the others (and those stored before) stay 'event'. Metadata only,
      // as version 2's change.
      `ALTER TABLE ${table(tables.records)} MODIFY COLUMN kind ${kindWithSlots}`,
      `ALTER TABLE ${table(tables.batches)} MODIFY COLUMN kinds Array(${kindWithSlots})`,
    ],
  },
]

/** Creates the database when it is missing, then brings the schema to the newest migration. */
export const migrate = async (client: Client, database: string, table: TableName) => {
  const exists = await rows<{ n: number }>(
    client,
    `SELECT toUInt8(count()) AS n FROM system.databases WHERE name = ${stringLiteral(database)}`,
  )
  if (exists[0]?.n === 0) {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}` })
  }
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table(tables.migrations)} (
      version UInt32, name String, applied DateTime
    ) ENGINE = MergeTree ORDER BY version`,
  })
  const [applied] = await rows<{ version: number }>(
    client,
    `SELECT max(version) AS version FROM ${table(tables.migrations)}`,
  )
  const current = applied?.version ?? 0
  const newest = migrations.at(-1)?.version ?? 0
  if (current > newest) {
    throw new Error(
      `the database has schema version ${current}, newer than this Trendline's ${newest}: upgrade Trendline`,
    )
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue
    for (const statement of migration.statements(table)) await client.command({ query: statement })
    await client.command({
      query: `INSERT INTO ${table(tables.migrations)} (version, name, applied) VALUES (${integerLiteral(migration.version)}, ${stringLiteral(migration.name)}, now())`,
    })
  }
}
