import { assert, describe, it } from "@effect/vitest"
import * as EventStore from "@trendline/core/EventStore"
import { eventStoreContract } from "@trendline/core/testing/EventStoreContract"
import * as Upload from "@trendline/core/Upload"

eventStoreContract("memory", EventStore.layerMemory)

describe("batchOf", () => {
  it("keys profiles by identity and keeps what each record says", () => {
    const accepted = Upload.validateBatch(
      [
        {
          type: "event",
          identity: "alice",
          ts: 1_700_000_000,
          evtName: "Charged",
          evtData: { Amount: 5 },
        },
        { type: "profile", objectId: "abc", ts: 1_700_000_001, profileData: { Plan: "pro" } },
        { type: "event", FBID: "alice", ts: 1_700_000_002, evtName: "Viewed" },
      ],
      1_700_000_100,
    )
    assert.deepStrictEqual(EventStore.batchOf(accepted), {
      events: [
        {
          name: "Charged",
          profile: "identity:alice",
          ts: 1_700_000_000,
          properties: { Amount: 5 },
        },
        { name: "Viewed", profile: "FBID:alice", ts: 1_700_000_002, properties: {} },
      ],
      profiles: [{ profile: "objectId:abc", ts: 1_700_000_001, properties: { Plan: "pro" } }],
    })
  })
})

describe("admitEventNames", () => {
  it("keeps known names, admits new ones up to the limit, and refuses every event of the rest", () => {
    assert.deepStrictEqual(
      EventStore.admitEventNames(new Set(["A"]), ["A", "B", "C", "B", "C", "A"], 2),
      {
        admitted: ["B"],
        refused: [2, 4],
      },
    )
    assert.deepStrictEqual(EventStore.admitEventNames(new Set(), ["A", "B"], 5), {
      admitted: ["A", "B"],
      refused: [],
    })
    assert.deepStrictEqual(EventStore.admitEventNames(new Set(["A", "B"]), ["C", "A"], 2), {
      admitted: [],
      refused: [0],
    })
  })
})
