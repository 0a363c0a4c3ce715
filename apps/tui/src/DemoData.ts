/**
 * The demo data set local mode starts with: a year of a small shop's events up to today,
 * a few thousand profiles, an integer `Amount` on purchases, a few text properties to
 * filter on (`Platform`, `Category`, `Payment`), and a profile record for most profiles
 * (`Plan`, `Country`, `Beta`), so filters on both have something to find. Deterministic
 * (seeded), so every fresh clone shows the same shapes, shifted to end today.
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

// Weighted choices for the properties and profile fields.
const choose = <A>(r: number, options: ReadonlyArray<readonly [A, number]>): A => {
  let left = r * options.reduce((sum, [, weight]) => sum + weight, 0)
  for (const [value, weight] of options) {
    left -= weight
    if (left < 0) return value
  }
  return options[0]![0]
}
const platforms = [
  ["android", 55],
  ["ios", 35],
  ["web", 10],
] as const
const categories = [
  ["shoes", 30],
  ["books", 25],
  ["kitchen", 20],
  ["toys", 15],
  ["garden", 10],
] as const
const payments = [
  ["card", 50],
  ["upi", 35],
  ["wallet", 15],
] as const
const plans = [
  ["free", 70],
  ["pro", 25],
  ["team", 5],
] as const
const countries = [
  ["IN", 40],
  ["US", 25],
  ["DE", 15],
  ["BR", 12],
  ["JP", 8],
] as const

// An event's properties, drawn from their own stream (`next`), so the events themselves
// stay those of the data set before properties were added.
const propertiesOf = (name: string, next: () => number, amount: () => number) => {
  switch (name) {
    case "Charged":
      return {
        Amount: amount(),
        Category: choose(next(), categories),
        Payment: choose(next(), payments),
      }
    case "Product Viewed":
    case "Added To Cart":
      return { Category: choose(next(), categories) }
    case "App Opened":
      return { Platform: choose(next(), platforms) }
    default:
      return {}
  }
}

/** The demo upload records for the year ending on `today` (UTC), in time order. */
export const records = (today: Date): ReadonlyArray<Record<string, unknown>> => {
  const next = random(20_161_224)
  const nextProperty = random(20_170_103)
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
  const first = end / 1000 - (days - 1) * 86_400
  // Nine profiles in ten have a profile record, sent at the start of the year.
  const out: Array<Record<string, unknown>> = Array.from({ length: profiles }, (_, i) => ({
    type: "profile",
    identity: `user-${i}`,
    ts: first,
    profileData: {
      Plan: choose(nextProperty(), plans),
      Country: choose(nextProperty(), countries),
      Beta: nextProperty() < 0.2,
    },
  })).filter(() => nextProperty() < 0.9)
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
        evtData: propertiesOf(name, nextProperty, () => 5 + Math.floor(next() ** 2 * 495)),
      })
    }
  }
  return out.sort((a, b) => (a.ts as number) - (b.ts as number))
}
