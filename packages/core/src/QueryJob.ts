/**
 * The server side of the `partial` / `req_id` contract. A query that does not finish within
 * the request's sync budget keeps running as a job; the client polls its `req_id` until the
 * job is done, failed, or gone. Generic in the result, so trends and event counts share it.
 * A running job its client stops polling is cancelled after the retention, and each account
 * may hold only so many answers it has not polled yet.
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
import * as Fiber from "effect/Fiber"
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
 * `retention` (up to and including `finishedAt + retention`); running jobs never expire
 * (the registry cancels those nobody polls instead, see `make`).
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

/** The `error` text of every unknown `req_id`; it contains `req_id` so clients map it back to `UnknownRequestId`. */
const unknownRequestId = (reqId: number): ApiError.UnknownRequestId =>
  new ApiError.UnknownRequestId({ reason: `Unknown or expired req_id ${reqId}` })

/** Spells a duration the way a person would, e.g. `10 minutes`, `90 seconds`. */
const spell = (duration: Duration.DurationInput): string => {
  const millis = Duration.toMillis(duration)
  const units = [
    ["hour", 3_600_000],
    ["minute", 60_000],
    ["second", 1_000],
  ] as const
  for (const [unit, size] of units) {
    if (millis >= size && millis % size === 0) {
      const count = millis / size
      return `${count} ${unit}${count === 1 ? "" : "s"}`
    }
  }
  return `${millis} milliseconds`
}

/** The 429 of a client that submits without polling; unlike the gate's, waiting does not help soon. */
const tooManyPendingAnswers = (settings: Options): ApiError.RateLimited =>
  new ApiError.RateLimited({
    reason: `Too many query answers waiting to be polled (${settings.maxPending}): poll their req_id or wait for them to expire after ${spell(settings.retention)}`,
  })

/**
 * A job as the registry holds it, with the client's side of it that the lifecycle does not
 * model. A job is `cancelled` once a sweep finds it abandoned: from then on no poll sees it,
 * but it keeps its gate slot until its fiber has stopped (the fiber then removes it).
 */
interface Entry<A> {
  readonly job: Exclude<QueryJob<A>, { readonly _tag: "Expired" }>
  /** When the client last asked about the job (its submit, its polls), epoch milliseconds. */
  readonly seenAt: number
  /** The fiber to interrupt; none only while the job is being started. */
  readonly fiber: Option.Option<Fiber.Fiber<unknown>>
  /** Whether a poll has handed the finished job's answer (or error) to the client. */
  readonly delivered: boolean
  readonly cancelled: boolean
}

/** What an account holds: jobs in flight (the gate) and answers its client still owes a poll. */
const countOf = <A>(
  entries: HashMap.HashMap<number, Entry<A>>,
  account: string,
): { readonly inFlight: number; readonly pending: number } => {
  let inFlight = 0
  let pending = 0
  for (const entry of HashMap.values(entries)) {
    if (entry.job.account !== account) continue
    const running = entry.job._tag === "Running"
    if (running) inFlight++
    if (!entry.cancelled && (running || !entry.delivered)) pending++
  }
  return { inFlight, pending }
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
 * interrupts them. Every call, and while any job runs a fiber every quarter of the retention
 * (at most once a second), sweeps: finished jobs past their retention are dropped, and running jobs nobody
 * asked about for the retention (since their submit or their last poll) are interrupted.
 */
export const make = <A>(
  options: Partial<Options> & { readonly onSettled?: OnSettled<A> } = {},
): Effect.Effect<QueryJobs<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const settings: Options = { ...defaultOptions, ...options }
    const onSettled = options.onSettled
    const scope = yield* Effect.scope
    const retention = Duration.toMillis(settings.retention)
    const entries = yield* Ref.make(HashMap.empty<number, Entry<A>>())

    // Waits for the abandoned jobs to stop, so once a call returns their slots are free.
    const sweepAt = (now: number): Effect.Effect<HashMap.HashMap<number, Entry<A>>> =>
      Effect.flatMap(
        Ref.modify(entries, (state) => {
          const abandoned: Array<Fiber.Fiber<unknown>> = []
          let next = state
          for (const [reqId, entry] of state) {
            if (isExpiredAt(entry.job, now, settings.retention)) {
              next = HashMap.remove(next, reqId)
            } else if (
              entry.job._tag === "Running" &&
              !entry.cancelled &&
              Option.isSome(entry.fiber) &&
              now > entry.seenAt + retention
            ) {
              abandoned.push(entry.fiber.value)
              next = HashMap.set(next, reqId, { ...entry, cancelled: true })
            }
          }
          return [abandoned, next] as const
        }),
        (abandoned) =>
          abandoned.length === 0
            ? Ref.get(entries)
            : Effect.zipRight(Fiber.interruptAll(abandoned), Ref.get(entries)),
      )
    const sweep = Effect.flatMap(Clock.currentTimeMillis, sweepAt)

    // Drops an account's oldest delivered answers beyond `maxRetained`.
    const maxRetained = settings.maxRetained ?? 1000
    const trimDelivered = (
      state: HashMap.HashMap<number, Entry<A>>,
      account: string,
    ): HashMap.HashMap<number, Entry<A>> => {
      const delivered: Array<readonly [reqId: number, finishedAt: number]> = []
      for (const [reqId, entry] of state)
        if (entry.delivered && entry.job.account === account && entry.job._tag !== "Running")
          delivered.push([reqId, entry.job.finishedAt])
      if (delivered.length <= maxRetained) return state
      delivered.sort((a, b) => a[1] - b[1])
      let next = state
      for (const [reqId] of delivered.slice(0, delivered.length - maxRetained))
        next = HashMap.remove(next, reqId)
      return next
    }

    const reserve = (
      account: string,
      startedAt: number,
      seenAt: number,
    ): Effect.Effect<number, ApiError.RateLimited> =>
      Effect.flatMap(nextReqId, (reqId) =>
        Effect.flatMap(
          Ref.modify(entries, (state) => {
            const { inFlight, pending } = countOf(state, account)
            if (inFlight >= settings.maxConcurrent) return ["concurrent", state] as const
            if (pending >= settings.maxPending) return ["pending", state] as const
            if (HashMap.has(state, reqId)) return ["taken", state] as const
            const entry: Entry<A> = {
              job: Running({ reqId, account, startedAt }),
              seenAt,
              fiber: Option.none(),
              delivered: false,
              cancelled: false,
            }
            return ["reserved", HashMap.set(state, reqId, entry)] as const
          }),
          (outcome) => {
            switch (outcome) {
              case "concurrent":
                return Effect.fail(
                  new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }),
                )
              case "pending":
                return Effect.fail(tooManyPendingAnswers(settings))
              case "taken":
                return reserve(account, startedAt, seenAt)
              case "reserved":
                return Effect.succeed(reqId)
            }
          },
        ),
      )

    const settle = (reqId: number, outcome: Either.Either<A, ApiError.ApiError>) =>
      Effect.flatMap(Clock.currentTimeMillis, (finishedAt) =>
        Effect.flatMap(
          Ref.modify(entries, (state) => {
            // A missing job can only have been dropped, i.e. it is as good as expired.
            const job = Option.match(HashMap.get(state, reqId), {
              onNone: (): QueryJob<A> => Expired({ reqId }),
              onSome: (entry) => entry.job,
            })
            const next: Either.Either<Done<A> | Failed, InvalidTransition> = Either.isRight(outcome)
              ? complete(job, outcome.right, finishedAt)
              : fail(job, outcome.left, finishedAt)
            return Either.match(next, {
              onLeft: (invalid) => [Option.some(invalid), state] as const,
              onRight: (settled) =>
                [
                  Option.none(),
                  HashMap.modify(state, reqId, (entry) => ({ ...entry, job: settled })),
                ] as const,
            })
          }),
          Option.match({ onNone: () => Effect.void, onSome: Effect.die }),
        ),
      )

    // Settles the job before completing `done`, so a poll after `submit` returns sees the result.
    // An interrupted job (cancelled, or its scope closed) never settles: it frees its slot.
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
        Effect.tap(() => stopSweeperIfIdle),
        Effect.tap((outcome) =>
          Deferred.done(
            done,
            Either.isRight(outcome) ? Exit.succeed(outcome.right) : Exit.fail(outcome.left),
          ),
        ),
        // After the submitter has its answer: archiving (a write that may wait for the
        // store) never holds an answer back.
        Effect.flatMap((outcome) =>
          onSettled === undefined
            ? Effect.void
            : Effect.flatMap(Clock.currentTimeMillis, (now) => onSettled(reqId, outcome, now)),
        ),
        Effect.onInterrupt(() =>
          Effect.zipRight(Ref.update(entries, HashMap.remove(reqId)), stopSweeperIfIdle),
        ),
      )

    // A registry nobody calls must still cancel abandoned jobs: while any job runs, a sweeper
    // sweeps every quarter of the retention (at most 25% past it; a second is often enough
    // for any retention). It starts with a job and is stopped as the last running job ends,
    // so an idle registry holds no timer (a Durable Object with a timer pending is never
    // evicted). Both are decided inside atomic updates of the jobs, so neither can miss the
    // other.
    let sweeper: Fiber.RuntimeFiber<void> | undefined
    const startSweeper = Effect.suspend(() =>
      sweeper !== undefined
        ? Effect.void
        : Effect.map(
            Effect.forkIn(
              Effect.interruptible(
                Effect.forever(
                  Effect.zipRight(Effect.sleep(Math.max(1_000, retention / 4)), sweep),
                ),
              ),
              scope,
            ),
            (fiber) => {
              sweeper = fiber
            },
          ),
    )
    const stopSweeperIfIdle = Effect.flatMap(
      Ref.modify(entries, (state) => {
        for (const entry of HashMap.values(state))
          if (entry.job._tag === "Running") return [undefined, state] as const
        const idle = sweeper
        sweeper = undefined
        return [idle, state] as const
      }),
      (idle) => (idle === undefined ? Effect.void : Fiber.interruptFork(idle)),
    )

    const submit: QueryJobs<A>["submit"] = (account, query, submitOptions) =>
      Effect.gen(function* () {
        yield* sweep
        const done = yield* Deferred.make<A, ApiError.ApiError>()
        const budget = Duration.decode(submitOptions?.syncBudget ?? settings.syncBudget)
        // Uninterruptible so an interrupt cannot land between reserving the slot and starting
        // the job (the slot would stay taken forever); the job itself stays interruptible.
        const reqId = yield* Effect.uninterruptible(
          Effect.gen(function* () {
            const startedAt = yield* Clock.currentTimeMillis
            // The client hears of the job when submit answers, at the latest when the budget
            // ends; counting it seen until then, no sweep cancels a job its submitter awaits.
            const reqId = yield* reserve(account, startedAt, startedAt + Duration.toMillis(budget))
            const fiber = yield* Effect.forkIn(
              Effect.interruptible(runJob(reqId, query, done)),
              scope,
            )
            yield* Ref.update(entries, (state) =>
              HashMap.modify(state, reqId, (entry) => ({ ...entry, fiber: Option.some(fiber) })),
            )
            yield* startSweeper
            return reqId
          }),
        )
        // A zero budget answers Pending every time, even for a query that is already done:
        // client authors set it to exercise their polling.
        if (Duration.isZero(budget)) return Reply.Pending({ reqId })
        const finished = yield* Deferred.await(done).pipe(Effect.exit, Effect.timeoutOption(budget))
        if (Option.isNone(finished)) return Reply.Pending({ reqId })
        // Nobody else knows this req_id, so the finished job need not wait for its retention.
        yield* Ref.update(entries, HashMap.remove(reqId))
        const result = yield* finished.value
        return Reply.Completed({ result })
      })

    const poll: QueryJobs<A>["poll"] = (account, reqId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.zipRight(
          sweepAt(now),
          Effect.flatMap(
            Ref.modify(entries, (state) => {
              const entry = HashMap.get(state, reqId).pipe(
                Option.filter((entry) => !entry.cancelled && entry.job.account === account),
              )
              if (Option.isNone(entry)) return [Option.none(), state] as const
              const { job } = entry.value
              const seen: Entry<A> =
                job._tag === "Running"
                  ? { ...entry.value, seenAt: Math.max(entry.value.seenAt, now) }
                  : { ...entry.value, delivered: true }
              const next = HashMap.set(state, reqId, seen)
              return [
                Option.some(job),
                seen.delivered && !entry.value.delivered ? trimDelivered(next, account) : next,
              ] as const
            }),
            Option.match({
              onNone: () => Effect.fail(unknownRequestId(reqId)),
              onSome: (job) =>
                match(job, {
                  Running: () => Effect.succeed(Reply.Pending<A>({ reqId })),
                  Done: ({ result }) => Effect.succeed(Reply.Completed({ result })),
                  Failed: ({ error }) => Effect.fail(error),
                }),
            }),
          ),
        ),
      )

    const stats = Effect.map(sweep, (state): Stats => {
      let running = 0
      for (const entry of HashMap.values(state)) if (entry.job._tag === "Running") running++
      return { running, finished: HashMap.size(state) - running }
    })

    return { submit, poll, stats }
  })

/** The registry as a layer under `tag` (see `Tag`), e.g. `QueryJob.layer(TrendsJobs, { maxConcurrent: 5 })`. */
export const layer = <Self, A>(
  tag: Context.Tag<Self, QueryJobs<A>>,
  options: Partial<Options> = {},
): Layer.Layer<Self> => Layer.scoped(tag, make<A>(options))
