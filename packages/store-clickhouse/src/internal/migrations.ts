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

/**
 * Where the migrations create the tables: one server, or every server of a cluster
 * (`cluster`: DDL `ON CLUSTER`, with `Distributed` tables in front of the local ones, see
 * version 4; `replicated`: the cluster's shards have replicas, so the tables that hold
 * data are `ReplicatedMergeTree`, kept in ZooKeeper under the shard's and replica's macros).
 * On one server every statement is what it was before clusters existed.
 */
export interface Schema {
  /** A local table's qualified name. */
  readonly table: TableName
  readonly database: string
  readonly cluster: string | undefined
  readonly replicated: boolean
}

export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: (schema: Schema) => ReadonlyArray<string>
}

// ` ON CLUSTER name` on a cluster, nothing on one server.
const onCluster = (schema: Schema): string =>
  schema.cluster === undefined ? "" : ` ON CLUSTER ${identifier(schema.cluster)}`

// A table engine of the MergeTree family that holds data: replicated on a cluster with
// replicas, where each shard's replicas share the ZooKeeper path of the table and each
// names itself by the server's `{replica}` macro.
const engine = (schema: Schema, table: string, family: "" | "Replacing", args: string = "") =>
  schema.replicated
    ? `Replicated${family}MergeTree(${stringLiteral(`/clickhouse/tables/{shard}/${schema.database}/${table}`)}, '{replica}'${args === "" ? "" : `, ${args}`})`
    : `${family}MergeTree${args === "" ? "" : `(${args})`}`

/** The Distributed tables in front of the local ones on a cluster (version 4). */
export const distributed = {
  records: "trendline_records_all",
  batches: "trendline_batches_all",
} as const

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

// A cluster's tables are created as the newest version has them, and the ALTERs of later
// versions are for one server only: 18.16 runs `ALTER … ON CLUSTER` on replicated tables
// only ("Table … isn't replicated, but shard #1 is replicated according to its cluster
// definition" for the Null table of batches), and clusters came after those versions, so
// no cluster has tables of an older shape. A later change to a cluster's Null table or
// view will have to re-create them.
const kindOf = (schema: Schema, kind: string) =>
  schema.cluster === undefined ? kind : kindWithSlots
const onOneServer = (schema: Schema, statements: ReadonlyArray<string>) =>
  schema.cluster === undefined ? statements : []

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "records, batches and their fan-out view",
    statements: (schema) => [
      // Every event and every profile upsert, one row each. One event's rows of an account
      // are one contiguous range of the sort key, ordered by time; a profile's upserts are
      // another (its key is kept in `name`).
      // Partitions follow the month a batch was received, not the month of its events:
      // rows of one insert that fall into several partitions are written as several parts,
      // one after the other, and that insert would no longer be atomic. (`received` is epoch
      // seconds as a plain integer, which every server version reads alike in JSON.)
      `CREATE TABLE IF NOT EXISTS ${schema.table(tables.records)}${onCluster(schema)} (
        account String,
        kind ${kindOf(schema, kind)},
        name String,
        ts UInt64,
        profile String,
        properties String,
        prop_keys Array(String),
        prop_ints Array(Int64),
        received UInt32,
        seq UInt64
      ) ENGINE = ${engine(schema, tables.records, "")}
      PARTITION BY toYYYYMM(toDateTime(received))
      ORDER BY (account, kind, name, ts)`,
      // A batch arrives as ONE row of parallel arrays, so a request cut short anywhere is
      // a JSON row cut short, which ClickHouse refuses whole. (Several JSONEachRow rows cut
      // at a row boundary would be a valid, shorter insert.) The Null engine keeps nothing;
      // the view below turns the row into records, written as one block into one partition.
      // On a cluster a batch row holds the records of one shard (the shard of their
      // profiles), and `shard` routes it there (the Distributed table's sharding key).
      `CREATE TABLE IF NOT EXISTS ${schema.table(tables.batches)}${onCluster(schema)} (
        account String,
        received UInt32,
        seq UInt64,
        kinds Array(${kindOf(schema, kind)}),
        names Array(String),
        timestamps Array(UInt64),
        profiles Array(String),
        property_texts Array(String),
        key_lists Array(Array(String)),
        int_lists Array(Array(Int64))${schema.cluster === undefined ? "" : ",\n        shard UInt32"}
      ) ENGINE = Null`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${schema.table(tables.fanOut)}${onCluster(schema)}
      TO ${schema.table(tables.records)}
      AS SELECT
        account, kind, name, ts, profile,
        property_text AS properties, key_list AS prop_keys, int_list AS prop_ints,
        received, seq + position AS seq
      FROM ${schema.table(tables.batches)}
      ARRAY JOIN
        kinds AS kind, names AS name, timestamps AS ts, profiles AS profile,
        property_texts AS property_text, key_lists AS key_list, int_lists AS int_list,
        arrayEnumerate(kinds) AS position`,
    ],
  },
  {
    version: 2,
    name: "upload keys as records of kind key; the health table",
    statements: (schema) => [
      // An upload key is a record of its batch (kind 'key': `name` the key, `ts` its expiry
      // in epoch milliseconds, `profile` the request's fingerprint, `properties` the refused
      // positions as JSON), so it is written in the same row, block and part as the batch:
      // both are stored or neither. It sorts as (account, 'key', key, expiry): a look-up is
      // a range of the primary key, no skip index needed.
      // Adding a value to an Enum8 changes metadata only: no part is rewritten, every
      // existing record stays as it is (18.16 and current servers alike). The records table
      // first, so that no batch row can carry a kind its records cannot hold.
      ...onOneServer(schema, [
        `ALTER TABLE ${schema.table(tables.records)} MODIFY COLUMN kind ${kindWithKeys}`,
        `ALTER TABLE ${schema.table(tables.batches)} MODIFY COLUMN kinds Array(${kindWithKeys})`,
      ]),
      // What `health` writes: one tiny part each time (the truest test that the server can
      // write now), which merges collapse into one row. Each server of a cluster has its
      // own: it tells whether the server the store talks to can write.
      `CREATE TABLE IF NOT EXISTS ${schema.table(tables.health)}${onCluster(schema)} (
        probe UInt8,
        checked UInt32
      ) ENGINE = ReplacingMergeTree(checked)
      ORDER BY probe`,
    ],
  },
  {
    version: 3,
    name: "slot rows of counts and sums, and the events they count",
    // From this version on, a batch row also holds 'slot' records, per event name and 15
    // minutes of UTC with enough of its events, with their count and integer sums
    // (BatchRow.addSlots), stored with them in one part; the events they count are of kind
    // 'slotted', the others (and those stored before) stay 'event'. Metadata only, as
    // version 2's change.
    statements: (schema) =>
      onOneServer(schema, [
        `ALTER TABLE ${schema.table(tables.records)} MODIFY COLUMN kind ${kindWithSlots}`,
        `ALTER TABLE ${schema.table(tables.batches)} MODIFY COLUMN kinds Array(${kindWithSlots})`,
      ]),
  },
  {
    version: 4,
    name: "on a cluster, Distributed tables in front of the records and the batches",
    // On one server: nothing. On a cluster, every server gets them, so the store can talk
    // to any: reads of the records go to every shard (one replica each), and a batch row
    // goes to the shard its `shard` names.
    statements: (schema) =>
      schema.cluster === undefined
        ? []
        : [
            `CREATE TABLE IF NOT EXISTS ${schema.table(distributed.records)}${onCluster(schema)}
            AS ${schema.table(tables.records)}
            ENGINE = Distributed(${identifier(schema.cluster)}, ${identifier(schema.database)}, ${identifier(tables.records)})`,
            `CREATE TABLE IF NOT EXISTS ${schema.table(distributed.batches)}${onCluster(schema)}
            AS ${schema.table(tables.batches)}
            ENGINE = Distributed(${identifier(schema.cluster)}, ${identifier(schema.database)}, ${identifier(tables.batches)}, shard)`,
          ],
  },
]

/**
 * Creates the database when it is missing, then brings the schema to the newest migration.
 * On a cluster the database and every table are created on every server (`ON CLUSTER`); the
 * table of applied migrations is the server's own (running a migration again does nothing),
 * so a store opening on a server with every migration applied runs no DDL at all.
 */
export const migrate = async (client: Client, schema: Schema) => {
  const { database, table } = schema
  const exists = await rows<{ n: number }>(
    client,
    `SELECT toUInt8(count()) AS n FROM system.databases WHERE name = ${stringLiteral(database)}`,
  )
  // On a cluster too only when this server lacks it: DDL on a cluster waits for every
  // server (minutes when one is down), and a store must open while a replica is away.
  if (exists[0]?.n === 0) {
    await client.command({
      query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}${onCluster(schema)}`,
    })
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
    for (const statement of migration.statements(schema)) await client.command({ query: statement })
    await client.command({
      query: `INSERT INTO ${table(tables.migrations)} (version, name, applied) VALUES (${integerLiteral(migration.version)}, ${stringLiteral(migration.name)}, now())`,
    })
  }
}
