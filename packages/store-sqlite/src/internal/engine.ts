// The store's synchronous engine over one SQLite connection. `SqliteEventStore` runs it in
// process (Node, a Durable Object); `NodeSqlitePool` runs one writer and several readers
// of it on worker threads, each over its own connection to the same file.
//
// Three roles:
// - "single": the only connection (in process); its caches are always current.
// - "writer": the only connection that writes; it logs which day sets it changed
//   (`day_changes`) so that readers can drop what they decoded before.
// - "reader": never writes; before each query it reads the change log.
//
// Rollups live in "rollup sets": `accounts.rollups` names the set that answers queries,
// cut in `accounts.time_zone`. When an account's zone changes, a new set is built from
// `event_log` in steps (`rebuildStep`, each its own transaction, so appends and queries go
// on between them), then swapped in; the old set is deleted in later steps. Queries in the
// new zone answer `Rebuilding` until the swap.
import type * as Account from "@trendline/core/Account"
import * as Aggregator from "@trendline/core/Aggregator"
import * as Calendar from "@trendline/core/Calendar"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as Option from "effect/Option"
import type { SqlDriver, SqlRow } from "../SqlDriver.ts"
import { migrations } from "./migrations.ts"
import * as ProfileSets from "./profileSets.ts"

/** How the engine shares its database (see the module comment). */
export type Role = "single" | "writer" | "reader"

/** Settings of the engine. */
export interface EngineOptions {
  /** The limits to enforce (the event-name limit per account); defaults to `Limits.defaults`. */
  readonly limits?: Limits.Limits | undefined
  /** Memory kept for decoded day sets of distinct profiles, in bytes (default 64 MiB). */
  readonly cacheBytes?: number | undefined
}

/** What a query answers: its result, or that the account's rollups are being rebuilt. */
export type QueryOutcome =
  | { readonly _tag: "Result"; readonly result: QueryPlan.Result }
  | { readonly _tag: "Rebuilding" }

/** What an append did, and whether the account's rollups must be rebuilt in a new zone. */
export interface Appended {
  readonly receipt: EventStore.AppendReceipt
  readonly rebuild: boolean
}

export interface Engine {
  /** Stores a batch (see `EventStore.Service.append`); a reused upload key stores nothing. */
  readonly append: (
    account: Account.Settings,
    batch: EventStore.Batch,
    key?: EventStore.UploadKey,
  ) => Appended | EventStore.KeyReused
  /** A query in slices: each `yield` is a point where the caller may let other work run. */
  readonly query: (
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
  ) => Generator<void, QueryOutcome, void>
  readonly eventNames: (account: Account.Settings) => ReadonlyArray<string>
  readonly profile: (account: Account.Settings, key: string) => Option.Option<EventStore.Profile>
  /**
   * One step of bringing an account's rollups to its `timeZone` and deleting replaced
   * rollup sets, working until `deadline` (`performance.now()` milliseconds).
   */
  readonly rebuildStep: (account: Account.Settings, deadline: number) => RebuildProgress
  /** Reads, and unless a reader writes, the database; throws what stops it (for `/health`). */
  readonly health: () => void
}

/** Where a rebuild stands: rows of the account's event log folded so far, of how many. */
export interface RebuildProgress {
  readonly finished: boolean
  readonly folded: number
  readonly total: number
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

// One stored event, as `event_log` keeps it: [event id, ts, profile number, properties].
type LogEntry = readonly [
  event: number,
  ts: number,
  profile: number,
  properties: Aggregator.Event["properties"],
]

interface AccountState {
  readonly acct: number
  /** The rollup set that answers queries, and its zone. */
  rollups: number
  timeZone: string
  readonly eventIds: Map<string, number>
  /** The number the next new profile gets; read on the first append. */
  nextProfile: number | undefined
}

// Profile numbers recently looked up, by `acct:key`, in two generations: a hit in the old
// one moves to the new one, and when the new one is full the old one is dropped. Memory
// stays bounded however many profiles an account has (each lookup that misses costs one
// indexed SELECT), unlike a map of every profile.
class ProfileNumbers {
  private current = new Map<string, number>()
  private previous = new Map<string, number>()
  private chars = 0
  private readonly maxChars: number
  constructor(maxChars: number) {
    this.maxChars = maxChars
  }

  get(key: string): number | undefined {
    const found = this.current.get(key)
    if (found !== undefined) return found
    const old = this.previous.get(key)
    if (old !== undefined) this.set(key, old)
    return old
  }

  set(key: string, no: number): void {
    if (this.chars >= this.maxChars) {
      this.previous = this.current
      this.current = new Map()
      this.chars = 0
    }
    this.current.set(key, no)
    this.chars += key.length + 16
  }

  clear(): void {
    this.current.clear()
    this.previous.clear()
    this.chars = 0
  }
}

// 2^24: a day's sum is kept as high * 2^24 + low (see migration 4).
const sumBase = 16_777_216
const sumBaseBig = 16_777_216n

const setKey = (rollups: number, event: number, day: number): string => `${rollups}:${event}:${day}`

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

// Distinct-profile counts of multi-day buckets already computed, per rollup set and event,
// until an append adds a profile to one of their days. Finished weeks and months do not
// change, so repeated questions about them cost a lookup instead of a union.
class DistinctCounts {
  private readonly byEvent = new Map<
    string,
    Map<string, { first: number; last: number; count: number }>
  >()

  get(rollups: number, event: number, first: number, last: number): number | undefined {
    return this.byEvent.get(`${rollups}:${event}`)?.get(`${first}:${last}`)?.count
  }

  set(rollups: number, event: number, first: number, last: number, count: number): void {
    const key = `${rollups}:${event}`
    let entries = this.byEvent.get(key)
    if (entries === undefined || entries.size >= 4096) {
      entries = new Map()
      this.byEvent.set(key, entries)
    }
    entries.set(`${first}:${last}`, { first, last, count })
  }

  invalidate(rollups: number, event: number, day: number): void {
    const entries = this.byEvent.get(`${rollups}:${event}`)
    if (entries === undefined) return
    for (const [key, entry] of entries)
      if (entry.first <= day && day <= entry.last) entries.delete(key)
  }

  clear(): void {
    this.byEvent.clear()
  }
}

// The change log keeps this many of the newest changes; a reader further behind starts over.
const changesKept = 100_000
// Events folded per read of `event_log` while rebuilding (rows hold up to 1000 events each).
const rebuildRowsPerRead = 8

/** The engine over an open, migrated connection. */
export const make = (driver: SqlDriver, role: Role, options: EngineOptions = {}): Engine => {
  const limits = options.limits ?? Limits.defaults
  const cache = new SetCache(options.cacheBytes ?? 64 * 1024 * 1024)
  const profileNumbers = new ProfileNumbers(4 * 1024 * 1024)
  const distinct = new DistinctCounts()
  const accounts = new Map<string, AccountState>()
  // Bumped whenever a day set changes: a sliced query remembers a union only if no set
  // changed while it was gathering the days.
  let generation = 0
  // Readers: the newest change of the log already applied to the caches.
  let seenChange: number | undefined

  const loadEventIds = (state: AccountState): void => {
    for (const row of driver.all("SELECT id, name FROM event_names WHERE acct = ?", [state.acct]))
      state.eventIds.set(String(row.name), Number(row.id))
  }

  // Another connection may have swapped the rollup set or added names: readers look again.
  const loadAccount = (id: string): AccountState | undefined => {
    const cached = accounts.get(id)
    if (cached !== undefined && role !== "reader") return cached
    const row = driver.all("SELECT acct, rollups, time_zone FROM accounts WHERE id = ?", [id])[0]
    if (row === undefined) return undefined
    if (cached !== undefined) {
      cached.rollups = Number(row.rollups)
      cached.timeZone = String(row.time_zone)
      return cached
    }
    const state: AccountState = {
      acct: Number(row.acct),
      rollups: Number(row.rollups),
      timeZone: String(row.time_zone),
      eventIds: new Map(),
      nextProfile: undefined,
    }
    loadEventIds(state)
    accounts.set(id, state)
    return state
  }

  const newRollupSet = (): number => {
    return Number(driver.all("INSERT INTO rollup_sets DEFAULT VALUES RETURNING id")[0]!.id)
  }

  const createAccount = (account: Account.Settings): AccountState => {
    driver.run("INSERT INTO accounts (id, time_zone, rollups) VALUES (?, ?, ?)", [
      account.id,
      account.timeZone,
      newRollupSet(),
    ])
    return loadAccount(account.id)!
  }

  // Readers: drop the decoded sets and remembered unions that the writer changed since.
  const catchUp = (): void => {
    // Two subqueries: SQLite answers a lone min() or max() from the key, both at once by a scan.
    const bounds = driver.all(
      "SELECT (SELECT min(seq) FROM day_changes) AS low, (SELECT max(seq) FROM day_changes) AS high",
    )[0]
    const high = bounds?.high === null || bounds === undefined ? 0 : Number(bounds.high)
    if (seenChange === undefined || high < seenChange) {
      // First look, or a log that was emptied: nothing decoded before can be trusted.
      if (seenChange !== undefined) {
        cache.clear()
        distinct.clear()
      }
      seenChange = high
      return
    }
    if (high === seenChange) return
    if (Number(bounds!.low) > seenChange + 1) {
      cache.clear()
      distinct.clear()
    } else {
      for (const change of driver.all("SELECT rollups, event, day FROM day_changes WHERE seq > ?", [
        seenChange,
      ])) {
        const rollups = Number(change.rollups)
        const event = Number(change.event)
        const day = Number(change.day)
        cache.delete(setKey(rollups, event, day))
        distinct.invalidate(rollups, event, day)
      }
    }
    generation++
    seenChange = high
  }

  const daySet = (rollups: number, event: number, day: number): Uint32Array => {
    const key = setKey(rollups, event, day)
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const row = driver.all(
      "SELECT profiles FROM day_profiles WHERE acct = ? AND event = ? AND day = ?",
      [rollups, event, day],
    )[0]
    const set = ProfileSets.fromBlob(row?.profiles as Uint8Array | undefined)
    cache.set(key, set)
    return set
  }

  // Reads the day sets of a range that are not decoded yet in one statement, not one a day.
  const prefetch = (rollups: number, event: number, from: number, to: number): void => {
    let missing = 0
    for (let day = from; day <= to; day++)
      if (cache.get(setKey(rollups, event, day)) === undefined) missing++
    if (missing < 2) return
    const found = new Set<number>()
    for (const row of driver.all(
      "SELECT day, profiles FROM day_profiles WHERE acct = ? AND event = ? AND day BETWEEN ? AND ?",
      [rollups, event, from, to],
    )) {
      const day = Number(row.day)
      found.add(day)
      cache.set(setKey(rollups, event, day), ProfileSets.fromBlob(row.profiles as Uint8Array))
    }
    for (let day = from; day <= to; day++)
      if (!found.has(day)) cache.set(setKey(rollups, event, day), ProfileSets.fromBlob(undefined))
  }

  let changesLogged = 0

  // Folds stored events into the rollups of their local days in `timeZone`.
  const applyRollups = (
    rollups: number,
    timeZone: string,
    entries: ReadonlyArray<LogEntry>,
  ): void => {
    const counts = new Map<string, { event: number; day: number; count: number }>()
    // Each part of a sum stays a safe integer here: at most 2^29 per event in `high`.
    const sums = new Map<
      string,
      { event: number; property: string; day: number; high: number; low: number }
    >()
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
        const value = Aggregator.summand(properties[property])
        if (value === 0) continue
        const high = Math.floor(value / sumBase)
        const low = value - high * sumBase
        const sumKey = `${key}:${property}`
        const sum = sums.get(sumKey)
        if (sum === undefined) sums.set(sumKey, { event, property, day, high, low })
        else {
          sum.high += high
          sum.low += low
        }
      }
    }
    for (const { event, day, count } of counts.values()) {
      driver.run(
        `INSERT INTO day_counts (acct, event, day, count) VALUES (?, ?, ?, ?)
         ON CONFLICT (acct, event, day) DO UPDATE SET count = count + excluded.count`,
        [rollups, event, day, count],
      )
    }
    for (const { event, property, day, high, low } of sums.values()) {
      const carry = Math.floor(low / sumBase)
      driver.run(
        `INSERT INTO day_sums (acct, event, property, day, low, high) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (acct, event, property, day) DO UPDATE SET
           low = (low + excluded.low) % ${sumBase},
           high = high + excluded.high + (low + excluded.low) / ${sumBase}`,
        [rollups, event, property, day, low - carry * sumBase, high + carry],
      )
    }
    for (const { event, day, profiles } of newProfiles.values()) {
      const existing = daySet(rollups, event, day)
      const merged = ProfileSets.merge(existing, ProfileSets.sortedSet(Uint32Array.from(profiles)))
      if (merged === existing) continue
      driver.run(
        `INSERT INTO day_profiles (acct, event, day, profiles) VALUES (?, ?, ?, ?)
         ON CONFLICT (acct, event, day) DO UPDATE SET profiles = excluded.profiles`,
        [rollups, event, day, ProfileSets.toBlob(merged)],
      )
      cache.set(setKey(rollups, event, day), merged)
      distinct.invalidate(rollups, event, day)
      generation++
      if (role === "writer") {
        driver.run("INSERT INTO day_changes (rollups, event, day) VALUES (?, ?, ?)", [
          rollups,
          event,
          day,
        ])
        changesLogged++
      }
    }
    if (changesLogged >= changesKept / 10) {
      driver.run("DELETE FROM day_changes WHERE seq <= (SELECT max(seq) FROM day_changes) - ?", [
        changesKept,
      ])
      changesLogged = 0
    }
  }

  const profileNumber = (state: AccountState, key: string): number => {
    const cacheKey = `${state.acct}:${key}`
    const cached = profileNumbers.get(cacheKey)
    if (cached !== undefined) return cached
    const stored = driver.all("SELECT no FROM profiles WHERE acct = ? AND key = ?", [
      state.acct,
      key,
    ])[0]
    let no: number
    if (stored !== undefined) no = Number(stored.no)
    else {
      state.nextProfile ??= Number(
        driver.all("SELECT coalesce(max(no), -1) + 1 AS next FROM profiles WHERE acct = ?", [
          state.acct,
        ])[0]!.next,
      )
      no = state.nextProfile++
      driver.run("INSERT INTO profiles (acct, no, key) VALUES (?, ?, ?)", [state.acct, no, key])
    }
    profileNumbers.set(cacheKey, no)
    return no
  }

  const forget = (id: string): void => {
    accounts.delete(id)
    profileNumbers.clear()
    cache.clear()
    distinct.clear()
    generation++
  }

  // Removes some expired upload keys; bounded, so an append never pays for a backlog.
  const purgeKeys = (now: number): void => {
    driver.run(
      `DELETE FROM upload_keys WHERE (acct, key) IN
         (SELECT acct, key FROM upload_keys WHERE expires_at <= ? LIMIT 100)`,
      [now],
    )
  }

  const append = (
    account: Account.Settings,
    batch: EventStore.Batch,
    key?: EventStore.UploadKey,
  ): Appended | EventStore.KeyReused => {
    if (role === "reader") throw new Error("a reader cannot append")
    try {
      return driver.transaction((): Appended | EventStore.KeyReused => {
        const state = loadAccount(account.id) ?? createAccount(account)
        if (key !== undefined) {
          const row = driver.all(
            "SELECT fingerprint, refused, expires_at FROM upload_keys WHERE acct = ? AND key = ?",
            [state.acct, key.key],
          )[0]
          const replay = EventStore.replayOf(
            key,
            row === undefined
              ? undefined
              : {
                  fingerprint: String(row.fingerprint),
                  expiresAt: Number(row.expires_at),
                  refused: JSON.parse(String(row.refused)) as Array<number>,
                },
          )
          if (replay !== undefined) {
            return replay instanceof EventStore.KeyReused
              ? replay
              : { receipt: replay, rebuild: false }
          }
        }
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
        // Into the set that answers queries, in its zone; a rebuild in the account's new
        // zone picks these events up from the log.
        applyRollups(state.rollups, state.timeZone, entries)
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
        if (key !== undefined) {
          purgeKeys(key.now)
          driver.run(
            `INSERT OR REPLACE INTO upload_keys (acct, key, fingerprint, refused, expires_at)
             VALUES (?, ?, ?, ?, ?)`,
            [state.acct, key.key, key.fingerprint, JSON.stringify(refused), key.expiresAt],
          )
        }
        return { receipt: { refused }, rebuild: state.timeZone !== account.timeZone }
      })
    } catch (error) {
      // The transaction rolled back: forget what this batch taught the caches.
      forget(account.id)
      throw error
    }
  }

  const perDay = (
    plan: QueryPlan.QueryPlan,
    rows: ReadonlyArray<SqlRow>,
    value: (row: SqlRow) => bigint,
  ): Array<bigint> => {
    const values = new Array<bigint>(plan.to - plan.from + 1).fill(0n)
    for (const row of rows) values[Number(row.day) - plan.from] = value(row)
    return values
  }

  const union = new ProfileSets.UnionCounter()

  // Day sets read between two yields of a distinct-profile query.
  const daysPerSlice = 16

  function* query(
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
  ): Generator<void, QueryOutcome, void> {
    if (role === "reader") catchUp()
    const state = loadAccount(account.id)
    if (state === undefined) return { _tag: "Result", result: QueryPlan.emptyResult(plan) }
    let event = state.eventIds.get(plan.eventName)
    if (event === undefined && role === "reader") {
      loadEventIds(state)
      event = state.eventIds.get(plan.eventName)
    }
    if (event === undefined) return { _tag: "Result", result: QueryPlan.emptyResult(plan) }
    if (state.timeZone !== plan.timeZone) return { _tag: "Rebuilding" }
    const rollups = state.rollups
    if (plan.measure._tag === "Profiles") {
      // A month of day sets at a time, yielding between them.
      for (let first = plan.from; first <= plan.to; first += 32) {
        prefetch(rollups, event, first, Math.min(plan.to, first + 31))
        yield
      }
      const counts = plan.groups.map((group) => new Array<number>(group.buckets.length).fill(0))
      let read = 0
      for (const [g, group] of plan.groups.entries()) {
        for (const [b, { first, last }] of group.buckets.entries()) {
          if (first === last) {
            counts[g]![b] = daySet(rollups, event, first).length
            continue
          }
          const known = distinct.get(rollups, event, first, last)
          if (known !== undefined) {
            counts[g]![b] = known
            continue
          }
          const startedAt = generation
          const sets: Array<Uint32Array> = []
          for (let day = first; day <= last; day++) {
            sets.push(daySet(rollups, event, day))
            if (++read % daysPerSlice === 0) yield
          }
          const count = union.count(sets)
          counts[g]![b] = count
          if (generation === startedAt) distinct.set(rollups, event, first, last, count)
        }
      }
      return { _tag: "Result", result: resultOf(plan, (g, b) => counts[g]![b]!) }
    }
    const index = QueryPlan.bucketIndex(plan)
    const values =
      plan.measure._tag === "Events"
        ? perDay(
            plan,
            driver.all(
              "SELECT day, count FROM day_counts WHERE acct = ? AND event = ? AND day BETWEEN ? AND ?",
              [rollups, event, plan.from, plan.to],
            ),
            (row) => BigInt(row.count as number | bigint),
          )
        : perDay(
            plan,
            driver.all(
              "SELECT day, low, high FROM day_sums WHERE acct = ? AND event = ? AND property = ? AND day BETWEEN ? AND ?",
              [rollups, event, plan.measure.property, plan.from, plan.to],
            ),
            (row) =>
              BigInt(row.high as number | bigint) * sumBaseBig + BigInt(row.low as number | bigint),
          )
    const totals = plan.groups.map((group, g) => {
      const sums = new Array<bigint>(group.buckets.length).fill(0n)
      values.forEach((value, offset) => {
        sums[index[g]![offset]!]! += value
      })
      return sums
    })
    return { _tag: "Result", result: resultOf(plan, (g, b) => Number(totals[g]![b]!)) }
  }

  const eventNames = (account: Account.Settings): ReadonlyArray<string> => {
    const state = loadAccount(account.id)
    if (state === undefined) return []
    if (role === "reader") loadEventIds(state)
    return [...state.eventIds.keys()].sort()
  }

  const profile = (account: Account.Settings, key: string): Option.Option<EventStore.Profile> => {
    const state = loadAccount(account.id)
    if (state === undefined) return Option.none()
    const row = driver.all("SELECT ts, properties FROM profiles WHERE acct = ? AND key = ?", [
      state.acct,
      key,
    ])[0]
    return storedProfile(key, row)
  }

  // Deletes what it can of replaced rollup sets before `deadline`; `true` when none is left.
  const collectGarbage = (deadline: number): boolean => {
    for (;;) {
      const set = driver.all("SELECT id FROM rollup_garbage LIMIT 1")[0]
      if (set === undefined) return true
      const id = Number(set.id)
      const done = driver.transaction(() => {
        const event = driver.all(
          "SELECT event FROM day_counts WHERE acct = ? UNION ALL SELECT event FROM day_profiles WHERE acct = ? LIMIT 1",
          [id, id],
        )[0]?.event
        if (event === undefined) {
          driver.run("DELETE FROM day_sums WHERE acct = ?", [id])
          driver.run("DELETE FROM rollup_garbage WHERE id = ?", [id])
          return true
        }
        for (const table of ["day_counts", "day_sums", "day_profiles"])
          driver.run(`DELETE FROM ${table} WHERE acct = ? AND event = ?`, [id, event])
        return false
      })
      if (!done && performance.now() >= deadline) return false
    }
  }

  const rebuildStep = (account: Account.Settings, deadline: number): RebuildProgress => {
    if (role === "reader") throw new Error("a reader cannot rebuild")
    const timeZone = account.timeZone
    let finished = false
    let progress = { folded: 0, total: 0 }
    try {
      driver.transaction(() => {
        const state = loadAccount(account.id)
        if (state === undefined) {
          finished = true
          return
        }
        const row = driver.all(
          "SELECT rebuild_zone, rebuild_rollups, rebuild_seq FROM accounts WHERE acct = ?",
          [state.acct],
        )[0]!
        let target = row.rebuild_rollups === null ? undefined : Number(row.rebuild_rollups)
        let folded = Number(row.rebuild_seq ?? 0)
        if (target !== undefined && row.rebuild_zone !== timeZone) {
          // A rebuild towards another zone: its partial set is garbage.
          driver.run("INSERT OR IGNORE INTO rollup_garbage (id) VALUES (?)", [target])
          target = undefined
          driver.run(
            "UPDATE accounts SET rebuild_zone = NULL, rebuild_rollups = NULL, rebuild_seq = NULL WHERE acct = ?",
            [state.acct],
          )
        }
        if (state.timeZone === timeZone) {
          finished = true
          return
        }
        if (target === undefined) {
          target = newRollupSet()
          folded = 0
          driver.run(
            "UPDATE accounts SET rebuild_zone = ?, rebuild_rollups = ?, rebuild_seq = 0 WHERE acct = ?",
            [timeZone, target, state.acct],
          )
        }
        for (;;) {
          const rows = driver.all(
            "SELECT seq, events FROM event_log WHERE acct = ? AND seq > ? ORDER BY seq LIMIT ?",
            [state.acct, folded, rebuildRowsPerRead],
          )
          for (const logged of rows) {
            applyRollups(target, timeZone, JSON.parse(String(logged.events)) as Array<LogEntry>)
            folded = Number(logged.seq)
          }
          if (rows.length < rebuildRowsPerRead) {
            // The whole log is folded: the new set answers from now on.
            driver.run("INSERT OR IGNORE INTO rollup_garbage (id) VALUES (?)", [state.rollups])
            driver.run(
              `UPDATE accounts SET rollups = ?, time_zone = ?, rebuild_zone = NULL,
               rebuild_rollups = NULL, rebuild_seq = NULL WHERE acct = ?`,
              [target, timeZone, state.acct],
            )
            state.rollups = target
            state.timeZone = timeZone
            finished = true
            return
          }
          if (performance.now() >= deadline) break
        }
        driver.run("UPDATE accounts SET rebuild_seq = ? WHERE acct = ?", [folded, state.acct])
        const counted = driver.all(
          "SELECT count(*) AS total, coalesce(sum(seq <= ?), 0) AS folded FROM event_log WHERE acct = ?",
          [folded, state.acct],
        )[0]!
        progress = { folded: Number(counted.folded), total: Number(counted.total) }
      })
    } catch (error) {
      forget(account.id)
      throw error
    }
    return { finished: finished && collectGarbage(deadline), ...progress }
  }

  const health = (): void => {
    driver.all(`SELECT max(version) AS v FROM ${tableNames.migrations}`)
    if (role === "reader") return
    // A write that changes nothing still writes its page: a read-only or full disk fails it.
    driver.transaction(() =>
      driver.run(
        `UPDATE ${tableNames.migrations} SET name = name WHERE version = (SELECT max(version) FROM ${tableNames.migrations})`,
      ),
    )
  }

  return { append, query, eventNames, profile, rebuildStep, health }
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

/** Runs a sliced query to its end without yielding (a reader on its own thread). */
export const runToEnd = <A>(steps: Generator<void, A, void>): A => {
  for (;;) {
    const next = steps.next()
    if (next.done === true) return next.value
  }
}
