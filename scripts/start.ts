// `pnpm start` until the terminal UI lands: says what Trendline is and shows the core
// answering a trends request over a small generated data set, entirely in memory.
import * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as Measure from "@trendline/core/Measure"
import * as QueryPlan from "@trendline/core/QueryPlan"

const account = Account.make("demo", { timeZone: "Europe/London" })
const from = Calendar.unsafeMakeDay(2026, 10, 19)
const to = Calendar.unsafeMakeDay(2026, 11, 8)

// A deterministic week-shaped data set: busier on weekdays, a few hundred profiles.
const events: Array<Aggregator.Event> = []
let seed = 42
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
  return seed / 2 ** 31
}
for (let day = from; day <= to; day++) {
  const [start, end] = Calendar.dayRange(day, account.timeZone)
  const perDay = Calendar.isoWeekday(day) <= 5 ? 120 : 60
  for (let i = 0; i < perDay; i++) {
    events.push({
      name: "Charged",
      profile: `identity:user-${Math.floor(random() * 300)}`,
      ts: start + Math.floor(random() * (end - start)),
      properties: { Amount: 5 + Math.floor(random() * 95) },
    })
  }
}

const plan = (measure: Measure.Measure) =>
  QueryPlan.make(
    {
      eventName: "Charged",
      from,
      to,
      measure,
      groups: [
        { name: "weekly", granularity: "weekly" },
        { name: "monthly", granularity: "monthly" },
      ],
    },
    account,
  )

const show = (title: string, result: QueryPlan.Result) => {
  console.log(`  ${title}`)
  for (const [group, buckets] of Object.entries(result)) {
    console.log(
      `    ${group.padEnd(8)} ${Object.entries(buckets)
        .map(([key, value]) => `${key}: ${value}`)
        .join("   ")}`,
    )
  }
}

console.log(`Trendline — event trends per day, week and month: a library, a terminal UI and a server.

The terminal UI is not built yet. Meanwhile, this is @trendline/core answering a trends
request for "Charged" from ${Calendar.formatIsoDate(from)} to ${Calendar.formatIsoDate(to)} in ${account.timeZone}
over ${events.length} generated events:
`)
show("events", Aggregator.aggregate(plan(Measure.Events), events))
show("distinct profiles", Aggregator.aggregate(plan(Measure.Profiles), events))
show("sum of Amount", Aggregator.aggregate(plan(Measure.sum("Amount")), events))
console.log(`
Weekly keys are ISO 8601 weeks (YYYYWW); weeks and months cut by the range count only its days.

  pnpm test     typecheck, lint and every test
  pnpm bench    benchmarks
  README.md     the layout of the repository and how to work in it`)
