/**
 * The benchmark's data: a deterministic stream of events generated from a seed, nothing
 * downloaded. Over the year 2025 (UTC), `profiles` profiles with Zipf activity (exponent
 * 1.1: a few very busy profiles, a long tail) do `events` events; 40 event names have Zipf
 * popularity (exponent 1.05, so `App Opened` is about 25% of events and `Charged` about
 * 1%); weekdays are busier than weekends, evenings busier than nights, and traffic grows
 * through the year. Every event carries an integer `Amount` in 1..500 and a `Platform`
 * (`"android"` ~55%, `"ios"` ~35%, `"web"` ~10%), a low-cardinality text property for
 * filters, drawn from a random stream of its own so that every other field of every event
 * is what it was before the property was added.
 *
 * Events come in timestamp order, in batches, so ten million never sit in memory at once.
 * `spreadBatches` gives the same events spread over several years, as a backfill sends them.
 *
 * @since 0.1.0
 */
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"

/**
 * The event names, most popular first. None is a system event that `POST /1/upload`
 * refuses (`Upload.restrictedEventNames`, code 513), so the whole data set can go through
 * the server: "Notification Tapped" and "App Removed" stand for "Notification Clicked"
 * and "App Uninstalled".
 */
export const eventNames: ReadonlyArray<string> = [
  "App Opened",
  "Product Viewed",
  "Screen Viewed",
  "Search Performed",
  "Category Viewed",
  "Notification Received",
  "Product List Filtered",
  "Added To Cart",
  "Banner Clicked",
  "Product Shared",
  "Notification Tapped",
  "Wishlist Added",
  "Review Read",
  "Cart Viewed",
  "Removed From Cart",
  "Coupon Viewed",
  "Checkout Started",
  "Video Played",
  "Address Added",
  "Payment Info Entered",
  "Charged",
  "Coupon Applied",
  "App Updated",
  "Push Opt In",
  "Order Tracked",
  "Rating Submitted",
  "Review Written",
  "Store Located",
  "Profile Updated",
  "Referral Sent",
  "Support Chat Opened",
  "Subscription Started",
  "Order Cancelled",
  "Return Requested",
  "Gift Card Purchased",
  "Password Reset",
  "Push Opt Out",
  "Subscription Cancelled",
  "Account Deleted",
  "App Removed",
]

/** The most frequent event, about 25% of all events. */
export const topEvent = "App Opened"

/** An event of about 1% of all events. */
export const rareEvent = "Charged"

/** Zipf exponent of event-name popularity: the top name gets 25.3% of 40. */
export const nameExponent = 1.05

/** Zipf exponent of profile activity. */
export const profileExponent = 1.1

/** The first day of the data, 2025-01-01. */
export const from: Calendar.Day = Calendar.unsafeMakeDay(2025, 1, 1)

/** The last day of the data, 2025-12-31. */
export const to: Calendar.Day = Calendar.unsafeMakeDay(2025, 12, 31)

/** The seed of every published run. */
export const defaultSeed = 20250101

/** The text property every event carries, for filters: a platform. */
export const platformProperty = "Platform"

/** The platforms, and the share of events each gets in expectation. */
export const platformShares: ReadonlyArray<readonly [platform: string, share: number]> = [
  ["android", 0.55],
  ["ios", 0.35],
  ["web", 0.1],
]

/**
 * The platform stream's own seed, derived from the data set's: the events themselves are
 * drawn from `dataset.seed` as before the property existed, their platforms from this one.
 */
export const platformSeed = (dataset: Dataset): number => (dataset.seed ^ 0x0a7f_0a7f) >>> 0

/** What to generate. */
export interface Dataset {
  readonly events: number
  readonly profiles: number
  readonly seed: number
  readonly batchSize: number
}

/** `Dataset.make({ events: 1_000_000 })`: the defaults are 10M events, 200k profiles, batches of 1000. */
export const make = (options: Partial<Dataset> = {}): Dataset => {
  const dataset = {
    events: options.events ?? 10_000_000,
    profiles: options.profiles ?? 200_000,
    seed: options.seed ?? defaultSeed,
    batchSize: options.batchSize ?? 1000,
  }
  for (const [field, value] of Object.entries(dataset)) {
    if (!Number.isSafeInteger(value) || value < (field === "events" ? 0 : 1)) {
      throw new RangeError(`Dataset ${field} must be a positive integer, got ${value}`)
    }
  }
  return dataset
}

/**
 * xoshiro128** seeded through splitmix32: small, fast, and the same sequence on every
 * machine. Returns floats in [0, 1).
 */
export const random = (seed: number): (() => number) => {
  let mix = seed >>> 0
  const splitmix32 = () => {
    mix = (mix + 0x9e3779b9) >>> 0
    let z = mix
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix32()
  let b = splitmix32()
  let c = splitmix32()
  let d = splitmix32()
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result / 4294967296
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))

// Cumulative, normalised weights; `pick` finds the first slot whose bound is above `u`.
const cumulative = (weights: ArrayLike<number>): Float64Array => {
  const bounds = new Float64Array(weights.length)
  let total = 0
  for (let i = 0; i < weights.length; i++) {
    total += weights[i]!
    bounds[i] = total
  }
  for (let i = 0; i < bounds.length; i++) bounds[i]! /= total
  bounds[bounds.length - 1] = 1
  return bounds
}

const pick = (bounds: Float64Array, u: number): number => {
  let lo = 0
  let hi = bounds.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (bounds[mid]! > u) hi = mid
    else lo = mid + 1
  }
  return lo
}

const zipf = (n: number, exponent: number): Float64Array =>
  cumulative(Array.from({ length: n }, (_, rank) => 1 / (rank + 1) ** exponent))

/** The share of events each name gets in expectation, in `eventNames` order. */
export const nameShares: ReadonlyArray<number> = (() => {
  const weights = eventNames.map((_, rank) => 1 / (rank + 1) ** nameExponent)
  const total = weights.reduce((sum, w) => sum + w, 0)
  return weights.map((w) => w / total)
})()

// Monday to Sunday, and hours 00..23 UTC.
const weekdayWeights = [1.0, 1.03, 1.04, 1.02, 0.97, 0.82, 0.78]
const hourWeights = [
  2, 1.4, 1, 0.8, 0.8, 1, 1.6, 2.6, 3.6, 4.2, 4.4, 4.6, 5, 4.8, 4.6, 4.6, 4.8, 5.2, 6, 6.8, 7.2,
  6.6, 5, 3.2,
]

/** How many events fall on each day of the year, summing exactly to `events`. */
export const eventsPerDay = (events: number): Int32Array => {
  const days = to - from + 1
  const weights = Array.from(
    { length: days },
    // Weekly rhythm, and traffic growing by half over the year.
    (_, i) => weekdayWeights[Calendar.isoWeekday(from + i) - 1]! * (1 + (0.5 * i) / days),
  )
  const bounds = cumulative(weights)
  const counts = new Int32Array(days)
  let previous = 0
  for (let i = 0; i < days; i++) {
    const upTo = Math.round(events * bounds[i]!)
    counts[i] = upTo - previous
    previous = upTo
  }
  return counts
}

/** The profile key of a profile number (1-based): `"identity:u17"`. */
export const profileKey = (profile: number): string => `identity:u${profile}`

/**
 * The events, in timestamp order, in arrays of `batchSize` (the last may be shorter).
 * Each call starts the same sequence again.
 */
export function* batches(dataset: Dataset): Generator<ReadonlyArray<Aggregator.Event>> {
  const next = random(dataset.seed)
  // One draw an event, in event order, from a stream of its own: `next` draws exactly
  // what it drew before `Platform` existed, so names, profiles, times and amounts stay.
  const nextPlatform = random(platformSeed(dataset))
  const platforms = cumulative(platformShares.map(([, share]) => share))
  const platformNames = platformShares.map(([platform]) => platform)
  const names = cumulative(nameShares)
  const profiles = zipf(dataset.profiles, profileExponent)
  const hours = cumulative(hourWeights)
  const keys = new Array<string | undefined>(dataset.profiles)
  const perDay = eventsPerDay(dataset.events)
  let batch: Array<Aggregator.Event> = []
  for (let i = 0; i < perDay.length; i++) {
    const dayStart = Calendar.startOfDay(from + i, "UTC")
    const times = new Float64Array(perDay[i]!)
    for (let j = 0; j < times.length; j++) {
      times[j] = dayStart + pick(hours, next()) * 3600 + Math.floor(next() * 3600)
    }
    times.sort()
    for (const ts of times) {
      const profile = pick(profiles, next())
      const key = keys[profile] ?? profileKey(profile + 1)
      keys[profile] = key
      batch.push({
        name: eventNames[pick(names, next())]!,
        profile: key,
        ts,
        properties: {
          Amount: 1 + Math.floor(next() * 500),
          [platformProperty]: platformNames[pick(platforms, nextPlatform())]!,
        },
      })
      if (batch.length === dataset.batchSize) {
        yield batch
        batch = []
      }
    }
  }
  if (batch.length > 0) yield batch
}

/** The events one by one, for consumers that want a flat stream (the reference aggregator). */
export function* events(dataset: Dataset): Generator<Aggregator.Event> {
  for (const batch of batches(dataset)) yield* batch
}

/** The year of the data, 2025: spread events stay in it or move back from it. */
export const lastYear: number = Calendar.toCivil(to).year

/**
 * The most years events can be spread over: back to 1970, since uploads take timestamps
 * of 0 (1970-01-01 UTC) or later only.
 */
export const maxSpreadYears: number = lastYear - 1970 + 1

/**
 * The spread stream's own seed, derived from the data set's: the events themselves are
 * drawn from `dataset.seed` as ever, the years they move back from this one.
 */
export const spreadSeed = (dataset: Dataset): number => (dataset.seed ^ 0x5eed_5eed) >>> 0

/**
 * The same instant `back` whole years earlier, on the same calendar date and at the same
 * time of day (UTC): a move by whole 365- and 366-day spans. A February 29 that would land
 * in a common year lands on February 28.
 */
export const yearsBack = (ts: number, back: number): number => {
  if (back === 0) return ts
  const day = Calendar.dayOfTimestamp(ts, "UTC")
  const date = Calendar.toCivil(day)
  const year = date.year - back
  const target = Calendar.unsafeMakeDay(
    year,
    date.month,
    Math.min(date.day, Calendar.daysInMonth(year, date.month)),
  )
  return ts - Calendar.startOfDay(day, "UTC") + Calendar.startOfDay(target, "UTC")
}

/**
 * Spread data, as a backfill of `years` years sends it: the events of `batches(dataset)`,
 * in the same batches and order, each moved back by a whole number of years drawn
 * uniformly from 0..years-1 (`yearsBack`: same date and time of day) with a random stream
 * of its own (`seed`, by default `spreadSeed(dataset)`). Every batch then holds events of
 * every year, many days apart; `years` 1 gives the events of `batches` unchanged. Each
 * call starts the same sequence again. Throws a `RangeError` at once for `years` outside
 * 1..`maxSpreadYears`.
 */
export const spreadBatches = (
  dataset: Dataset,
  years: number,
  seed: number = spreadSeed(dataset),
): Generator<ReadonlyArray<Aggregator.Event>> => {
  if (!Number.isSafeInteger(years) || years < 1 || years > maxSpreadYears) {
    throw new RangeError(
      `spread years must be a whole number in 1..${maxSpreadYears}, got ${years}`,
    )
  }
  return spread(dataset, years, seed)
}

function* spread(
  dataset: Dataset,
  years: number,
  seed: number,
): Generator<ReadonlyArray<Aggregator.Event>> {
  const next = random(seed)
  for (const batch of batches(dataset)) {
    yield batch.map((event) => ({ ...event, ts: yearsBack(event.ts, Math.floor(next() * years)) }))
  }
}
