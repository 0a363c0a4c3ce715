// Value slices: the events of one event name that have one value of one property, rolled up
// as an event of their own (a "slice", numbered from `firstSliceId` in the rollup tables'
// `event` column). A filter on one event property is then answered from the rollups: the
// slices whose value satisfies the filter, added (counts, sums) or unioned (distinct
// profiles), and a property's top values are its slices' counts, without reading the event
// log. Core's predicate decides which values match (`Filter.satisfies` on each stored value),
// so the answers are the reference's by construction.
//
// A property stops being sliced ("unsliced", for good) when an event name has more than
// `maxValues` values of it, when one of its values is not a text, number or boolean, or when
// the event name already has `maxProperties` sliced properties; filters and top values on it
// read the event log (`eventScan.ts`), as every filter did before. Slicing costs appends
// (each sliced property of an event folds it once more): a host may turn it off
// (`"off"`), and on again, which rebuilds the accounts' rollups. The slices of an account
// are kept by `value_slices` and `unsliced_properties` (migration 7); the writer remembers
// them per account, readers read them for each query (the writer may have added some).
import * as Filter from "@trendline/core/Filter"
import * as TopCounts from "@trendline/core/TopCounts"
import type { SqlDriver } from "../SqlDriver.ts"
import type { AccountState } from "./accounts.ts"
import type { LogEntry } from "./eventLog.ts"
import { byRows, inSlices, rowsPerStatement, tuples } from "./statements.ts"

/** The first slice number: above every event number (event names are far fewer). */
export const firstSliceId = 2 ** 31

/** How much an account slices (see the module comment). */
export interface SliceLimits {
  /** Values of one property of one event name, at most. */
  readonly maxValues: number
  /** Sliced properties of one event name, at most. */
  readonly maxProperties: number
}

/**
 * Defaults: 1,000 values cover categories, plans, countries, platforms and small integers;
 * 32 properties keep an upload's rollup work within about 33 times that of its events alone
 * (each sliced property of an event adds one slice to fold).
 */
export const defaultLimits: SliceLimits = { maxValues: 100, maxProperties: 32 }

// An event name's slices: per property its values' slice numbers, or "unsliced".
interface EventSlices {
  readonly properties: Map<string, Map<string, number> | "unsliced">
  sliced: number
}

interface Registry {
  // Most recently used last; at most `rememberedEvents`, the others read again when needed.
  readonly events: Map<number, EventSlices>
  next: number | undefined
}

// Event names whose slices the writer keeps in memory per account: an event name may have up
// to 3,200 slices (32 properties of 100 values), and an account 512 event names, more than a
// Durable Object's memory should hold for one account.
const rememberedEvents = 64

const insertSlicesText = byRows(
  (rows) => `INSERT INTO value_slices (acct, event, name, value, id) VALUES ${tuples(rows, 4)}`,
)

/** The slices of one connection's accounts. */
export interface ValueSlices {
  /** Whether this engine slices (`"off"`: appends slice nothing; see `expand`). */
  readonly enabled: boolean
  /**
   * `entries` and, after them, one entry per sliced property of each (the same event under
   * its slice's number), giving new values their slices (inside a write). With slicing
   * off, `entries` alone, and the account is marked unsliced: its slices miss these
   * events, so no query uses them until a rebuild with slicing on.
   */
  readonly expand: (state: AccountState, entries: ReadonlyArray<LogEntry>) => Array<LogEntry>
  /**
   * The slices that together hold exactly the events of `event` matching `filters`, or
   * `undefined` when slices cannot answer (profile filters, conditions on several
   * properties, a condition that an event without the property satisfies, an unsliced
   * property).
   */
  readonly matching: (
    state: AccountState,
    event: number,
    filters: Filter.Filters,
  ) => ReadonlyArray<number> | undefined
  /**
   * The number of events of `event` in `rollups` on days `from`..`to` per value (JSON text)
   * of `property`, or `undefined` when the property is unsliced.
   */
  readonly valueCounts: (
    state: AccountState,
    rollups: number,
    event: number,
    property: string,
    from: number,
    to: number,
  ) => Map<string, number> | undefined
  /** The names of the properties `event`'s events have had, sliced or not. */
  readonly propertyNames: (state: AccountState, event: number) => ReadonlyArray<string>
}

/** The slices over `driver`, within `limits`, or none (`"off"`). */
export const make = (
  driver: SqlDriver,
  settings: SliceLimits | "off" = defaultLimits,
): ValueSlices => {
  const enabled = settings !== "off"
  const limits = settings === "off" ? defaultLimits : settings
  // The writer's memory of each account's slices; dropped with the account's state (after a
  // rollback, `Accounts.forget` makes a new one).
  const registries = new WeakMap<AccountState, Registry>()

  const registryOf = (state: AccountState): Registry => {
    let registry = registries.get(state)
    if (registry === undefined) {
      registry = { events: new Map(), next: undefined }
      registries.set(state, registry)
    }
    return registry
  }

  const slicesOf = (state: AccountState, registry: Registry, event: number): EventSlices => {
    let slices = registry.events.get(event)
    if (slices !== undefined) {
      registry.events.delete(event)
      registry.events.set(event, slices)
      return slices
    }
    slices = { properties: new Map(), sliced: 0 }
    for (const row of driver.all(
      "SELECT name, value, id FROM value_slices WHERE acct = ? AND event = ?",
      [state.acct, event],
    )) {
      const name = String(row.name)
      let values = slices.properties.get(name)
      if (values === undefined) {
        values = new Map()
        slices.properties.set(name, values)
      }
      if (values !== "unsliced") values.set(String(row.value), Number(row.id))
    }
    for (const row of driver.all(
      "SELECT name FROM unsliced_properties WHERE acct = ? AND event = ?",
      [state.acct, event],
    ))
      slices.properties.set(String(row.name), "unsliced")
    for (const values of slices.properties.values()) if (values !== "unsliced") slices.sliced++
    registry.events.set(event, slices)
    return slices
  }

  const expand = (state: AccountState, entries: ReadonlyArray<LogEntry>): Array<LogEntry> => {
    if (!enabled) {
      if (state.sliced && entries.length > 0) {
        driver.run("UPDATE accounts SET sliced = 0 WHERE acct = ?", [state.acct])
        state.sliced = false
      }
      return [...entries]
    }
    const registry = registryOf(state)
    const expanded: Array<LogEntry> = [...entries]
    const created: Array<readonly [number, string, string, number]> = []
    const unsliced: Array<readonly [number, string]> = []
    const unslice = (slices: EventSlices, event: number, name: string, wasSliced: boolean) => {
      slices.properties.set(name, "unsliced")
      if (wasSliced) slices.sliced--
      unsliced.push([event, name])
    }
    for (const entry of entries) {
      const [event, ts, profile, properties] = entry
      const slices = slicesOf(state, registry, event)
      for (const name in properties) {
        let values = slices.properties.get(name)
        if (values === "unsliced") continue
        if (values === undefined) {
          if (slices.sliced >= limits.maxProperties) {
            unslice(slices, event, name, false)
            continue
          }
          values = new Map()
          slices.properties.set(name, values)
          slices.sliced++
        }
        const value = properties[name]
        if (!TopCounts.isValue(value)) {
          unslice(slices, event, name, true)
          continue
        }
        const json = JSON.stringify(value)
        let id = values.get(json)
        if (id === undefined) {
          if (values.size >= limits.maxValues) {
            unslice(slices, event, name, true)
            continue
          }
          registry.next ??= Number(
            driver.all(
              `SELECT coalesce(max(id) + 1, ${firstSliceId}) AS next FROM value_slices WHERE acct = ?`,
              [state.acct],
            )[0]!.next,
          )
          id = registry.next++
          values.set(json, id)
          created.push([event, name, json, id])
        }
        expanded.push([id, ts, profile, properties])
      }
    }
    inSlices(created, rowsPerStatement(4), (slice) => {
      const params: Array<number | string> = [state.acct]
      for (const [event, name, value, id] of slice) params.push(event, name, value, id)
      driver.run(insertSlicesText(slice.length), params)
    })
    for (const [event, name] of unsliced)
      driver.run("INSERT OR IGNORE INTO unsliced_properties (acct, event, name) VALUES (?, ?, ?)", [
        state.acct,
        event,
        name,
      ])
    // Only now, with this batch's new slices stored: forgetting an event name earlier would
    // read its slices back without them.
    for (const event of registry.events.keys()) {
      if (registry.events.size <= rememberedEvents) break
      registry.events.delete(event)
    }
    return expanded
  }

  const isUnsliced = (state: AccountState, event: number, name: string): boolean =>
    driver.all("SELECT 1 AS x FROM unsliced_properties WHERE acct = ? AND event = ? AND name = ?", [
      state.acct,
      event,
      name,
    ]).length > 0

  const matching = (
    state: AccountState,
    event: number,
    filters: Filter.Filters,
  ): ReadonlyArray<number> | undefined => {
    const name = filters.event[0]?.name
    if (name === undefined || filters.profile.length > 0) return undefined
    if (filters.event.some((condition) => condition.name !== name)) return undefined
    // An event without the property would match: no slice holds those.
    if (filters.event.every((condition) => Filter.satisfies(condition, {}))) return undefined
    if (isUnsliced(state, event, name)) return undefined
    const ids: Array<number> = []
    for (const row of driver.all(
      "SELECT value, id FROM value_slices WHERE acct = ? AND event = ? AND name = ?",
      [state.acct, event, name],
    )) {
      const properties = { [name]: JSON.parse(String(row.value)) as unknown }
      if (filters.event.every((condition) => Filter.satisfies(condition, properties)))
        ids.push(Number(row.id))
    }
    return ids
  }

  const valueCounts = (
    state: AccountState,
    rollups: number,
    event: number,
    property: string,
    from: number,
    to: number,
  ): Map<string, number> | undefined => {
    if (isUnsliced(state, event, property)) return undefined
    const counts = new Map<string, number>()
    for (const row of driver.all(
      `SELECT s.value AS value, sum(c.count) AS count
       FROM value_slices AS s JOIN day_counts AS c
         ON c.acct = ? AND c.event = s.id AND c.day BETWEEN ? AND ?
       WHERE s.acct = ? AND s.event = ? AND s.name = ?
       GROUP BY s.value`,
      [rollups, from, to, state.acct, event, property],
    ))
      counts.set(String(row.value), Number(row.count))
    return counts
  }

  const propertyNames = (state: AccountState, event: number): ReadonlyArray<string> =>
    driver
      .all(
        `SELECT DISTINCT name FROM value_slices WHERE acct = ?1 AND event = ?2
         UNION SELECT name FROM unsliced_properties WHERE acct = ?1 AND event = ?2`,
        [state.acct, event],
      )
      .map((row) => String(row.name))

  return { enabled, expand, matching, valueCounts, propertyNames }
}
