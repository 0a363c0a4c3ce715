// Hot paths of the core that stores and servers lean on: the local day of a timestamp
// (every ingested event), bucket layout (every request) and the reference aggregator.
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"
import { bench, describe } from "vitest"

const from = Calendar.unsafeMakeDay(2025, 1, 1)
const to = Calendar.unsafeMakeDay(2025, 12, 31)
const yearStart = Calendar.startOfDay(from, "UTC")
const timestamps = Array.from(
  { length: 100_000 },
  (_, i) => yearStart + ((i * 7_919_993) % 31_536_000),
)

describe("Calendar.dayOfTimestamp (100k timestamps over a year)", () => {
  for (const zone of ["UTC", "Europe/London", "America/Sao_Paulo"]) {
    bench(zone, () => {
      for (const ts of timestamps) Calendar.dayOfTimestamp(ts, zone)
    })
  }
})

describe("Bucket.bucketsOf (one year)", () => {
  for (const type of ["daily", "weekly", "monthly"] as const) {
    bench(type, () => {
      Bucket.bucketsOf(type, from, to)
    })
  }
})

describe("Aggregator.aggregate (100k events, daily + weekly + monthly)", () => {
  const events = timestamps.map((ts, i) => ({
    name: i % 4 === 0 ? "Viewed" : "Charged",
    profile: `identity:${i % 5000}`,
    ts,
    properties: { Amount: i % 100 },
  }))
  for (const measure of [Measure.Events, Measure.Profiles, Measure.sum("Amount")]) {
    const plan = QueryPlan.make(
      {
        eventName: "Charged",
        from,
        to,
        measure,
        groups: [
          { name: "d", granularity: "daily" },
          { name: "w", granularity: "weekly" },
          { name: "m", granularity: "monthly" },
        ],
      },
      Account.make("bench", { timeZone: "Europe/London" }),
    )
    bench(measure._tag, () => {
      Aggregator.aggregate(plan, events)
    })
  }
})
