// What every part of the store shares: the client, where its tables are, reads (retried
// once on a connection the server closed), the settings of reads and inserts, and the
// errors they fail with.
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import type { Client } from "../ClickHouseEventStore.ts"
import type { TableName } from "./migrations.ts"

/**
 * Where a cluster's shards are, as the store routes batch rows to them: the shards in the
 * order of the cluster's definition, each with its weight. A `Distributed` table sends a
 * row whose sharding key is `k` to the shard that holds `k % total weight` when the
 * weights are laid out one after the other; the store picks `k` itself (`shardKeyOf`).
 */
export interface Shards {
  readonly cluster: string
  readonly weights: ReadonlyArray<number>
}

/** Settings sent with every read and every insert. */
export interface Settings {
  /**
   * On a cluster: the first replica of each shard that answers (`in_order`), for reads
   * and inserts alike, so that an upload key is looked up where its batch was written.
   */
  readonly load_balancing?: "in_order"
  /** On a cluster: an insert returns once every shard has stored its rows. */
  readonly insert_distributed_sync?: 0 | 1
}

/** The store's way to the server. */
export interface Connection {
  readonly client: Client
  /**
   * The qualified name of a table the store reads or writes: on a cluster the records and
   * the batches are their `Distributed` tables (see `migrations.ts`).
   */
  readonly table: TableName
  /** On a cluster, its shards; `undefined` on one server. */
  readonly shards: Shards | undefined
  readonly settings: Settings
  /**
   * A read, retried once when a pooled connection turns out closed by the server (its
   * keep-alive timeout ended while the connection sat idle): nothing was read yet.
   */
  readonly attempt: <A>(
    operation: string,
    read: (signal: AbortSignal) => Promise<A>,
  ) => Effect.Effect<A, EventStore.StoreError>
  /** The rows of a query as JSON objects (see `rows`), read as `attempt` reads. */
  readonly query: <A>(
    operation: string,
    sql: string,
  ) => Effect.Effect<Array<A>, EventStore.StoreError>
}

export const connection = (
  client: Client,
  table: TableName,
  shards: Shards | undefined = undefined,
): Connection => {
  const settings: Settings =
    shards === undefined ? {} : { load_balancing: "in_order", insert_distributed_sync: 1 }
  const attempt = <A>(operation: string, read: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: read, catch: (cause) => cause }).pipe(
      Effect.retry({ times: 1, while: isClosedConnection }),
      Effect.mapError(storeError(operation)),
    )
  return {
    client,
    table,
    shards,
    settings,
    attempt,
    query: (operation, sql) => attempt(operation, (signal) => rows(client, sql, signal, settings)),
  }
}

// An error and its causes, e.g. "fetch failed: connect ECONNREFUSED 127.0.0.1:8123": the
// runtime's `fetch` says only "fetch failed", its cause says why.
const describe = (error: unknown): string => {
  const messages: Array<string> = []
  let cause = error
  for (let depth = 0; depth < 5 && cause !== undefined && cause !== null; depth++) {
    const message = (cause instanceof Error ? cause.message : String(cause)).trim()
    if (message !== "" && !messages.includes(message)) messages.push(message)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return messages.join(": ")
}

export const storeError =
  (operation: string) =>
  (cause: unknown): EventStore.StoreError =>
    new EventStore.StoreError({
      message: `ClickHouse store: ${operation} failed: ${describe(cause)}`,
      cause,
    })

export const rows = async <A>(
  client: Client,
  query: string,
  abort_signal?: AbortSignal,
  settings: Settings = {},
): Promise<Array<A>> => {
  const result = await client.query({
    query,
    format: "JSONEachRow",
    // 64-bit integers (counts, sums, timestamps) as JSON strings on every server version:
    // 18.16 quotes them by default, current servers (25.8 on) do not.
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      ...(settings.load_balancing === undefined ? {} : { load_balancing: settings.load_balancing }),
    },
    ...(abort_signal === undefined ? {} : { abort_signal }),
  })
  return (await result.json()) as Array<A>
}

// undici's "other side closed" / "socket hang up": the server closed a pooled connection.
const isClosedConnection = (error: unknown): boolean => {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "UND_ERR_CLOSED") return true
  }
  return false
}

/**
 * The shard a profile's records go to, as the sharding key of its batch row: FNV-1a (32
 * bits) of the profile's UTF-16 code units, modulo the cluster's total weight. Every
 * record of one profile (its events and its upserts) lands on one shard, so a profile's
 * records can be read together on the shard that has them. The mapping depends only on the
 * profile and the weights: changing the cluster's shards or weights moves profiles
 * (re-shard the data first, see the README).
 */
export const shardKeyOf = (profile: string, totalWeight: number): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < profile.length; i++) {
    hash ^= profile.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % totalWeight
}
