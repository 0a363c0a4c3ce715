// A worker thread of `NodeSqlitePool`: its own connection to the database file, and the
// engine in the role it was given (`workerData`). The writer is the only one that writes:
// it also decodes and judges uploads (core's `AccountApi.ingestJson`), so the serving
// thread only hands it their text. Each reader runs a query inside one read transaction,
// so it sees one snapshot. The writer also keeps the answer archive
// (`SqliteAnswerArchive`) on its connection.
import { workerData } from "node:worker_threads"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeSqlite from "../NodeSqlite.ts"
import * as SqliteAnswerArchive from "../SqliteAnswerArchive.ts"
import { fromEngine } from "../SqliteEventStore.ts"
import { guard, refusal } from "./databaseFile.ts"
import * as Engine from "./engine.ts"
import * as Protocol from "./protocol.ts"

const config = workerData as Protocol.WorkerConfig

// The writer opens its connection on `Open`, after checking the file; a reader on its
// first request, which comes after the writer's `Open` (the pool answers none before).
let connection: NodeSqlite.Connection | undefined
const connectionOf = (): NodeSqlite.Connection => {
  connection ??= NodeSqlite.open({ filename: config.filename })
  return connection
}
const driverOf = () => connectionOf().driver

const failure = (cause: unknown) =>
  new Protocol.StoreFailure({ message: cause instanceof Error ? cause.message : String(cause) })

// What the store's error says below its "SQLite store: <operation> failed", which the pool
// says again on its side.
const storeFailure = (error: EventStore.StoreError) => failure(error.cause ?? error)

// Engines are made on the first request, after the writer's `Open` has migrated the schema.
let engine: Engine.Engine | undefined
const engineOf = (): Engine.Engine => {
  engine ??= Engine.make(driverOf(), config.role, {
    limits: config.limits,
    cacheBytes: config.cacheBytes,
    slices: config.slices,
  })
  return engine
}

const attempt = <A>(body: () => A) => Effect.try({ try: body, catch: failure })

// One snapshot per read: BEGIN is deferred, so the snapshot starts at its first SELECT.
const read = <A>(body: () => A) =>
  attempt(() => {
    const driver = driverOf()
    driver.exec("BEGIN")
    try {
      return body()
    } finally {
      driver.exec("COMMIT")
    }
  })

const setImmediateTask = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const writer = () => {
  // The store over the writer's engine, made once `Open` has migrated the schema; its
  // appends (uploads too) and health check first check that the file is still the one
  // opened.
  let store: ReturnType<typeof fromEngine> | undefined
  const storeOf = () => {
    if (store === undefined) {
      const made = fromEngine(engineOf(), {
        yieldNow: setImmediateTask,
        sliceMillis: config.sliceMillis,
      })
      store = { ...made, service: guard(made.service, connectionOf().checkFile) }
    }
    return store
  }
  const archives = new Map<string, AccountApi.AnswerArchive>()
  const archiveOf = (account: string) =>
    Effect.suspend(() => {
      const known = archives.get(account)
      return known !== undefined
        ? Effect.succeed(known)
        : Effect.tap(SqliteAnswerArchive.make(driverOf(), account), (made) => {
            archives.set(account, made)
          })
    }).pipe(Effect.mapError(storeFailure))
  return WorkerRunner.layerSerialized(Protocol.WriterRequest, {
    Open: () =>
      attempt(() => {
        try {
          connection = NodeSqlite.openForWriting({ filename: config.filename })
          Engine.migrate(connection.driver)
          storeOf()
        } catch (error) {
          throw refusal(config.filename, error)
        }
      }),
    Append: ({ account, batch, key }) =>
      storeOf()
        .service.append(account, batch, key)
        .pipe(
          Effect.mapError((error) => (error._tag === "KeyReused" ? error : storeFailure(error))),
        ),
    Upload: ({ account, text, receivedAt, limits, key }) =>
      AccountApi.ingestJson(account, text, receivedAt, limits, key).pipe(
        Effect.provideService(EventStore.EventStore, storeOf().service),
        Effect.mapError((error) => (error._tag === "StoreError" ? storeFailure(error) : error)),
      ),
    Rebuild: ({ account }) => Effect.mapError(storeOf().rebuilds.ensure(account), storeFailure),
    ArchivePut: ({ account, reqId, entry }) =>
      Effect.flatMap(archiveOf(account), (archive) =>
        archive.put(reqId, entry as AccountApi.ArchivedAnswer),
      ),
    ArchiveGet: ({ account, reqId, now }) =>
      Effect.flatMap(archiveOf(account), (archive) => archive.get(reqId, now)),
  })
}

// Test only (`slowReadsMs`): the thread is really held, inside the read transaction, as a
// heavy query or a slow disk would hold it.
const holdForTests = (account: string): void => {
  const millis = config.slowReadsMs?.[account]
  if (millis !== undefined && millis > 0)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, millis)
}

const reader = () =>
  WorkerRunner.layerSerialized(Protocol.ReaderRequest, {
    Query: ({ account, plan }) =>
      read(() => {
        holdForTests(account.id)
        return Engine.runToEnd(engineOf().query(account, plan))
      }),
    Top: ({ account, plan }) =>
      read(() => {
        holdForTests(account.id)
        return Engine.runToEnd(engineOf().top(account, plan))
      }),
    EventNames: ({ account }) => read(() => engineOf().eventNames(account)),
    Profile: ({ account, key }) => read(() => engineOf().profile(account, key)),
  })

Effect.runFork(
  WorkerRunner.launch(
    (config.role === "writer" ? writer() : reader()).pipe(Layer.provide(NodeWorkerRunner.layer)),
  ).pipe(Effect.ensuring(Effect.sync(() => connection?.close()))),
)
