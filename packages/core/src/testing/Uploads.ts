/**
 * Upload records for end-to-end tests, and the answers they must produce: a seeded
 * generator, and the expected trends or count computed by the reference aggregator over
 * the records as core's own upload path stores them.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Account from "../Account.ts"
import * as Aggregator from "../Aggregator.ts"
import * as EventCount from "../EventCount.ts"
import * as EventStore from "../EventStore.ts"
import * as QueryPlan from "../QueryPlan.ts"
import * as TopCounts from "../TopCounts.ts"
import * as TrendsRequest from "../TrendsRequest.ts"
import * as Upload from "../Upload.ts"

/** A seeded pseudo-random number generator (mulberry32): the same numbers on every run. */
export const random = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An event upload record with an integer `Amount`. */
export interface EventRecord {
  readonly type: "event"
  readonly identity: string
  readonly ts: number
  readonly evtName: string
  readonly evtData: { readonly Amount: number }
}

/** What to generate; times are epoch seconds, `to` excluded. */
export interface Options {
  readonly seed: number
  readonly count: number
  readonly names: ReadonlyArray<string>
  readonly profiles: ReadonlyArray<string>
  readonly from: number
  readonly to: number
}

/**
 * `count` event records spread over `[from, to)`, e.g.
 * `eventRecords({ seed: 1, count: 300, names: ["Charged"], profiles: ["alice"], from, to })`.
 */
export const eventRecords = (options: Options): Array<EventRecord> => {
  const next = random(options.seed)
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)]!
  return Array.from({ length: options.count }, () => ({
    type: "event",
    identity: pick(options.profiles),
    ts: options.from + Math.floor(next() * (options.to - options.from)),
    evtName: pick(options.names),
    evtData: { Amount: 1 + Math.floor(next() * 100) },
  }))
}

// The events as a store holds them, by core's own upload path (bad records drop out), and
// the fields of each profile once its profile records merged, in their order.
const stored = (records: ReadonlyArray<unknown>) => {
  const batch = EventStore.batchOf(Upload.validateBatch(records, 0))
  const profiles = new Map<string, EventStore.Profile>()
  for (const update of batch.profiles)
    profiles.set(
      update.profile,
      EventStore.mergeProfile(Option.fromNullable(profiles.get(update.profile)), update),
    )
  return {
    events: batch.events,
    fieldsOf: (profile: string) => profiles.get(profile)?.properties,
  }
}

const aggregate = (plan: QueryPlan.QueryPlan, records: ReadonlyArray<unknown>) => {
  const { events, fieldsOf } = stored(records)
  return Aggregator.aggregate(plan, events, fieldsOf)
}

/** The `success` body a trends request must answer over `records`. */
export const expectedTrends = (
  account: Account.Settings,
  records: ReadonlyArray<unknown>,
  body: unknown,
): { readonly status: "success"; readonly [group: string]: unknown } => ({
  status: "success",
  ...aggregate(QueryPlan.fromTrends(Effect.runSync(TrendsRequest.decode(body)), account), records),
})

/**
 * Each group's `total` a trends request with `"totals": true` must answer over `records`
 * (for `unique`, the distinct profiles of the whole range).
 */
export const expectedTotals = (
  account: Account.Settings,
  records: ReadonlyArray<unknown>,
  body: unknown,
): { readonly [group: string]: number } => {
  const plan = QueryPlan.fromTrends(Effect.runSync(TrendsRequest.decode(body)), account)
  const totals = aggregate(QueryPlan.totalsOf(plan), records)
  return Object.fromEntries(
    plan.groups.map((group) => [group.name, totals[group.name]?.[QueryPlan.totalKey] ?? 0]),
  )
}

/** The `success` body a top counts request must answer over `records`. */
export const expectedTop = (
  account: Account.Settings,
  records: ReadonlyArray<unknown>,
  body: unknown,
): { readonly [key: string]: unknown } => {
  const { events, fieldsOf } = stored(records)
  return TopCounts.toWire(
    TopCounts.reference(
      TopCounts.plan(Effect.runSync(TopCounts.decode(body)), account),
      events,
      fieldsOf,
    ),
  )
}

/** The count a profile-count request must answer over `records`. */
export const expectedProfileCount = (
  account: Account.Settings,
  records: ReadonlyArray<unknown>,
  body: unknown,
): number =>
  aggregate(QueryPlan.fromProfileCount(Effect.runSync(EventCount.decode(body)), account), records)[
    QueryPlan.countGroup
  ]?.[QueryPlan.totalKey] ?? 0

/** The count an event-count request must answer over `records`. */
export const expectedCount = (
  account: Account.Settings,
  records: ReadonlyArray<unknown>,
  body: unknown,
): number =>
  aggregate(QueryPlan.fromEventCount(Effect.runSync(EventCount.decode(body)), account), records)[
    QueryPlan.countGroup
  ]?.[QueryPlan.totalKey] ?? 0
