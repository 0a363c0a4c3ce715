// Batches with more rows than one statement binds (`statements.ts`: at most 100 parameters,
// so 49 new profiles or event names, 24 profile records, 99 keys looked up; 33 (event, day)
// counts, 19 sums, 49 day sets read or logged as changed, 24 day-set parts written): the
// store must answer them exactly as core's reference store does. Shared by the Node and the
// Durable Object tests.
import { assert } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { noon } from "./fixtures.ts"

const names = Array.from({ length: 130 }, (_, i) => `Event ${i}`)
const profile = (i: number) => `identity:p${i}`

/**
 * The batches: new profiles and names by the hundred, then known and new ones mixed, then
 * 240 (event, day) rows over 80 days (January to March), new and stored, with sums that
 * carry past 2^24 and days whose set does not change.
 */
export const largeBatches: ReadonlyArray<EventStore.Batch> = [
  {
    events: Array.from({ length: 300 }, (_, i) => ({
      name: names[i % names.length]!,
      profile: profile(i),
      ts: noon(1 + (i % 28)),
      properties: { Amount: i },
    })),
    profiles: [
      ...Array.from({ length: 100 }, (_, i) => ({
        profile: profile(i),
        ts: 10,
        properties: { Plan: "a", Seat: i },
      })),
      // Older records of profiles updated above, in the same batch: merged in order.
      ...Array.from({ length: 20 }, (_, i) => ({
        profile: profile(i),
        ts: 5,
        properties: { Plan: "old", Trial: true },
      })),
      // Profiles known from records only.
      ...Array.from({ length: 10 }, (_, i) => ({
        profile: `identity:record-only-${i}`,
        ts: 7,
        properties: { Source: "import" },
      })),
    ],
  },
  {
    events: Array.from({ length: 210 }, (_, i) => ({
      name: names[(i * 7) % 3]!,
      profile: profile(i < 150 ? i : 150 + i),
      ts: noon(1 + (i % 5)),
      properties: { Amount: 1000 + i },
    })),
    profiles: [
      { profile: profile(5), ts: 20, properties: { Plan: "b" } },
      { profile: profile(299), ts: 1, properties: { Plan: "c" } },
      { profile: profile(500), ts: 3, properties: { Plan: "d" } },
    ],
  },
  {
    events: [
      ...Array.from({ length: 480 }, (_, i) => ({
        name: names[i % 3]!,
        profile: profile((i * 11) % 170),
        ts: noon(1 + (i % 80)),
        properties: { Amount: 16_777_000 + i, Items: 1 + (i % 7) },
      })),
      // Again events of the first batch: their days count them, their sets stay the same.
      ...Array.from({ length: 60 }, (_, i) => ({
        name: names[i % names.length]!,
        profile: profile(i),
        ts: noon(1 + (i % 28)),
        properties: { Amount: 7 },
      })),
    ],
    profiles: [],
  },
]

const plansOf = (account: Account.Settings): ReadonlyArray<QueryPlan.QueryPlan> =>
  [names[0]!, names[1]!, names[2]!, names[129]!].flatMap((eventName) =>
    [Measure.Events, Measure.Profiles, Measure.sum("Amount"), Measure.sum("Items")].map((measure) =>
      QueryPlan.make(
        {
          eventName,
          from: Calendar.unsafeMakeDay(2024, 1, 1),
          to: Calendar.unsafeMakeDay(2024, 3, 31),
          measure,
          groups: [
            { name: "day", granularity: "daily" },
            { name: "month", granularity: "monthly" },
          ],
        },
        account,
      ),
    ),
  )

const profileKeys = [
  ...Array.from({ length: 360 }, (_, i) => profile(i)),
  profile(500),
  ...Array.from({ length: 10 }, (_, i) => `identity:record-only-${i}`),
]

/** Everything the store answers about the account, for comparison with the reference. */
const answers = (store: EventStore.Service, account: Account.Settings) =>
  Effect.all({
    eventNames: store.eventNames(account),
    results: Effect.forEach(plansOf(account), (plan) => store.query(account, plan)),
    profiles: Effect.forEach(profileKeys, (key) =>
      Effect.map(store.profile(account, key), Option.getOrNull),
    ),
  })

/** Stores the large batches in `store` and checks its answers against the reference store. */
export const checkLargeBatches = (store: EventStore.Service, accountId: string) =>
  Effect.gen(function* () {
    const account = Account.make(accountId)
    const reference = yield* EventStore.makeMemory()
    for (const batch of largeBatches) {
      assert.deepStrictEqual(yield* store.append(account, batch), { refused: [] })
      yield* reference.append(account, batch)
    }
    const stored = yield* answers(store, account)
    assert.deepStrictEqual(stored, yield* answers(reference, account))
    assert.strictEqual(stored.eventNames.length, names.length)
    // The merges the batches made, spelled out.
    assert.deepStrictEqual(stored.profiles[0], {
      profile: profile(0),
      ts: 10,
      properties: { Plan: "a", Seat: 0, Trial: true },
    })
    assert.deepStrictEqual(stored.profiles[5]?.properties, { Plan: "b", Seat: 5, Trial: true })
    assert.strictEqual(stored.profiles[150], null)
  })
