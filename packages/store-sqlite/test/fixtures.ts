// Events and plans shared by the Node and the Durable Object tests of the store.
import type * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"

const day = Calendar.unsafeMakeDay

/** Noon UTC on a day of January 2024. */
export const noon = (d: number): number => Date.UTC(2024, 0, d, 12) / 1000

/** A `Charged` event with an `Amount`. */
export const charged = (profile: string, ts: number, amount = 1) => ({
  name: "Charged",
  profile,
  ts,
  properties: { Amount: amount },
})

/** January 2024 as one monthly bucket of `Charged`. */
export const january = (account: Account.Settings, measure: Measure.Measure = Measure.Events) =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from: day(2024, 1, 1),
      to: day(2024, 1, 31),
      measure,
      groups: [{ name: "month", granularity: "monthly" }],
    },
    account,
  )
