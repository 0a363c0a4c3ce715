/**
 * Trendline's event store on SQLite, written once over `SqlDriver` so the same code runs
 * on Node (`NodeSqlite`) and in a Durable Object (`DurableObjectSqlite`).
 *
 * How it answers fast:
 * - every batch is appended to `event_log` (the truth) and folded into per-(event, local
 *   day) rollups in the same transaction: counts, sums of each integer property, and the
 *   sorted set of distinct profile numbers;
 * - counts and sums read one rollup row per day of the range (O(days), whatever the number
 *   of events), distinct profiles union the day sets of each bucket through a bitset.
 *
 * Local days are cut in the account's time zone at ingestion; if an account's zone changes,
 * its rollups are rebuilt from `event_log` before the next append or query.
 *
 * @since 0.1.0
 */
import type * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { migrations } from "./internal/migrations.ts"
import * as ProfileSets from "./internal/profileSets.ts"
import type { SqlDriver, SqlRow } from "./SqlDriver.ts"

/** Settings of the store. */
export interface Options {
  /** The limits to enforce (the event-name limit per account); defaults to `Limits.defaults`. */
  readonly limits?: Limits.Limits
  /** Memory kept for decoded day sets of distinct profiles, in bytes (default 64 MiB). */
  readonly cacheBytes?: number
}

// One stored event, as `event_log` keeps it: [event id, ts, profile number, properties].
type LogEntry = readonly [
  event: number,
  ts: number,
  profile: number,
  properties: Aggregator.Event["properties"],
]

interface AccountState {
  readonly acct: number
  timeZone: string
  readonly eventIds: Map<string, number>
  // Loaded on the first append only: queries never need it, and it holds every profile.
  profileNumbers: Map<string, number> | undefined
}

const tableNames = { migrations: "trendline_migrations" }

/** Brings the schema up to the newest migration; refuses a database newer than this code. */
export const migrate = (driver: SqlDriver): void => {
  driver.exec(
    `CREATE TABLE IF NOT EXISTS ${tableNames.migrations} (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
  )
  const applied = Number(
    driver.all(`SELECT coalesce(max(version), 0) AS v FROM ${tableNames.migrations}`)[0]?.v ?? 0,
  )
  const newest = migrations.at(-1)?.version ?? 0
  if (applied > newest) {
    throw new Error(
      `the database has schema version ${applied}, newer than this Trendline's ${newest}: upgrade Trendline`,
    )
  }
  for (const migration of migrations) {
    if (migration.version <= applied) continue
    driver.transaction(() => {
      driver.exec(migration.sql)
      driver.run(`INSERT INTO ${tableNames.migrations} (version, name) VALUES (?, ?)`, [
        migration.version,
        migration.name,
      ])
    })
  }
}

const setKey = (acct: number, event: number, day: number): string => `${acct}:${event}:${day}`

// Decoded day sets, most recently used last; bounded by bytes.
class SetCache {
  private readonly sets = new Map<string, Uint32Array>()
  private bytes = 0
  private readonly maxBytes: number
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get(key: string): Uint32Array | undefined {
    const set = this.sets.get(key)
    if (set !== undefined) {
      this.sets.delete(key)
      this.sets.set(key, set)
    }
    return set
  }

  set(key: string, set: Uint32Array): void {
    this.delete(key)
    this.sets.set(key, set)
    this.bytes += set.byteLength
    for (const [oldest, value] of this.sets) {
      if (this.bytes <= this.maxBytes) break
      this.sets.delete(oldest)
      this.bytes -= value.byteLength
    }
  }

  delete(key: string): void {
    const previous = this.sets.get(key)
    if (previous !== undefined) {
      this.sets.delete(key)
      this.bytes -= previous.byteLength
    }
  }

  clear(): void {
    this.sets.clear()
    this.bytes = 0
  }
}

// Distinct-profile counts of multi-day buckets already computed, per account and event,
// until an append adds a profile to one of their days. Finished weeks and months do not
// change, so repeated questions about them cost a lookup instead of a union.
class DistinctCounts {
  private readonly byEvent = new Map<
    string,
    Map<string, { first: number; last: number; count: number }>
  >()

  get(acct: number, event: number, first: number, last: number): number | undefined {
    return this.byEvent.get(`${acct}:${event}`)?.get(`${first}:${last}`)?.count
  }

  set(acct: number, event: number, first: number, last: number, count: number): void {
    const key = `${acct}:${event}`
    let entries = this.byEvent.get(key)
    if (entries === undefined || entries.size >= 4096) {
      entries = new Map()
      this.byEvent.set(key, entries)
    }
    entries.set(`${first}:${last}`, { first, last, count })
  }

  invalidate(acct: number, event: number, day: number): void {
    const entries = this.byEvent.get(`${acct}:${event}`)
    if (entries === undefined) return
    for (const [key, entry] of entries)
      if (entry.first <= day && day <= entry.last) entries.delete(key)
  }

  clear(): void {
    this.byEvent.clear()
  }
}

const makeSync = (driver: SqlDriver, options: Options) => {
  const limits = options.limits ?? Limits.defaults
  const cache = new SetCache(options.cacheBytes ?? 64 * 1024 * 1024)
  const distinct = new DistinctCounts()
  const accounts = new Map<string, AccountState>()

  const loadAccount = (id: string): AccountState | undefined => {
    const cached = accounts.get(id)
    if (cached !== undefined) return cached
    const row = driver.all("SELECT acct, time_zone FROM accounts WHERE id = ?", [id])[0]
    if (row === undefined) return undefined
    const acct = Number(row.acct)
    const state: AccountState = {
      acct,
      timeZone: String(row.time_zone),
      eventIds: new Map(
        driver
          .all("SELECT id, name FROM event_names WHERE acct = ?", [acct])
          .map((r) => [String(r.name), Number(r.id)]),
      ),
      profileNumbers: undefined,
    }
    accounts.set(id, state)
    return state
  }

  const createAccount = (account: Account.Settings): AccountState => {
    driver.run("INSERT INTO accounts (id, time_zone) VALUES (?, ?)", [account.id, account.timeZone])
    return loadAccount(account.id)!
  }

  const daySet = (acct: number, event: number, day: number): Uint32Array => {
    const key = setKey(acct, event, day)
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const row = driver.all(
      "SELECT profiles FROM day_profiles WHERE acct = ? AND event = ? AND day = ?",
      [acct, event, day],
    )[0]
    const set = ProfileSets.fromBlob(row?.profiles as Uint8Array | undefined)
    cache.set(key, set)
    return set
  }

  // Folds stored events into the rollups of their local days in `timeZone`.
  const applyRollups = (acct: number, timeZone: string, entries: ReadonlyArray<LogEntry>): void => {
    const counts = new Map<string, { event: number; day: number; count: number }>()
    const sums = new Map<string, { event: number; property: string; day: number; total: bigint }>()
    const newProfiles = new Map<string, { event: number; day: number; profiles: Array<number> }>()
    for (const [event, ts, profile, properties] of entries) {
      const day = Calendar.dayOfTimestamp(ts, timeZone)
      const key = `${event}:${day}`
      const count = counts.get(key)
      if (count === undefined) counts.set(key, { event, day, count: 1 })
      else count.count++
      const profiles = newProfiles.get(key)
      if (profiles === undefined) newProfiles.set(key, { event, day, profiles: [profile] })
      else profiles.profiles.push(profile)
      for (const property in properties) {
        const value = properties[property]
        if (Aggregator.summand(value) === 0) continue
        const sumKey = `${key}:${property}`
        const sum = sums.get(sumKey)
        if (sum === undefined)
          sums.set(sumKey, { event, property, day, total: BigInt(value as number) })
        else sum.total += BigInt(value as number)
      }
    }
    for (const { event, day, count } of counts.values()) {
      driver.run(
        `INSERT INTO day_counts (acct, event, day, count) VALUES (?, ?, ?, ?)
         ON CONFLICT (acct, event, day) DO UPDATE SET count = count + excluded.count`,
        [acct, event, day, count],
      )
    }
    for (const { event, property, day, total } of sums.values()) {
      driver.run(
        `INSERT INTO day_sums (acct, event, property, day, total) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (acct, event, property, day) DO UPDATE SET total = total + excluded.total`,
        [acct, event, property, day, total],
      )
    }
    for (const { event, day, profiles } of newProfiles.values()) {
      const existing = daySet(acct, event, day)
      const merged = ProfileSets.merge(existing, ProfileSets.sortedSet(Uint32Array.from(profiles)))
      if (merged === existing) continue
      driver.run(
        `INSERT INTO day_profiles (acct, event, day, profiles) VALUES (?, ?, ?, ?)
         ON CONFLICT (acct, event, day) DO UPDATE SET profiles = excluded.profiles`,
        [acct, event, day, ProfileSets.toBlob(merged)],
      )
      cache.set(setKey(acct, event, day), merged)
      distinct.invalidate(acct, event, day)
    }
  }

  // Recomputes every rollup of an account from its event log, in a new time zone.
  const rebuild = (state: AccountState, timeZone: string): void => {
    for (const table of ["day_counts", "day_sums", "day_profiles"]) {
      driver.run(`DELETE FROM ${table} WHERE acct = ?`, [state.acct])
    }
    cache.clear()
    distinct.clear()
    for (const row of driver.all("SELECT events FROM event_log WHERE acct = ? ORDER BY seq", [
      state.acct,
    ])) {
      applyRollups(state.acct, timeZone, JSON.parse(String(row.events)) as Array<LogEntry>)
    }
    driver.run("UPDATE accounts SET time_zone = ? WHERE acct = ?", [timeZone, state.acct])
    state.timeZone = timeZone
  }

  const inZone = (state: AccountState, timeZone: string): void => {
    if (state.timeZone !== timeZone) driver.transaction(() => rebuild(state, timeZone))
  }

  const profileNumber = (state: AccountState, key: string): number => {
    state.profileNumbers ??= new Map(
      driver
        .all("SELECT no, key FROM profiles WHERE acct = ?", [state.acct])
        .map((row) => [String(row.key), Number(row.no)]),
    )
    const known = state.profileNumbers.get(key)
    if (known !== undefined) return known
    const no = state.profileNumbers.size
    driver.run("INSERT INTO profiles (acct, no, key) VALUES (?, ?, ?)", [state.acct, no, key])
    state.profileNumbers.set(key, no)
    return no
  }

  const append = (account: Account.Settings, batch: EventStore.Batch): EventStore.AppendReceipt => {
    const existing = loadAccount(account.id)
    if (existing !== undefined) inZone(existing, account.timeZone)
    try {
      return driver.transaction(() => {
        const state = existing ?? createAccount(account)
        const names = batch.events.map((event) => event.name)
        const { admitted, refused } = EventStore.admitEventNames(
          new Set(state.eventIds.keys()),
          names,
          limits.maxEventNamesPerAccount,
        )
        for (const name of admitted) {
          const id = state.eventIds.size
          driver.run("INSERT INTO event_names (acct, id, name) VALUES (?, ?, ?)", [
            state.acct,
            id,
            name,
          ])
          state.eventIds.set(name, id)
        }
        const refusedPositions = new Set(refused)
        const entries: Array<LogEntry> = []
        batch.events.forEach((event, position) => {
          if (refusedPositions.has(position)) return
          entries.push([
            state.eventIds.get(event.name)!,
            event.ts,
            profileNumber(state, event.profile),
            event.properties,
          ])
        })
        for (const chunk of logChunks(entries)) {
          driver.run("INSERT INTO event_log (acct, events) VALUES (?, ?)", [state.acct, chunk])
        }
        applyRollups(state.acct, state.timeZone, entries)
        for (const update of batch.profiles) {
          const no = profileNumber(state, update.profile)
          const row = driver.all("SELECT ts, properties FROM profiles WHERE acct = ? AND no = ?", [
            state.acct,
            no,
          ])[0]
          const merged = EventStore.mergeProfile(storedProfile(update.profile, row), update)
          driver.run("UPDATE profiles SET ts = ?, properties = ? WHERE acct = ? AND no = ?", [
            merged.ts,
            JSON.stringify(merged.properties),
            state.acct,
            no,
          ])
        }
        return { refused }
      })
    } catch (error) {
      // The transaction rolled back: forget what this batch taught the caches.
      accounts.delete(account.id)
      cache.clear()
      distinct.clear()
      throw error
    }
  }

  const perDay = (
    plan: QueryPlan.QueryPlan,
    rows: ReadonlyArray<SqlRow>,
    column: string,
  ): Array<bigint> => {
    const values = new Array<bigint>(plan.to - plan.from + 1).fill(0n)
    for (const row of rows)
      values[Number(row.day) - plan.from] = BigInt(row[column] as number | bigint)
    return values
  }

  const union = new ProfileSets.UnionCounter()

  const query = (account: Account.Settings, plan: QueryPlan.QueryPlan): QueryPlan.Result => {
    const state = loadAccount(account.id)
    const event = state?.eventIds.get(plan.eventName)
    if (state === undefined || event === undefined) return QueryPlan.emptyResult(plan)
    inZone(state, plan.timeZone)
    const index = QueryPlan.bucketIndex(plan)
    const range = [state.acct, event, plan.from, plan.to]
    if (plan.measure._tag === "Profiles") {
      const acct = state.acct
      return resultOf(plan, (g, b) => {
        const { first, last } = plan.groups[g]!.buckets[b]!
        if (first === last) return daySet(acct, event, first).length
        const known = distinct.get(acct, event, first, last)
        if (known !== undefined) return known
        const sets: Array<Uint32Array> = []
        for (let day = first; day <= last; day++) sets.push(daySet(acct, event, day))
        const count = union.count(sets)
        distinct.set(acct, event, first, last, count)
        return count
      })
    }
    const values =
      plan.measure._tag === "Events"
        ? perDay(
            plan,
            driver.all(
              "SELECT day, count FROM day_counts WHERE acct = ? AND event = ? AND day BETWEEN ? AND ?",
              range,
            ),
            "count",
          )
        : perDay(
            plan,
            driver.all(
              "SELECT day, total FROM day_sums WHERE acct = ? AND event = ? AND property = ? AND day BETWEEN ? AND ?",
              [state.acct, event, plan.measure.property, plan.from, plan.to],
            ),
            "total",
          )
    const totals = plan.groups.map((group, g) => {
      const sums = new Array<bigint>(group.buckets.length).fill(0n)
      values.forEach((value, offset) => {
        sums[index[g]![offset]!]! += value
      })
      return sums
    })
    return resultOf(plan, (g, b) => Number(totals[g]![b]!))
  }

  const eventNames = (account: Account.Settings): ReadonlyArray<string> =>
    [...(loadAccount(account.id)?.eventIds.keys() ?? [])].sort()

  const profile = (account: Account.Settings, key: string): Option.Option<EventStore.Profile> => {
    const state = loadAccount(account.id)
    if (state === undefined) return Option.none()
    const row = driver.all("SELECT ts, properties FROM profiles WHERE acct = ? AND key = ?", [
      state.acct,
      key,
    ])[0]
    return storedProfile(key, row)
  }

  return { append, query, eventNames, profile }
}

// Durable Objects cap a row at 2 MB; a batch of large events is logged in several rows,
// each well under the cap even when every character takes three bytes in UTF-8.
const maxLogChunkChars = 500_000

const logChunks = (entries: ReadonlyArray<LogEntry>): Array<string> => {
  const chunks: Array<string> = []
  let parts: Array<string> = []
  let chars = 0
  for (const entry of entries) {
    const json = JSON.stringify(entry)
    if (parts.length > 0 && chars + json.length > maxLogChunkChars) {
      chunks.push(`[${parts.join(",")}]`)
      parts = []
      chars = 0
    }
    parts.push(json)
    chars += json.length + 1
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`)
  return chunks
}

const storedProfile = (key: string, row: SqlRow | undefined): Option.Option<EventStore.Profile> =>
  row === undefined || row.properties === null
    ? Option.none()
    : Option.some({
        profile: key,
        ts: Number(row.ts),
        properties: JSON.parse(String(row.properties)) as EventStore.Profile["properties"],
      })

const resultOf = (
  plan: QueryPlan.QueryPlan,
  value: (group: number, bucket: number) => number,
): QueryPlan.Result =>
  Object.fromEntries(
    plan.groups.map((group, g) => [
      group.name,
      Object.fromEntries(group.buckets.map((bucket, b) => [bucket.key, value(g, b)])),
    ]),
  )

const storeError =
  (operation: string) =>
  (cause: unknown): EventStore.StoreError =>
    new EventStore.StoreError({
      message: `SQLite store: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    })

/**
 * The store over an open SQLite connection; migrates the schema first.
 *
 * @example SqliteEventStore.make(NodeSqlite.open({ filename: "./data/trendline.db" }).driver)
 */
export const make = (
  driver: SqlDriver,
  options: Options = {},
): Effect.Effect<EventStore.Service, EventStore.StoreError> =>
  Effect.try({
    try: () => {
      migrate(driver)
      return makeSync(driver, options)
    },
    catch: storeError("opening the database"),
  }).pipe(
    Effect.map((store) => ({
      append: (account, batch) =>
        Effect.try({ try: () => store.append(account, batch), catch: storeError("append") }),
      query: (account, plan) =>
        Effect.try({ try: () => store.query(account, plan), catch: storeError("query") }),
      eventNames: (account) =>
        Effect.try({ try: () => store.eventNames(account), catch: storeError("eventNames") }),
      profile: (account, key) =>
        Effect.try({ try: () => store.profile(account, key), catch: storeError("profile") }),
    })),
  )

/** The store as a layer over a driver that someone else opens and closes. */
export const layer = (
  driver: SqlDriver,
  options: Options = {},
): Layer.Layer<EventStore.EventStore, EventStore.StoreError> =>
  Layer.effect(EventStore.EventStore, make(driver, options))
