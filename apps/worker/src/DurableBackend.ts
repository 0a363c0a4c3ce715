/**
 * The backend on Workers: each account's `AccountApi` runs inside the account's SQLite-backed
 * Durable Object (one object per account id), so its query jobs, archived answers and
 * concurrency gates hold whichever isolate serves the request. The worker forwards each
 * call over RPC with the account's id and the request (`make`); the object runs it over the
 * API it built once from its own env (`makeHost`). Neither side imports a Workers API, so
 * this module also typechecks with the Node server (`src/worker.ts` holds the class).
 */
import type * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as EventStore from "@trendline/core/EventStore"
import type * as Limits from "@trendline/core/Limits"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as ClickHouseEventStore from "@trendline/store-clickhouse/ClickHouseEventStore"
import type { SqlDriver } from "@trendline/store-sqlite/SqlDriver"
import * as SqliteAnswerArchive from "@trendline/store-sqlite/SqliteAnswerArchive"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import type { AccountBackend, Backend } from "./Backend.ts"
import type { Log } from "./middleware.ts"
import * as WorkerConfig from "./WorkerConfig.ts"

/**
 * The object's RPC methods: an account's endpoints. Each call names the account (the
 * object checks it against its own configuration) and carries the request only.
 */
export interface AccountRpc {
  readonly trends: (accountId: string, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly eventCount: (accountId: string, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly profileCount: (accountId: string, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly top: (accountId: string, body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly poll: (
    accountId: string,
    endpoint: AccountApi.ReadEndpoint,
    reqId: string,
  ) => Promise<WireAnswer.WireAnswer>
  readonly upload: (
    accountId: string,
    body: unknown,
    receivedAt: number,
  ) => Promise<WireAnswer.WireAnswer>
  /** The upload's body as text: the object parses it once its gate admits it. */
  readonly uploadJson: (
    accountId: string,
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ) => Promise<WireAnswer.WireAnswer>
}

// The decoded day sets and remembered profile numbers of every account object this isolate
// hosts, in one budget.
const caches = SqliteEventStore.cacheBudget(24 * 1024 * 1024, 8 * 1024 * 1024)

/** The estimated work of a query's slice inside an object, in milliseconds. */
export const defaultSliceMillis = 4

/**
 * The SQLite event store's settings inside an object.
 *
 * - `slices`: `"off"` when `TRENDLINE_VALUE_SLICES` is (`EnvOptions.valueSlices`).
 * - `cacheBudget`: day sets of distinct profiles kept decoded, 24 MiB, and profile numbers
 *   remembered, 8 MiB, for all the objects of the isolate together (`caches`, one per
 *   isolate): an isolate has 128 MB for every object it hosts, so a budget per object
 *   would grow with the number of objects.
 * - `sliceBy: "estimate"`, `sliceMillis: 4`: a distinct-profile query gives way after
 *   about 4 ms of work by its own estimate (day sets read, decoded and unioned), and a
 *   rebuild after every few event log rows it folds. Deployed, a Worker's clock stands
 *   still while code runs and moves only between events (Cloudflare's Spectre mitigation;
 *   `wrangler dev` and the tests' workerd let it run), so a slice measured by the clock
 *   never ends there: the whole query or rebuild would hold the object.
 * - `yieldNow`: between slices the store waits for a timer (`setTimeout(0)`), the kind of
 *   wait during which the object takes other calls; awaiting a resolved promise or a
 *   `MessageChannel` message lets none in (`test-workers/Yields.test.ts`). A timer turn
 *   costs about a millisecond: slices of 4 ms keep that under a fifth of a long query's
 *   time, and a call never waits behind more than one slice.
 */
export const storeOptions = (
  limits: Limits.Limits,
  sliceMillis = defaultSliceMillis,
  valueSlices = true,
  yieldNow: Effect.Effect<void> = SqliteEventStore.macrotask,
): SqliteEventStore.Options => ({
  limits,
  ...(valueSlices ? {} : { slices: "off" as const }),
  cacheBudget: caches,
  sliceMillis,
  sliceBy: "estimate",
  yieldNow,
})

/** The account's API in wire form: RPC carries plain data, so the object is an edge too. */
class Api extends Context.Tag("@trendline/worker/DurableBackend/Api")<Api, WireAnswer.WireApi>() {}

/**
 * An account's API over the event store (the object's SQLite, or the configured ClickHouse)
 * and the answer archive in `driver`'s database.
 */
const apiLayer = (
  driver: SqlDriver,
  account: Account.Settings,
  config: WorkerConfig.WorkerConfig,
  options: HostOptions,
): Layer.Layer<Api, EventStore.StoreError> =>
  Layer.scoped(
    Api,
    Effect.gen(function* () {
      const archive = yield* SqliteAnswerArchive.make(driver)
      return WireAnswer.ofApi(yield* AccountApi.make(account, config.api, archive))
    }),
  ).pipe(
    Layer.provide(
      config.clickhouse === undefined
        ? Layer.effect(
            EventStore.EventStore,
            SqliteEventStore.make(
              driver,
              storeOptions(
                config.api.limits,
                options.sliceMillis,
                config.valueSlices,
                options.yieldNow,
              ),
            ),
          )
        : ClickHouseEventStore.layer(config.clickhouse, { limits: config.api.limits }),
    ),
  )

/** Settings of a host that a deployment does not change (tests make slices small). */
export interface HostOptions {
  /** The estimated work of a query's slice, in milliseconds (default `defaultSliceMillis`). */
  readonly sliceMillis?: number | undefined
  /**
   * The wait between slices (default `SqliteEventStore.macrotask`); a test may hold slices
   * back with a wait of its own, to serve calls while a query is surely under way.
   */
  readonly yieldNow?: Effect.Effect<void> | undefined
}

/**
 * Runs one account's API in its object, from the object's own configuration (`config`, read
 * from its env: a new deployment starts new objects). The first call builds the API in one
 * `ManagedRuntime`, which every later call runs on; calls that arrive meanwhile wait for the
 * same build. While the store cannot be opened every call answers 503 and the next one tries
 * again; while the configuration does not parse, 500 "misconfigured" (logged once).
 *
 * @example
 * // In the Durable Object:
 * DurableBackend.makeHost(DurableObjectSqlite.make(ctx.storage), WorkerConfig.read(env), log)
 */
export const makeHost = (
  driver: SqlDriver,
  config: Either.Either<WorkerConfig.WorkerConfig, string>,
  log: Log,
  options: HostOptions = {},
): AccountRpc => {
  if (Either.isLeft(config)) log(WorkerConfig.misconfiguredLine(config.left))
  let current:
    | {
        readonly accountId: string
        readonly runtime: ManagedRuntime.ManagedRuntime<Api, EventStore.StoreError>
      }
    | undefined

  const fail = (message: string, details: Record<string, unknown>, error: ApiError.ApiError) => {
    log({ time: new Date().toISOString(), level: "error", message, ...details })
    return WireAnswer.failure(error)
  }

  const run = async (
    accountId: string,
    call: (api: WireAnswer.WireApi) => Effect.Effect<WireAnswer.WireAnswer>,
  ): Promise<WireAnswer.WireAnswer> => {
    if (Either.isLeft(config)) return WireAnswer.failure(WorkerConfig.misconfigured())
    const known = config.right.accounts.get(accountId)
    // The worker authenticates against the same secret and sends each account to its own
    // object: either miss is a bug (or a deployment half rolled out), never the client's.
    if (known === undefined || (current !== undefined && current.accountId !== accountId))
      return fail(
        "account object: a call for an account it does not serve",
        { account: accountId, serves: current?.accountId },
        AccountApi.internalError(),
      )
    current ??= {
      accountId,
      runtime: ManagedRuntime.make(apiLayer(driver, known.settings, config.right, options)),
    }
    const { runtime } = current
    const built = await Effect.runPromiseExit(runtime.runtimeEffect)
    if (Exit.isSuccess(built)) return runtime.runPromise(Effect.flatMap(Api, call))
    // Not kept: the next call builds the API again.
    if (current?.runtime === runtime) current = undefined
    void runtime.dispose()
    return fail(
      "account object: cannot open its event store",
      { account: accountId, error: Cause.pretty(built.cause) },
      Option.isSome(Cause.failureOption(built.cause))
        ? AccountApi.storeUnavailableError()
        : AccountApi.internalError(),
    )
  }

  return {
    trends: (accountId, body) => run(accountId, (api) => api.trends(body)),
    eventCount: (accountId, body) => run(accountId, (api) => api.eventCount(body)),
    profileCount: (accountId, body) => run(accountId, (api) => api.profileCount(body)),
    top: (accountId, body) => run(accountId, (api) => api.top(body)),
    poll: (accountId, endpoint, reqId) => run(accountId, (api) => api.poll(endpoint, reqId)),
    upload: (accountId, body, receivedAt) => run(accountId, (api) => api.upload(body, receivedAt)),
    uploadJson: (accountId, text, receivedAt, idempotency) =>
      run(accountId, (api) => api.uploadJson(text, receivedAt, idempotency)),
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
 * @example DurableBackend.make((id) => env.ACCOUNTS.getByName(id), log)
 */
export const make =
  (objectOf: (accountId: string) => AccountRpc, log?: Log): Backend =>
  (account): AccountBackend => {
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
    const id = account.id
    return {
      trends: (body) => call("trends", () => object.trends(id, body)),
      eventCount: (body) => call("eventCount", () => object.eventCount(id, body)),
      profileCount: (body) => call("profileCount", () => object.profileCount(id, body)),
      top: (body) => call("top", () => object.top(id, body)),
      poll: (endpoint, reqId) => call("poll", () => object.poll(id, endpoint, reqId)),
      upload: (body, receivedAt) => call("upload", () => object.upload(id, body, receivedAt)),
      uploadJson: (text, receivedAt, idempotency) =>
        call("upload", () => object.uploadJson(id, text, receivedAt, idempotency)),
    }
  }
