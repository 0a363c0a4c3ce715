// A worker thread of `NodeSqlitePool`: its own connection to the database file, and the
// engine in the role it was given (`workerData`). The writer is the only one that writes:
// it also decodes and judges uploads (core's `AccountApi.ingestJson`), so the serving
// thread only hands it their text. Each reader runs a query inside one read transaction,
// so it sees one snapshot.
import { workerData } from "node:worker_threads"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeSqlite from "../NodeSqlite.ts"
import { fromEngine } from "../SqliteEventStore.ts"
import * as Engine from "./engine.ts"
import * as Protocol from "./protocol.ts"

const config = workerData as Protocol.WorkerConfig
const connection = NodeSqlite.open({ filename: config.filename })
const driver = connection.driver

const failure = (cause: unknown) =>
  new Protocol.StoreFailure({ message: cause instanceof Error ? cause.message : String(cause) })

// Engines are made on the first request, after the writer's `Open` has migrated the schema
// (the pool answers no request before then).
let engine: Engine.Engine | undefined
const engineOf = (): Engine.Engine => {
  engine ??= Engine.make(driver, config.role, {
    limits: config.limits,
    cacheBytes: config.cacheBytes,
  })
  return engine
}

const attempt = <A>(body: () => A) => Effect.try({ try: body, catch: failure })

// One snapshot per read: BEGIN is deferred, so the snapshot starts at its first SELECT.
const read = <A>(body: () => A) =>
  attempt(() => {
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
  // The store over the writer's engine, made once `Open` has migrated the schema.
  let store: ReturnType<typeof fromEngine> | undefined
  const storeOf = () => {
    store ??= fromEngine(engineOf(), {
      yieldNow: setImmediateTask,
      sliceMillis: config.sliceMillis,
    })
    return store
  }
  return WorkerRunner.layerSerialized(Protocol.WriterRequest, {
    Open: () =>
      attempt(() => {
        Engine.migrate(driver)
        storeOf()
      }),
    Append: ({ account, batch }) =>
      storeOf()
        .service.append(account, batch)
        .pipe(Effect.mapError((error) => failure(error.message))),
    Upload: ({ account, text, receivedAt, limits }) =>
      AccountApi.ingestJson(account, text, receivedAt, limits).pipe(
        Effect.provideService(EventStore.EventStore, storeOf().service),
      ),
    Rebuild: ({ account }) =>
      Effect.mapError(storeOf().rebuilds.ensure(account), (error) => failure(error.message)),
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
    EventNames: ({ account }) => read(() => engineOf().eventNames(account)),
    Profile: ({ account, key }) => read(() => engineOf().profile(account, key)),
  })

Effect.runFork(
  WorkerRunner.launch(
    (config.role === "writer" ? writer() : reader()).pipe(Layer.provide(NodeWorkerRunner.layer)),
  ).pipe(Effect.ensuring(Effect.sync(() => connection.close()))),
)
