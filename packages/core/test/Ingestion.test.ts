import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Ingestion from "@trendline/core/Ingestion"
import * as Limits from "@trendline/core/Limits"
import * as Upload from "@trendline/core/Upload"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"

const account = Account.make("acme")
const receivedAt = 1_700_000_000
const event = (evtName: string, identity = "alice", extra: object = {}) => ({
  type: "event",
  identity,
  ts: 1_699_999_000,
  evtName,
  evtData: { Amount: 3 },
  ...extra,
})

const layerWith = (limits: Limits.Limits) =>
  Layer.effect(EventStore.EventStore, EventStore.makeMemory(limits))

describe("Ingestion.upload", () => {
  it.effect("stores the good records of a batch and reports the bad ones by index", () =>
    Effect.gen(function* () {
      const response = yield* Ingestion.upload(
        account,
        {
          d: [
            event("Charged"),
            { type: "event", ts: 1, evtName: "Charged" },
            { type: "profile", identity: "alice", profileData: { Plan: "pro" } },
            event("Charged", "bob", { ts: 1_699_999_000_000 }),
          ],
        },
        receivedAt,
      )
      assert.strictEqual(response.processed, 2)
      assert.deepStrictEqual(
        response.unprocessed.map((entry) => [entry.index, entry.code]),
        [
          [1, Upload.RecordCode.IdentityMissing],
          [3, Upload.RecordCode.InvalidTimestamp],
        ],
      )
      const store = yield* EventStore.EventStore
      assert.deepStrictEqual(yield* store.eventNames(account), ["Charged"])
      const profile = yield* store.profile(account, "identity:alice")
      assert.isTrue(profile._tag === "Some" && profile.value.ts === receivedAt)
    }).pipe(Effect.provide(EventStore.layerMemory)),
  )

  it.effect("stores nothing when the body itself is wrong", () =>
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const tooMany = { d: Array.from({ length: 1001 }, () => event("Charged")) }
      for (const body of [tooMany, { d: [] }, { d: "x" }, [event("Charged")], null]) {
        const result = yield* Effect.either(Ingestion.upload(account, body, receivedAt))
        assert.isTrue(
          Either.isLeft(result) && result.left._tag === "InvalidRequest",
          JSON.stringify(body)?.slice(0, 40),
        )
      }
      assert.deepStrictEqual(yield* store.eventNames(account), [])
    }).pipe(Effect.provide(EventStore.layerMemory)),
  )

  it.effect("reports events over the event-name limit as unprocessed, keeping the rest", () =>
    Effect.gen(function* () {
      const limits = Limits.make({ maxEventNamesPerAccount: 2 })
      const sent = [event("A"), event("B"), event("C"), event("A"), event("C")]
      const response = yield* Ingestion.upload(account, { d: sent }, receivedAt, limits)
      assert.strictEqual(response.processed, 3)
      assert.deepStrictEqual(
        response.unprocessed.map((entry) => [entry.index, entry.code]),
        [
          [2, Upload.RecordCode.InvalidStructure],
          [4, Upload.RecordCode.InvalidStructure],
        ],
      )
      assert.include(response.unprocessed[0]?.error ?? "", "2 distinct event names")
      // Echoed as sent, not in the store's form.
      assert.deepStrictEqual(response.unprocessed[0]?.record, sent[2])
      const store = yield* EventStore.EventStore
      assert.deepStrictEqual(yield* store.eventNames(account), ["A", "B"])
    }).pipe(Effect.provide(layerWith(Limits.make({ maxEventNamesPerAccount: 2 })))),
  )
})
