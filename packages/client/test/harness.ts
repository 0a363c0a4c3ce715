// What the Effect client's tests share: a client of the scripted server, a request and its
// answer, and a way to move the TestClock to the client's next timer without real waits.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as TrendsClient from "../src/TrendsClient.ts"
import * as Fake from "./fakeServer.ts"

export const account = { accountId: "acme", passcode: "acme-passcode" }

// Far beyond any delay a test moves the clock to, so only poll and retry waits qualify.
export const quiet = { requestTimeout: "1 hour", pollBudget: "1 day" } as const

export const configOf = (
  fake: Fake.FakeServer,
  overrides: Partial<TrendsClient.Config> = {},
): TrendsClient.Config => ({ baseUrl: fake.url, ...account, ...quiet, ...overrides })

export const clientOf = (fake: Fake.FakeServer, overrides: Partial<TrendsClient.Config> = {}) =>
  TrendsClient.make(configOf(fake, overrides)).pipe(
    Effect.provide(FetchHttpClient.layer),
    Effect.orDie,
  )

/**
 * Waits until the client sleeps on a TestClock timer due within `horizon` (turning the event
 * loop meanwhile, so I/O goes on), then moves the clock exactly to that timer.
 */
export const advanceToNextTimer = (horizon: Duration.DurationInput = "1 minute") =>
  Effect.gen(function* () {
    const limit = Duration.toMillis(horizon)
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const due = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter(
        (at) => at > now && at - now <= limit,
      )
      if (due.length > 0) return yield* TestClock.adjust(Math.min(...due) - now)
      yield* Fake.eventLoopTurn
    }
  })

export const request = {
  event_name: "Charged",
  from: 20240101,
  to: 20240103,
  groups: { days: { trend_type: "daily" } },
} satisfies TrendsClient.TrendsRequest
export const trendsPath = "/1/counts/trends.json"
export const reqId = 384649162721759
export const answered = { days: { "20240101": 4, "20240102": 0, "20240103": 7 } }

export const assertAuthenticated = (recorded: Fake.Recorded) => {
  assert.strictEqual(recorded.headers["x-clevertap-account-id"], "acme")
  assert.strictEqual(recorded.headers["x-clevertap-passcode"], "acme-passcode")
  assert.strictEqual(recorded.headers["content-type"], "application/json")
}

const summary = (state: TrendsClient.Progress): string =>
  state._tag === "Pending" ? `Pending ${state.reqId} after ${state.polls} polls` : state._tag

export const progressRecorder = Effect.map(Ref.make<ReadonlyArray<string>>([]), (seen) => ({
  seen: Ref.get(seen),
  onProgress: (state: TrendsClient.Progress) =>
    Ref.update(seen, (states) => [...states, summary(state)]),
}))

export const routeOf = (recorded: Fake.Recorded) =>
  `${recorded.method} ${recorded.path}${recorded.query.req_id === undefined ? "" : `?req_id=${recorded.query.req_id}`}`
