/**
 * The client side of the `partial` / `req_id` contract: submit a query, poll its `req_id`
 * on a schedule until it completes, and give up after a time budget with an error that
 * carries the `req_id`, so the caller can `resume` later instead of submitting again.
 *
 * This loop only waits between polls. Retrying a request that failed (429, 5xx, network)
 * is the HTTP client's job: a transport error ends the loop unchanged.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as QueryJob from "./QueryJob.ts"

/**
 * How the loop talks to the server, for any result type `A`. A `fail` body arrives as a
 * typed error in `E` (usually an `ApiError`); `Reply` is shared with the server side.
 */
export interface Transport<A, E> {
  /** Sends the query; the server answers with the result or a `req_id` to poll. */
  readonly submit: Effect.Effect<QueryJob.Reply<A>, E>
  /** Asks about a `req_id` (`GET <path>?req_id=N`). */
  readonly poll: (reqId: number) => Effect.Effect<QueryJob.Reply<A>, E>
}

/** Where a polling run is, as shown to `onProgress`; `polls` counts polls, not the submit. */
export type PollState<A, E> = Data.TaggedEnum<{
  Submitting: Record<never, never>
  Pending: { readonly reqId: number; readonly polls: number; readonly elapsedMillis: number }
  Succeeded: { readonly result: A }
  Failed: { readonly error: E }
  TimedOut: { readonly reqId: number }
}>

interface PollStateDefinition extends Data.TaggedEnum.WithGenerics<2> {
  readonly taggedEnum: PollState<this["A"], this["B"]>
}

/** Constructors and matchers of `PollState`, e.g. `PollState.$match(state, { … })`. */
export const PollState = Data.taggedEnum<PollStateDefinition>()

/**
 * The budget ran out while the query was still running. It carries the `req_id` to
 * `resume` with; a Schema error so a CLI can print it and a UI can store it.
 */
export class PollTimeout extends Schema.TaggedError<PollTimeout>()("PollTimeout", {
  reqId: QueryJob.ReqId,
  polls: Schema.Number,
  elapsedMillis: Schema.Number,
}) {
  override get message(): string {
    return `Query req_id ${this.reqId} still running after ${this.polls} polls in ${this.elapsedMillis} ms; resume it with its req_id`
  }
}

/**
 * Delays between polls: 1 s, then doubling, capped at 10 s (1, 2, 4, 8, 10, 10, …). No
 * jitter so runs are reproducible; pipe `Schedule.jittered` onto it for many clients.
 */
export const defaultSchedule: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.union(Schedule.spaced("10 seconds")),
)

/** The default time budget of a run, submit included. */
export const defaultBudget: Duration.DurationInput = "5 minutes"

/** Options of `run` and `resume`. */
export interface Options<A, E> {
  /** Delays between polls; when the schedule ends the run times out (`Schedule.recurs` caps polls). */
  readonly schedule?: Schedule.Schedule<unknown>
  /** Time from the start of the run after which it fails with `PollTimeout`. */
  readonly budget?: Duration.DurationInput
  /** Called on every state change, in order; it runs inline, so keep it quick. */
  readonly onProgress?: (state: PollState<A, E>) => Effect.Effect<void>
}

interface Settings<A, E> {
  readonly schedule: Schedule.Schedule<unknown>
  readonly budgetMillis: number
  readonly report: (state: PollState<A, E>) => Effect.Effect<void>
}

const settingsOf = <A, E>(options: Options<A, E>): Settings<A, E> => ({
  schedule: options.schedule ?? defaultSchedule,
  budgetMillis: Duration.toMillis(options.budget ?? defaultBudget),
  report: options.onProgress ?? (() => Effect.void),
})

/**
 * Polls `reqId` until the job completes or the budget (counted from `startedAt`) runs out.
 * The last wait is cut short at the deadline so the final poll happens exactly then.
 */
const pollUntilDone = <A, E>(
  poll: (reqId: number) => Effect.Effect<QueryJob.Reply<A>, E>,
  firstReqId: number,
  startedAt: number,
  settings: Settings<A, E>,
  pollAtOnce: boolean,
): Effect.Effect<A, E | PollTimeout> =>
  Effect.gen(function* () {
    const driver = yield* Schedule.driver(settings.schedule)
    const deadline = startedAt + settings.budgetMillis
    let reqId = firstReqId
    let polls = 0
    let wait = !pollAtOnce

    const timeOut = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      yield* settings.report(PollState.TimedOut({ reqId }))
      return yield* new PollTimeout({ reqId, polls, elapsedMillis: now - startedAt })
    })

    yield* settings.report(
      PollState.Pending({
        reqId,
        polls,
        elapsedMillis: (yield* Clock.currentTimeMillis) - startedAt,
      }),
    )
    while (true) {
      const remaining = deadline - (yield* Clock.currentTimeMillis)
      // A submit that used up the budget still earns one poll: the answer may be ready.
      const lastChance = remaining <= 0 && polls === 0
      if (remaining <= 0 && !lastChance) return yield* timeOut
      if (wait && !lastChance) {
        const scheduled = yield* driver.next(undefined).pipe(
          Effect.as(true),
          Effect.orElseSucceed(() => false),
          Effect.timeoutTo({
            duration: Duration.millis(remaining),
            onSuccess: identity,
            onTimeout: () => true,
          }),
        )
        if (!scheduled) return yield* timeOut
      }
      wait = true
      // A poll ends with the budget; the one sent at the deadline (and the last chance) is
      // bounded by the transport's own timeout instead, so its answer is not thrown away.
      const left = deadline - (yield* Clock.currentTimeMillis)
      const bound = lastChance || left <= 0 ? Duration.infinity : Duration.millis(left)
      const answered = yield* poll(reqId).pipe(
        Effect.tapError((error) => settings.report(PollState.Failed({ error }))),
        Effect.timeoutOption(bound),
      )
      if (Option.isNone(answered)) return yield* timeOut
      const reply = answered.value
      polls++
      if (reply._tag === "Completed") return reply.result
      // The server may hand the work to another job; its newest req_id is the one to follow.
      reqId = reply.reqId
      const now = yield* Clock.currentTimeMillis
      if (now >= deadline) return yield* timeOut
      yield* settings.report(PollState.Pending({ reqId, polls, elapsedMillis: now - startedAt }))
    }
  })

/**
 * Submits a query and polls it to the end; fails with the transport's error or with
 * `PollTimeout` (keep its `reqId` for `resume`).
 *
 * @example
 * const trends = yield* Polling.run(transport, { budget: "1 minute", onProgress: Console.log })
 */
export const run = <A, E>(
  transport: Transport<A, E>,
  options: Options<A, E> = {},
): Effect.Effect<A, E | PollTimeout> =>
  Effect.gen(function* () {
    const settings = settingsOf(options)
    const startedAt = yield* Clock.currentTimeMillis
    yield* settings.report(PollState.Submitting())
    const reply = yield* Effect.tapError(transport.submit, (error) =>
      settings.report(PollState.Failed({ error })),
    )
    const result =
      reply._tag === "Completed"
        ? reply.result
        : yield* pollUntilDone(transport.poll, reply.reqId, startedAt, settings, false)
    yield* settings.report(PollState.Succeeded({ result }))
    return result
  })

/**
 * Polls an existing `req_id` (after a `PollTimeout`) without submitting again. The first
 * poll is immediate, since time has passed; the budget restarts.
 *
 * @example
 * Polling.run(transport).pipe(Effect.catchTag("PollTimeout", (e) => Polling.resume(transport, e.reqId)))
 */
export const resume = <A, E>(
  transport: Pick<Transport<A, E>, "poll">,
  reqId: number,
  options: Options<A, E> = {},
): Effect.Effect<A, E | PollTimeout> =>
  Effect.gen(function* () {
    const settings = settingsOf(options)
    const startedAt = yield* Clock.currentTimeMillis
    const result = yield* pollUntilDone(transport.poll, reqId, startedAt, settings, true)
    yield* settings.report(PollState.Succeeded({ result }))
    return result
  })
