/**
 * The Node entry: `pnpm serve`. Reads the configuration, opens the SQLite file on worker
 * threads (one writer, a pool of readers: this thread only parses, authenticates, gates and
 * keeps the query jobs), serves the app, and on SIGINT/SIGTERM stops accepting, lets
 * in-flight requests finish and stops the threads, which close the database.
 */
import { randomBytes } from "node:crypto"
import { serve } from "@hono/node-server"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import * as NodeSqlitePool from "@trendline/store-sqlite/NodeSqlitePool"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { makeApp } from "./app.ts"
import * as InProcess from "./InProcess.ts"
import * as NodeConfig from "./NodeConfig.ts"

const config = NodeConfig.fromEnv(process.env, () => randomBytes(12).toString("base64url"))
if (Either.isLeft(config)) {
  console.error(`trendline: cannot start, fix the configuration:\n${config.left}`)
  process.exit(1)
}
const { port, host, database, clickhouse, accounts, demo, api, maxBodyBytes, slowReadsMs } =
  config.right

const waitForSignal = Effect.async<NodeJS.Signals>((resume) => {
  const stop = (signal: NodeJS.Signals) => resume(Effect.succeed(signal))
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
})

const program = Effect.gen(function* () {
  const backend = yield* InProcess.make(accounts, api)
  const app = makeApp({
    accounts,
    backend,
    maxBodyBytes,
    log: (line) => console.log(JSON.stringify(line)),
  })
  const server = yield* Effect.acquireRelease(
    Effect.async<ReturnType<typeof serve>>((resume) => {
      const started = serve({ fetch: app.fetch, port, hostname: host }, () =>
        resume(Effect.succeed(started)),
      )
      started.once("error", (error) => resume(Effect.die(error)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        if ("closeIdleConnections" in server) server.closeIdleConnections()
      }),
  )
  const address = server.address()
  const actualPort = typeof address === "object" && address !== null ? address.port : port
  const store =
    clickhouse === undefined ? database : `ClickHouse ${clickhouse.url}/${clickhouse.database}`
  console.log(
    `Trendline is serving http://${host.includes(":") ? `[${host}]` : host}:${actualPort} (database ${store})`,
  )
  if (demo !== undefined) {
    console.log(
      `No TRENDLINE_ACCOUNTS: demo account for this machine only: X-CleverTap-Account-Id: ${demo.id}, X-CleverTap-Passcode: ${demo.passcode}`,
    )
  }
  const signal = yield* waitForSignal
  console.log(`Trendline: ${signal}, finishing in-flight requests and closing the database`)
}).pipe(
  Effect.scoped,
  Effect.provide(
    clickhouse === undefined
      ? NodeSqlitePool.layer({ filename: database, slowReadsMs })
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
