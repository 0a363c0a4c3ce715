// The job lifecycle of `QueryJob`, which re-exports all of it: what a submit or a poll
// answers, the states of a job and the transitions between them, and how `req_id`s are drawn.
// Pure data and functions; the in-memory registry (`queryJobRegistry.ts`) is built on them.
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Random from "effect/Random"
import type * as ApiError from "../ApiError.ts"

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
 * (the registry cancels those nobody polls instead, see `QueryJob.make`).
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
