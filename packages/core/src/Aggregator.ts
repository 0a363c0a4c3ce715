/**
 * The reference aggregator: the exact answer to any plan, computed from a plain list of
 * events by the most direct means. It is the oracle that every event store is tested
 * against, and the engine of the in-memory store.
 *
 * @since 0.1.0
 */
import * as Calendar from "./Calendar.ts"
import * as Filter from "./Filter.ts"
import * as QueryPlan from "./QueryPlan.ts"

/** An event as stores keep it: a name, the profile that did it, when, and its properties. */
export interface Event {
  readonly name: string
  /** One stable string per profile (see `Upload.identityKey`). */
  readonly profile: string
  /** UNIX epoch seconds. */
  readonly ts: number
  readonly properties: { readonly [name: string]: unknown }
}

/**
 * The amount an event adds to a sum: the property when it is an integer, else nothing
 * (missing, fractional, text and out-of-range values contribute 0).
 */
export const summand = (value: unknown): number =>
  typeof value === "number" && Number.isSafeInteger(value) ? value : 0

/** The fields of a profile by its key, as they are now; `undefined` for one never uploaded. */
export type ProfileFields = (profile: string) => { readonly [name: string]: unknown } | undefined

const noProfiles: ProfileFields = () => undefined

/**
 * The exact answer to a plan over `events`, every bucket present, counting the events that
 * match the plan's filters (`fieldsOf` gives the fields of the profile that did each).
 * Sums are added exactly (as `bigint`) and rounded to the nearest number once, as a store
 * adding 64-bit integers does.
 */
export const aggregate = (
  plan: QueryPlan.QueryPlan,
  events: Iterable<Event>,
  fieldsOf: ProfileFields = noProfiles,
): QueryPlan.Result => {
  const filtered = !Filter.isEmpty(plan.filters)
  const locate = QueryPlan.bucketLocator(plan)
  const totals = plan.groups.map((group) => new Array<bigint>(group.buckets.length).fill(0n))
  const profiles = plan.groups.map((group) => group.buckets.map(() => new Set<string>()))
  const measure = plan.measure
  for (const event of events) {
    if (event.name !== plan.eventName || event.ts < plan.start || event.ts >= plan.end) continue
    if (filtered && !Filter.matches(plan.filters, event.properties, fieldsOf(event.profile)))
      continue
    const offset = Calendar.dayOfTimestamp(event.ts, plan.timeZone) - plan.from
    const amount = measure._tag === "Sum" ? BigInt(summand(event.properties[measure.property])) : 1n
    for (let g = 0; g < plan.groups.length; g++) {
      const bucket = locate(g, offset, event.ts)
      if (measure._tag === "Profiles") profiles[g]![bucket]!.add(event.profile)
      else totals[g]![bucket]! += amount
    }
  }
  return Object.fromEntries(
    plan.groups.map((group, g) => [
      group.name,
      Object.fromEntries(
        group.buckets.map((bucket, b) => [
          bucket.key,
          measure._tag === "Profiles" ? profiles[g]![b]!.size : Number(totals[g]![b]!),
        ]),
      ),
    ]),
  )
}
