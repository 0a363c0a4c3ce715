import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as Polling from "@trendline/core/Polling"
import * as QueryJob from "@trendline/core/QueryJob"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"

type Reply = QueryJob.Reply<number>
type State = Polling.PollState<number, ApiError.ApiError>

const pending = (reqId: number): Effect.Effect<Reply> =>
  Effect.succeed(QueryJob.Reply.Pending({ reqId }))
const completed = (result: number): Effect.Effect<Reply> =>
  Effect.succeed(QueryJob.Reply.Completed({ result }))

interface Poll {
  readonly reqId: number
  readonly at: number
}

/** A transport that answers from a script and records when each `req_id` was polled. */
const scripted = (
  submit: Effect.Effect<Reply, ApiError.ApiError>,
  polls: ReadonlyArray<Effect.Effect<Reply, ApiError.ApiError>>,
) =>
  Effect.gen(function* () {
    const calls = yield* Ref.make<ReadonlyArray<Poll>>([])
    const script = yield* Ref.make(polls)
    const transport: Polling.Transport<number, ApiError.ApiError> = {
      submit,
      poll: (reqId) =>
        Effect.gen(function* () {
          const at = yield* Clock.currentTimeMillis
          yield* Ref.update(calls, (made) => [...made, { reqId, at }])
          const [next, ...rest] = yield* Ref.get(script)
          if (next === undefined)
            return yield* Effect.dieMessage("polled past the end of the script")
          yield* Ref.set(script, rest)
          return yield* next
        }),
    }
    return { transport, calls: Ref.get(calls) }
  })

/** Lets the clock run second by second, so every scheduled poll happens at its own instant. */
const advanceSeconds = (seconds: number) =>
  Effect.repeatN(TestClock.adjust("1 second"), seconds - 1)

const recorder = Effect.map(Ref.make<ReadonlyArray<State>>([]), (states) => ({
  states: Ref.get(states),
  onProgress: (state: State) => Ref.update(states, (seen) => [...seen, state]),
}))

describe("Polling.run", () => {
  it.effect("returns an immediate result without polling", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(completed(42), [])
      const progress = yield* recorder
      assert.strictEqual(yield* Polling.run(transport, { onProgress: progress.onProgress }), 42)
      assert.deepStrictEqual(yield* calls, [])
      assert.deepStrictEqual(yield* progress.states, [
        Polling.PollState.Submitting(),
        Polling.PollState.Succeeded({ result: 42 }),
      ])
    }),
  )

  it.effect("polls partial, partial, success on the default schedule", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(7), [pending(7), completed(42)])
      const progress = yield* recorder
      const fiber = yield* Effect.fork(Polling.run(transport, { onProgress: progress.onProgress }))
      yield* advanceSeconds(3)
      assert.strictEqual(yield* Fiber.join(fiber), 42)
      // 1 s after the submit, then 2 s later.
      assert.deepStrictEqual(yield* calls, [
        { reqId: 7, at: 1_000 },
        { reqId: 7, at: 3_000 },
      ])
      assert.deepStrictEqual(yield* progress.states, [
        Polling.PollState.Submitting(),
        Polling.PollState.Pending({ reqId: 7, polls: 0, elapsedMillis: 0 }),
        Polling.PollState.Pending({ reqId: 7, polls: 1, elapsedMillis: 1_000 }),
        Polling.PollState.Succeeded({ result: 42 }),
      ])
    }),
  )

  it.effect("backs off exponentially and caps the delay at 10 seconds", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(7), [
        ...Array.from({ length: 6 }, () => pending(7)),
        completed(1),
      ])
      const fiber = yield* Effect.fork(Polling.run(transport))
      yield* advanceSeconds(45)
      assert.strictEqual(yield* Fiber.join(fiber), 1)
      const times = (yield* calls).map((call) => call.at / 1_000)
      assert.deepStrictEqual(times, [1, 3, 7, 15, 25, 35, 45])
    }),
  )

  it.effect("follows a new req_id when a poll answers with one", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(1), [pending(2), completed(5)])
      const fiber = yield* Effect.fork(
        Polling.run(transport, { schedule: Schedule.spaced("1 second") }),
      )
      yield* advanceSeconds(2)
      assert.strictEqual(yield* Fiber.join(fiber), 5)
      assert.deepStrictEqual(
        (yield* calls).map((call) => call.reqId),
        [1, 2],
      )
    }),
  )

  it.effect("fails with the transport's error when a poll fails", () =>
    Effect.gen(function* () {
      const error = new ApiError.ServiceUnavailable({ reason: "try later" })
      const { transport, calls } = yield* scripted(pending(7), [pending(7), Effect.fail(error)])
      const progress = yield* recorder
      const fiber = yield* Effect.fork(Polling.run(transport, { onProgress: progress.onProgress }))
      yield* advanceSeconds(3)
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(exit, Exit.fail(error))
      assert.strictEqual((yield* calls).length, 2)
      const states = yield* progress.states
      assert.deepStrictEqual(states.at(-1), Polling.PollState.Failed({ error }))
    }),
  )

  it.effect("fails with the transport's error when the submit fails", () =>
    Effect.gen(function* () {
      const error = new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })
      const { transport, calls } = yield* scripted(Effect.fail(error), [])
      const progress = yield* recorder
      const exit = yield* Effect.exit(Polling.run(transport, { onProgress: progress.onProgress }))
      assert.deepStrictEqual(exit, Exit.fail(error))
      assert.deepStrictEqual(yield* calls, [])
      assert.deepStrictEqual(yield* progress.states, [
        Polling.PollState.Submitting(),
        Polling.PollState.Failed({ error }),
      ])
    }),
  )

  it.effect("times out with the req_id after the budget, and resume picks it up", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(9), [
        pending(9),
        pending(9),
        pending(9),
        pending(9),
        pending(9),
        completed(3),
      ])
      const progress = yield* recorder
      const fiber = yield* Effect.fork(
        Polling.run(transport, { budget: "10 seconds", onProgress: progress.onProgress }),
      )
      yield* advanceSeconds(10)
      const exit = yield* Fiber.await(fiber)
      // Polls at 1, 3 and 7 s; the next (15 s) is past the budget, so the last poll is at 10 s.
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Polling.PollTimeout({ reqId: 9, polls: 4, elapsedMillis: 10_000 })),
      )
      assert.deepStrictEqual(
        (yield* calls).map((call) => call.at),
        [1_000, 3_000, 7_000, 10_000],
      )
      assert.deepStrictEqual(
        (yield* progress.states).at(-1),
        Polling.PollState.TimedOut({ reqId: 9 }),
      )

      yield* TestClock.adjust("1 minute")
      const resumed = yield* Effect.fork(
        Polling.resume(transport, 9, { schedule: Schedule.spaced("2 seconds") }),
      )
      yield* advanceSeconds(2)
      assert.strictEqual(yield* Fiber.join(resumed), 3)
      // Resume polls at once (70 s), then on its own schedule.
      assert.deepStrictEqual((yield* calls).map((call) => call.at).slice(4), [70_000, 72_000])
    }),
  )

  it.effect("does not let a slow poll outlive the budget", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(5), [
        Effect.delay(completed(1), "60 seconds"),
      ])
      const fiber = yield* Effect.fork(Polling.run(transport, { budget: "10 seconds" }))
      yield* advanceSeconds(12)
      const exit = yield* Fiber.await(fiber)
      // The poll starts at 1 s and is cut at the 10 s deadline, not when it would answer (61 s).
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Polling.PollTimeout({ reqId: 5, polls: 0, elapsedMillis: 10_000 })),
      )
      assert.deepStrictEqual(
        (yield* calls).map((call) => call.at),
        [1_000],
      )
    }),
  )

  it.effect("takes the answer of the poll sent at the deadline", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(8), [
        pending(8),
        pending(8),
        pending(8),
        Effect.delay(completed(5), "200 millis"),
      ])
      const fiber = yield* Effect.fork(Polling.run(transport, { budget: "10 seconds" }))
      yield* advanceSeconds(11)
      // Polls at 1, 3 and 7 s, the last at the 10 s deadline: its answer still counts.
      assert.strictEqual(yield* Fiber.join(fiber), 5)
      assert.deepStrictEqual(
        (yield* calls).map((call) => call.at),
        [1_000, 3_000, 7_000, 10_000],
      )
    }),
  )

  it.effect("polls once even when the submit itself used up the budget", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(Effect.delay(pending(6), "12 seconds"), [
        completed(42),
      ])
      const fiber = yield* Effect.fork(Polling.run(transport, { budget: "10 seconds" }))
      yield* advanceSeconds(12)
      assert.strictEqual(yield* Fiber.join(fiber), 42)
      assert.deepStrictEqual(
        (yield* calls).map((call) => call.at),
        [12_000],
      )
    }),
  )

  it.effect("times out when the schedule ends before the budget", () =>
    Effect.gen(function* () {
      const { transport, calls } = yield* scripted(pending(4), [
        pending(4),
        pending(4),
        completed(1),
      ])
      const schedule = Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(2))
      const fiber = yield* Effect.fork(Polling.run(transport, { schedule }))
      yield* advanceSeconds(5)
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Polling.PollTimeout({ reqId: 4, polls: 2, elapsedMillis: 2_000 })),
      )
      assert.strictEqual((yield* calls).length, 2)
    }),
  )

  it.effect("polls a real registry until its slow query completes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const jobs = yield* QueryJob.make<number>({ syncBudget: "5 seconds" })
        const query = Effect.as(Effect.sleep("11 seconds"), 99)
        const transport: Polling.Transport<number, ApiError.ApiError> = {
          submit: jobs.submit("acme", query),
          poll: (reqId) => jobs.poll("acme", reqId),
        }
        const progress = yield* recorder
        const fiber = yield* Effect.fork(
          Polling.run(transport, { onProgress: progress.onProgress }),
        )
        yield* advanceSeconds(20)
        assert.strictEqual(yield* Fiber.join(fiber), 99)
        // Submit waits 5 s, then polls at 6 and 8 s (pending) and 12 s (done at 11 s).
        const pendings = (yield* progress.states).filter((state) => state._tag === "Pending")
        assert.deepStrictEqual(
          pendings.map((state) => state.elapsedMillis),
          [5_000, 6_000, 8_000],
        )
      }),
    ),
  )
})

describe("PollTimeout", () => {
  it("round-trips through its schema and names the req_id", () => {
    const timeout = new Polling.PollTimeout({
      reqId: 384649162721759,
      polls: 12,
      elapsedMillis: 300_000,
    })
    const encoded = Schema.encodeSync(Polling.PollTimeout)(timeout)
    assert.deepStrictEqual(encoded, {
      _tag: "PollTimeout",
      reqId: 384649162721759,
      polls: 12,
      elapsedMillis: 300_000,
    })
    assert.deepStrictEqual(Schema.decodeUnknownSync(Polling.PollTimeout)(encoded), timeout)
    assert.include(timeout.message, "384649162721759")
  })
})
