/**
 * `@trendline/client` for people who do not use Effect: `createClient` returns an object
 * whose methods return Promises. Requests are typed from core's wire schemas; a rejection
 * is a `TrendlineError` (an `Error` with a `_tag`: `"RateLimited"`, `"InvalidRequest"`,
 * `"PollTimeout"`, `"TransportError"`, …), narrowed with `isTrendlineError` / `isApiError`.
 *
 * ```ts
 * import { createClient, isTrendlineError } from "@trendline/client"
 *
 * const client = createClient({ region: "in1", accountId: "…", passcode: "…" })
 * try {
 *   const { groups } = await client.trends({
 *     event_name: "Charged", from: 20161224, to: 20170103,
 *     groups: { days: { trend_type: "daily" } },
 *   })
 *   groups.days.buckets // [{ key: "20161224", start, end, value }, …], and total, min, max, mean
 * } catch (error) {
 *   if (isTrendlineError(error) && error._tag === "PollTimeout") console.log(error.reqId)
 * }
 * ```
 *
 * @since 0.1.0
 */
import * as ApiError from "@trendline/core/ApiError"
import { PollTimeout } from "@trendline/core/Polling"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { MalformedResponse, TransportError, UploadIncomplete } from "./ClientError.ts"
import * as Region from "./Region.ts"
import * as TrendsClient from "./TrendsClient.ts"

export * as ApiError from "@trendline/core/ApiError"
export { PollTimeout } from "@trendline/core/Polling"
export {
  MalformedResponse,
  TransportError,
  TransportFailure,
  UploadIncomplete,
} from "./ClientError.ts"
export { ConfigError, type Region as RegionName } from "./Region.ts"
export type { BucketValue, GroupResult } from "./Results.ts"
export type {
  EventCountRequest,
  Progress,
  TopAnswer,
  TopRequest,
  TrendsAnswer,
  TrendsBody,
  TrendsRequest,
  UploadResult,
} from "./TrendsClient.ts"

/** Options of `createClient`: where (`region` or `baseUrl`), who, and how. */
export type ClientOptions = TrendsClient.Config

/** Per-call options: cancel with an `AbortSignal`, follow polling with `onProgress`. */
export interface CallOptions {
  readonly signal?: AbortSignal
  readonly onProgress?: (state: TrendsClient.Progress) => void
  /** Milliseconds to poll a `partial` answer before failing with `PollTimeout`. */
  readonly pollBudgetMs?: number
}

/**
 * Every error the client rejects with, each an `Error` with a `_tag` to switch on. A call
 * aborted by its `signal` rejects with the signal's `reason` instead.
 */
export type TrendlineError =
  | ApiError.ApiError
  | TransportError
  | MalformedResponse
  | PollTimeout
  | UploadIncomplete
  | Region.ConfigError

/**
 * Whether a caught value is one of the client's errors, e.g.
 * `if (isTrendlineError(error) && error._tag === "PollTimeout") client.resume(error.reqId)`.
 */
export const isTrendlineError = (u: unknown): u is TrendlineError =>
  ApiError.isApiError(u) ||
  u instanceof TransportError ||
  u instanceof MalformedResponse ||
  u instanceof PollTimeout ||
  u instanceof UploadIncomplete ||
  u instanceof Region.ConfigError

/**
 * Whether a caught value is a failure the API reported (a `fail` answer), e.g.
 * `if (isApiError(error)) console.log(error._tag, ApiError.httpStatus(error))`.
 */
export const isApiError: (u: unknown) => u is ApiError.ApiError = ApiError.isApiError

/** The client. */
export interface Client {
  /** Runs a trends query (polling `partial` answers) and resolves to its answer. */
  readonly trends: <Group extends string>(
    request: TrendsClient.TrendsRequest<Group>,
    options?: CallOptions,
  ) => Promise<TrendsClient.TrendsAnswer<Group>>
  /**
   * Polls a query that failed with `PollTimeout`, by its `req_id`; pass its request to get
   * its groups decoded, e.g. `client.resume(error.reqId, request)`.
   */
  readonly resume: <Group extends string = never>(
    reqId: number,
    request?: TrendsClient.TrendsRequest<Group>,
    options?: CallOptions,
  ) => Promise<TrendsClient.TrendsAnswer<Group>>
  /** The total count of an event in a date range. */
  readonly eventCount: (
    request: TrendsClient.EventCountRequest,
    options?: CallOptions,
  ) => Promise<number>
  /** The number of distinct profiles that did an event in a date range. */
  readonly profileCount: (
    request: TrendsClient.EventCountRequest,
    options?: CallOptions,
  ) => Promise<number>
  /** Per group, the most (or least) frequent values of a property: `[{ value, count }, …]`. */
  readonly top: <Group extends string = string>(
    request: TrendsClient.TopRequest<Group>,
    options?: CallOptions,
  ) => Promise<TrendsClient.TopAnswer<Group>>
  /** Uploads records in batches of at most 1000, each retried under its own `Idempotency-Key`. */
  readonly upload: (
    records: ReadonlyArray<unknown>,
    options?: Pick<CallOptions, "signal">,
  ) => Promise<TrendsClient.UploadResult>
  /** Stops the calls in flight (they reject) and releases the client; later calls reject. */
  readonly close: () => Promise<void>
}

/**
 * Creates a client; throws a `ConfigError` at once when the configuration is wrong (no
 * region or baseUrl, an unknown region, missing credentials).
 */
export const createClient = (options: ClientOptions): Client => {
  const checked = Region.baseUrlOf(options)
  if (Either.isLeft(checked)) throw checked.left
  if (options.accountId === "" || options.passcode === "") {
    throw new Region.ConfigError({ reason: "accountId and passcode are required" })
  }
  const runtime = ManagedRuntime.make(TrendsClient.layerFetch(options))
  // Calls in flight, so `close` can stop them instead of leaving them polling.
  const inFlight = new Set<AbortController>()
  let closed = false
  const run = async <A, E>(
    use: (client: TrendsClient.Service) => Effect.Effect<A, E>,
    signal: AbortSignal | undefined,
  ): Promise<A> => {
    if (closed) {
      throw new TransportError({
        kind: "ClientClosed",
        reason: "The client is closed: create a new one",
      })
    }
    const controller = new AbortController()
    const abort = () => controller.abort(signal?.reason)
    signal?.addEventListener("abort", abort, { once: true })
    if (signal?.aborted) abort()
    inFlight.add(controller)
    try {
      const exit = await runtime.runPromiseExit(Effect.flatMap(TrendsClient.TrendsClient, use), {
        signal: controller.signal,
      })
      if (Exit.isSuccess(exit)) return exit.value
      if (Cause.isInterruptedOnly(exit.cause)) {
        if (signal?.aborted) throw signal.reason
        throw new TransportError({
          kind: "ClientClosed",
          reason: "The client was closed while the call was running",
        })
      }
      throw Cause.squash(exit.cause)
    } finally {
      inFlight.delete(controller)
      signal?.removeEventListener("abort", abort)
    }
  }
  const readOptions = (call: CallOptions = {}): TrendsClient.ReadOptions => ({
    ...(call.onProgress === undefined
      ? {}
      : {
          onProgress: (state: TrendsClient.Progress) => Effect.sync(() => call.onProgress?.(state)),
        }),
    ...(call.pollBudgetMs === undefined ? {} : { pollBudget: call.pollBudgetMs }),
  })
  return {
    trends: (request, call) =>
      run((client) => client.trends(request, readOptions(call)), call?.signal),
    resume: (reqId, request, call) =>
      run((client) => client.resume(reqId, request, readOptions(call)), call?.signal),
    eventCount: (request, call) =>
      run((client) => client.eventCount(request, readOptions(call)), call?.signal),
    profileCount: (request, call) =>
      run((client) => client.profileCount(request, readOptions(call)), call?.signal),
    top: (request, call) => run((client) => client.top(request, readOptions(call)), call?.signal),
    upload: (records, call) => run((client) => client.upload(records), call?.signal),
    close: async () => {
      closed = true
      for (const controller of inFlight) controller.abort()
      await runtime.dispose()
    },
  }
}
