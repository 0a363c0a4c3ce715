/**
 * The Node entry: `pnpm serve`. Reads the configuration, opens the SQLite file on worker
 * threads (one writer, a pool of readers: this thread only parses, authenticates, gates and
 * keeps the query jobs), and serves the app. On SIGINT/SIGTERM it stops accepting, answers
 * the requests it has received, gives clients still sending `TRENDLINE_SHUTDOWN_GRACE_MS`,
 * then stops the threads, which close the database (see `NodeServer`). A second signal
 * exits at once.
 */
import { randomBytes } from "node:crypto"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { makeApp } from "./app.ts"
import * as InProcess from "./InProcess.ts"
import * as NodeConfig from "./NodeConfig.ts"
import * as NodeServer from "./NodeServer.ts"

const config = NodeConfig.fromEnv(process.env, () => randomBytes(12).toString("base64url"))
if (Either.isLeft(config)) {
  console.error(`trendline: cannot start, fix the configuration:\n${config.left}`)
  process.exit(1)
}
const {
  port,
  host,
  database,
  clickhouse,
  accounts,
  demo,
  api,
  maxBodyBytes,
  maxBodyBytesInFlight,
  shutdownGraceMs,
  slowReadsMs,
  valueSlices,
} = config.right

const exitNow = (signal: NodeJS.Signals) => {
  console.error(`trendline: ${signal} again, exiting without waiting for requests in flight`)
  process.exit(1)
}

// The first signal starts the shutdown; from then on, a second one exits at once. Listened
// for from the start: a signal that comes as soon as the server says it is serving (before
// the program reaches its wait) must start the shutdown, not kill the process.
const signalled = new Promise<NodeJS.Signals>((resolve) => {
  const stop = (signal: NodeJS.Signals) => {
    process.off("SIGINT", stop).off("SIGTERM", stop)
    process.once("SIGINT", exitNow).once("SIGTERM", exitNow)
    resolve(signal)
  }
  process.on("SIGINT", stop).on("SIGTERM", stop)
})
const waitForSignal = Effect.promise(() => signalled)

const program = Effect.gen(function* () {
  const backend = yield* InProcess.make(accounts, api)
  const app = makeApp({
    accounts,
    backend,
    maxBodyBytes,
    maxBodyBytesInFlight,
    log: (line) => console.log(JSON.stringify(line)),
    health: yield* InProcess.health,
  })
  const address = yield* NodeServer.serve({
    fetch: app.fetch,
    port,
    hostname: host,
    shutdownGraceMs,
  })
  const store =
    clickhouse === undefined
      ? database
      : `ClickHouse ${clickhouse.url}/${clickhouse.database}${clickhouse.cluster === undefined ? "" : ` on cluster ${clickhouse.cluster}`}`
  console.log(
    `Trendline is serving http://${host.includes(":") ? `[${host}]` : host}:${address.port} (database ${store})`,
  )
  if (demo !== undefined) {
    console.log(
      `No TRENDLINE_ACCOUNTS: demo account for this machine only: X-CleverTap-Account-Id: ${demo.id}, X-CleverTap-Passcode: ${demo.passcode}`,
    )
  }
  const signal = yield* waitForSignal
  console.log(
    `Trendline: ${signal}, answering the requests received (clients still sending get ${shutdownGraceMs} ms), then closing the database`,
  )
}).pipe(
  Effect.scoped,
  Effect.provide(
    clickhouse === undefined
      ? NodeSqlitePool.layer({
          filename: database,
          slowReadsMs,
          ...(valueSlices ? {} : { slices: "off" as const }),
        })
      : ClickHouseEventStore.layer(clickhouse),
  ),
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(`trendline: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
