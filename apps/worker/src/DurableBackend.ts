/**
 * The backend on Workers: each account's `AccountApi` runs inside the account's SQLite-backed
 * Durable Object (one object per account id), so its query jobs, archived answers and
 * concurrency gates hold whichever isolate serves the request. The worker forwards each
 * call over RPC (`make`); the object runs it (`makeHost`). Neither side imports a Workers
 * API, so this module also typechecks with the Node server (`src/worker.ts` holds the class).
 */
import type * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as EventStore from "@trendline/core/EventStore"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteAnswerArchive from "@trendline/store-sqlite/SqliteAnswerArchive"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { AccountBackend, Backend } from "./Backend.ts"
import type { Log } from "./middleware.ts"

/**
 * What every call carries to the account's object: the account and the API's options. Plain
 * JSON data only (Workers RPC refuses objects whose prototype is not `Object.prototype`), so
 * durations travel as milliseconds.
 */
export interface Setup {
  readonly account: Account.Settings
  readonly api: AccountApi.Options & { readonly syncBudget: number; readonly retention: number }
}

/** The object's RPC methods: an account's endpoints, each told which account and options. */
export interface AccountRpc {
  readonly trends: (setup: Setup, body: unknown) => Promise<AccountApi.Answer>
  readonly eventCount: (setup: Setup, body: unknown) => Promise<AccountApi.Answer>
  readonly poll: (
    setup: Setup,
    endpoint: AccountApi.ReadEndpoint,
    reqId: string,
  ) => Promise<AccountApi.Answer>
  readonly upload: (setup: Setup, body: unknown, receivedAt: number) => Promise<AccountApi.Answer>
}

/** The setup of an account as plain data, e.g. `setupOf(account, AccountApi.defaultOptions)`. */
export const setupOf = (account: Account.Settings, api: AccountApi.Options): Setup => ({
  account: { id: account.id, timeZone: account.timeZone, weekStart: account.weekStart },
  api: {
    limits: { ...api.limits },
    syncBudget: Duration.toMillis(api.syncBudget),
    retention: Duration.toMillis(api.retention),
    maxConcurrentQueries: api.maxConcurrentQueries,
    maxConcurrentUploads: api.maxConcurrentUploads,
  },
})

// Day sets of distinct profiles kept decoded per object. The store's default (64 MiB) suits
// a process; an isolate has 128 MB for every object it hosts.
const cacheBytes = 8 * 1024 * 1024

interface Built {
  readonly key: string
  readonly api: AccountApi.AccountApi
  readonly scope: Scope.CloseableScope
}

/**
 * Runs one account's API in its object. The API is built on the first call (the setup comes
 * with the calls) over the event store and answer archive in `driver`'s database, and built
 * again if a call brings a different setup (a new deployment's configuration).
 *
 * @example
 * // In the Durable Object:
 * private readonly host = DurableBackend.makeHost(DurableObjectSqlite.make(this.ctx.storage))
 */
export const makeHost = (driver: SqlDriver): AccountRpc => {
  let built: Built | undefined

  // Synchronous: SQLite in the object answers in process, so no call can interleave here.
  const build = (setup: Setup): Either.Either<AccountApi.AccountApi, EventStore.StoreError> => {
    const key = JSON.stringify(setup)
    if (built?.key === key) return Either.right(built.api)
    const opened = Effect.runSync(
      Effect.either(
        Effect.all({
          store: SqliteEventStore.make(driver, { limits: setup.api.limits, cacheBytes }),
          archive: SqliteAnswerArchive.make(driver),
        }),
      ),
    )
    if (Either.isLeft(opened)) return Either.left(opened.left)
    const scope = Effect.runSync(Scope.make())
    const api = Effect.runSync(
      AccountApi.make(setup.account, setup.api, opened.right.archive).pipe(
        Scope.extend(scope),
        Effect.provideService(EventStore.EventStore, opened.right.store),
      ),
    )
    // The previous API's running jobs are interrupted; its finished answers stay archived.
    if (built !== undefined) Effect.runFork(Scope.close(built.scope, Exit.void))
    built = { key, api, scope }
    return Either.right(api)
  }

  const run = (
    setup: Setup,
    call: (api: AccountApi.AccountApi) => Effect.Effect<AccountApi.Answer>,
  ): Promise<AccountApi.Answer> =>
    Either.match(build(setup), {
      onRight: (api) => Effect.runPromise(call(api)),
      onLeft: (error) =>
        Effect.runPromise(
          Effect.as(
            Effect.logError("account object: cannot open its database", error.message, error.cause),
            AccountApi.failure(
              new ApiError.ServiceUnavailable({
                reason: "The event store is unavailable; try again later",
              }),
            ),
          ),
        ),
    })

  return {
    trends: (setup, body) => run(setup, (api) => api.trends(body)),
    eventCount: (setup, body) => run(setup, (api) => api.eventCount(body)),
    poll: (setup, endpoint, reqId) => run(setup, (api) => api.poll(endpoint, reqId)),
    upload: (setup, body, receivedAt) => run(setup, (api) => api.upload(body, receivedAt)),
  }
}

const detailsOf = (error: unknown): Record<string, unknown> =>
  error instanceof Error
    ? {
        error: error.message,
        stack: error.stack,
        retryable: (error as { retryable?: unknown }).retryable,
        overloaded: (error as { overloaded?: unknown }).overloaded,
      }
    : { error: String(error) }

/**
 * The worker side: each account's calls go to its object, `objectOf(account.id)`. A call the
 * object cannot take (overloaded, reset by a deployment, unreachable) answers 503, any other
 * exception 500; both are logged and never shown to the client.
 *
 * @example DurableBackend.make((id) => env.ACCOUNTS.getByName(id), api, log)
 */
export const make =
  (objectOf: (accountId: string) => AccountRpc, api: AccountApi.Options, log?: Log): Backend =>
  (account): AccountBackend => {
    const setup = setupOf(account, api)
    const object = objectOf(account.id)
    const call = (operation: string, send: () => Promise<AccountApi.Answer>) =>
      send().catch((error: unknown): AccountApi.Answer => {
        const details = detailsOf(error)
        log?.({
          time: new Date().toISOString(),
          level: "error",
          message: `account object: ${operation} failed`,
          account: account.id,
          ...details,
        })
        return AccountApi.failure(
          details.retryable === true || details.overloaded === true
            ? new ApiError.ServiceUnavailable({
                reason: "The account is busy or restarting; try again later",
              })
            : new ApiError.InternalError({ reason: "Internal error; it has been logged" }),
        )
      })
    return {
      trends: (body) => call("trends", () => object.trends(setup, body)),
      eventCount: (body) => call("eventCount", () => object.eventCount(setup, body)),
      poll: (endpoint, reqId) => call("poll", () => object.poll(setup, endpoint, reqId)),
      upload: (body, receivedAt) => call("upload", () => object.upload(setup, body, receivedAt)),
    }
  }
