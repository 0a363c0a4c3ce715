/**
 * The demo data set local mode starts with: a year of a small shop's events up to today,
 * a few thousand profiles, an integer `Amount` on purchases. Deterministic (seeded), so
 * every fresh clone shows the same shapes, shifted to end today.
 *
 * "A year" is the 365 UTC days ending on the UTC date of `today`, all of that last day
 * (events later than `today` included), whatever the account's zone. The backend seeds an
 * empty database once, so the data stays where the first run put it: fixed dates in
 * examples only show data inside those 365 days.
 */

const events = [
  { name: "App Opened", weight: 40 },
  { name: "Product Viewed", weight: 28 },
  { name: "Searched", weight: 12 },
  { name: "Added To Cart", weight: 10 },
  { name: "Charged", weight: 6 },
  { name: "Signed Up", weight: 2 },
  { name: "Referral Sent", weight: 2 },
] as const

/** The event names of the demo data, most frequent first. */
export const eventNames: ReadonlyArray<string> = events.map((event) => event.name)

const profiles = 3000
const perDay = 300
const days = 365

// mulberry32: small, fast, and good enough to make data look alive.
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** The demo upload records for the year ending on `today` (UTC), in time order. */
export const records = (today: Date): ReadonlyArray<Record<string, unknown>> => {
  const next = random(20_161_224)
  const total = events.reduce((sum, event) => sum + event.weight, 0)
  const pick = () => {
    let r = next() * total
    for (const event of events) {
      r -= event.weight
      if (r < 0) return event.name
    }
    return events[0].name
  }
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
  const out: Array<Record<string, unknown>> = []
  for (let d = days - 1; d >= 0; d--) {
    const dayStart = end / 1000 - d * 86_400
    const weekday = new Date(dayStart * 1000).getUTCDay()
    // Busier on weekends, growing through the year, with some noise.
    const volume = Math.round(
      perDay *
        (weekday === 0 || weekday === 6 ? 1.3 : 1) *
        (0.7 + 0.6 * ((days - d) / days)) *
        (0.85 + 0.3 * next()),
    )
    for (let i = 0; i < volume; i++) {
      const name = pick()
      out.push({
        type: "event",
        identity: `user-${Math.floor(next() ** 2 * profiles)}`,
        ts: Math.floor(dayStart + next() * 86_399),
        evtName: name,
        evtData: name === "Charged" ? { Amount: 5 + Math.floor(next() ** 2 * 495) } : {},
      })
    }
  }
  return out.sort((a, b) => (a.ts as number) - (b.ts as number))
}
