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
import * as Idempotency from "@trendline/core/Idempotency"
import type * as Limits from "@trendline/core/Limits"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteAnswerArchive from "@trendline/store-sqlite/SqliteAnswerArchive"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { AccountBackend, Backend } from "./Backend.ts"
import type * as EnvOptions from "./EnvOptions.ts"
import type { Log } from "./middleware.ts"

/**
 * What every call carries to the account's object: the account and the API's options. Plain
 * JSON data only (Workers RPC refuses objects whose prototype is not `Object.prototype`), so
 * durations travel as milliseconds.
 */
export interface Setup {
  readonly account: Account.Settings
  readonly api: AccountApi.Options & {
    readonly syncBudget: number
    readonly retention: number
    readonly idempotencyRetention: number
  }
  /** Where events go when they outgrow the object: ClickHouse instead of its own SQLite. */
  readonly clickhouse?: EnvOptions.ClickHouse
}

/** The object's RPC methods: an account's endpoints, each told which account and options. */
export interface AccountRpc {
  readonly trends: (setup: Setup, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly eventCount: (setup: Setup, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly poll: (
    setup: Setup,
    endpoint: AccountApi.ReadEndpoint,
    reqId: string,
  ) => Promise<WireAnswer.WireAnswer>
  readonly upload: (
    setup: Setup,
    body: unknown,
    receivedAt: number,
  ) => Promise<WireAnswer.WireAnswer>
  /** The upload's body as text: the object parses it once its gate admits it. */
  readonly uploadJson: (
    setup: Setup,
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ) => Promise<WireAnswer.WireAnswer>
}

/** The setup of an account as plain data, e.g. `setupOf(account, AccountApi.defaultOptions)`. */
export const setupOf = (
  account: Account.Settings,
  api: AccountApi.Options,
  clickhouse?: EnvOptions.ClickHouse,
): Setup => ({
  account: { id: account.id, timeZone: account.timeZone, weekStart: account.weekStart },
  api: {
    limits: { ...api.limits },
    syncBudget: Duration.toMillis(api.syncBudget),
    retention: Duration.toMillis(api.retention),
    idempotencyRetention: Duration.toMillis(
      api.idempotencyRetention ?? Idempotency.defaultRetention,
    ),
    maxConcurrentQueries: api.maxConcurrentQueries,
    maxConcurrentUploads: api.maxConcurrentUploads,
  },
  ...(clickhouse === undefined ? {} : { clickhouse: { ...clickhouse } }),
})

/**
 * The SQLite event store's settings inside an object.
 *
 * - `cacheBytes`: day sets of distinct profiles kept decoded. The store's default (64 MiB)
 *   suits a process; an isolate has 128 MB for every object it hosts.
 * - `sliceMillis: 0`: a long query or a rebuild gives way at every pause its engine offers
 *   (a distinct-profile query after each month of day sets it reads and each 16 it unions,
 *   a rebuild after every few event log rows it folds). Deployed, a Worker's clock stands
 *   still while code runs and moves only between events (Cloudflare's Spectre mitigation;
 *   `wrangler dev` and the tests' workerd let it run), so a slice measured in milliseconds
 *   never ends there: the whole query or rebuild would hold the object.
 * - `yieldNow`: between slices the store waits for a timer (`setTimeout(0)`), the kind of
 *   wait during which the object takes other calls; awaiting a resolved promise or a
 *   `MessageChannel` message lets none in (`test-workers/Yields.test.ts`). A timer turn
 *   costs about a millisecond, the price of never keeping a call waiting behind more than
 *   one slice.
 */
export const storeOptions = (limits: Limits.Limits): SqliteEventStore.Options => ({
  limits,
  cacheBytes: 8 * 1024 * 1024,
  sliceMillis: 0,
  yieldNow: SqliteEventStore.macrotask,
})

interface Built {
  readonly key: string
  /** The account's API in wire form: RPC carries plain data, so the object is an edge too. */
  readonly api: Promise<Either.Either<WireAnswer.WireApi, EventStore.StoreError>>
  readonly scope: Scope.CloseableScope
}

/**
 * Runs one account's API in its object. The API is built on the first call (the setup comes
 * with the calls) over the event store (the object's SQLite, or ClickHouse when the setup
 * names one) and the answer archive in `driver`'s database, and built again if a call
 * brings a different setup (a new deployment's configuration); the store is opened again
 * only if the setup changes its limits or its ClickHouse.
 *
 * @example
 * // In the Durable Object:
 * private readonly host = DurableBackend.makeHost(DurableObjectSqlite.make(this.ctx.storage))
 */
export const makeHost = (driver: SqlDriver): AccountRpc => {
  let built: Built | undefined
  // The event store outlives API builds that keep its settings (a new time zone or sync
  // budget keeps them): its caches stay warm, and a rebuild of the rollups it runs in the
  // background is never joined by a second engine over the same database.
  let opened: { readonly key: string; readonly store: EventStore.Service } | undefined

  const openStore = (setup: Setup): Effect.Effect<EventStore.Service, EventStore.StoreError> => {
    const key = JSON.stringify([setup.api.limits, setup.clickhouse ?? null])
    if (opened?.key === key) return Effect.succeed(opened.store)
    return (
      setup.clickhouse === undefined
        ? SqliteEventStore.make(driver, storeOptions(setup.api.limits))
        : ClickHouseEventStore.make(setup.clickhouse, { limits: setup.api.limits })
    ).pipe(Effect.tap((store) => Effect.sync(() => (opened = { key, store }))))
  }

  const open = (setup: Setup) =>
    Effect.all({ store: openStore(setup), archive: SqliteAnswerArchive.make(driver) })

  // Calls that arrive while the API is being built share the same build.
  const build = (setup: Setup): Built => {
    const key = JSON.stringify(setup)
    if (built?.key === key) return built
    const scope = Effect.runSync(Scope.make())
    const api = Effect.runPromise(
      Effect.either(
        Effect.flatMap(open(setup), ({ store, archive }) =>
          AccountApi.make(setup.account, setup.api, archive).pipe(
            Effect.map(WireAnswer.ofApi),
            Scope.extend(scope),
            Effect.provideService(EventStore.EventStore, store),
          ),
        ),
      ),
    )
    // The previous API's running jobs are interrupted; its finished answers stay archived.
    if (built !== undefined) Effect.runFork(Scope.close(built.scope, Exit.void))
    built = { key, api, scope }
    return built
  }

  const run = async (
    setup: Setup,
    call: (api: WireAnswer.WireApi) => Effect.Effect<WireAnswer.WireAnswer>,
  ): Promise<WireAnswer.WireAnswer> => {
    const attempt = build(setup)
    const api = await attempt.api
    if (Either.isRight(api)) return Effect.runPromise(call(api.right))
    // Not cached: the next call tries to open the store again.
    if (built === attempt) built = undefined
    return Effect.runPromise(
      Effect.as(
        Effect.logError(
          "account object: cannot open its event store",
          api.left.message,
          api.left.cause,
        ),
        WireAnswer.failure(AccountApi.storeUnavailableError()),
      ),
    )
  }

  return {
    trends: (setup, body) => run(setup, (api) => api.trends(body)),
    eventCount: (setup, body) => run(setup, (api) => api.eventCount(body)),
    poll: (setup, endpoint, reqId) => run(setup, (api) => api.poll(endpoint, reqId)),
    upload: (setup, body, receivedAt) => run(setup, (api) => api.upload(body, receivedAt)),
    uploadJson: (setup, text, receivedAt, idempotency) =>
      run(setup, (api) => api.uploadJson(text, receivedAt, idempotency)),
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
  (
    objectOf: (accountId: string) => AccountRpc,
    api: AccountApi.Options,
    log?: Log,
    clickhouse?: EnvOptions.ClickHouse,
  ): Backend =>
  (account): AccountBackend => {
    const setup = setupOf(account, api, clickhouse)
    const object = objectOf(account.id)
    const call = (operation: string, send: () => Promise<WireAnswer.WireAnswer>) =>
      send().catch((error: unknown): WireAnswer.WireAnswer => {
        const details = detailsOf(error)
        log?.({
          time: new Date().toISOString(),
          level: "error",
          message: `account object: ${operation} failed`,
          account: account.id,
          ...details,
        })
        return WireAnswer.failure(
          details.retryable === true || details.overloaded === true
            ? new ApiError.ServiceUnavailable({
                reason: "The account is busy or restarting; try again later",
              })
            : AccountApi.internalError(),
        )
      })
    return {
      trends: (body) => call("trends", () => object.trends(setup, body)),
      eventCount: (body) => call("eventCount", () => object.eventCount(setup, body)),
      poll: (endpoint, reqId) => call("poll", () => object.poll(setup, endpoint, reqId)),
      upload: (body, receivedAt) => call("upload", () => object.upload(setup, body, receivedAt)),
      uploadJson: (text, receivedAt, idempotency) =>
        call("upload", () => object.uploadJson(setup, text, receivedAt, idempotency)),
    }
  }
