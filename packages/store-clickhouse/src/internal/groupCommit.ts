// Group commit, per account. Every append queues its row and takes one of the account's
// `insertsInFlight` insert permits; whoever holds one inserts everything queued by then
// (up to `maxRecordsPerInsert` records) as one row and settles each of those appends
// with the outcome. Records are numbered (`seq`) when they are taken, in queue order.
// So appends that arrive while an insert is on its way go together in the next one:
// many uploads at once make few, large inserts (what MergeTree wants: each insert is a
// part to merge) instead of one each, and each append still returns only once its
// records are stored.
// On a cluster an insert is one row per shard (each append's records cut by the shards of
// their profiles, `BatchRow.byShard`) into the Distributed table of batches, which returns
// once every shard has stored its row: atomic per shard, not across shards (an upload key
// makes a retry store the missing shards' rows only, see `uploadKeys.ts`).
// An insert under way is not interrupted (it carries other appends' records): an append
// interrupted after its row was taken may still be stored, as with any request cut off
// after it was sent.
import type * as Account from "@trendline/core/Account"
import type * as EventStore from "@trendline/core/EventStore"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import { stringLiteral, wellFormed } from "../ClickHouseSql.ts"
import { BatchRow } from "./BatchRow.ts"
import { type Connection, rows, shardKeyOf, storeError } from "./connection.ts"
import { tables } from "./migrations.ts"

// After a failed insert that carried upload keys: how long its keys stay held while the
// server still runs it, and how often (and how patiently) the store asks.
const settleLimitMs = 60_000
const settlePollMs = 100
const settlePollTimeoutMs = 5_000

export interface Options {
  readonly maxRecordsPerInsert: number
  readonly insertsInFlight: number
}

export interface GroupCommit {
  /**
   * An append's row, queued and inserted; `keyed` when it carries an upload key. Interrupted
   * before its row is taken, it takes it out of the queue (nothing is stored); after, it
   * still waits for the insert to settle, so that a caller holding a lock (new names, an
   * upload key) holds it until the outcome is known.
   */
  readonly write: (
    account: Account.Settings,
    row: BatchRow,
    keyed: boolean,
    skipShards?: ReadonlySet<number>,
  ) => Effect.Effect<void, EventStore.StoreError>
}

interface Queued {
  readonly row: BatchRow
  /** Whether the row carries an upload key. */
  readonly keyed: boolean
  /** On a cluster, the shard keys whose part of the row is stored already. */
  readonly skipShards: ReadonlySet<number> | undefined
  readonly done: Deferred.Deferred<void, EventStore.StoreError>
  taken: boolean
}

// What an account's appends share: the insert permits and the queue.
interface Writer {
  readonly lock: Effect.Semaphore
  readonly queue: Array<Queued>
}

export const make = (
  { client, table, shards, settings }: Connection,
  { maxRecordsPerInsert, insertsInFlight }: Options,
): GroupCommit => {
  const totalWeight = shards?.weights.reduce((sum, weight) => sum + weight, 0) ?? 1
  const keyOf = (profile: string) => shardKeyOf(profile, totalWeight)
  // Records of a batch are numbered in arrival order; profile upserts with equal `ts`
  // are merged in that order (the later arrival wins).
  let lastSeq = 0
  const nextSeq = (count: number): number => {
    const base = Math.max(Date.now() * 1000, lastSeq)
    lastSeq = base + count
    return base
  }

  // One insert of batch rows, each with its records and, on a cluster, its shard key: all
  // of a row's records are stored, or none. It is named (`queryId`), so that after a
  // failure the store can ask whether the server still runs it.
  const insertRows = (
    account: Account.Settings,
    batchRows: ReadonlyArray<{ readonly row: BatchRow; readonly shard: number | undefined }>,
    queryId: string,
  ) =>
    Effect.tryPromise({
      try: () => {
        const received = Math.floor(Date.now() / 1000)
        return client.insert({
          table: table(tables.batches),
          format: "JSONEachRow",
          query_id: queryId,
          ...(Object.keys(settings).length === 0 ? {} : { clickhouse_settings: settings }),
          values: batchRows.map(({ row, shard }) => ({
            account: wellFormed(account.id),
            received,
            seq: nextSeq(row.length),
            kinds: row.kinds,
            names: row.names,
            timestamps: row.timestamps,
            profiles: row.profiles,
            property_texts: row.property_texts,
            key_lists: row.key_lists,
            int_lists: row.int_lists,
            ...(shard === undefined ? {} : { shard }),
          })),
        })
      },
      catch: storeError("append"),
    }).pipe(Effect.asVoid)

  // The rows of one insert: the joined appends' records with their slot rows (a row is
  // inserted once: a failed insert fails its appends, whose retries build rows anew); on a
  // cluster one such row per shard key.
  const rowsOf = (taken: ReadonlyArray<Queued>) => {
    if (shards === undefined)
      return [
        { row: BatchRow.join(taken.map((queued) => queued.row)).addSlots(), shard: undefined },
      ]
    const rows = new Map<number, BatchRow>()
    for (const queued of taken) queued.row.byShard(keyOf, queued.skipShards, rows)
    return [...rows].map(([shard, row]) => ({ row: row.addSlots(), shard }))
  }

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

  const writers = new Map<string, Writer>()
  const writerOf = (account: Account.Settings): Writer => {
    let writer = writers.get(account.id)
    if (writer === undefined) {
      writer = { lock: Effect.unsafeMakeSemaphore(insertsInFlight), queue: [] }
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
        const batchRows = rowsOf(taken).filter(({ row }) => row.length > 0)
        const queryId = crypto.randomUUID()
        const insert =
          batchRows.length === 0 ? Effect.void : insertRows(account, batchRows, queryId)
        return Effect.flatMap(Effect.exit(insert), (outcome) =>
          Effect.zipRight(
            Exit.isFailure(outcome) && taken.some((queued) => queued.keyed)
              ? untilSettled(queryId)
              : Effect.void,
            Effect.forEach(taken, (queued) => Deferred.done(queued.done, outcome)),
          ),
        )
      }),
    )

  const write: GroupCommit["write"] = (account, row, keyed, skipShards) =>
    Effect.flatMap(Deferred.make<void, EventStore.StoreError>(), (done) => {
      const writer = writerOf(account)
      const mine: Queued = { row, keyed, skipShards, done, taken: false }
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

  return { write }
}
