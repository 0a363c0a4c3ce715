// Upload keys: an append's key is one more record of its batch row (kind `key`, with the
// fingerprint, the expiry and the refused positions; see `BatchRow.addKey`), so it is
// stored with the batch or not at all. An append with a key looks it up first (a range of
// the primary key) and replays or refuses it; within one process, appends with one key run
// one at a time, and a failed insert keeps its keys until the server no longer runs it
// (see `groupCommit.ts`). Across processes nothing coordinates them (see the README).
// On a cluster each shard's part of a batch holds the key (`BatchRow.byShard`), with the
// shards the batch has: an append that finds only some of them (an insert that failed
// after some shards stored their rows) stores the others' rows, with the refused
// positions of the first attempt, and replays it.
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import { integerLiteral, stringLiteral, wellFormed } from "../ClickHouseSql.ts"
import { keyShards } from "./BatchRow.ts"
import type { Connection } from "./connection.ts"
import { tables } from "./migrations.ts"

/** On a cluster, what an earlier attempt of a batch stored: the rest is stored now. */
export interface Resume {
  /** The shard keys whose rows are stored. */
  readonly stored: ReadonlySet<number>
  /** The refused positions of the first attempt. */
  readonly refused: ReadonlyArray<number>
}

export interface UploadKeys {
  /**
   * An append with an upload key: replays the first receipt of the key (same
   * fingerprint), refuses it (`KeyReused`: another one), or runs `store`, which stores the
   * batch with its key, when the key is not stored or has expired; on a cluster, `store`
   * with a `Resume` when only some shards stored it.
   */
  readonly append: (
    account: Account.Settings,
    key: EventStore.UploadKey,
    store: (resume?: Resume) => Effect.Effect<EventStore.AppendReceipt, EventStore.StoreError>,
  ) => Effect.Effect<EventStore.AppendReceipt, EventStore.StoreError | EventStore.KeyReused>
}

// An instant in epoch milliseconds as a whole number a literal can carry (0 for NaN).
const wholeMillis = (instant: number): number =>
  Number.isNaN(instant) ? 0 : Math.min(Math.max(Math.floor(instant), 0), Number.MAX_SAFE_INTEGER)

interface KeyLock {
  readonly lock: Effect.Semaphore
  users: number
}

export const make = ({ query, table, shards }: Connection): UploadKeys => {
  // The first record of an upload key that has not expired at `key.now`, if the account
  // stored one: a range of the primary key (account, 'key', key). On a cluster, also the
  // shards of its batch that have not stored it: those that no record with the first
  // one's fingerprint names (a retry's records have expiries of their own; a key stored
  // again after it expired has none of the earlier records left).
  const storedKey = (account: Account.Settings, key: EventStore.UploadKey) =>
    Effect.map(
      query<{
        fingerprint: string
        expires: string
        refused: string
        prop_keys: ReadonlyArray<string>
        prop_ints: ReadonlyArray<string>
      }>(
        "append",
        `SELECT profile AS fingerprint, ts AS expires, properties AS refused, prop_keys, prop_ints
         FROM ${table(tables.records)}
         WHERE account = ${stringLiteral(account.id)} AND kind = 'key'
           AND name = ${stringLiteral(key.key)} AND ts > ${integerLiteral(wholeMillis(key.now))}
         ORDER BY seq
         ${shards === undefined ? "LIMIT 1" : ""}`,
      ),
      (found) => {
        const first = found[0]
        if (first === undefined) return undefined
        const stored = {
          fingerprint: first.fingerprint,
          expiresAt: Number(first.expires),
          refused: JSON.parse(first.refused) as ReadonlyArray<number>,
        }
        if (shards === undefined) return { stored, missing: [] }
        const shardsStored = new Set<number>()
        for (const record of found) {
          if (record.fingerprint !== first.fingerprint) continue
          const { own } = keyShards(record.prop_keys, record.prop_ints)
          if (own !== undefined) shardsStored.add(own)
        }
        const { span } = keyShards(first.prop_keys, first.prop_ints)
        return { stored, shardsStored, missing: span.filter((shard) => !shardsStored.has(shard)) }
      },
    )

  // The locks of the upload keys that each account's appends are storing.
  const locks = new Map<string, Map<string, KeyLock>>()

  // One append at a time per upload key in this process: an append whose key another
  // append is storing waits until that one has settled, then finds the key stored (and
  // replays it) or not (and stores its batch). The lock is held until the insert's outcome
  // is final (see `write` and `untilSettled` in groupCommit.ts), also when the append is
  // interrupted.
  const withKey = <A, E>(account: Account.Settings, key: string, effect: Effect.Effect<A, E>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        let keys = locks.get(account.id)
        if (keys === undefined) {
          keys = new Map()
          locks.set(account.id, keys)
        }
        const mine = keys
        let entry = mine.get(key)
        if (entry === undefined) {
          entry = { lock: Effect.unsafeMakeSemaphore(1), users: 0 }
          mine.set(key, entry)
        }
        const held = entry
        held.users++
        return restore(held.lock.withPermits(1)(effect)).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              held.users--
              if (held.users === 0) mine.delete(key)
            }),
          ),
        )
      }),
    )

  const append: UploadKeys["append"] = (account, key, store) => {
    // Compared as stored: well-formed Unicode (see `wellFormed`).
    const asStored = { ...key, fingerprint: wellFormed(key.fingerprint) }
    return withKey(
      account,
      wellFormed(key.key),
      Effect.flatMap(storedKey(account, key), (found): ReturnType<UploadKeys["append"]> => {
        const replay = EventStore.replayOf(asStored, found?.stored)
        if (replay === undefined) return store()
        if (replay instanceof EventStore.KeyReused) return Effect.fail(replay)
        if (found === undefined || found.missing.length === 0 || found.shardsStored === undefined)
          return Effect.succeed(replay)
        // Some shards stored the batch, others not: their rows now, then the first receipt.
        return Effect.as(
          store({ stored: found.shardsStored, refused: found.stored.refused }),
          replay,
        )
      }),
    )
  }

  return { append }
}
