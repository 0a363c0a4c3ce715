/**
 * The server side of the `partial` / `req_id` contract. A query that does not finish within
 * the request's sync budget keeps running as a job; the client polls its `req_id` until the
 * job is done, failed, or gone. Generic in the result, so trends and event counts share it.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as ApiError from "./ApiError.ts"

/** A `req_id`: a positive safe integer, like the hosted service's `384649162721759`. */
export const ReqId = Schema.Int.pipe(
  Schema.positive(),
  Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER),
  Schema.annotations({ identifier: "ReqId" }),
)
export type ReqId = typeof ReqId.Type

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/** What a submit or a poll answers: the result, or a `req_id` to poll again (`status: partial`). */
export type Reply<A> = Data.TaggedEnum<{
  Completed: { readonly result: A }
  Pending: { readonly reqId: number }
}>

interface ReplyDefinition extends Data.TaggedEnum.WithGenerics<1> {
  readonly taggedEnum: Reply<this["A"]>
}

/** Constructors and matchers of `Reply`, e.g. `Reply.Pending({ reqId: 384649162721759 })`. */
export const Reply = Data.taggedEnum<ReplyDefinition>()

// ---------------------------------------------------------------------------------------------
// Job states and their transitions
// ---------------------------------------------------------------------------------------------

/**
 * The states of one job. Times are epoch milliseconds from `Clock`. `Expired` is what a
 * finished job becomes after its retention; the in-memory registry drops it instead of
 * keeping the tombstone, but a store that persists jobs may keep it.
 */
export type QueryJob<A> = Data.TaggedEnum<{
  Running: { readonly reqId: number; readonly account: string; readonly startedAt: number }
  Done: {
    readonly reqId: number
    readonly account: string
    readonly result: A
    readonly finishedAt: number
  }
  Failed: {
    readonly reqId: number
    readonly account: string
    readonly error: ApiError.ApiError
    readonly finishedAt: number
  }
  Expired: { readonly reqId: number }
}>

interface QueryJobDefinition extends Data.TaggedEnum.WithGenerics<1> {
  readonly taggedEnum: QueryJob<this["A"]>
}

const QueryJob = Data.taggedEnum<QueryJobDefinition>()

/** A job whose query is still running. */
export type Running = Data.TaggedEnum.Value<QueryJob<never>, "Running">
/** A job whose query succeeded with `result`. */
export type Done<A> = Data.TaggedEnum.Value<QueryJob<A>, "Done">
/** A job whose query failed with `error`. */
export type Failed = Data.TaggedEnum.Value<QueryJob<never>, "Failed">
/** A finished job whose retention is over. */
export type Expired = Data.TaggedEnum.Value<QueryJob<never>, "Expired">

/** Builds a running job, e.g. `Running({ reqId, account: "acme", startedAt: now })`. */
export const Running = QueryJob.Running
/** Builds a successful job; usually reached through `complete`. */
export const Done = QueryJob.Done
/** Builds a failed job; usually reached through `fail`. */
export const Failed = QueryJob.Failed
/** Builds an expired job; usually reached through `expire`. */
export const Expired = QueryJob.Expired
/** Narrows a job to one state, e.g. `isState("Done")(job)`. */
export const isState = QueryJob.$is
/** Handles every state of a job, e.g. `match(job, { Running: …, Done: …, Failed: …, Expired: … })`. */
export const match = QueryJob.$match

/**
 * A transition the lifecycle does not allow (completing a finished job, expiring a running
 * one). Transitions return it as the `Left` of an `Either` so a store can decide; the
 * in-memory registry treats it as a defect, since only a bug can cause it there.
 */
export class InvalidTransition extends Data.TaggedError("InvalidTransition")<{
  readonly reqId: number
  readonly from: QueryJob<unknown>["_tag"]
  readonly to: "Done" | "Failed" | "Expired"
}> {
  override get message(): string {
    return `Query job ${this.reqId} cannot go from ${this.from} to ${this.to}`
  }
}

/** Running → Done; any other state is an `InvalidTransition`. */
export const complete = <A>(
  job: QueryJob<A>,
  result: A,
  finishedAt: number,
): Either.Either<Done<A>, InvalidTransition> =>
  job._tag === "Running"
    ? Either.right(Done({ reqId: job.reqId, account: job.account, result, finishedAt }))
    : Either.left(new InvalidTransition({ reqId: job.reqId, from: job._tag, to: "Done" }))

/** Running → Failed; any other state is an `InvalidTransition`. */
export const fail = <A>(
  job: QueryJob<A>,
  error: ApiError.ApiError,
  finishedAt: number,
): Either.Either<Failed, InvalidTransition> =>
  job._tag === "Running"
    ? Either.right(Failed({ reqId: job.reqId, account: job.account, error, finishedAt }))
    : Either.left(new InvalidTransition({ reqId: job.reqId, from: job._tag, to: "Failed" }))

/** Done or Failed → Expired; a running job cannot expire (its client may still be polling). */
export const expire = <A>(job: QueryJob<A>): Either.Either<Expired, InvalidTransition> =>
  job._tag === "Done" || job._tag === "Failed"
    ? Either.right(Expired({ reqId: job.reqId }))
    : Either.left(new InvalidTransition({ reqId: job.reqId, from: job._tag, to: "Expired" }))

/**
 * Whether a job's retention is over at `now`: finished jobs are kept for at least
 * `retention` (up to and including `finishedAt + retention`); running jobs never expire.
 */
export const isExpiredAt = <A>(
  job: QueryJob<A>,
  now: number,
  retention: Duration.DurationInput,
): boolean => {
  switch (job._tag) {
    case "Running":
      return false
    case "Expired":
      return true
    default:
      return now > job.finishedAt + Duration.toMillis(retention)
  }
}

/** The smallest and largest `req_id` drawn: 15 digits, well inside the safe integers. */
const minReqId = 100_000_000_000_000
const maxReqIdExclusive = 1_000_000_000_000_000

/**
 * Draws a 15-digit `req_id` from `Random`. Random rather than sequential so ids are not
 * enumerable and a restarted server does not hand out ids its clients still hold.
 */
export const nextReqId: Effect.Effect<number> = Random.nextIntBetween(minReqId, maxReqIdExclusive)

// ---------------------------------------------------------------------------------------------
// The registry service
// ---------------------------------------------------------------------------------------------

/** Configuration of a registry. */
export interface Options {
  /** How long `submit` waits for the result before answering `Pending`; zero always answers `Pending`. */
  readonly syncBudget: Duration.DurationInput
  /** How long a finished job stays pollable. */
  readonly retention: Duration.DurationInput
  /** Most jobs one account may have running; the hosted service allows 3 for reads. */
  readonly maxConcurrent: number
}

/** The defaults: a 5 second sync budget, 10 minutes of retention, 3 running jobs per account. */
export const defaultOptions: Options = {
  syncBudget: "5 seconds",
  retention: "10 minutes",
  maxConcurrent: 3,
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
   * `RateLimited` when the account already has `maxConcurrent` jobs running. Interrupting
   * the caller does not interrupt the job.
   */
  readonly submit: (
    account: string,
    query: Effect.Effect<A, ApiError.ApiError>,
    options?: SubmitOptions,
  ) => Effect.Effect<Reply<A>, ApiError.ApiError>
  /**
   * The state of a job: `Pending`, `Completed`, or the job's own error. Unknown, expired and
   * other accounts' ids all fail with the same `UnknownRequestId`, so ids cannot be probed.
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

/** The `error` text of every unknown `req_id`; it contains `req_id` so clients map it back to `UnknownRequestId`. */
const unknownRequestId = (reqId: number): ApiError.UnknownRequestId =>
  new ApiError.UnknownRequestId({ reason: `Unknown or expired req_id ${reqId}` })

const countRunning = <A>(jobs: HashMap.HashMap<number, QueryJob<A>>, account: string): number => {
  let running = 0
  for (const job of HashMap.values(jobs)) {
    if (job._tag === "Running" && job.account === account) running++
  }
  return running
}

/** A defect or an interruption inside a query must not leak its details to the client. */
const toApiError = (cause: Cause.Cause<ApiError.ApiError>): Effect.Effect<ApiError.ApiError> =>
  Option.match(Cause.failureOption(cause), {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.as(
        Effect.logError("Query job died", cause),
        new ApiError.InternalError({ reason: "Internal error while running the query" }),
      ),
  })

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
 * interrupts them; expired jobs are dropped on every call.
 */
export const make = <A>(
  options: Partial<Options> & { readonly onSettled?: OnSettled<A> } = {},
): Effect.Effect<QueryJobs<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const settings: Options = { ...defaultOptions, ...options }
    const onSettled = options.onSettled
    const scope = yield* Effect.scope
    const jobs = yield* Ref.make(HashMap.empty<number, QueryJob<A>>())

    const sweep = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.updateAndGet(
        jobs,
        HashMap.filter((job) => !isExpiredAt(job, now, settings.retention)),
      ),
    )

    const reserve = (
      account: string,
      startedAt: number,
    ): Effect.Effect<number, ApiError.RateLimited> =>
      Effect.flatMap(nextReqId, (reqId) =>
        Effect.flatMap(
          Ref.modify(jobs, (state) => {
            if (countRunning(state, account) >= settings.maxConcurrent)
              return ["limited", state] as const
            if (HashMap.has(state, reqId)) return ["taken", state] as const
            return [
              "reserved",
              HashMap.set(state, reqId, Running({ reqId, account, startedAt })),
            ] as const
          }),
          (outcome) => {
            switch (outcome) {
              case "limited":
                return Effect.fail(
                  new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }),
                )
              case "taken":
                return reserve(account, startedAt)
              case "reserved":
                return Effect.succeed(reqId)
            }
          },
        ),
      )

    const settle = (reqId: number, outcome: Either.Either<A, ApiError.ApiError>) =>
      Effect.flatMap(Clock.currentTimeMillis, (finishedAt) =>
        Effect.flatMap(
          Ref.modify(jobs, (state) => {
            // A missing job can only have been dropped, i.e. it is as good as expired.
            const job = Option.getOrElse(HashMap.get(state, reqId), () => Expired({ reqId }))
            const next: Either.Either<QueryJob<A>, InvalidTransition> = Either.isRight(outcome)
              ? complete(job, outcome.right, finishedAt)
              : fail(job, outcome.left, finishedAt)
            return Either.match(next, {
              onLeft: (invalid) => [Option.some(invalid), state] as const,
              onRight: (settled) => [Option.none(), HashMap.set(state, reqId, settled)] as const,
            })
          }),
          Option.match({ onNone: () => Effect.void, onSome: Effect.die }),
        ),
      )

    // Settles the job before completing `done`, so a poll after `submit` returns sees the result.
    const runJob = (
      reqId: number,
      query: Effect.Effect<A, ApiError.ApiError>,
      done: Deferred.Deferred<A, ApiError.ApiError>,
    ) =>
      Effect.exit(query).pipe(
        Effect.flatMap(
          (exit): Effect.Effect<Either.Either<A, ApiError.ApiError>> =>
            Exit.isSuccess(exit)
              ? Effect.succeed(Either.right(exit.value))
              : Effect.map(toApiError(exit.cause), Either.left),
        ),
        Effect.tap((outcome) => settle(reqId, outcome)),
        Effect.tap((outcome) =>
          onSettled === undefined
            ? Effect.void
            : Effect.flatMap(Clock.currentTimeMillis, (now) => onSettled(reqId, outcome, now)),
        ),
        Effect.flatMap((outcome) =>
          Deferred.done(
            done,
            Either.isRight(outcome) ? Exit.succeed(outcome.right) : Exit.fail(outcome.left),
          ),
        ),
      )

    const submit: QueryJobs<A>["submit"] = (account, query, submitOptions) =>
      Effect.gen(function* () {
        yield* sweep
        const done = yield* Deferred.make<A, ApiError.ApiError>()
        // Uninterruptible so an interrupt cannot land between reserving the slot and starting
        // the job (the slot would stay taken forever); the job itself stays interruptible.
        const reqId = yield* Effect.uninterruptible(
          Effect.gen(function* () {
            const startedAt = yield* Clock.currentTimeMillis
            const reqId = yield* reserve(account, startedAt)
            yield* Effect.forkIn(Effect.interruptible(runJob(reqId, query, done)), scope)
            return reqId
          }),
        )
        const budget = Duration.decode(submitOptions?.syncBudget ?? settings.syncBudget)
        // A zero budget answers Pending every time, even for a query that is already done:
        // client authors set it to exercise their polling.
        if (Duration.isZero(budget)) return Reply.Pending({ reqId })
        const finished = yield* Deferred.await(done).pipe(Effect.exit, Effect.timeoutOption(budget))
        if (Option.isNone(finished)) return Reply.Pending({ reqId })
        // Nobody else knows this req_id, so the finished job need not wait for its retention.
        yield* Ref.update(jobs, HashMap.remove(reqId))
        const result = yield* finished.value
        return Reply.Completed({ result })
      })

    const poll: QueryJobs<A>["poll"] = (account, reqId) =>
      Effect.flatMap(sweep, (state) => {
        const job = HashMap.get(state, reqId).pipe(
          Option.filter((job) => job._tag !== "Expired" && job.account === account),
        )
        if (Option.isNone(job)) return Effect.fail(unknownRequestId(reqId))
        return match(job.value, {
          Running: () => Effect.succeed(Reply.Pending<A>({ reqId })),
          Done: ({ result }) => Effect.succeed(Reply.Completed({ result })),
          Failed: ({ error }) => Effect.fail(error),
          Expired: () => Effect.fail(unknownRequestId(reqId)),
        })
      })

    const stats = Effect.map(sweep, (state): Stats => {
      let running = 0
      for (const job of HashMap.values(state)) if (job._tag === "Running") running++
      return { running, finished: HashMap.size(state) - running }
    })

    return { submit, poll, stats }
  })

/** The registry as a layer under `tag` (see `Tag`), e.g. `QueryJob.layer(TrendsJobs, { maxConcurrent: 5 })`. */
export const layer = <Self, A>(
  tag: Context.Tag<Self, QueryJobs<A>>,
  options: Partial<Options> = {},
): Layer.Layer<Self> => Layer.scoped(tag, make<A>(options))
