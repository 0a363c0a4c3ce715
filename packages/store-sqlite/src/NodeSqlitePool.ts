/**
 * The event store on a SQLite file, off the serving thread: one writer thread appends and
 * rebuilds, a pool of reader threads (one per core by default) answers queries, each over
 * its own connection in WAL mode, so readers never wait for the writer nor for each other.
 * Uploads are decoded and judged in the writer too (`AccountApi.Ingest`). The thread that
 * calls it only sends messages (`@effect/platform`'s worker pool, with
 * schema-typed requests) and stays free to serve requests, time budgets and answer polls.
 *
 * Fairness: an account runs at most `readers - 1` reads at once (at least one), so a free
 * reader is left for the other accounts while one account runs heavy queries; its other
 * reads wait in line (still counted by its concurrency gate, never by another account's).
 *
 * A query whose account's rollups are being rebuilt in a new time zone waits for the
 * writer's rebuild, which runs in steps between appends (not a top counts query, nor one
 * with filters: they read the event log).
 *
 * The file has one writer: a second pool (or `NodeSqlite` store) on it, in this process or
 * another, is refused at start with who holds it (an OS lock on `<db>.lock` that dies with
 * its process, see `<db>.holder`). The writer refuses a corrupt or read-only file at start,
 * checks before every append and health check that the file at the path is still the one
 * it opened, and keeps finished query answers (`AccountApi.Archive`) so a `req_id` still
 * answers after a restart.
 *
 * @since 0.2.0
 */
import { mkdirSync } from "node:fs"
import { availableParallelism } from "node:os"
import { dirname, resolve } from "node:path"
import { Worker as NodeThread } from "node:worker_threads"
import * as Worker from "@effect/platform/Worker"
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import type * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as EventStore from "@trendline/core/EventStore"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { checkIdentityAsync, identify } from "./internal/databaseFile.ts"
import type * as Engine from "./internal/engine.ts"
import * as Protocol from "./internal/protocol.ts"
import * as WriterLock from "./internal/writerLock.ts"
import { queryAfterRebuilds } from "./SqliteEventStore.ts"

/**
 * Where the database lives and how many threads read it. Decoded day sets take up to
 * `cacheBytes` a thread: a shared budget (`SqliteEventStore.cacheBudget`) cannot be sent
 * to other threads.
 */
export interface Options extends Omit<Engine.EngineOptions, "cacheBudget"> {
  /** The SQLite file (created with its folder if missing); not `:memory:`, threads share it. */
  readonly filename: string
  /** Reader threads (default: one per core, at least 2). */
  readonly readers?: number | undefined
  /** Work of a rebuild step before appends may run, in milliseconds (default 10). */
  readonly sliceMillis?: number | undefined
  /**
   * For tests of the serving side only: each query of these accounts (id to milliseconds)
   * first holds its reader thread that long, as a heavy query would.
   */
  readonly slowReadsMs?: Readonly<Record<string, number>> | undefined
}

const workerUrl = new URL("./internal/poolWorker.ts", import.meta.url)

// A write that has waited this long for the database makes the store unhealthy.
const stuckWriteMillis = 10_000

const storeErrorOf =
  (operation: string) =>
  (error: { readonly message: string }): EventStore.StoreError =>
    new EventStore.StoreError({
      message: `SQLite store: ${operation} failed: ${error.message}`,
      cause: error,
    })

// Plain data only crosses to the threads.
const accountData = (account: Account.Settings) => ({
  id: account.id,
  timeZone: account.timeZone,
  weekStart: account.weekStart,
})

/** What the pool serves: the store, uploads ingested in its writer, the answer archive. */
export interface Pool {
  readonly store: EventStore.Service
  /** Where uploads are ingested: the writer thread (see `AccountApi.Ingest`). */
  readonly ingest: AccountApi.IngestService
  /** Finished query answers, kept in the database by the writer (see `AccountApi.Archive`). */
  readonly archive: (accountId: string) => AccountApi.AnswerArchive
}

/**
 * The pooled store, its upload ingestion and answer archive; holds the file's writer lock
 * and its threads until the scope closes.
 */
export const make = (options: Options): Effect.Effect<Pool, EventStore.StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    if (options.filename === ":memory:" || options.filename.trim() === "") {
      return yield* new EventStore.StoreError({
        message:
          "SQLite store: the pool needs a database file that its threads share, not :memory: (use NodeSqlite.layer for a throwaway database)",
      })
    }
    const filename = resolve(options.filename)
    yield* Effect.try({
      try: () => mkdirSync(dirname(filename), { recursive: true }),
      catch: storeErrorOf(`creating the folder of ${filename}`) as (e: unknown) => never,
    })
    // Before any thread starts: a second writer of the file is refused right away.
    yield* WriterLock.hold(filename)
    const readerCount = Math.max(1, options.readers ?? Math.max(2, availableParallelism()))
    const spawn = (role: Protocol.WorkerConfig["role"]) => () =>
      new NodeThread(workerUrl, {
        workerData: {
          role,
          filename,
          cacheBytes: options.cacheBytes,
          limits: options.limits,
          slices: options.slices,
          sliceMillis: options.sliceMillis ?? 10,
          slowReadsMs: options.slowReadsMs,
        } satisfies Protocol.WorkerConfig,
      })

    // Appends are synchronous in the writer; a rebuild yields between its steps, so many
    // requests may be open there at once.
    const writer = yield* Worker.makePoolSerialized<Protocol.WriterRequest>({
      size: 1,
      concurrency: 100_000,
    }).pipe(
      Effect.provide(NodeWorker.layer(spawn("writer"))),
      Effect.mapError(storeErrorOf(`starting the writer thread for ${filename}`)),
    )
    // Readers start while the writer migrates; they read nothing before the store is made.
    const [, readers] = yield* Effect.all(
      [
        writer.executeEffect(new Protocol.Open()).pipe(
          Effect.mapError((error) =>
            // The writer's refusal names the file, the cause and the fix.
            error._tag === "StoreFailure"
              ? new EventStore.StoreError({
                  message: `SQLite store: ${error.message}`,
                  cause: error,
                })
              : storeErrorOf(`opening the SQLite database ${filename}`)(error),
          ),
        ),
        Worker.makePoolSerialized<Protocol.ReaderRequest>({
          size: readerCount,
          concurrency: 1,
        }).pipe(
          Effect.provide(NodeWorker.layer(spawn("reader"))),
          Effect.mapError(storeErrorOf(`starting the reader threads for ${filename}`)),
        ),
      ],
      { concurrency: 2 },
    )

    const readsPerAccount = Math.max(1, readerCount - 1)
    const permits = new Map<string, Effect.Semaphore>()
    const fairly = <A, E>(account: Account.Settings, effect: Effect.Effect<A, E>) => {
      let semaphore = permits.get(account.id)
      if (semaphore === undefined) {
        semaphore = Effect.unsafeMakeSemaphore(readsPerAccount)
        permits.set(account.id, semaphore)
      }
      return semaphore.withPermits(1)(effect)
    }

    // What `/health` knows of the writer without asking it (a request would wait behind the
    // writes queued there): when each write in flight started, and how the last one ended.
    const writesInFlight = new Set<{ readonly startedAt: number }>()
    let lastWriteFailure: string | undefined
    // A client's mistake (a bad body, a reused key) says nothing of the store.
    const isStoreFailure = (error: { readonly _tag: string }) =>
      error._tag === "StoreFailure" || error._tag === "WorkerError"
    const written = <A, E extends { readonly _tag: string; readonly message: string }>(
      write: Effect.Effect<A, E>,
    ): Effect.Effect<A, E> =>
      Effect.flatMap(Clock.currentTimeMillis, (startedAt) => {
        const entry = { startedAt }
        writesInFlight.add(entry)
        return write.pipe(
          Effect.tapBoth({
            onFailure: (error) =>
              Effect.sync(() => {
                if (isStoreFailure(error)) lastWriteFailure = error.message
              }),
            onSuccess: () =>
              Effect.sync(() => {
                lastWriteFailure = undefined
              }),
          }),
          Effect.ensuring(Effect.sync(() => writesInFlight.delete(entry))),
        )
      })

    const ingest: AccountApi.IngestService = {
      ingestJson: (account, text, receivedAt, limits, key) =>
        written(
          writer.executeEffect(
            new Protocol.Upload({
              account: accountData(account),
              text,
              receivedAt,
              limits,
              ...(key === undefined ? {} : { key }),
            }),
          ),
        ).pipe(
          // The API's own errors (400, 409) as they are; anything else is the store's.
          Effect.mapError((error) =>
            ApiError.isApiError(error) ? error : storeErrorOf("upload")(error),
          ),
        ),
    }

    const opened = identify(filename)
    // Healthy while the file is the one opened, a reader can read it, the last write did
    // not fail and no write has waited `stuckWriteMillis` for the database. Never waits for
    // the writer; a store with no writes for a while is judged by its last one.
    const health = (): Effect.Effect<void, EventStore.StoreError> =>
      Effect.gen(function* () {
        yield* Effect.tryPromise({
          try: () => checkIdentityAsync(filename, opened),
          catch: (error) =>
            new EventStore.StoreError({
              message: error instanceof Error ? error.message : String(error),
              cause: error,
            }),
        })
        if (lastWriteFailure !== undefined) {
          return yield* new EventStore.StoreError({
            message: `the last write failed: ${lastWriteFailure}`,
          })
        }
        const now = yield* Clock.currentTimeMillis
        for (const { startedAt } of writesInFlight) {
          if (now - startedAt >= stuckWriteMillis) {
            return yield* new EventStore.StoreError({
              message: `a write has waited ${Math.round((now - startedAt) / 1000)} s for the database ${filename} (locked by another connection, or a slow disk)`,
            })
          }
        }
        yield* readers
          .executeEffect(
            new Protocol.EventNames({ account: { id: "", timeZone: "UTC", weekStart: "monday" } }),
          )
          .pipe(Effect.mapError(storeErrorOf("reading")))
      })

    const store: EventStore.Service = {
      append: (account, batch, key) =>
        written(
          writer.executeEffect(
            new Protocol.Append({
              account: accountData(account),
              batch,
              ...(key === undefined ? {} : { key }),
            }),
          ),
        ).pipe(
          Effect.mapError((error) =>
            error._tag === "KeyReused" ? error : storeErrorOf("append")(error),
          ),
        ),
      query: (account, plan) =>
        queryAfterRebuilds(
          fairly(
            account,
            readers
              .executeEffect(new Protocol.Query({ account: accountData(account), plan }))
              .pipe(Effect.mapError(storeErrorOf("query"))),
          ),
          writer
            .executeEffect(
              new Protocol.Rebuild({
                account: { ...accountData(account), timeZone: plan.timeZone },
              }),
            )
            .pipe(Effect.mapError(storeErrorOf("rebuilding the rollups"))),
        ),
      // From the event log, in any zone: no rebuild to wait for.
      top: (account, plan) =>
        fairly(
          account,
          readers
            .executeEffect(new Protocol.Top({ account: accountData(account), plan }))
            .pipe(Effect.mapError(storeErrorOf("top"))),
        ),
      eventNames: (account) =>
        fairly(
          account,
          readers
            .executeEffect(new Protocol.EventNames({ account: accountData(account) }))
            .pipe(Effect.mapError(storeErrorOf("eventNames"))),
        ),
      profile: (account, key) =>
        fairly(
          account,
          readers
            .executeEffect(new Protocol.Profile({ account: accountData(account), key }))
            .pipe(Effect.mapError(storeErrorOf("profile"))),
        ),
      health,
    }
    // Losing an archived answer costs the client a resubmit: log, never fail the read.
    const archive = (account: string): AccountApi.AnswerArchive => ({
      put: (reqId, entry) =>
        writer
          .executeEffect(new Protocol.ArchivePut({ account, reqId, entry }))
          .pipe(
            Effect.catchAll((error) =>
              Effect.logWarning(`could not archive a query answer: ${error.message}`),
            ),
          ),
      get: (reqId, now) =>
        writer
          .executeEffect(new Protocol.ArchiveGet({ account, reqId, now }))
          .pipe(
            Effect.catchAll((error) =>
              Effect.as(
                Effect.logWarning(`could not read an archived query answer: ${error.message}`),
                Option.none(),
              ),
            ),
          ),
    })
    return { store, ingest, archive }
  })

/**
 * The pooled store as a layer, with its upload ingestion and answer archive: starts the
 * threads (the writer checks and migrates the database first) and stops them when the
 * layer's scope closes.
 *
 * @example NodeSqlitePool.layer({ filename: "./data/trendline.db" })
 */
export const layer = (
  options: Options,
): Layer.Layer<
  EventStore.EventStore | AccountApi.Ingest | AccountApi.Archive,
  EventStore.StoreError
> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ store, ingest, archive }) =>
      Context.make(EventStore.EventStore, store).pipe(
        Context.add(AccountApi.Ingest, ingest),
        Context.add(AccountApi.Archive, archive),
      ),
    ),
  )
