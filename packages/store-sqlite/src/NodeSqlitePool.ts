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
 * writer's rebuild, which runs in steps between appends.
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
import * as EventStore from "@trendline/core/EventStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Engine from "./internal/engine.ts"
import * as Protocol from "./internal/protocol.ts"
import { queryAfterRebuilds } from "./SqliteEventStore.ts"

/** Where the database lives and how many threads read it. */
export interface Options extends Engine.EngineOptions {
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

/**
 * The pooled store, and where uploads are ingested (the writer thread, see
 * `AccountApi.Ingest`); its threads stop when the scope closes.
 */
export const make = (
  options: Options,
): Effect.Effect<
  { readonly store: EventStore.Service; readonly ingest: AccountApi.IngestService },
  EventStore.StoreError,
  Scope.Scope
> =>
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
    const readerCount = Math.max(1, options.readers ?? Math.max(2, availableParallelism()))
    const spawn = (role: Protocol.WorkerConfig["role"]) => () =>
      new NodeThread(workerUrl, {
        workerData: {
          role,
          filename,
          cacheBytes: options.cacheBytes,
          limits: options.limits,
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
        writer
          .executeEffect(new Protocol.Open())
          .pipe(Effect.mapError(storeErrorOf(`opening the SQLite database ${filename}`))),
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

    const ingest: AccountApi.IngestService = {
      ingestJson: (account, text, receivedAt, limits) =>
        writer
          .executeEffect(
            new Protocol.Upload({ account: accountData(account), text, receivedAt, limits }),
          )
          .pipe(Effect.catchAll((error) => AccountApi.storeFailure(storeErrorOf("upload")(error)))),
    }

    const store: EventStore.Service = {
      append: (account, batch) =>
        writer
          .executeEffect(new Protocol.Append({ account: accountData(account), batch }))
          .pipe(Effect.mapError(storeErrorOf("append"))),
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
    }
    return { store, ingest }
  })

/**
 * The pooled store as a layer: starts the threads (the writer migrates the database first)
 * and stops them when the layer's scope closes.
 *
 * @example NodeSqlitePool.layer({ filename: "./data/trendline.db" })
 */
export const layer = (
  options: Options,
): Layer.Layer<EventStore.EventStore | AccountApi.Ingest, EventStore.StoreError> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ store, ingest }) =>
      Context.make(EventStore.EventStore, store).pipe(Context.add(AccountApi.Ingest, ingest)),
    ),
  )
