// The in-memory registry behind `QueryJob.make`: jobs in a `Ref` of a `HashMap`, each running
// in a fiber of the caller's scope, with the concurrency gate, the sweeps that drop expired
// answers and cancel abandoned jobs, and the sweeper fiber that runs while any job does.
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as ApiError from "../ApiError.ts"
import type { OnSettled, Options, QueryJobs, Stats } from "../QueryJob.ts"
import {
  complete,
  type Done,
  Expired,
  type Failed,
  fail,
  type InvalidTransition,
  isExpiredAt,
  match,
  nextReqId,
  type QueryJob,
  Reply,
  Running,
} from "./queryJobState.ts"

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
  /**
   * Whether the client was given the job's `req_id` (a `partial` reply): only such a job's
   * answer can ever be polled, so only it is handed to `onSettled`, once (`archived`).
   */
  readonly disclosed: boolean
  readonly archived: boolean
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

/** The registry of `QueryJob.make`, with its options already merged into the defaults. */
export const make = <A>(
  settings: Options,
  onSettled: OnSettled<A> | undefined,
): Effect.Effect<QueryJobs<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
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
              disclosed: false,
              archived: false,
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

    // Settles the job; answers whether its answer goes to `onSettled` now (its req_id was
    // disclosed before it finished).
    const settle = (
      reqId: number,
      outcome: Either.Either<A, ApiError.ApiError>,
    ): Effect.Effect<boolean> =>
      Effect.flatMap(Clock.currentTimeMillis, (finishedAt) =>
        Effect.flatMap(
          Ref.modify(
            entries,
            (
              state,
            ): readonly [
              Either.Either<boolean, InvalidTransition>,
              HashMap.HashMap<number, Entry<A>>,
            ] => {
              const entry = HashMap.get(state, reqId)
              // A missing job can only have been dropped, i.e. it is as good as expired.
              const job = Option.match(entry, {
                onNone: (): QueryJob<A> => Expired({ reqId }),
                onSome: (entry) => entry.job,
              })
              const next: Either.Either<Done<A> | Failed, InvalidTransition> = Either.isRight(
                outcome,
              )
                ? complete(job, outcome.right, finishedAt)
                : fail(job, outcome.left, finishedAt)
              return Either.match(next, {
                onLeft: (invalid) => [Either.left(invalid), state] as const,
                onRight: (settled) => {
                  const archive = Option.isSome(entry) && entry.value.disclosed
                  return [
                    Either.right(archive),
                    HashMap.modify(state, reqId, (entry) => ({
                      ...entry,
                      job: settled,
                      archived: archive,
                    })),
                  ] as const
                },
              })
            },
          ),
          Either.match({ onLeft: Effect.die, onRight: Effect.succeed }),
        ),
      )

    const archive = (reqId: number, job: Done<A> | Failed): Effect.Effect<void> =>
      onSettled === undefined
        ? Effect.void
        : onSettled(
            reqId,
            job._tag === "Done" ? Either.right(job.result) : Either.left(job.error),
            job.finishedAt,
          )

    // The submitter answers `partial`: from now on the client may poll the job, so its answer
    // goes to `onSettled` when it finishes, or now if it already has.
    const disclose = (reqId: number): Effect.Effect<void> =>
      Effect.flatMap(
        Ref.modify(entries, (state) => {
          const entry = HashMap.get(state, reqId)
          if (Option.isNone(entry)) return [Option.none<Done<A> | Failed>(), state] as const
          const { job, archived } = entry.value
          const now = job._tag !== "Running" && !archived ? Option.some(job) : Option.none()
          return [
            now,
            HashMap.set(state, reqId, {
              ...entry.value,
              disclosed: true,
              archived: archived || Option.isSome(now),
            }),
          ] as const
        }),
        Option.match({ onNone: () => Effect.void, onSome: (job) => archive(reqId, job) }),
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
        Effect.flatMap((outcome) =>
          Effect.map(settle(reqId, outcome), (archived) => ({ outcome, archived })),
        ),
        Effect.tap(() => stopSweeperIfIdle),
        Effect.tap(({ outcome }) =>
          Deferred.done(
            done,
            Either.isRight(outcome) ? Exit.succeed(outcome.right) : Exit.fail(outcome.left),
          ),
        ),
        // After the submitter has its answer: archiving (a write that may wait for the
        // store) never holds an answer back. An answer whose req_id nobody was given is not
        // archived: no poll can ask for it.
        Effect.flatMap(({ outcome, archived }) =>
          !archived || onSettled === undefined
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
        if (Duration.isZero(budget)) {
          yield* disclose(reqId)
          return Reply.Pending({ reqId })
        }
        const finished = yield* Deferred.await(done).pipe(Effect.exit, Effect.timeoutOption(budget))
        if (Option.isNone(finished)) {
          yield* disclose(reqId)
          return Reply.Pending({ reqId })
        }
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
