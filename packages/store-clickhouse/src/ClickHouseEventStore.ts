/**
 * Trendline's event store on ClickHouse, over its HTTP interface with
 * `@clickhouse/client-web` (fetch-based: the same code serves Node and Workers).
 *
 * How it stores: every event and profile upsert is a row of `trendline_records`, a
 * MergeTree sorted by (account, kind, name, ts), with the raw properties (JSON) and the
 * integer ones again as parallel arrays (`prop_keys`, `prop_ints`) for any sum. A batch is
 * one insert of ONE row into a Null table whose materialized view fans it out into records
 * (see `internal/migrations.ts` for why): all of it is stored, or none.
 *
 * Upload keys: an append's key is one more record of its batch row (kind `key`, with the
 * fingerprint, the expiry and the refused positions), so it is stored with the batch or not
 * at all. Appends look the key up first (a range of the primary key) and replay or refuse
 * it; within one process, appends with one key run one at a time, and a failed insert
 * keeps its keys until the server no longer runs it. Across processes nothing coordinates
 * them (see the README and `internal/uploadKeys.ts`).
 *
 * Appends of one account that wait are joined into few inserts (group commit, see
 * `internal/groupCommit.ts`).
 *
 * How it answers: one query per plan. For counts and sums it cuts the events into local
 * days in the account's zone, and core's calendar (`QueryPlan.bucketIndex`) says which
 * bucket holds each day. Distinct profiles over weeks and months are grouped by bucket
 * starts computed in SQL, which was measured faster, and held to core's calendar (see
 * `internal/queries.ts` and the README). A plan's filters are SQL over the stored JSON
 * properties and over the profiles' upserts folded as core folds them (see
 * `internal/filters.ts`). Top counts are one query per group, grouping the events by the
 * stored JSON text of the value and letting the server order and cut them (see
 * `internal/top.ts`).
 *
 * It is written in the SQL that ClickHouse 18.16 (Debian's server) and current releases
 * read alike, so it needs no version detection: no query parameters, `LowCardinality` or
 * `DateTime64`.
 *
 * @since 0.1.0
 */
import { createClient } from "@clickhouse/client-web"
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { identifier, stringLiteral, wellFormed } from "./ClickHouseSql.ts"
import { BatchRow } from "./internal/BatchRow.ts"
import { connection, rows, type Shards, storeError } from "./internal/connection.ts"
import * as GroupCommit from "./internal/groupCommit.ts"
import { distributed, migrate, type TableName, tables } from "./internal/migrations.ts"
import * as Queries from "./internal/queries.ts"
import * as Top from "./internal/top.ts"
import * as UploadKeys from "./internal/uploadKeys.ts"

/** Where the server is and who to be; tables go in `database` (created when missing). */
export interface Config {
  /** The HTTP interface, e.g. `http://localhost:8123`. */
  readonly url: string
  readonly username?: string
  readonly password?: string
  /** Defaults to the user's current database on the server (usually `default`). */
  readonly database?: string
  /**
   * A cluster of the server's config (`<remote_servers>`) to spread the data over: the
   * tables are created on every server of it (`ON CLUSTER`, which needs ZooKeeper or
   * ClickHouse Keeper), replicated where its shards have several replicas, with
   * `Distributed` tables in front; each profile's records live on one shard. The store
   * talks to the server at `url`, which may be any of the cluster's.
   */
  readonly cluster?: string
  /** The `fetch` requests go through; defaults to the runtime's. */
  readonly fetch?: typeof globalThis.fetch
}

/**
 * What the store needs of a ClickHouse client: `@clickhouse/client-web`'s (which `make` and
 * `layer` create), or another with the same calls, such as `@clickhouse/client` on Node.
 */
export interface Client {
  readonly query: (params: {
    readonly query: string
    readonly format: "JSONEachRow" | "TabSeparated"
    readonly clickhouse_settings?: {
      readonly output_format_json_quote_64bit_integers?: 0 | 1
      /** Raised for a query longer than the default 256 KiB (a filter's long lists). */
      readonly max_query_size?: string
      /** On a cluster (see `Config.cluster`). */
      readonly load_balancing?: "in_order"
    }
    readonly abort_signal?: AbortSignal
  }) => Promise<{
    readonly json: () => Promise<unknown>
    readonly text: () => Promise<string>
  }>
  readonly insert: (params: {
    readonly table: string
    readonly format: "JSONEachRow"
    readonly values: ReadonlyArray<Record<string, unknown>>
    /** Names the insert, so that the store can tell whether the server still runs it. */
    readonly query_id?: string
    /** On a cluster (see `Config.cluster`). */
    readonly clickhouse_settings?: {
      readonly load_balancing?: "in_order"
      readonly insert_distributed_sync?: 0 | 1
    }
    readonly abort_signal?: AbortSignal
  }) => Promise<unknown>
  readonly command: (params: { readonly query: string }) => Promise<unknown>
  readonly close: () => Promise<void>
}

/** Settings of the store. */
export interface Options {
  /** The limits to enforce (the event-name limit per account); defaults to `Limits.defaults`. */
  readonly limits?: Limits.Limits
  /**
   * The most records one insert carries when appends that wait are joined (default
   * 100,000). A single append larger than this is still one insert.
   */
  readonly maxRecordsPerInsert?: number
  /**
   * How many inserts of one account may be under way at once (default 2): while the server
   * writes one, the next is encoded and sent.
   */
  readonly insertsInFlight?: number
}

// How long `health` waits for the server to read and write.
const healthLimitMs = 10_000

// A cluster's shards as the server at hand knows them (`system.clusters`), and whether
// they have replicas; fails naming the clusters it has when it has not this one, and
// naming what is missing when the server has no ZooKeeper (DDL on a cluster needs it).
const clusterOf = (client: Client, cluster: string) =>
  Effect.gen(function* () {
    const found = yield* Effect.tryPromise({
      try: () =>
        rows<{ cluster: string; shard_num: number; shard_weight: number; replica_num: number }>(
          client,
          "SELECT cluster, shard_num, shard_weight, replica_num FROM system.clusters ORDER BY cluster, shard_num, replica_num",
        ),
      catch: storeError("reading the cluster's shards"),
    })
    const mine = found.filter((row) => row.cluster === cluster)
    if (mine.length === 0) {
      const known = [...new Set(found.map((row) => row.cluster))]
      return yield* new EventStore.StoreError({
        message: `ClickHouse store: the server has no cluster ${JSON.stringify(cluster)}: define it under <remote_servers> in every server's config, or set the cluster to one it has (${known.length === 0 ? "it has none" : known.join(", ")})`,
      })
    }
    yield* Effect.tryPromise({
      try: () => rows(client, "SELECT name FROM system.zookeeper WHERE path = '/' LIMIT 1"),
      catch: (cause) =>
        new EventStore.StoreError({
          message: `ClickHouse store: cluster ${JSON.stringify(cluster)} needs ZooKeeper (or ClickHouse Keeper) on its servers, for its tables' DDL and replicas: add <zookeeper> to every server's config (${String((cause as Error).message ?? cause).split("\n")[0]})`,
          cause,
        }),
    })
    const weights = new Map<number, number>()
    const replicas = new Map<number, number>()
    for (const row of mine) {
      weights.set(Number(row.shard_num), Number(row.shard_weight))
      replicas.set(Number(row.shard_num), (replicas.get(Number(row.shard_num)) ?? 0) + 1)
    }
    const shards: Shards = { cluster, weights: [...weights.values()] }
    return { shards, replicated: [...replicas.values()].some((count) => count > 1) }
  })

/** The store over a client someone else closes; migrates the schema first. */
const makeWith = (
  client: Client,
  config: { readonly database?: string | undefined; readonly cluster?: string | undefined },
  options: Options,
): Effect.Effect<EventStore.Service, EventStore.StoreError> =>
  Effect.gen(function* () {
    const limits = options.limits ?? Limits.defaults
    for (const [name, value] of [
      ["maxRecordsPerInsert", options.maxRecordsPerInsert],
      ["insertsInFlight", options.insertsInFlight],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
        return yield* new EventStore.StoreError({
          message: `ClickHouse store: option ${name} must be a whole number of at least 1, got ${value}`,
        })
      }
    }
    const database =
      config.database ??
      (yield* Effect.tryPromise({
        try: () => rows<{ name: string }>(client, "SELECT currentDatabase() AS name"),
        catch: storeError("connecting"),
      }))[0]!.name
    const local: TableName = (name) => `${identifier(database)}.${identifier(name)}`
    const cluster =
      config.cluster === undefined ? undefined : yield* clusterOf(client, config.cluster)
    yield* Effect.tryPromise({
      try: () =>
        migrate(client, {
          table: local,
          database,
          cluster: config.cluster,
          replicated: cluster?.replicated ?? false,
        }),
      catch: storeError("migrating the schema"),
    })
    // On a cluster the records are read, and the batches written, through their
    // Distributed tables.
    const table: TableName =
      cluster === undefined
        ? local
        : (name) =>
            local(
              name === tables.records
                ? distributed.records
                : name === tables.batches
                  ? distributed.batches
                  : name,
            )
    const server = connection(client, table, cluster?.shards)
    const { query } = server
    const groupCommit = GroupCommit.make(server, {
      maxRecordsPerInsert: options.maxRecordsPerInsert ?? 100_000,
      insertsInFlight: options.insertsInFlight ?? 2,
    })
    const uploadKeys = UploadKeys.make(server)

    const storedNames = (account: Account.Settings, operation: string) =>
      query<{ name: string }>(
        operation,
        `SELECT DISTINCT name FROM ${table(tables.records)}
         WHERE account = ${stringLiteral(account.id)} AND kind IN ('event', 'slotted')`,
      ).pipe(Effect.map((found) => found.map((row) => row.name)))

    // Names an account is known to have (they never go away): a batch of known names needs
    // no look-up. Batches with new names take the account's lock and read the names afresh,
    // and hold it until their insert has settled (even when interrupted), so this process
    // never lets an account past its limit; several servers appending new names to one
    // account at the same instant could each admit one.
    const knownNames = new Map<string, Set<string>>()
    const newNameLocks = new Map<string, Effect.Semaphore>()
    const newNameLock = (account: Account.Settings): Effect.Semaphore => {
      let lock = newNameLocks.get(account.id)
      if (lock === undefined) {
        lock = Effect.unsafeMakeSemaphore(1)
        newNameLocks.set(account.id, lock)
      }
      return lock
    }

    const appendAdmitted = (
      account: Account.Settings,
      batch: EventStore.Batch,
      names: ReadonlyArray<string>,
      known: ReadonlySet<string>,
      key: EventStore.UploadKey | undefined,
      resume: UploadKeys.Resume | undefined,
    ) =>
      Effect.gen(function* () {
        // A batch some shards stored already keeps the refused positions it had then.
        const { admitted, refused } =
          resume === undefined
            ? EventStore.admitEventNames(known, names, limits.maxEventNamesPerAccount)
            : {
                refused: resume.refused,
                admitted: names.filter((_, position) => !resume.refused.includes(position)),
              }
        const refusedPositions = new Set(refused)
        const row = new BatchRow()
        for (let position = 0; position < batch.events.length; position++) {
          if (refused.length > 0 && refusedPositions.has(position)) continue
          const event = batch.events[position]!
          row.add("event", names[position]!, event.ts, event.profile, event.properties)
        }
        for (const update of batch.profiles) {
          row.add("profile", update.profile, update.ts, update.profile, update.properties)
        }
        // The key goes in the batch's own row: stored with it, or not at all.
        if (key !== undefined) row.addKey(key, refused)
        if (row.length > 0)
          yield* groupCommit.write(account, row, key !== undefined, resume?.stored)
        if (admitted.length > 0) knownNames.set(account.id, new Set([...known, ...admitted]))
        return { refused }
      })

    const appendBatch = (
      account: Account.Settings,
      batch: EventStore.Batch,
      key: EventStore.UploadKey | undefined,
      resume?: UploadKeys.Resume,
    ) => {
      const names = batch.events.map((event) => wellFormed(event.name))
      const cached = knownNames.get(account.id)
      if (cached !== undefined && names.every((name) => cached.has(name)))
        return appendAdmitted(account, batch, names, cached, key, resume)
      return newNameLock(account).withPermits(1)(
        Effect.flatMap(storedNames(account, "append"), (stored) => {
          const known = new Set(stored)
          knownNames.set(account.id, known)
          return appendAdmitted(account, batch, names, known, key, resume)
        }),
      )
    }

    // Reads the records table (its primary index) and writes a row into the health table,
    // which is a new part on disk: fails with the server's reason (cannot be reached, a
    // read-only user, no room on disk, a table gone), or when it does not answer in time.
    const health = () =>
      Effect.zipRight(
        query("health", `SELECT count() AS n FROM ${table(tables.records)} WHERE account = ''`),
        Effect.tryPromise({
          try: (signal) =>
            client.insert({
              table: table(tables.health),
              format: "JSONEachRow",
              values: [{ probe: 0, checked: Math.floor(Date.now() / 1000) }],
              abort_signal: signal,
            }),
          catch: storeError("health"),
        }),
      ).pipe(
        Effect.asVoid,
        Effect.timeoutFail({
          duration: healthLimitMs,
          onTimeout: () =>
            new EventStore.StoreError({
              message: `ClickHouse store: health failed: no answer within ${healthLimitMs / 1000} s`,
            }),
        }),
      )

    // A profile's upserts folded in the order they arrived (`seq`), as core's stores fold
    // them: an upsert at least as new as every earlier one sets its properties, an older one
    // only adds those no earlier upsert had. Query filters read the same fold
    // (`internal/filters.ts`).
    const profile = (account: Account.Settings, key: string) =>
      Effect.map(
        query<{ ts: string; properties: string }>(
          "profile",
          `SELECT ts, properties FROM ${table(tables.records)}
           WHERE account = ${stringLiteral(account.id)} AND kind = 'profile' AND name = ${stringLiteral(key)}
           ORDER BY seq`,
        ),
        (upserts) =>
          upserts.reduce<Option.Option<EventStore.Profile>>(
            (merged, upsert) =>
              Option.some(
                EventStore.mergeProfile(merged, {
                  profile: key,
                  ts: Number(upsert.ts),
                  properties: JSON.parse(upsert.properties) as EventStore.Profile["properties"],
                }),
              ),
            Option.none(),
          ),
      )

    return {
      append: (account, batch, key) =>
        key === undefined
          ? appendBatch(account, batch, undefined)
          : uploadKeys.append(account, key, (resume) =>
              Effect.suspend(() => appendBatch(account, batch, key, resume)),
            ),
      query: Queries.make(server),
      rollingProfiles: Queries.makeRolling(server),
      top: Top.make(server),
      eventNames: (account) =>
        Effect.map(
          storedNames(account, "eventNames"),
          (names) => names.sort() as ReadonlyArray<string>,
        ),
      profile,
      health,
    } satisfies EventStore.Service
  })

const clientOf = (config: Config): Client =>
  createClient({
    url: config.url,
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
    application: "trendline",
    // Answers are small (at most a few thousand buckets): compressing them costs the
    // server and the client more time than it saves on the wire.
    compression: { response: false },
  })

/**
 * The store on a ClickHouse server; creates the database and migrates the schema first.
 * The web client holds no connections of its own (the runtime's `fetch` pools them), so
 * nothing needs closing; `layer` closes it all the same.
 *
 * @example ClickHouseEventStore.make({ url: "http://localhost:8123", database: "trendline" })
 */
export const make = (
  config: Config,
  options: Options = {},
): Effect.Effect<EventStore.Service, EventStore.StoreError> =>
  Effect.suspend(() => makeWith(clientOf(config), config, options))

/**
 * The store over a client made elsewhere (`@clickhouse/client` on Node, or client-web with
 * settings of its own), which its maker closes. Tables go in `database` whatever the
 * client's own default (created when missing; the user's current database without it).
 */
export const fromClient = (
  client: Client,
  config: { readonly database?: string } = {},
  options: Options = {},
): Effect.Effect<EventStore.Service, EventStore.StoreError> =>
  Effect.suspend(() => makeWith(client, config, options))

/** The store as a layer: the client is closed with the layer's scope. */
export const layer = (
  config: Config,
  options: Options = {},
): Layer.Layer<EventStore.EventStore, EventStore.StoreError> =>
  Layer.scoped(
    EventStore.EventStore,
    Effect.flatMap(
      Effect.acquireRelease(
        Effect.sync(() => clientOf(config)),
        (client) => Effect.promise(() => client.close()),
      ),
      (client) => makeWith(client, config, options),
    ),
  )
