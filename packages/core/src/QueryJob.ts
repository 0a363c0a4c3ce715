/**
 * The server side of the `partial` / `req_id` contract. A query that does not finish within
 * the request's sync budget keeps running as a job; the client polls its `req_id` until the
 * job is done, failed, or gone. Generic in the result, so trends and event counts share it.
 * A running job its client stops polling is cancelled after the retention, and each account
 * may hold only so many answers it has not polled yet.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as ApiError from "./ApiError.ts"
import * as Registry from "./internal/queryJobRegistry.ts"
import type { Reply } from "./internal/queryJobState.ts"

/** A `req_id`: a positive safe integer, like the hosted service's `384649162721759`. */
export const ReqId = Schema.Int.pipe(
  Schema.positive(),
  Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER),
  Schema.annotations({ identifier: "ReqId" }),
)
export type ReqId = typeof ReqId.Type

// The replies, the job states and their transitions live in `internal/queryJobState.ts`, where
// the registry's implementation reads them too; they are part of this module's API.
export {
  complete,
  Done,
  Expired,
  expire,
  Failed,
  fail,
  InvalidTransition,
  isExpiredAt,
  isState,
  match,
  nextReqId,
  type QueryJob,
  Reply,
  Running,
} from "./internal/queryJobState.ts"

// ---------------------------------------------------------------------------------------------
// The registry service
// ---------------------------------------------------------------------------------------------

/** Configuration of a registry. */
export interface Options {
  /** How long `submit` waits for the result before answering `Pending`; zero always answers `Pending`. */
  readonly syncBudget: Duration.DurationInput
  /**
   * How long a finished job stays pollable, and how long a running job may go without a
   * poll before it is cancelled.
   */
  readonly retention: Duration.DurationInput
  /** Most jobs one account may have running; the hosted service allows 3 for reads. */
  readonly maxConcurrent: number
  /**
   * Most jobs one account may hold whose answer its client has not polled yet: running ones,
   * and finished ones until their first poll. Bounds what a client that never polls costs.
   */
  readonly maxPending: number
  /**
   * Most answers one account keeps in memory after their first poll, for polls that repeat
   * them; beyond it the oldest are dropped (an `onSettled` archive still has them). Bounds
   * what a client that polls everything costs. Optional; absent means 1000.
   */
  readonly maxRetained?: number
}

/**
 * The defaults: a 5 second sync budget, 10 minutes of retention, 3 running jobs, 100
 * unpolled answers and 1000 polled ones kept per account.
 */
export const defaultOptions: Options = {
  syncBudget: "5 seconds",
  retention: "10 minutes",
  maxConcurrent: 3,
  maxPending: 100,
  maxRetained: 1000,
}

/** Per-call options of `submit`. */
export interface SubmitOptions {
  /** Overrides the registry's sync budget for this call. */
  readonly syncBudget?: Duration.DurationInput
}

/** How many jobs a registry holds, for metrics and tests. */
export interface Stats {
  readonly running: number
  readonly finished: number
}

/**
 * A registry of query jobs. One registry is one concurrency gate: to share the limit
 * between endpoints, use one registry whose result type is the union of theirs.
 */
export interface QueryJobs<A> {
  /**
   * Starts `query` as a job and waits up to the sync budget: `Completed` if it finished (or
   * its `ApiError` if it failed), else `Pending` with the `req_id` to poll. Fails with
   * `RateLimited` when the account already has `maxConcurrent` jobs running or `maxPending`
   * answers not yet polled. Interrupting the caller does not interrupt the job.
   */
  readonly submit: (
    account: string,
    query: Effect.Effect<A, ApiError.ApiError>,
    options?: SubmitOptions,
  ) => Effect.Effect<Reply<A>, ApiError.ApiError>
  /**
   * The state of a job: `Pending`, `Completed`, or the job's own error. Unknown, expired,
   * cancelled and other accounts' ids all fail with the same `UnknownRequestId`, so ids
   * cannot be probed. Polling a running job keeps it from being cancelled.
   */
  readonly poll: (account: string, reqId: number) => Effect.Effect<Reply<A>, ApiError.ApiError>
  /** Counts the jobs held after dropping expired ones. */
  readonly stats: Effect.Effect<Stats>
}

/**
 * Makes the tag of a registry for one result type (a `Context.Tag` class cannot be generic),
 * e.g. `class TrendsJobs extends QueryJob.Tag<TrendsJobs, Trends>()("@trendline/server/TrendsJobs") {}`.
 */
export const Tag =
  <Self, A>() =>
  <const Key extends string>(key: Key) =>
    Context.Tag(key)<Self, QueryJobs<A>>()

/**
 * Called once per job when it finishes, with its `req_id` and outcome: where a registry
 * that lives in memory hands results to storage that outlives it (a Durable Object that
 * may be evicted before its client polls).
 */
export type OnSettled<A> = (
  reqId: number,
  outcome: Either.Either<A, ApiError.ApiError>,
  finishedAt: number,
) => Effect.Effect<void>

/**
 * Builds an in-memory registry. Jobs run in fibers of the surrounding scope, so closing it
 * interrupts them. Every call, and while any job runs a fiber every quarter of the retention
 * (at most once a second), sweeps: finished jobs past their retention are dropped, and running jobs nobody
 * asked about for the retention (since their submit or their last poll) are interrupted.
 */
export const make = <A>(
  options: Partial<Options> & { readonly onSettled?: OnSettled<A> } = {},
): Effect.Effect<QueryJobs<A>, never, Scope.Scope> =>
  Registry.make<A>({ ...defaultOptions, ...options }, options.onSettled)

/** The registry as a layer under `tag` (see `Tag`), e.g. `QueryJob.layer(TrendsJobs, { maxConcurrent: 5 })`. */
export const layer = <Self, A>(
  tag: Context.Tag<Self, QueryJobs<A>>,
  options: Partial<Options> = {},
): Layer.Layer<Self> => Layer.scoped(tag, make<A>(options))
