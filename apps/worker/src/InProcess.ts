/**
 * The backend on Node: every account's `AccountApi` in this process, built once at start
 * over the event store; their query jobs live in the caller's scope.
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Accounts from "./Accounts.ts"
import type { Backend } from "./Backend.ts"

/** Builds the APIs of all `accounts`; the backend runs each call as a promise. */
export const make = (
  accounts: Accounts.Accounts,
  options: AccountApi.Options,
): Effect.Effect<Backend, never, EventStore.EventStore | Scope.Scope> =>
  Effect.gen(function* () {
    // Each account's API in wire form: the HTTP edge of the typed API.
    const apis = new Map<string, WireAnswer.WireApi>()
    for (const [id, known] of accounts)
      apis.set(id, WireAnswer.ofApi(yield* AccountApi.make(known.settings, options)))
    return (account) => {
      const api = apis.get(account.id)
      // Authentication only lets known accounts through: a miss is a bug, not a client error.
      if (api === undefined) throw new Error(`no API built for account ${account.id}`)
      return {
        trends: (body) => Effect.runPromise(api.trends(body)),
        eventCount: (body) => Effect.runPromise(api.eventCount(body)),
        profileCount: (body) => Effect.runPromise(api.profileCount(body)),
        top: (body) => Effect.runPromise(api.top(body)),
        poll: (endpoint, reqId) => Effect.runPromise(api.poll(endpoint, reqId)),
        upload: (body, receivedAt) => Effect.runPromise(api.upload(body, receivedAt)),
        uploadJson: (text, receivedAt, idempotency) =>
          Effect.runPromise(api.uploadJson(text, receivedAt, idempotency)),
      }
    }
  })

/**
 * `/health` over the event store: `undefined` while it can read and write, else why not
 * (logged by the caller).
 */
export const health: Effect.Effect<
  () => Promise<string | undefined>,
  never,
  EventStore.EventStore
> = Effect.map(
  EventStore.EventStore,
  (store) => () =>
    Effect.runPromise(
      store.health().pipe(
        Effect.as(undefined),
        Effect.catchAll((error) => Effect.succeed(error.message)),
      ),
    ),
)
