// The store's synchronous engine over one SQLite connection. `SqliteEventStore` runs it in
// process (Node, a Durable Object); `NodeSqlitePool` runs one writer and several readers
// of it on worker threads, each over its own connection to the same file.
//
// Three roles:
// - "single": the only connection (in process); its caches are always current.
// - "writer": the only connection that writes; it logs which day sets it changed
//   (`day_changes`) so that readers can drop what they decoded before.
// - "reader": never writes; before each query it reads the change log.
//
// Rollups live in "rollup sets": `accounts.rollups` names the set that answers queries,
// cut in `accounts.time_zone`. When an account's zone changes, a new set is built from
// `event_log` in steps (`rebuildStep`, each its own transaction, so appends and queries go
// on between them), then swapped in; the old set is deleted in later steps. Queries in the
// new zone answer `Rebuilding` until the swap.
//
// Its parts: `accounts.ts` (accounts, event names, profiles), `rollupSets.ts` (folding
// events into rollups, answering queries from them; `rollupRows.ts` writes the rows),
// `rebuild.ts` (the steps above), `eventScan.ts` (plans with filters and top counts plans,
// which rollups cannot answer, from `event_log`: slower, in any zone),
// `valueSlices.ts` (the rollups of one value of one property, which answer filters on one
// property and top values from the rollups instead),
// `eventLog.ts` (how `event_log` stores events), `caches.ts` (what stays in memory) and
// `statements.ts` (many rows per statement: what a statement costs in a Durable Object).
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Filter from "@trendline/core/Filter"
import * as Limits from "@trendline/core/Limits"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Option from "effect/Option"
import type { SqlDriver } from "../SqlDriver.ts"
import * as Accounts from "./accounts.ts"
import { type CacheBudget, ProfileNumbersBudget } from "./caches.ts"
import { type LogEntry, logChunks } from "./eventLog.ts"
import * as EventScan from "./eventScan.ts"
import { migrations } from "./migrations.ts"
import * as Rebuild from "./rebuild.ts"
import * as RollupSets from "./rollupSets.ts"
import * as ValueSlices from "./valueSlices.ts"

export type { RebuildProgress } from "./rebuild.ts"

/** How the engine shares its database (see the module comment). */
export type Role = "single" | "writer" | "reader"

/** Settings of the engine. */
export interface EngineOptions {
  /** The limits to enforce (the event-name limit per account); defaults to `Limits.defaults`. */
  readonly limits?: Limits.Limits | undefined
  /** Memory kept for decoded day sets of distinct profiles, in bytes (default 64 MiB). */
  readonly cacheBytes?: number | undefined
  /**
   * Memory for decoded day sets and remembered profile numbers, shared with other engines
   * (of one isolate or process); when given, `cacheBytes` is not used. Without it, an
   * engine remembers profile numbers in 8 MiB of its own.
   */
  readonly cacheBudget?: CacheBudget | undefined
  /**
   * How much each account's events are sliced by value (`valueSlices.ts`), or `"off"`:
   * appends slice nothing (faster) and filters read the event log.
   */
  readonly slices?: ValueSlices.SliceLimits | "off" | undefined
}

/** What a query answers: its result, or that the account's rollups are being rebuilt. */
export type QueryOutcome =
  | { readonly _tag: "Result"; readonly result: QueryPlan.Result }
  | { readonly _tag: "Rebuilding" }

/** What an append did, and whether the account's rollups must be rebuilt in a new zone. */
export interface Appended {
  readonly receipt: EventStore.AppendReceipt
  readonly rebuild: boolean
}

export interface Engine {
  /** Stores a batch (see `EventStore.Service.append`); a reused upload key stores nothing. */
  readonly append: (
    account: Account.Settings,
    batch: EventStore.Batch,
    key?: EventStore.UploadKey,
  ) => Appended | EventStore.KeyReused
  /**
   * A query in slices: each `yield` is a point where the caller may let other work run, and
   * reports the estimated microseconds of work since the last one (see `runSliced`).
   */
  readonly query: (
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
  ) => Generator<number, QueryOutcome, void>
  /**
   * A top counts plan in slices, as `query` (see `runSliced`): from the event log
   * (`eventScan.ts`), in any zone, so it never waits for a rebuild.
   */
  readonly top: (
    account: Account.Settings,
    plan: TopCounts.TopPlan,
  ) => Generator<number, TopCounts.TopResult, void>
  readonly eventNames: (account: Account.Settings) => ReadonlyArray<string>
  readonly profile: (account: Account.Settings, key: string) => Option.Option<EventStore.Profile>
  /**
   * See `EventStore.Service.propertyNames`: event properties from the slices' tables (an
   * account stored before slices lists its events' properties once its rebuild is done).
   */
  readonly propertyNames: (account: Account.Settings, eventName: string) => EventStore.PropertyNames
  /**
   * One step of bringing an account's rollups to its `timeZone` and deleting replaced
   * rollup sets, working until `deadline` (`performance.now()` milliseconds).
   */
  readonly rebuildStep: (account: Account.Settings, deadline: number) => Rebuild.RebuildProgress
  /** Reads, and unless a reader writes, the database; throws what stops it (for `/health`). */
  readonly health: () => void
}

const tableNames = { migrations: "trendline_migrations" }

/** Brings the schema up to the newest migration; refuses a database newer than this code. */
export const migrate = (driver: SqlDriver): void => {
  driver.exec(
    `CREATE TABLE IF NOT EXISTS ${tableNames.migrations} (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
  )
  const applied = Number(
    driver.all(`SELECT coalesce(max(version), 0) AS v FROM ${tableNames.migrations}`)[0]?.v ?? 0,
  )
  const newest = migrations.at(-1)?.version ?? 0
  if (applied > newest) {
    throw new Error(
      `the database has schema version ${applied}, newer than this Trendline's ${newest}: upgrade Trendline`,
    )
  }
  for (const migration of migrations) {
    if (migration.version <= applied) continue
    driver.transaction(() => {
      driver.exec(migration.sql)
      driver.run(`INSERT INTO ${tableNames.migrations} (version, name) VALUES (?, ?)`, [
        migration.version,
        migration.name,
      ])
    })
  }
}

/** The engine over an open, migrated connection. */
export const make = (driver: SqlDriver, role: Role, options: EngineOptions = {}): Engine => {
  const limits = options.limits ?? Limits.defaults
  const accounts = Accounts.make(
    driver,
    role,
    (options.cacheBudget?.profileNumbers ?? new ProfileNumbersBudget(8 * 1024 * 1024)).cache(),
  )
  const rollupSets = RollupSets.make(
    driver,
    role,
    options.cacheBudget?.daySets ?? options.cacheBytes ?? 64 * 1024 * 1024,
  )
  const slices = ValueSlices.make(driver, options.slices)

  // After a rollback: forget what the transaction taught the caches.
  const forget = (id: string): void => {
    accounts.forget(id)
    rollupSets.clear()
  }

  // Removes some expired upload keys; bounded, so an append never pays for a backlog.
  const purgeKeys = (now: number): void => {
    driver.run(
      `DELETE FROM upload_keys WHERE (acct, key) IN
         (SELECT acct, key FROM upload_keys WHERE expires_at <= ? LIMIT 100)`,
      [now],
    )
  }

  const append = (
    account: Account.Settings,
    batch: EventStore.Batch,
    key?: EventStore.UploadKey,
  ): Appended | EventStore.KeyReused => {
    if (role === "reader") throw new Error("a reader cannot append")
    try {
      return driver.transaction((): Appended | EventStore.KeyReused => {
        const state = accounts.load(account.id) ?? accounts.create(account)
        if (key !== undefined) {
          const row = driver.all(
            "SELECT fingerprint, refused, expires_at FROM upload_keys WHERE acct = ? AND key = ?",
            [state.acct, key.key],
          )[0]
          const replay = EventStore.replayOf(
            key,
            row === undefined
              ? undefined
              : {
                  fingerprint: String(row.fingerprint),
                  expiresAt: Number(row.expires_at),
                  refused: JSON.parse(String(row.refused)) as Array<number>,
                },
          )
          if (replay !== undefined) {
            return replay instanceof EventStore.KeyReused
              ? replay
              : { receipt: replay, rebuild: false }
          }
        }
        const names = batch.events.map((event) => event.name)
        const { admitted, refused } = EventStore.admitEventNames(
          new Set(state.eventIds.keys()),
          names,
          limits.maxEventNamesPerAccount,
        )
        accounts.addEventNames(state, admitted)
        const refusedPositions = new Set(refused)
        const stored = batch.events.filter((_, position) => !refusedPositions.has(position))
        const profiles = accounts.profileNumbers(
          state,
          stored.map((event) => event.profile),
        )
        const entries = stored.map(
          (event, i): LogEntry => [
            state.eventIds.get(event.name)!,
            event.ts,
            profiles[i]!,
            event.properties,
          ],
        )
        for (const chunk of logChunks(entries)) {
          const seq = driver.all(
            "INSERT INTO event_log (acct, events) VALUES (?, ?) RETURNING seq",
            [state.acct, chunk.json],
          )[0]!.seq!
          driver.run(
            "INSERT INTO event_log_spans (acct, seq, first_ts, last_ts) VALUES (?, ?, ?, ?)",
            [state.acct, seq, chunk.firstTs, chunk.lastTs],
          )
        }
        // Into the set that answers queries, in its zone; a rebuild in the account's new
        // zone picks these events up from the log.
        rollupSets.apply(state.rollups, state.timeZone, slices.expand(state, entries))
        accounts.updateProfiles(state, batch.profiles)
        if (key !== undefined) {
          purgeKeys(key.now)
          driver.run(
            `INSERT OR REPLACE INTO upload_keys (acct, key, fingerprint, refused, expires_at)
             VALUES (?, ?, ?, ?, ?)`,
            [state.acct, key.key, key.fingerprint, JSON.stringify(refused), key.expiresAt],
          )
        }
        // A rebuild also brings the slices to an account stored before they existed.
        return {
          receipt: { refused },
          rebuild: state.timeZone !== account.timeZone || (slices.enabled && !state.sliced),
        }
      })
    } catch (error) {
      // The transaction rolled back: forget what this batch taught the caches.
      forget(account.id)
      throw error
    }
  }

  // The event's number in the account; a reader reads the names again for one it does not
  // know (the writer may have added it since).
  const eventId = (state: Accounts.AccountState, name: string): number | undefined => {
    const known = state.eventIds.get(name)
    if (known !== undefined || role !== "reader") return known
    accounts.loadEventIds(state)
    return state.eventIds.get(name)
  }

  function* query(
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
  ): Generator<number, QueryOutcome, void> {
    if (role === "reader") rollupSets.catchUp()
    const state = accounts.load(account.id)
    if (state === undefined) return { _tag: "Result", result: QueryPlan.emptyResult(plan) }
    const event = eventId(state, plan.eventName)
    if (event === undefined) return { _tag: "Result", result: QueryPlan.emptyResult(plan) }
    // Hours: the rollups hold whole days, the log has every instant.
    if (QueryPlan.hasHours(plan)) {
      return {
        _tag: "Result",
        result: yield* EventScan.query(driver, accounts, state, event, plan),
      }
    }
    if (!Filter.isEmpty(plan.filters)) {
      // Filters on one property: the slices of its matching values, where the rollups are
      // cut in the plan's zone and hold slices; others from the event log, in any zone.
      const sliced =
        state.sliced && state.timeZone === plan.timeZone
          ? slices.matching(state, event, plan.filters)
          : undefined
      const result =
        sliced === undefined
          ? yield* EventScan.query(driver, accounts, state, event, plan)
          : yield* rollupSets.query(state.rollups, sliced, plan)
      return { _tag: "Result", result }
    }
    if (state.timeZone !== plan.timeZone) return { _tag: "Rebuilding" }
    const result = yield* rollupSets.query(state.rollups, [event], plan)
    return { _tag: "Result", result }
  }

  function* top(
    account: Account.Settings,
    plan: TopCounts.TopPlan,
  ): Generator<number, TopCounts.TopResult, void> {
    const state = accounts.load(account.id)
    const event = state === undefined ? undefined : eventId(state, plan.eventName)
    if (state === undefined || event === undefined) return EventScan.emptyTop(plan)
    if (role === "reader") rollupSets.catchUp()
    // Without filters, event properties' values from their slices' counts in the rollups.
    if (
      state.sliced &&
      state.timeZone === plan.timeZone &&
      Filter.isEmpty(plan.filters) &&
      plan.groups.every((group) => group.source === "event")
    ) {
      const counts = plan.groups.map((group) =>
        slices.valueCounts(state, state.rollups, event, group.property, plan.from, plan.to),
      )
      if (counts.every((each) => each !== undefined)) {
        yield RollupSets.cost.statement * counts.length
        return Object.fromEntries(
          plan.groups.map((group, g) => [group.name, TopCounts.rank(counts[g]!, group)]),
        )
      }
    }
    return yield* EventScan.top(driver, accounts, state, event, plan)
  }

  const eventNames = (account: Account.Settings): ReadonlyArray<string> => {
    const state = accounts.load(account.id)
    if (state === undefined) return []
    if (role === "reader") accounts.loadEventIds(state)
    return [...state.eventIds.keys()].sort()
  }

  const profile = (account: Account.Settings, key: string): Option.Option<EventStore.Profile> => {
    const state = accounts.load(account.id)
    return state === undefined ? Option.none() : accounts.profile(state, key)
  }

  const propertyNames = (
    account: Account.Settings,
    eventName: string,
  ): EventStore.PropertyNames => {
    const state = accounts.load(account.id)
    if (state === undefined) return { event: [], profile: [] }
    const event = eventId(state, eventName)
    return {
      event: EventStore.sortedNames(event === undefined ? [] : slices.propertyNames(state, event)),
      profile: EventStore.sortedNames(accounts.fieldNames(state)),
    }
  }

  const rebuild = Rebuild.make(driver, accounts, rollupSets, slices, forget)
  const rebuildStep = (account: Account.Settings, deadline: number): Rebuild.RebuildProgress => {
    if (role === "reader") throw new Error("a reader cannot rebuild")
    return rebuild(account, deadline)
  }

  const health = (): void => {
    driver.all(`SELECT max(version) AS v FROM ${tableNames.migrations}`)
    if (role === "reader") return
    // A write that changes nothing still writes its page: a read-only or full disk fails it.
    driver.transaction(() =>
      driver.run(
        `UPDATE ${tableNames.migrations} SET name = name WHERE version = (SELECT max(version) FROM ${tableNames.migrations})`,
      ),
    )
  }

  return { append, query, top, eventNames, profile, propertyNames, rebuildStep, health }
}

/** Runs a sliced query to its end without yielding (a reader on its own thread). */
export const runToEnd = <A>(steps: Generator<unknown, A, void>): A => {
  for (;;) {
    const next = steps.next()
    if (next.done === true) return next.value
  }
}
