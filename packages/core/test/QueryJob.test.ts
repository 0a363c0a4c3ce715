import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@trendline/core/ApiError"
import * as QueryJob from "@trendline/core/QueryJob"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"

const slow = <A>(result: A, after: Duration.DurationInput) => Effect.as(Effect.sleep(after), result)

/** Submits in a fiber and lets the sync budget pass, as a client would see it. */
const submitAndWait = <A>(
  jobs: QueryJob.QueryJobs<A>,
  account: string,
  query: Effect.Effect<A, ApiError.ApiError>,
  wait: Duration.DurationInput = "5 seconds",
) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(jobs.submit(account, query))
    yield* TestClock.adjust(wait)
    return yield* Fiber.join(fiber)
  })

const pendingReqId = <A>(reply: QueryJob.Reply<A>): number => {
  if (reply._tag !== "Pending") throw new Error(`expected Pending, got ${reply._tag}`)
  return reply.reqId
}

class NumberJobs extends QueryJob.Tag<NumberJobs, number>()("@trendline/core/test/NumberJobs") {}

describe("QueryJob transitions", () => {
  const running = QueryJob.Running({ reqId: 1, account: "acme", startedAt: 0 })

  it("completes and fails only running jobs", () => {
    const done = Either.getOrThrow(QueryJob.complete(running, 42, 10))
    assert.deepStrictEqual(
      done,
      QueryJob.Done({ reqId: 1, account: "acme", result: 42, finishedAt: 10 }),
    )
    const error = new ApiError.ServiceUnavailable({ reason: "store down" })
    assert.strictEqual(Either.getOrThrow(QueryJob.fail(running, error, 10)).error, error)

    const again = QueryJob.complete(done, 43, 20)
    assert.isTrue(Either.isLeft(again))
    assert.deepStrictEqual(
      Either.getLeft(again).pipe(
        (left) => left._tag === "Some" && [left.value.from, left.value.to],
      ),
      ["Done", "Done"],
    )
    assert.isTrue(Either.isLeft(QueryJob.fail(done, error, 20)))
    assert.isTrue(Either.isLeft(QueryJob.complete(QueryJob.Expired({ reqId: 1 }), 1, 20)))
  })

  it("expires finished jobs only", () => {
    assert.isTrue(Either.isLeft(QueryJob.expire(running)))
    const done = QueryJob.Done({ reqId: 1, account: "acme", result: 1, finishedAt: 0 })
    assert.deepStrictEqual(Either.getOrThrow(QueryJob.expire(done)), QueryJob.Expired({ reqId: 1 }))
    assert.isTrue(Either.isLeft(QueryJob.expire(QueryJob.Expired({ reqId: 1 }))))
  })

  it("keeps a finished job for at least its retention", () => {
    const done = QueryJob.Done({ reqId: 1, account: "acme", result: 1, finishedAt: 1_000 })
    assert.isFalse(QueryJob.isExpiredAt(done, 61_000, "1 minute"))
    assert.isTrue(QueryJob.isExpiredAt(done, 61_001, "1 minute"))
    assert.isFalse(QueryJob.isExpiredAt(running, Number.MAX_SAFE_INTEGER, "1 minute"))
  })
})

describe("QueryJobs", () => {
  it.scoped("answers Completed when the query finishes within the sync budget", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const reply = yield* submitAndWait(jobs, "acme", slow(42, "2 seconds"), "2 seconds")
      assert.deepStrictEqual(reply, QueryJob.Reply.Completed({ result: 42 }))
      // Nobody holds a req_id for it, so it is not kept.
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 0 })
    }),
  )

  it.scoped("hands onSettled each answer a client may poll for, once, and no other", () =>
    Effect.gen(function* () {
      const settled: Array<readonly [number, Either.Either<number, ApiError.ApiError>]> = []
      const jobs = yield* QueryJob.make<number>({
        syncBudget: "5 seconds",
        onSettled: (reqId, outcome) => Effect.sync(() => void settled.push([reqId, outcome])),
      })
      // Answered within the budget: nobody was given its req_id.
      const quick = yield* submitAndWait(jobs, "acme", slow(1, "2 seconds"), "2 seconds")
      assert.deepStrictEqual(quick, QueryJob.Reply.Completed({ result: 1 }))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(settled, [])
      // Answered partial: kept once it finishes, success or failure.
      const slowId = pendingReqId(yield* submitAndWait(jobs, "acme", slow(2, "30 seconds")))
      const failing = Effect.zipRight(
        Effect.sleep("30 seconds"),
        Effect.fail(new ApiError.ServiceUnavailable({ reason: "store down" })),
      )
      const failingId = pendingReqId(yield* submitAndWait(jobs, "acme", failing))
      assert.deepStrictEqual(settled, [])
      yield* TestClock.adjust("30 seconds")
      yield* Effect.yieldNow()
      assert.deepStrictEqual(
        settled.map(([reqId, outcome]) => [reqId, Either.isRight(outcome)]),
        [
          [slowId, true],
          [failingId, false],
        ],
      )
      // Finishing as the budget ends: whichever the submitter answered, one entry at most.
      settled.length = 0
      const edge = yield* submitAndWait(jobs, "acme", slow(3, "5 seconds"))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(
        settled.map(([reqId]) => reqId),
        edge._tag === "Pending" ? [edge.reqId] : [],
      )
      // A zero budget discloses every req_id, even of a query that is already done.
      settled.length = 0
      const instant = pendingReqId(yield* jobs.submit("acme", Effect.succeed(4), { syncBudget: 0 }))
      yield* Effect.yieldNow()
      yield* Effect.yieldNow()
      assert.deepStrictEqual(settled, [[instant, Either.right(4)]])
    }),
  )

  it.scoped("answers Pending with a zero sync budget even for an instant query", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: 0 })
      const reqId = pendingReqId(yield* jobs.submit("acme", Effect.succeed(7)))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(
        yield* jobs.poll("acme", reqId),
        QueryJob.Reply.Completed({ result: 7 }),
      )
    }),
  )

  it.scoped("answers Pending for a slow query, then the poll gives the result", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: "5 seconds" })
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", slow(42, "30 seconds")))
      assert.deepStrictEqual(yield* jobs.poll("acme", reqId), QueryJob.Reply.Pending({ reqId }))
      yield* TestClock.adjust("24 seconds")
      assert.deepStrictEqual(yield* jobs.poll("acme", reqId), QueryJob.Reply.Pending({ reqId }))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(
        yield* jobs.poll("acme", reqId),
        QueryJob.Reply.Completed({ result: 42 }),
      )
      // A repeated poll (say after a lost response) still gets the result.
      assert.deepStrictEqual(
        yield* jobs.poll("acme", reqId),
        QueryJob.Reply.Completed({ result: 42 }),
      )
    }),
  )

  it.scoped("fails submit with the query's error when it fails within the budget", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const error = ApiError.InvalidRequest.field("from", "must be a date")
      const exit = yield* Effect.exit(jobs.submit("acme", Effect.fail(error)))
      assert.deepStrictEqual(exit, Exit.fail(error))
    }),
  )

  it.scoped("returns a slow query's error from poll", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const error = new ApiError.ServiceUnavailable({ reason: "store down" })
      const query = Effect.zipRight(Effect.sleep("10 seconds"), Effect.fail(error))
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", query))
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(yield* Effect.exit(jobs.poll("acme", reqId)), Exit.fail(error))
    }),
  )

  it.scoped("answers UnknownRequestId alike for unknown and other accounts' ids", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", slow(1, "1 minute")))
      const foreign = yield* Effect.flip(jobs.poll("globex", reqId))
      const unknown = yield* Effect.flip(jobs.poll("acme", reqId + 1))
      assert.strictEqual(foreign._tag, "UnknownRequestId")
      assert.strictEqual(unknown._tag, "UnknownRequestId")
      assert.strictEqual(
        foreign.message.replace(String(reqId), "N"),
        unknown.message.replace(String(reqId + 1), "N"),
      )
      // The text survives the wire: a client decodes it back to UnknownRequestId.
      const decoded = ApiError.fromFailBody(ApiError.toFailBody(foreign), 404)
      assert.strictEqual(decoded._tag, "UnknownRequestId")
    }),
  )

  it.scoped("keeps results for the retention, then forgets them", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "10 minutes" })
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", slow(7, "10 seconds")))
      yield* TestClock.adjust("5 seconds") // finished at t = 10 s
      yield* TestClock.adjust("10 minutes") // exactly the retention later
      assert.deepStrictEqual(
        yield* jobs.poll("acme", reqId),
        QueryJob.Reply.Completed({ result: 7 }),
      )
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(jobs.poll("acme", reqId))
      assert.strictEqual(error._tag, "UnknownRequestId")
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 0 })
    }),
  )

  it.scoped("expires failed jobs too", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "1 minute" })
      const query = Effect.zipRight(
        Effect.sleep("6 seconds"),
        Effect.fail(new ApiError.Conflict({ reason: "x" })),
      )
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", query))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 1 })
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual((yield* Effect.flip(jobs.poll("acme", reqId)))._tag, "UnknownRequestId")
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 0 })
    }),
  )

  it.scoped("rate-limits the fourth running query of an account until a slot frees", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<string>({ syncBudget: "1 second" })
      for (const after of ["10 seconds", "1 minute", "1 minute"] as const) {
        yield* Effect.fork(jobs.submit("acme", slow("done", after)))
      }
      yield* TestClock.adjust("1 second")
      const limited = yield* Effect.flip(jobs.submit("acme", Effect.succeed("fourth")))
      assert.deepStrictEqual(
        limited,
        new ApiError.RateLimited({ reason: "Too many concurrent requests" }),
      )
      // Other accounts have their own slots.
      assert.deepStrictEqual(
        yield* jobs.submit("globex", Effect.succeed("other")),
        QueryJob.Reply.Completed({ result: "other" }),
      )
      yield* TestClock.adjust("9 seconds") // the first query finishes
      assert.deepStrictEqual(
        yield* jobs.submit("acme", Effect.succeed("fourth")),
        QueryJob.Reply.Completed({ result: "fourth" }),
      )
    }),
  )

  it.scoped("frees the slot of a query that failed", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ maxConcurrent: 1 })
      const error = new ApiError.ServiceUnavailable({ reason: "down" })
      assert.deepStrictEqual(
        yield* Effect.exit(jobs.submit("acme", Effect.fail(error))),
        Exit.fail(error),
      )
      assert.deepStrictEqual(
        yield* jobs.submit("acme", Effect.succeed(1)),
        QueryJob.Reply.Completed({ result: 1 }),
      )
    }),
  )

  it.scoped("turns a defect into InternalError and keeps serving", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const fast = yield* Effect.flip(jobs.submit("acme", Effect.die(new Error("secret detail"))))
      assert.strictEqual(fast._tag, "InternalError")
      assert.notInclude(fast.message, "secret")

      const reqId = pendingReqId(
        yield* submitAndWait(
          jobs,
          "acme",
          Effect.zipRight(Effect.sleep("1 minute"), Effect.die("boom")),
        ),
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Effect.flip(jobs.poll("acme", reqId)))._tag, "InternalError")
      assert.deepStrictEqual(
        yield* jobs.submit("acme", Effect.succeed(2)),
        QueryJob.Reply.Completed({ result: 2 }),
      )
    }),
  )

  it.scoped("draws distinct 15-digit safe-integer req_ids", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: "0 millis" })
      const ids: Array<number> = []
      for (let account = 0; account < 10; account++) {
        for (let i = 0; i < 3; i++) {
          ids.push(pendingReqId(yield* jobs.submit(`account-${account}`, slow(1, "1 hour"))))
        }
      }
      assert.strictEqual(new Set(ids).size, ids.length)
      for (const id of ids) {
        assert.isTrue(Number.isSafeInteger(id) && id > 0)
        assert.strictEqual(String(id).length, 15)
      }
    }),
  )

  it.scoped("draws again when a req_id is taken", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: "0 millis" })
      const first = pendingReqId(yield* jobs.submit("acme", slow(1, "1 hour")))
      const second = pendingReqId(yield* jobs.submit("acme", slow(2, "1 hour")))
      assert.deepStrictEqual([first, second], [500_000_000_000_000, 600_000_000_000_000])
    }).pipe(
      Effect.withRandom(
        Random.fixed([500_000_000_000_000, 500_000_000_000_000, 600_000_000_000_000]),
      ),
    ),
  )

  it.scoped("keeps the job running when the waiting caller is interrupted", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>()
      const finished = yield* Ref.make(false)
      const query = Effect.sleep("10 seconds").pipe(
        Effect.zipRight(Ref.set(finished, true)),
        Effect.as(3),
      )
      const caller = yield* Effect.fork(jobs.submit("acme", query))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(caller)
      assert.deepStrictEqual(yield* jobs.stats, { running: 1, finished: 0 })
      yield* TestClock.adjust("9 seconds")
      assert.isTrue(yield* Ref.get(finished))
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 1 })
    }),
  )

  it.effect("interrupts running jobs when its scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const jobs = yield* Scope.extend(QueryJob.make<number>({ syncBudget: "0 millis" }), scope)
      const interrupted = yield* Deferred.make<void>()
      yield* jobs.submit(
        "acme",
        Effect.onInterrupt(slow(1, "1 hour"), () => Deferred.succeed(interrupted, undefined)),
      )
      yield* Effect.yieldNow() // lets the job start
      assert.isFalse(yield* Deferred.isDone(interrupted))
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(yield* Deferred.isDone(interrupted))
    }),
  )

  it.scoped("cancels a running job nobody polls for the retention and frees its slot", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "1 minute", maxConcurrent: 1 })
      const interrupted = yield* Deferred.make<void>()
      const query = Effect.onInterrupt(slow(1, "1 hour"), () =>
        Deferred.succeed(interrupted, undefined),
      )
      // Last seen when submit answered, at t = 5 s; the periodic sweeps run every 15 s.
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", query))
      yield* TestClock.adjust("1 minute") // t = 65 s: exactly the retention, still kept
      assert.deepStrictEqual(yield* jobs.stats, { running: 1, finished: 0 })
      assert.isFalse(yield* Deferred.isDone(interrupted))
      yield* TestClock.adjust("1 millis") // the next periodic sweep is at 75 s: this poll's sweep cancels
      assert.strictEqual((yield* Effect.flip(jobs.poll("acme", reqId)))._tag, "UnknownRequestId")
      assert.isTrue(yield* Deferred.isDone(interrupted))
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 0 })
      // The slot of the only job the gate allows is free again.
      assert.deepStrictEqual(
        yield* jobs.submit("acme", Effect.succeed(2)),
        QueryJob.Reply.Completed({ result: 2 }),
      )
    }),
  )

  it.scoped("keeps a job that is polled regularly running past the retention", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "1 minute" })
      const interrupted = yield* Deferred.make<void>()
      const query = Effect.onInterrupt(slow(42, "5 minutes"), () =>
        Deferred.succeed(interrupted, undefined),
      )
      const reqId = pendingReqId(yield* submitAndWait(jobs, "acme", query))
      for (let poll = 0; poll < 9; poll++) {
        yield* TestClock.adjust("30 seconds")
        assert.deepStrictEqual(yield* jobs.poll("acme", reqId), QueryJob.Reply.Pending({ reqId }))
      }
      yield* TestClock.adjust("25 seconds") // t = 5 minutes: the query finishes
      assert.deepStrictEqual(
        yield* jobs.poll("acme", reqId),
        QueryJob.Reply.Completed({ result: 42 }),
      )
      assert.isFalse(yield* Deferred.isDone(interrupted))
    }),
  )

  it.scoped("cancels an abandoned job from the periodic sweep without any call", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "1 minute", syncBudget: 0 })
      const interrupted = yield* Deferred.make<void>()
      yield* jobs.submit(
        "acme",
        Effect.onInterrupt(slow(1, "1 hour"), () => Deferred.succeed(interrupted, undefined)),
      )
      yield* TestClock.adjust("1 minute") // the sweep at 60 s finds it seen exactly 60 s ago
      assert.isFalse(yield* Deferred.isDone(interrupted))
      yield* TestClock.adjust("15 seconds") // the sweep at 75 s cancels it
      assert.isTrue(yield* Deferred.isDone(interrupted))
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 0 })
    }),
  )

  it.scoped("holds no timer once no job runs, and sweeps again when one does", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ retention: "1 minute", syncBudget: 0 })
      assert.strictEqual(
        Chunk.size(yield* TestClock.sleeps()),
        0,
        "a new registry waits for nothing",
      )
      const first = pendingReqId(yield* jobs.submit("acme", slow(1, "10 seconds")))
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(
        yield* jobs.poll("acme", first),
        QueryJob.Reply.Completed({ result: 1 }),
      )
      yield* TestClock.adjust("15 seconds") // the sweeper's turn finds nothing running: it stops
      assert.strictEqual(Chunk.size(yield* TestClock.sleeps()), 0)
      // A job abandoned later (one that waits on no clock) is still cancelled without a call.
      const interrupted = yield* Deferred.make<void>()
      yield* jobs.submit(
        "acme",
        Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined)),
      )
      yield* TestClock.adjust("75 seconds")
      assert.isTrue(yield* Deferred.isDone(interrupted))
      yield* TestClock.adjust("15 seconds")
      assert.strictEqual(Chunk.size(yield* TestClock.sleeps()), 0)
    }),
  )

  it.scoped("answers 429 to an account holding maxPending unpolled answers until it polls", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: 0, maxPending: 2 })
      const error = new ApiError.Conflict({ reason: "x" })
      const succeeding = pendingReqId(yield* jobs.submit("acme", slow(1, "1 second")))
      const failing = pendingReqId(
        yield* jobs.submit("acme", Effect.zipRight(Effect.sleep("1 second"), Effect.fail(error))),
      )
      const tooMany = new ApiError.RateLimited({
        reason:
          "Too many query answers waiting to be polled (2): poll their req_id or wait for them to expire after 10 minutes",
      })
      // Two running jobs count, well under the concurrency gate of 3.
      assert.deepStrictEqual(yield* Effect.flip(jobs.submit("acme", slow(3, "1 second"))), tooMany)
      assert.notStrictEqual(tooMany.reason, ApiError.tooManyConcurrentRequests)
      // Other accounts have their own bound.
      pendingReqId(yield* jobs.submit("globex", slow(4, "1 second")))
      // Finished answers count until a poll collects them.
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Effect.flip(jobs.submit("acme", slow(3, "1 second"))), tooMany)
      assert.deepStrictEqual(
        yield* jobs.poll("acme", succeeding),
        QueryJob.Reply.Completed({ result: 1 }),
      )
      const third = pendingReqId(yield* jobs.submit("acme", slow(3, "1 second")))
      assert.deepStrictEqual(yield* Effect.flip(jobs.submit("acme", slow(5, "1 second"))), tooMany)
      // A collected answer stays pollable but frees nothing more; a collected error frees too.
      assert.deepStrictEqual(
        yield* jobs.poll("acme", succeeding),
        QueryJob.Reply.Completed({ result: 1 }),
      )
      assert.deepStrictEqual(yield* Effect.flip(jobs.submit("acme", slow(5, "1 second"))), tooMany)
      assert.deepStrictEqual(yield* Effect.flip(jobs.poll("acme", failing)), error)
      assert.notStrictEqual(third, pendingReqId(yield* jobs.submit("acme", slow(5, "1 second"))))
    }),
  )

  it.scoped("keeps at most maxRetained polled answers per account, dropping the oldest", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({ syncBudget: 0, maxRetained: 2 })
      const reqIds: Array<number> = []
      for (let n = 1; n <= 4; n++) {
        const reqId = pendingReqId(yield* jobs.submit("acme", slow(n, "1 second")))
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(
          yield* jobs.poll("acme", reqId),
          QueryJob.Reply.Completed({ result: n }),
        )
        reqIds.push(reqId)
      }
      // The two newest stay pollable; the two oldest are gone, and memory holds two.
      for (const [i, reqId] of reqIds.entries()) {
        const again = yield* Effect.either(jobs.poll("acme", reqId))
        assert.strictEqual(again._tag === "Right", i >= 2, `poll of answer ${i + 1}`)
      }
      assert.deepStrictEqual(yield* jobs.stats, { running: 0, finished: 2 })
    }),
  )

  it.scoped(
    "gates jobs in flight past their budget per account, apart from the pending bound",
    () =>
      Effect.gen(function* () {
        const jobs = yield* QueryJob.make<string>({ syncBudget: "1 second" })
        const running: Array<number> = []
        for (let i = 0; i < 3; i++) {
          running.push(
            pendingReqId(yield* submitAndWait(jobs, "acme", slow("a", "1 hour"), "1 second")),
          )
        }
        for (const reqId of running) {
          assert.deepStrictEqual(yield* jobs.poll("acme", reqId), QueryJob.Reply.Pending({ reqId }))
        }
        assert.deepStrictEqual(
          yield* Effect.flip(jobs.submit("acme", Effect.succeed("fourth"))),
          new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }),
        )
        pendingReqId(yield* submitAndWait(jobs, "globex", slow("b", "1 hour"), "1 second"))
        assert.deepStrictEqual(yield* jobs.stats, { running: 4, finished: 0 })
      }),
  )

  it.scoped("keeps counting a cancelled job in the gate until it has stopped", () =>
    Effect.gen(function* () {
      const jobs = yield* QueryJob.make<number>({
        retention: "1 minute",
        syncBudget: 0,
        maxConcurrent: 1,
      })
      const stopped = yield* Deferred.make<void>()
      const reqId = pendingReqId(
        yield* jobs.submit(
          "acme",
          // Its store takes 10 s to give the query up.
          Effect.onInterrupt(slow(1, "1 hour"), () =>
            Effect.zipRight(Effect.sleep("10 seconds"), Deferred.succeed(stopped, undefined)),
          ),
        ),
      )
      yield* TestClock.adjust("75 seconds") // the periodic sweep cancels it
      assert.strictEqual((yield* Effect.flip(jobs.poll("acme", reqId)))._tag, "UnknownRequestId")
      const whileStopping = yield* Effect.exit(jobs.submit("acme", Effect.succeed(2)))
      yield* TestClock.adjust("10 seconds")
      assert.isTrue(yield* Deferred.isDone(stopped))
      assert.deepStrictEqual(
        whileStopping,
        Exit.fail(new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })),
      )
      assert.strictEqual((yield* jobs.submit("acme", Effect.succeed(2)))._tag, "Pending")
    }),
  )

  it.effect("is provided as a layer under its tag", () =>
    Effect.gen(function* () {
      const jobs = yield* NumberJobs
      const reply = yield* jobs.submit("acme", Effect.succeed(9))
      assert.deepStrictEqual(reply, QueryJob.Reply.Completed({ result: 9 }))
      yield* Effect.fork(jobs.submit("acme", slow(1, "1 hour")))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(
        (yield* Effect.flip(jobs.submit("acme", Effect.succeed(1))))._tag,
        "RateLimited",
      )
    }).pipe(Effect.provide(QueryJob.layer(NumberJobs, { maxConcurrent: 1 }))),
  )
})
