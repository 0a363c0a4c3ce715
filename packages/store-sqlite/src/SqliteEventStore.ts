/**
 * Trendline's event store on SQLite, written once over `SqlDriver` so the same code runs
 * on Node (`NodeSqlite`, and `NodeSqlitePool` on worker threads) and in a Durable Object
 * (`DurableObjectSqlite`).
 *
 * How it answers fast:
 * - every batch is appended to `event_log` (the truth) and folded into per-(event, local
 *   day) rollups in the same transaction: counts, sums of each integer property, and the
 *   sorted set of distinct profile numbers;
 * - counts and sums read one rollup row per day of the range (O(days), whatever the number
 *   of events), distinct profiles union the day sets of each bucket through a bitset;
 * - a plan with filters, which the rollups cannot apply, and a top counts plan (`top`),
 *   whose values they do not keep, read `event_log` instead and decode every event of the
 *   account in JavaScript (far slower: about half a second a million events on Node), in
 *   the plan's time zone whatever the rollups' zone.
 *
 * How it stays responsive: a query runs in slices of `sliceMillis` and yields between them
 * (`yieldNow`), so the host (a Durable Object) answers other requests meanwhile; where the
 * clock stands still while code runs, slices are measured by the query's own estimate of
 * its work (`sliceBy: "estimate"`). Local days
 * are cut in the account's time zone at ingestion; when the zone changes, the rollups are
 * rebuilt from `event_log` in the background, step by step, while appends go on; queries
 * without filters in the new zone wait for the rebuild (their jobs answer `partial`), and
 * its progress goes to the log.
 *
 * @since 0.1.0
 */
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Caches from "./internal/caches.ts"
import * as Engine from "./internal/engine.ts"
import type { SqlDriver } from "./SqlDriver.ts"

/** Memory for decoded day sets and profile numbers that several stores share (see `cacheBudget`). */
export type CacheBudget = Caches.CacheBudget

/**
 * A budget for the caches of every store given it (`Options`' `cacheBudget`): together
 * they keep at most `daySetBytes` of decoded day sets, the least recently used set of any
 * of them going first, and at most `profileNumberBytes` of remembered profile numbers
 * (default a quarter of `daySetBytes`), the store that wrote least recently forgetting
 * first. Make one per isolate or process, not one per store: every Durable Object of an
 * isolate shares its memory.
 *
 * @example SqliteEventStore.cacheBudget(24 * 1024 * 1024) // once per isolate
 */
export const cacheBudget = (
  daySetBytes: number,
  profileNumberBytes: number = Math.floor(daySetBytes / 4),
): CacheBudget =>
  new Caches.CacheBudget(
    new Caches.SetCacheBudget(daySetBytes),
    new Caches.ProfileNumbersBudget(profileNumberBytes),
  )

/** Settings of the store. */
export interface Options extends Engine.EngineOptions {
  /**
   * Memory for decoded day sets and profile numbers shared with the other stores given the
   * same budget (made by `cacheBudget`, once per isolate); when given, `cacheBytes` is not
   * used. `NodeSqlitePool` cannot send a budget to its threads: it takes `cacheBytes` (per
   * thread) only.
   */
  readonly cacheBudget?: CacheBudget | undefined
  /** How a long query or a rebuild lets other work run; default: a macrotask (`setTimeout(0)`). */
  readonly yieldNow?: Effect.Effect<void> | undefined
  /** Work between two yields, in milliseconds (default 10). */
  readonly sliceMillis?: number | undefined
  /**
   * How a query's slice is measured (default `"clock"`): by `performance.now()`, or by the
   * microseconds of work the query estimates it did (`"estimate"`), for hosts whose clock
   * stands still while code runs (a deployed Durable Object: Cloudflare's Spectre
   * mitigation). A rebuild, which has no estimate, then gives way after every step.
   */
  readonly sliceBy?: SliceBy | undefined
}

/** How a slice of work is measured: see `Options.sliceBy`. */
export type SliceBy = "clock" | "estimate"

/** Brings the schema up to the newest migration; refuses a database newer than this code. */
export const migrate: (driver: SqlDriver) => void = Engine.migrate

/** Lets timers and incoming requests run before going on. */
export const macrotask: Effect.Effect<void> = Effect.async<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(timer))
})

/** A store failure with the operation that failed and its cause. */
export const storeError =
  (operation: string) =>
  (cause: unknown): EventStore.StoreError =>
    new EventStore.StoreError({
      message: `SQLite store: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    })

/**
 * Runs a sliced computation, yielding with `yieldNow` whenever a slice has taken
 * `sliceMillis`: by the clock, or (`sliceBy: "estimate"`) by the microseconds of work the
 * computation reports at its yields. A throw inside it becomes a `StoreError` of `operation`.
 */
export const runSliced = <A>(
  steps: Generator<number, A, void>,
  operation: string,
  yieldNow: Effect.Effect<void>,
  sliceMillis: number,
  sliceBy: SliceBy = "clock",
): Effect.Effect<A, EventStore.StoreError> => {
  const slice: Effect.Effect<A, EventStore.StoreError> = Effect.suspend(() => {
    const deadline = performance.now() + sliceMillis
    let micros = 0
    try {
      for (;;) {
        const next = steps.next()
        if (next.done === true) return Effect.succeed(next.value)
        micros += next.value
        const over =
          sliceBy === "clock" ? performance.now() >= deadline : micros >= sliceMillis * 1000
        if (over) return Effect.zipRight(yieldNow, slice)
      }
    } catch (cause) {
      return Effect.fail(storeError(operation)(cause))
    }
  })
  return slice
}

/**
 * Rebuilds of an engine's accounts, one at a time per account, each in steps of
 * `sliceMillis` with `yieldNow` between them; progress goes to the log. `ensure` starts a
 * rebuild (or joins the one under way) and waits for it.
 */
export const makeRebuilds = (
  engine: Pick<Engine.Engine, "rebuildStep">,
  yieldNow: Effect.Effect<void>,
  sliceMillis: number,
  sliceBy: SliceBy = "clock",
) => {
  const running = new Map<
    string,
    { readonly zone: string; readonly done: Deferred.Deferred<void, EventStore.StoreError> }
  >()

  const start = (account: Account.Settings): Deferred.Deferred<void, EventStore.StoreError> => {
    const current = running.get(account.id)
    if (current?.zone === account.timeZone) return current.done
    const done = Deferred.unsafeMake<void, EventStore.StoreError>(FiberId.none)
    running.set(account.id, { zone: account.timeZone, done })
    let loggedAt = 0
    // A rebuild towards another zone, started since, supersedes this one: it stops (its
    // waiters ask again), rather than both undoing each other's partial rollups.
    const superseded = () => running.get(account.id)?.done !== done
    const step: Effect.Effect<void, EventStore.StoreError> = Effect.suspend(() =>
      superseded()
        ? Effect.succeed({ finished: true, folded: 0, total: 0 })
        : Effect.try({
            try: () =>
              engine.rebuildStep(
                account,
                performance.now() + (sliceBy === "clock" ? sliceMillis : 0),
              ),
            catch: storeError("rebuilding the rollups"),
          }),
    ).pipe(
      Effect.flatMap((progress) => {
        if (progress.finished) return Effect.void
        const now = performance.now()
        const log =
          now - loggedAt >= 1000 && progress.total > 0
            ? Effect.logInfo(
                `rebuilding the rollups of account ${account.id} in ${account.timeZone}: ${progress.folded} of ${progress.total} log rows`,
              ).pipe(Effect.tap(() => Effect.sync(() => (loggedAt = now))))
            : Effect.void
        return Effect.zipRight(Effect.zipRight(log, yieldNow), step)
      }),
    )
    Effect.runFork(
      Effect.logInfo(`rebuilding the rollups of account ${account.id} in ${account.timeZone}`).pipe(
        Effect.zipRight(step),
        Effect.tap(() =>
          Effect.logInfo(`rebuilt the rollups of account ${account.id} in ${account.timeZone}`),
        ),
        Effect.tapError((error) => Effect.logError(error.message, error.cause)),
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.suspend(() => {
            if (running.get(account.id)?.done === done) running.delete(account.id)
            return Deferred.done(done, exit)
          }),
        ),
      ),
    )
    return done
  }

  return {
    /** Starts the account's rebuild in its zone unless one is under way. */
    start: (account: Account.Settings): Effect.Effect<void> =>
      Effect.sync(() => {
        start(account)
      }),
    /** Starts or joins the account's rebuild and waits until it is done. */
    ensure: (account: Account.Settings): Effect.Effect<void, EventStore.StoreError> =>
      Effect.suspend(() => Deferred.await(start(account))),
  }
}

// A query that found the rollups in another zone waits for their rebuild, then asks again;
// a zone that keeps changing under it (two configurations of one account) fails it.
const maxRebuildWaits = 3

/**
 * A query that waits for the rebuild of its account's rollups whenever `attempt` answers
 * `Rebuilding`.
 */
export const queryAfterRebuilds = (
  attempt: Effect.Effect<Engine.QueryOutcome, EventStore.StoreError>,
  rebuild: Effect.Effect<void, EventStore.StoreError>,
): Effect.Effect<QueryPlan.Result, EventStore.StoreError> => {
  const go = (waits: number): Effect.Effect<QueryPlan.Result, EventStore.StoreError> =>
    Effect.flatMap(attempt, (outcome) => {
      if (outcome._tag === "Result") return Effect.succeed(outcome.result)
      if (waits >= maxRebuildWaits)
        return Effect.fail(
          new EventStore.StoreError({
            message: `SQLite store: the account's time zone kept changing during ${maxRebuildWaits} rebuilds`,
          }),
        )
      return Effect.zipRight(rebuild, go(waits + 1))
    })
  return go(0)
}

/**
 * The store over an open SQLite connection; migrates the schema first.
 *
 * @example SqliteEventStore.make(NodeSqlite.open({ filename: "./data/trendline.db" }).driver)
 */
export const make = (
  driver: SqlDriver,
  options: Options = {},
): Effect.Effect<EventStore.Service, EventStore.StoreError> =>
  Effect.try({
    try: () => {
      migrate(driver)
      return Engine.make(driver, "single", options)
    },
    catch: storeError("opening the database"),
  }).pipe(Effect.map((engine) => fromEngine(engine, options).service))

/**
 * The store over an engine: queries in slices, rebuilds in the background. Also gives
 * the rebuilds, for a host that asks for one itself (`NodeSqlitePool`'s writer).
 */
export const fromEngine = (engine: Engine.Engine, options: Options = {}) => {
  const yieldNow = options.yieldNow ?? macrotask
  const sliceMillis = options.sliceMillis ?? 10
  const sliceBy = options.sliceBy ?? "clock"
  const rebuilds = makeRebuilds(engine, yieldNow, sliceMillis, sliceBy)
  const inZone = (account: Account.Settings, plan: QueryPlan.QueryPlan) =>
    plan.timeZone === account.timeZone ? account : { ...account, timeZone: plan.timeZone }
  const service: EventStore.Service = {
    append: (account, batch, key) =>
      Effect.try({
        try: () => engine.append(account, batch, key),
        catch: storeError("append"),
      }).pipe(
        Effect.flatMap((appended) =>
          appended instanceof EventStore.KeyReused
            ? Effect.fail(appended)
            : Effect.as(appended.rebuild ? rebuilds.start(account) : Effect.void, appended.receipt),
        ),
      ),
    query: (account, plan) =>
      queryAfterRebuilds(
        Effect.suspend(() =>
          runSliced(engine.query(account, plan), "query", yieldNow, sliceMillis, sliceBy),
        ),
        rebuilds.ensure(inZone(account, plan)),
      ),
    // From the event log, whatever the rollups' zone: it never waits for a rebuild.
    top: (account, plan) =>
      Effect.suspend(() =>
        runSliced(engine.top(account, plan), "top", yieldNow, sliceMillis, sliceBy),
      ),
    eventNames: (account) =>
      Effect.try({ try: () => engine.eventNames(account), catch: storeError("eventNames") }),
    profile: (account, key) =>
      Effect.try({ try: () => engine.profile(account, key), catch: storeError("profile") }),
    propertyNames: (account, eventName) =>
      Effect.try({
        try: () => engine.propertyNames(account, eventName),
        catch: storeError("propertyNames"),
      }),
    health: () => Effect.try({ try: () => engine.health(), catch: storeError("health") }),
  }
  return { service, rebuilds }
}

/** The store as a layer over a driver that someone else opens and closes. */
export const layer = (
  driver: SqlDriver,
  options: Options = {},
): Layer.Layer<EventStore.EventStore, EventStore.StoreError> =>
  Layer.effect(EventStore.EventStore, make(driver, options))
