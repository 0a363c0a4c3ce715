// What every part of the store shares: the client, where its tables are, reads (retried
// once on a connection the server closed) and the errors they fail with.
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import type { Client } from "../ClickHouseEventStore.ts"
import type { TableName } from "./migrations.ts"

/** The store's way to the server. */
export interface Connection {
  readonly client: Client
  /** A table's qualified name in the store's database. */
  readonly table: TableName
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

export const connection = (client: Client, table: TableName): Connection => {
  const attempt = <A>(operation: string, read: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: read, catch: (cause) => cause }).pipe(
      Effect.retry({ times: 1, while: isClosedConnection }),
      Effect.mapError(storeError(operation)),
    )
  return {
    client,
    table,
    attempt,
    query: (operation, sql) => attempt(operation, (signal) => rows(client, sql, signal)),
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
): Promise<Array<A>> => {
  const result = await client.query({
    query,
    format: "JSONEachRow",
    // 64-bit integers (counts, sums, timestamps) as JSON strings on every server version:
    // 18.16 quotes them by default, current servers (25.8 on) do not.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
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
