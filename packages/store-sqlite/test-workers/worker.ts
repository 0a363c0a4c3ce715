/**
 * The test worker: a SQLite-backed Durable Object that owns an event store on
 * `DurableObjectSqlite` and serves the port's operations as RPC methods. In production
 * there is one such object per account; the store is built once per object, here in its
 * constructor (synchronous, so no request can reach the object before it has migrated).
 * It slices its work as an account's object does (`sliceMillis: 0`: a pause at every step
 * the engine offers, whatever the clock says), so queries here really pause between slices.
 */

import { DurableObject } from "cloudflare:workers"
import type * as Account from "@trendline/core/Account"
import type * as EventStore from "@trendline/core/EventStore"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import type * as TopCounts from "@trendline/core/TopCounts"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

// Opening the store is synchronous; a failure is thrown for RPC to carry back to the caller.
const settleNow = <A>(effect: Effect.Effect<A, EventStore.StoreError>): A =>
  Exit.match(Effect.runSyncExit(effect), {
    onSuccess: (value) => value,
    onFailure: (cause) => {
      throw Cause.squash(cause)
    },
  })

// Its operations may pause between slices: each call answers a promise.
const settle = <A>(effect: Effect.Effect<A, EventStore.StoreError>): Promise<A> =>
  Effect.runPromiseExit(effect).then(settleNow)

export class EventStoreObject extends DurableObject<Env> {
  private readonly store: EventStore.Service

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.store = settleNow(
      SqliteEventStore.make(DurableObjectSqlite.make(ctx.storage), { sliceMillis: 0 }),
    )
  }

  /**
   * The receipt, or `{ keyReused }`, or `{ storeError }`: a typed failure does not cross RPC
   * as itself, and a rejected call would be logged by workerd as an uncaught exception even
   * when the caller expects it (a test that makes an append fail on purpose).
   */
  append(
    account: Account.Settings,
    batch: EventStore.Batch,
    key?: EventStore.UploadKey,
  ): Promise<
    EventStore.AppendReceipt | { readonly keyReused: string } | { readonly storeError: string }
  > {
    return settle(
      this.store.append(account, batch, key).pipe(
        Effect.catchTags({
          KeyReused: (reused) => Effect.succeed({ keyReused: reused.key }),
          StoreError: (error) => Effect.succeed({ storeError: error.message }),
        }),
      ),
    )
  }

  health(): Promise<void> {
    return settle(this.store.health())
  }

  query(account: Account.Settings, plan: QueryPlan.QueryPlan): Promise<QueryPlan.Result> {
    return settle(this.store.query(account, plan))
  }

  top(account: Account.Settings, plan: TopCounts.TopPlan): Promise<TopCounts.TopResult> {
    return settle(this.store.top(account, plan))
  }

  eventNames(account: Account.Settings): Promise<ReadonlyArray<string>> {
    return settle(this.store.eventNames(account))
  }

  /** The profile, or `null` when there is none (an `Option` does not cross RPC). */
  profile(account: Account.Settings, key: string): Promise<EventStore.Profile | null> {
    return settle(Effect.map(this.store.profile(account, key), Option.getOrNull))
  }
}

export default {
  fetch: () => new Response("the test worker answers RPC only", { status: 404 }),
} satisfies ExportedHandler<Env>
