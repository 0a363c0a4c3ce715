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
 * them (see the README).
 *
 * How it answers: one query per plan cuts days with ClickHouse's own calendar functions in
 * the account's time zone, and counts, sums or counts distinct profiles per bucket start of
 * every granularity the plan asks for; the answer is mapped onto the plan's (clipped) buckets.
 *
 * It is written in the SQL that ClickHouse 18.16 (Debian's server) and current releases
 * read alike, so it needs no version detection: no query parameters, `toStartOfWeek` or
 * `toYearWeek` (Sunday weeks are `toMonday(day + 1) - 1`), `LowCardinality` or `DateTime64`.
 *
 * @since 0.1.0
 */
import { createClient } from "@clickhouse/client-web"
import type * as Account from "@trendline/core/Account"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { identifier, integerLiteral, stringLiteral, wellFormed } from "./ClickHouseSql.ts"
import { BatchRow } from "./internal/BatchRow.ts"
import { migrations, type TableName, tables } from "./internal/migrations.ts"

/** Where the server is and who to be; tables go in `database` (created when missing). */
export interface Config {
  /** The HTTP interface, e.g. `http://localhost:8123`. */
  readonly url: string
  readonly username?: string
  readonly password?: string
  /** Defaults to the user's current database on the server (usually `default`). */
  readonly database?: string
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
    readonly clickhouse_settings?: { readonly output_format_json_quote_64bit_integers?: 0 | 1 }
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

// ClickHouse's DateTime and Date (18.16 and today) hold 1970-01-01 to early 2106, and
// `toMonday` cannot go before 1970-01-01. Instants from 1970-01-06 (local days from
// 1970-01-05, a Monday, in any zone) to 2106-01-01 bucket exactly; a query that would need
// an event outside them fails rather than answer wrong.
const firstBucketedInstant = 5 * 86_400
const endOfBucketedInstants = Date.UTC(2106, 0, 1) / 1000

// How long `health` waits for the server to read and write.
const healthLimitMs = 10_000
// After a failed insert that carried upload keys: how long its keys stay held while the
// server still runs it, and how often (and how patiently) the store asks.
const settleLimitMs = 60_000
const settlePollMs = 100
const settlePollTimeoutMs = 5_000

// An instant in epoch milliseconds as a whole number a literal can carry (0 for NaN).
const wholeMillis = (instant: number): number =>
  Number.isNaN(instant) ? 0 : Math.min(Math.max(Math.floor(instant), 0), Number.MAX_SAFE_INTEGER)

// The start of the bucket that holds `day` (SQL for a Date in the account's zone).
const bucketStartSql = (
  granularity: QueryPlan.Granularity,
  weekStart: Bucket.WeekStart,
  day: string,
): string => {
  switch (granularity) {
    case "daily":
      return day
    case "weekly":
      // 18.16 has no toStartOfWeek(day, mode): Sunday weeks start the day before the Monday
      // that follows (or is) the day after.
      return weekStart === "monday" ? `toMonday(${day})` : `toMonday(${day} + 1) - 1`
    case "monthly":
      return `toStartOfMonth(${day})`
    case "total":
      return "toDate('1970-01-01')"
  }
}

// The start (as ClickHouse computes it) of the whole bucket of which `bucket` is a part.
const bucketStart = (
  granularity: QueryPlan.Granularity,
  bucket: Bucket.Bucket,
  weekStart: Bucket.WeekStart,
): Calendar.Day => {
  switch (granularity) {
    case "daily":
      return bucket.first
    case "weekly":
      return Bucket.startOfWeek(bucket.first, weekStart)
    case "monthly":
      return bucket.first - Calendar.toCivil(bucket.first).day + 1
    case "total":
      return 0
  }
}

/**
 * The one query that answers a plan's buckets: rows of (granularity's position, bucket's
 * first day, value), shaped for ClickHouse's strengths.
 *
 * - One granularity: the events are grouped by its bucket directly, as hand-written SQL
 *   would.
 * - Several: counts and sums are added up per local day first, then the (at most 366 a
 *   year) days are rolled up into the buckets of every granularity at once: one pass over
 *   the events, whatever the number of groups. Distinct profiles cannot be added up: each
 *   day keeps its set of profiles (`uniqExactState`) and the sets are merged into every
 *   bucket (`uniqExactMerge`), which still reads the events once.
 */
const bucketsSql = (
  plan: QueryPlan.QueryPlan,
  granularities: ReadonlyArray<QueryPlan.Granularity>,
  source: string,
): string => {
  const day = `toDate(toDateTime(ts), ${stringLiteral(plan.timeZone)})`
  const rollUp = (perDay: string, merge: string) =>
    `SELECT granularity, toUInt16(bucket) AS first_day, ${merge}(per_day) AS value
     FROM (SELECT ${day} AS day, ${perDay} AS per_day ${source} GROUP BY day)
     ARRAY JOIN
       [${granularities.map((_, i) => i).join(", ")}] AS granularity,
       [${granularities.map((g) => bucketStartSql(g, plan.weekStart, "day")).join(", ")}] AS bucket
     GROUP BY granularity, bucket`
  const value =
    plan.measure._tag === "Events"
      ? "count()"
      : plan.measure._tag === "Profiles"
        ? "uniqExact(profile)"
        : `sum(arrayElement(prop_ints, indexOf(prop_keys, ${stringLiteral(plan.measure.property)})))`
  if (granularities.length === 1) {
    return `SELECT toUInt8(0) AS granularity,
      toUInt16(${bucketStartSql(granularities[0]!, plan.weekStart, day)}) AS first_day,
      ${value} AS value
      ${source} GROUP BY first_day`
  }
  switch (plan.measure._tag) {
    case "Events":
      return rollUp("count()", "sum")
    case "Sum":
      return rollUp(value, "sum")
    case "Profiles":
      return rollUp("uniqExactState(profile)", "uniqExactMerge")
  }
}

interface BucketRow {
  readonly granularity: number
  readonly first_day: number
  readonly value: string
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

const storeError =
  (operation: string) =>
  (cause: unknown): EventStore.StoreError =>
    new EventStore.StoreError({
      message: `ClickHouse store: ${operation} failed: ${describe(cause)}`,
      cause,
    })

/** Creates the database when it is missing, then brings the schema to the newest migration. */
const migrate = async (client: Client, database: string, table: TableName) => {
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

const rows = async <A>(
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

// The rows of `bucketsSql`: three integers a line in TabSeparated, which takes less work
// to read than JSON (the answer to a year of days is hundreds of rows, read every query).
const bucketRows = async (
  client: Client,
  query: string,
  abort_signal: AbortSignal,
): Promise<Array<BucketRow>> => {
  const result = await client.query({ query, format: "TabSeparated", abort_signal })
  const found: Array<BucketRow> = []
  for (const line of (await result.text()).split("\n")) {
    // The rows end at the first empty line: after it come `extremes` rows, when a profile
    // of the server (or a client's settings) asks for them.
    if (line === "") break
    const [granularity, firstDay, value] = line.split("\t")
    found.push({ granularity: Number(granularity), first_day: Number(firstDay), value: value! })
  }
  return found
}

/** The store over a client someone else closes; migrates the schema first. */
const makeWith = (
  client: Client,
  config: { readonly database?: string | undefined },
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
    const table: TableName = (name) => `${identifier(database)}.${identifier(name)}`
    yield* Effect.tryPromise({
      try: () => migrate(client, database, table),
      catch: storeError("migrating the schema"),
    })

    // Reads are retried once when a pooled connection turns out closed by the server (its
    // keep-alive timeout ended while the connection sat idle): nothing was read yet.
    const attempt = <A>(operation: string, read: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: read, catch: (cause) => cause }).pipe(
        Effect.retry({ times: 1, while: isClosedConnection }),
        Effect.mapError(storeError(operation)),
      )
    const query = <A>(operation: string, sql: string) =>
      attempt(operation, (signal) => rows<A>(client, sql, signal))

    const storedNames = (account: Account.Settings, operation: string) =>
      query<{ name: string }>(
        operation,
        `SELECT DISTINCT name FROM ${table(tables.records)}
         WHERE account = ${stringLiteral(account.id)} AND kind = 'event'`,
      ).pipe(Effect.map((found) => found.map((row) => row.name)))

    // Names an account is known to have (they never go away): a batch of known names needs
    // no look-up. Batches with new names take the account's lock and read the names afresh,
    // and hold it until their insert has settled (even when interrupted), so this process
    // never lets an account past its limit; several servers appending new names to one
    // account at the same instant could each admit one.
    const knownNames = new Map<string, Set<string>>()

    // Records of a batch are numbered in arrival order; profile upserts with equal `ts`
    // are merged in that order (the later arrival wins).
    let lastSeq = 0
    const nextSeq = (count: number): number => {
      const base = Math.max(Date.now() * 1000, lastSeq)
      lastSeq = base + count
      return base
    }

    // One insert of one batch row: all of its records are stored, or none. It is named
    // (`queryId`), so that after a failure the store can ask whether the server still runs it.
    const insertRow = (account: Account.Settings, row: BatchRow, seq: number, queryId: string) =>
      Effect.tryPromise({
        try: () =>
          client.insert({
            table: table(tables.batches),
            format: "JSONEachRow",
            query_id: queryId,
            values: [
              {
                account: wellFormed(account.id),
                received: Math.floor(Date.now() / 1000),
                seq,
                kinds: row.kinds,
                names: row.names,
                timestamps: row.timestamps,
                profiles: row.profiles,
                property_texts: row.property_texts,
                key_lists: row.key_lists,
                int_lists: row.int_lists,
              },
            ],
          }),
        catch: storeError("append"),
      }).pipe(Effect.asVoid)

    // Whether the server still runs a query (false once it is done, whatever its outcome).
    const stillRunning = (queryId: string) =>
      Effect.map(
        Effect.tryPromise(() =>
          rows<{ running: number }>(
            client,
            `SELECT toUInt8(count() > 0) AS running FROM system.processes
             WHERE query_id = ${stringLiteral(queryId)}`,
            AbortSignal.timeout(settlePollTimeoutMs),
          ),
        ),
        ([row]) => row?.running === 1,
      )
    // After an insert that carried upload keys failed here: the server may be writing it
    // still (the request timed out here, or the connection broke once the whole row was
    // sent) and store it after. Its appends hold their keys until the server no longer runs
    // it, so that a retry looks the key up once the outcome is final. Gives up (a retry may
    // then store the batch a second time) when the server cannot be asked, or after
    // `settleLimitMs`. It waits on Effect's clock: a test that fails keyed inserts runs live.
    const untilSettled = (queryId: string) =>
      stillRunning(queryId).pipe(
        Effect.repeat({
          while: (running) => running,
          schedule: Schedule.spaced(settlePollMs).pipe(Schedule.upTo(settleLimitMs)),
        }),
        Effect.ignore,
      )

    // Group commit, per account. Every append queues its row and takes one of the account's
    // `insertsInFlight` insert permits; whoever holds one inserts everything queued by then
    // (up to `maxRecordsPerInsert` records) as one row and settles each of those appends
    // with the outcome. Records are numbered (`seq`) when they are taken, in queue order.
    // So appends that arrive while an insert is on its way go together in the next one:
    // many uploads at once make few, large inserts (what MergeTree wants: each insert is a
    // part to merge) instead of one each, and each append still returns only once its
    // records are stored.
    // An insert under way is not interrupted (it carries other appends' records): an append
    // interrupted after its row was taken may still be stored, as with any request cut off
    // after it was sent.
    const maxRecordsPerInsert = options.maxRecordsPerInsert ?? 100_000
    const insertsInFlight = options.insertsInFlight ?? 2
    interface Queued {
      readonly row: BatchRow
      /** Whether the row carries an upload key. */
      readonly keyed: boolean
      readonly done: Deferred.Deferred<void, EventStore.StoreError>
      taken: boolean
    }
    // What an account's appends share: the new-name lock, the insert permits, the queue, and
    // the locks of the upload keys that its appends are storing.
    interface Writer {
      readonly newNames: Effect.Semaphore
      readonly lock: Effect.Semaphore
      readonly queue: Array<Queued>
      readonly keys: Map<string, { readonly lock: Effect.Semaphore; users: number }>
    }
    const writers = new Map<string, Writer>()
    const writerOf = (account: Account.Settings): Writer => {
      let writer = writers.get(account.id)
      if (writer === undefined) {
        writer = {
          newNames: Effect.unsafeMakeSemaphore(1),
          lock: Effect.unsafeMakeSemaphore(insertsInFlight),
          queue: [],
          keys: new Map(),
        }
        writers.set(account.id, writer)
      }
      return writer
    }
    // One insert of the rows at the head of the queue, settling each of their appends. It
    // runs whole once started: it carries other appends' rows.
    const insertHead = (account: Account.Settings, queue: Array<Queued>) =>
      Effect.uninterruptible(
        Effect.suspend(() => {
          const taken: Array<Queued> = []
          let records = 0
          while (queue.length > 0) {
            const next = queue[0]!
            if (taken.length > 0 && records + next.row.length > maxRecordsPerInsert) break
            queue.shift()
            next.taken = true
            taken.push(next)
            records += next.row.length
          }
          const seq = nextSeq(records)
          const queryId = crypto.randomUUID()
          const row = BatchRow.join(taken.map((queued) => queued.row))
          return Effect.flatMap(Effect.exit(insertRow(account, row, seq, queryId)), (outcome) =>
            Effect.zipRight(
              Exit.isFailure(outcome) && taken.some((queued) => queued.keyed)
                ? untilSettled(queryId)
                : Effect.void,
              Effect.forEach(taken, (queued) => Deferred.done(queued.done, outcome)),
            ),
          )
        }),
      )
    // An append's row, queued and inserted. Interrupted before its row is taken, it takes it
    // out of the queue (nothing is stored); after, it still waits for the insert to settle,
    // so that a caller holding a lock (new names, an upload key) holds it until the outcome
    // is known.
    const write = (account: Account.Settings, row: BatchRow, keyed: boolean) =>
      Effect.flatMap(Deferred.make<void, EventStore.StoreError>(), (done) => {
        const writer = writerOf(account)
        const mine: Queued = { row, keyed, done, taken: false }
        return Effect.suspend(() => {
          writer.queue.push(mine)
          return Effect.zipRight(
            writer.lock.withPermits(1)(
              Effect.whileLoop({
                while: () => !mine.taken,
                body: () => insertHead(account, writer.queue),
                step: () => undefined,
              }),
            ),
            Deferred.await(done),
          )
        }).pipe(
          Effect.onInterrupt(() => {
            if (mine.taken) return Effect.ignore(Deferred.await(done))
            return Effect.sync(() => {
              const at = writer.queue.indexOf(mine)
              if (at >= 0) writer.queue.splice(at, 1)
            })
          }),
        )
      })

    const appendAdmitted = (
      account: Account.Settings,
      batch: EventStore.Batch,
      names: ReadonlyArray<string>,
      known: ReadonlySet<string>,
      key: EventStore.UploadKey | undefined,
    ) =>
      Effect.gen(function* () {
        const { admitted, refused } = EventStore.admitEventNames(
          known,
          names,
          limits.maxEventNamesPerAccount,
        )
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
        if (row.length > 0) yield* write(account, row, key !== undefined)
        if (admitted.length > 0) knownNames.set(account.id, new Set([...known, ...admitted]))
        return { refused }
      })

    const appendBatch = (
      account: Account.Settings,
      batch: EventStore.Batch,
      key: EventStore.UploadKey | undefined,
    ) => {
      const names = batch.events.map((event) => wellFormed(event.name))
      const cached = knownNames.get(account.id)
      if (cached !== undefined && names.every((name) => cached.has(name)))
        return appendAdmitted(account, batch, names, cached, key)
      return writerOf(account).newNames.withPermits(1)(
        Effect.flatMap(storedNames(account, "append"), (stored) => {
          const known = new Set(stored)
          knownNames.set(account.id, known)
          return appendAdmitted(account, batch, names, known, key)
        }),
      )
    }

    // The first record of an upload key that has not expired at `key.now`, if the account
    // stored one: a range of the primary key (account, 'key', key).
    const storedKey = (account: Account.Settings, key: EventStore.UploadKey) =>
      Effect.map(
        query<{ fingerprint: string; expires: string; refused: string }>(
          "append",
          `SELECT profile AS fingerprint, ts AS expires, properties AS refused
           FROM ${table(tables.records)}
           WHERE account = ${stringLiteral(account.id)} AND kind = 'key'
             AND name = ${stringLiteral(key.key)} AND ts > ${integerLiteral(wholeMillis(key.now))}
           ORDER BY seq
           LIMIT 1`,
        ),
        ([found]) =>
          found === undefined
            ? undefined
            : {
                fingerprint: found.fingerprint,
                expiresAt: Number(found.expires),
                refused: JSON.parse(found.refused) as ReadonlyArray<number>,
              },
      )

    // One append at a time per upload key in this process: an append whose key another
    // append is storing waits until that one has settled, then finds the key stored (and
    // replays it) or not (and stores its batch). The lock is held until the insert's outcome
    // is final (see `write` and `untilSettled`), also when the append is interrupted.
    const withKey = <A, E>(account: Account.Settings, key: string, effect: Effect.Effect<A, E>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const keys = writerOf(account).keys
          let entry = keys.get(key)
          if (entry === undefined) {
            entry = { lock: Effect.unsafeMakeSemaphore(1), users: 0 }
            keys.set(key, entry)
          }
          const held = entry
          held.users++
          return restore(held.lock.withPermits(1)(effect)).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                held.users--
                if (held.users === 0) keys.delete(key)
              }),
            ),
          )
        }),
      )

    const append = (
      account: Account.Settings,
      batch: EventStore.Batch,
      key?: EventStore.UploadKey,
    ): Effect.Effect<EventStore.AppendReceipt, EventStore.StoreError | EventStore.KeyReused> => {
      if (key === undefined) return appendBatch(account, batch, undefined)
      // Compared as stored: well-formed Unicode (see `wellFormed`).
      const asStored = { ...key, fingerprint: wellFormed(key.fingerprint) }
      return withKey(
        account,
        wellFormed(key.key),
        Effect.flatMap(storedKey(account, key), (found): ReturnType<typeof append> => {
          const replay = EventStore.replayOf(asStored, found)
          if (replay === undefined) return appendBatch(account, batch, key)
          return replay instanceof EventStore.KeyReused
            ? Effect.fail(replay)
            : Effect.succeed(replay)
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

    const queryPlan = (account: Account.Settings, plan: QueryPlan.QueryPlan) =>
      Effect.gen(function* () {
        const granularities = [...new Set(plan.groups.map((group) => group.granularity))]
        const start = Math.max(plan.start, firstBucketedInstant)
        const end = Math.min(plan.end, endOfBucketedInstants)
        const ofEvent = `account = ${stringLiteral(account.id)} AND kind = 'event' AND name = ${stringLiteral(plan.eventName)}`
        const bucketed =
          granularities.length === 0 || start >= end
            ? Effect.succeed<Array<BucketRow>>([])
            : attempt("query", (signal) =>
                bucketRows(
                  client,
                  bucketsSql(
                    plan,
                    granularities,
                    `FROM ${table(tables.records)}
                   WHERE ${ofEvent} AND ts >= ${integerLiteral(start)} AND ts < ${integerLiteral(end)}`,
                  ),
                  signal,
                ),
              )
        const outside = [
          ...(plan.start < firstBucketedInstant && plan.end > 0
            ? [
                `(ts < ${integerLiteral(Math.min(plan.end, firstBucketedInstant))} AND ts >= ${integerLiteral(Math.max(plan.start, 0))})`,
              ]
            : []),
          ...(plan.end > endOfBucketedInstants
            ? [
                `(ts >= ${integerLiteral(Math.max(plan.start, endOfBucketedInstants))} AND ts < ${integerLiteral(plan.end)})`,
              ]
            : []),
        ]
        const unbucketable = query<{ n: string }>(
          "query",
          `SELECT count() AS n FROM ${table(tables.records)} WHERE ${ofEvent} AND (${outside.join(" OR ")})`,
        )
        const [found, [beyond]] =
          outside.length === 0
            ? [yield* bucketed, []]
            : yield* Effect.all([bucketed, unbucketable], { concurrency: "unbounded" })
        if (beyond !== undefined && Number(beyond.n) > 0) {
          return yield* new EventStore.StoreError({
            message: `ClickHouse store: query failed: ${beyond.n} "${plan.eventName}" events fall before 1970-01-06 or after 2105, which ClickHouse's dates cannot bucket`,
          })
        }
        return yield* Effect.try({
          try: () => resultOf(plan, granularities, found),
          catch: storeError("query"),
        })
      })

    const profile = (account: Account.Settings, key: string) =>
      Effect.map(
        query<{ ts: string; properties: string }>(
          "profile",
          `SELECT ts, properties FROM ${table(tables.records)}
           WHERE account = ${stringLiteral(account.id)} AND kind = 'profile' AND name = ${stringLiteral(key)}
           ORDER BY ts, seq`,
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
      append,
      query: queryPlan,
      eventNames: (account) =>
        Effect.map(
          storedNames(account, "eventNames"),
          (names) => names.sort() as ReadonlyArray<string>,
        ),
      profile,
      health,
    } satisfies EventStore.Service
  })

// Puts each (granularity, bucket start, value) row into the plan's bucket; 0 elsewhere.
const resultOf = (
  plan: QueryPlan.QueryPlan,
  granularities: ReadonlyArray<QueryPlan.Granularity>,
  found: ReadonlyArray<BucketRow>,
): QueryPlan.Result =>
  Object.fromEntries(
    plan.groups.map((group) => {
      const code = granularities.indexOf(group.granularity)
      const positions = new Map(
        group.buckets.map((bucket, b) => [
          bucketStart(group.granularity, bucket, plan.weekStart),
          b,
        ]),
      )
      const values = group.buckets.map(() => 0)
      for (const row of found) {
        if (row.granularity !== code) continue
        const b = positions.get(row.first_day)
        if (b === undefined) {
          throw new Error(
            `ClickHouse put "${plan.eventName}" events in a ${group.granularity} bucket starting ${Calendar.formatIsoDate(row.first_day)}, outside the plan: its time zone data for ${plan.timeZone} differs from this runtime's`,
          )
        }
        values[b] = Number(BigInt(row.value))
      }
      return [
        group.name,
        Object.fromEntries(group.buckets.map((bucket, b) => [bucket.key, values[b]!])),
      ]
    }),
  )

// undici's "other side closed" / "socket hang up": the server closed a pooled connection.
const isClosedConnection = (error: unknown): boolean => {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "UND_ERR_CLOSED") return true
  }
  return false
}

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
