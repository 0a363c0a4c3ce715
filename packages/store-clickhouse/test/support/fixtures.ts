// Events and plans the store's own tests share: "Charged" events, plans with a group of
// every granularity, and the message of a failed store call.
import { assert } from "@effect/vitest"
import type * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Exit from "effect/Exit"

export const day = Calendar.unsafeMakeDay
export const utc = (y: number, m: number, d: number, hour = 12) =>
  Date.UTC(y, m - 1, d, hour) / 1000

export const charged = (profile: string, ts: number, amount: unknown = 1): Aggregator.Event => ({
  name: "Charged",
  profile,
  ts,
  properties: { Amount: amount },
})

export const planOf = (
  account: Account.Settings,
  from: Calendar.Day,
  to: Calendar.Day,
  measure: Measure.Measure = Measure.Events,
) =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from,
      to,
      measure,
      groups: [
        { name: "day", granularity: "daily" },
        { name: "week", granularity: "weekly" },
        { name: "month", granularity: "monthly" },
        { name: "all", granularity: "total" },
      ],
    },
    account,
  )

export const measures = [Measure.Events, Measure.Profiles, Measure.sum("Amount")]

export const errorMessage = <A, E>(exit: Exit.Exit<A, E>): string => {
  assert.isTrue(Exit.isFailure(exit), "expected a StoreError")
  return Exit.isFailure(exit) ? String(exit.cause) : ""
}
