// The accounts one connection knows: their numbers, rollup sets, zones and event names,
// read once (on every use by a reader, as the writer may have changed them), and their
// profiles: the dense numbers that rollups and the event log use (see the module comment of
// `engine.ts`), and the properties of profile records.
//
// Profiles and event names are read and written a batch at a time, many rows per statement
// (`statements.ts`): one statement a profile would dominate, in a Durable Object, an upload
// that brings new profiles.
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Option from "effect/Option"
import type { SqlDriver, SqlRow } from "../SqlDriver.ts"
import type { ProfileNumbers } from "./caches.ts"
import type { Role } from "./engine.ts"
import { newRollupSet } from "./rollupSets.ts"
import {
  byRows,
  inSlices,
  maxBoundParameters,
  parametersAfterFirst,
  rowsPerStatement,
  tuples,
} from "./statements.ts"

/** An account as the engine holds it. */
export interface AccountState {
  readonly acct: number
  /** The rollup set that answers queries, and its zone. */
  rollups: number
  timeZone: string
  /** Whether `rollups` holds the value slices of every logged event (`valueSlices.ts`). */
  sliced: boolean
  readonly eventIds: Map<string, number>
  /** The number the next new profile gets; read on the first append. */
  nextProfile: number | undefined
}

/** The accounts of one connection. */
export interface Accounts {
  /** The account, or `undefined` before its first append. */
  readonly load: (id: string) => AccountState | undefined
  /** Stores a new account, with an empty rollup set in its zone. */
  readonly create: (account: Account.Settings) => AccountState
  /** Reads the account's event names again (a reader, after the writer added some). */
  readonly loadEventIds: (state: AccountState) => void
  /** Stores new event names of the account, numbered in their order (inside a write). */
  readonly addEventNames: (state: AccountState, names: ReadonlyArray<string>) => void
  /**
   * The numbers of profiles of the account, in the order of `keys` (which may repeat); a
   * profile gets its number on its first sight, in that order (inside a write).
   */
  readonly profileNumbers: (state: AccountState, keys: ReadonlyArray<string>) => Array<number>
  /** Merges profile records, in their order, into the stored profiles (inside a write). */
  readonly updateProfiles: (state: AccountState, updates: ReadonlyArray<EventStore.Profile>) => void
  /** The names of the fields the account's profiles have had, unsorted. */
  readonly fieldNames: (state: AccountState) => ReadonlyArray<string>
  /** The stored profile, if a profile record of it arrived. */
  readonly profile: (state: AccountState, key: string) => Option.Option<EventStore.Profile>
  /**
   * The properties of profiles by number (each number once), many a statement; a profile
   * with no profile record yet is absent. Also tells the statements run and the characters
   * of JSON decoded, for a sliced query's estimate of its work.
   */
  readonly profileFields: (state: AccountState, numbers: ReadonlyArray<number>) => ProfileFields
  /** Forgets what was read of an account, and every profile number, after a rollback. */
  readonly forget: (id: string) => void
}

/** What `profileFields` read. */
export interface ProfileFields {
  readonly fields: Map<number, EventStore.Profile["properties"]>
  readonly statements: number
  readonly chars: number
}

// Per lookup: the account, then the keys (or numbers).
const keysPerLookup = maxBoundParameters - 1
// Rows name their key by its position in the slice, not by the text SQLite gives back: a
// key that is not well-formed UTF-16 comes back changed (a lone surrogate as U+FFFD).
const lookupByKey = byRows(
  (rows) =>
    `SELECT keys.column2 AS position, profiles.no AS no
     FROM (VALUES ${Array.from({ length: rows }, (_, i) => `(?${i + 2}, ${i})`).join(", ")}) AS keys
     JOIN profiles ON profiles.acct = ?1 AND profiles.key = keys.column1`,
)
const lookupByNumber = byRows(
  (rows) =>
    `SELECT no, ts, properties, parts FROM profiles WHERE acct = ?1 AND no IN (${parametersAfterFirst(rows)})`,
)
const insertEventNames = byRows(
  (rows) => `INSERT INTO event_names (acct, id, name) VALUES ${tuples(rows, 2)}`,
)
const insertProfiles = byRows(
  (rows) => `INSERT INTO profiles (acct, no, key) VALUES ${tuples(rows, 2)}`,
)
// Every row exists (its number was given): the insert is never taken.
const updateProfileRows = byRows(
  (rows) =>
    `INSERT INTO profiles (acct, no, key, ts, properties, parts) VALUES ${tuples(rows, 5)}
     ON CONFLICT (acct, no) DO UPDATE SET
       ts = excluded.ts, properties = excluded.properties, parts = excluded.parts`,
)
const insertProfileParts = byRows(
  (rows) => `INSERT INTO profile_parts (acct, no, part, text) VALUES ${tuples(rows, 3)}`,
)

/**
 * UTF-16 units of a profile's JSON in one part: at most 3 bytes each in UTF-8, so a part
 * stays within 1,000,000 bytes, half of the 2 MB a Durable Object stores in one value.
 */
export const profilePartUnits = 333_333

/**
 * A profile's JSON in parts of at most `profilePartUnits` units (one part when it is that
 * short), never cutting a surrogate pair: `JSON.stringify` escapes lone surrogates, so each
 * part is well-formed text and stores unchanged.
 */
export const profileTextParts = (json: string): Array<string> => {
  const parts: Array<string> = []
  let from = 0
  while (json.length - from > profilePartUnits) {
    let to = from + profilePartUnits
    const last = json.charCodeAt(to - 1)
    if (last >= 0xd800 && last <= 0xdbff) to--
    parts.push(json.slice(from, to))
    from = to
  }
  parts.push(json.slice(from))
  return parts
}

// The text SQLite stores for a key: a lone surrogate becomes U+FFFD on the way to UTF-8, so
// keys that differ only there are one profile (as one lookup per key found them).
const storedKey = (key: string): string => (key.isWellFormed() ? key : key.toWellFormed())

// A stored profile's JSON, its parts joined, or `undefined` before its first profile record.
const storedJson = (row: SqlRow, rest: () => ReadonlyArray<string>): string | undefined =>
  row.properties === null
    ? undefined
    : Number(row.parts) > 1
      ? String(row.properties) + rest().join("")
      : String(row.properties)

const storedProfile = (
  key: string,
  row: SqlRow | undefined,
  rest: () => ReadonlyArray<string>,
): Option.Option<EventStore.Profile> => {
  const json = row === undefined ? undefined : storedJson(row, rest)
  return json === undefined
    ? Option.none()
    : Option.some({
        profile: key,
        ts: Number(row!.ts),
        properties: JSON.parse(json) as EventStore.Profile["properties"],
      })
}

const insertFieldNames = byRows(
  (rows) => `INSERT OR IGNORE INTO profile_fields (acct, name) VALUES ${tuples(rows, 1)}`,
)

/** The accounts over `driver`. */
export const make = (driver: SqlDriver, role: Role, cachedNumbers: ProfileNumbers): Accounts => {
  const accounts = new Map<string, AccountState>()

  const loadEventIds = (state: AccountState): void => {
    for (const row of driver.all("SELECT id, name FROM event_names WHERE acct = ?", [state.acct]))
      state.eventIds.set(String(row.name), Number(row.id))
  }

  // Another connection may have swapped the rollup set or added names: readers look again.
  const loadAccount = (id: string): AccountState | undefined => {
    const cached = accounts.get(id)
    if (cached !== undefined && role !== "reader") return cached
    const row = driver.all("SELECT acct, rollups, time_zone, sliced FROM accounts WHERE id = ?", [
      id,
    ])[0]
    if (row === undefined) return undefined
    if (cached !== undefined) {
      cached.rollups = Number(row.rollups)
      cached.timeZone = String(row.time_zone)
      cached.sliced = Number(row.sliced) === 1
      return cached
    }
    const state: AccountState = {
      acct: Number(row.acct),
      rollups: Number(row.rollups),
      timeZone: String(row.time_zone),
      sliced: Number(row.sliced) === 1,
      eventIds: new Map(),
      nextProfile: undefined,
    }
    loadEventIds(state)
    accounts.set(id, state)
    return state
  }

  const addEventNames = (state: AccountState, names: ReadonlyArray<string>): void => {
    const numbered = names.map((name, i): [string, number] => [name, state.eventIds.size + i])
    inSlices(numbered, rowsPerStatement(2), (slice) => {
      const params: Array<string | number> = [state.acct]
      for (const [name, id] of slice) params.push(id, name)
      driver.run(insertEventNames(slice.length), params)
    })
    for (const [name, id] of numbered) state.eventIds.set(name, id)
  }

  const createAccount = (account: Account.Settings): AccountState => {
    // A new account's rollups hold every slice from its first event on.
    driver.run("INSERT INTO accounts (id, time_zone, rollups, sliced) VALUES (?, ?, ?, 1)", [
      account.id,
      account.timeZone,
      newRollupSet(driver),
    ])
    return loadAccount(account.id)!
  }

  // Keys as they are stored and looked up in `found`: each one once, in its stored form.
  const profileNumbers = (state: AccountState, keys: ReadonlyArray<string>): Array<number> => {
    const cacheKey = (key: string) => `${state.acct}:${key}`
    const stored = keys.map(storedKey)
    const found = new Map<string, number>()
    const unknown = new Set<string>()
    for (const key of stored) {
      if (found.has(key) || unknown.has(key)) continue
      const cached = cachedNumbers.get(cacheKey(key))
      if (cached === undefined) unknown.add(key)
      else found.set(key, cached)
    }
    if (unknown.size === 0) return stored.map((key) => found.get(key)!)
    const missing = [...unknown]
    inSlices(missing, keysPerLookup, (slice) => {
      for (const row of driver.all(lookupByKey(slice.length), [state.acct, ...slice]))
        found.set(slice[Number(row.position)]!, Number(row.no))
    })
    const created = missing.filter((key) => !found.has(key))
    if (created.length > 0) {
      state.nextProfile ??= Number(
        driver.all("SELECT coalesce(max(no), -1) + 1 AS next FROM profiles WHERE acct = ?", [
          state.acct,
        ])[0]!.next,
      )
      for (const key of created) found.set(key, state.nextProfile++)
      inSlices(created, rowsPerStatement(2), (slice) => {
        const params: Array<string | number> = [state.acct]
        for (const key of slice) params.push(found.get(key)!, key)
        driver.run(insertProfiles(slice.length), params)
      })
    }
    for (const key of missing) cachedNumbers.set(cacheKey(key), found.get(key)!)
    return stored.map((key) => found.get(key)!)
  }

  const updateProfiles = (state: AccountState, updates: ReadonlyArray<EventStore.Profile>) => {
    if (updates.length === 0) return
    const numbers = profileNumbers(
      state,
      updates.map((update) => update.profile),
    )
    // Each profile's stored record, then merged with its updates in their order.
    const profiles = new Map<number, EventStore.Profile | undefined>()
    const keyOf = new Map<number, string>()
    for (const [i, update] of updates.entries()) keyOf.set(numbers[i]!, update.profile)
    // Profiles stored in more than one part: their other parts are replaced.
    const split = new Set<number>()
    inSlices([...keyOf.keys()], keysPerLookup, (slice) => {
      for (const row of driver.all(lookupByNumber(slice.length), [state.acct, ...slice])) {
        const no = Number(row.no)
        if (Number(row.parts) > 1) split.add(no)
        profiles.set(
          no,
          Option.getOrUndefined(storedProfile(keyOf.get(no)!, row, () => otherParts(state, no))),
        )
      }
    })
    updates.forEach((update, i) => {
      const no = numbers[i]!
      profiles.set(no, EventStore.mergeProfile(Option.fromNullable(profiles.get(no)), update))
    })
    const fields = new Set<string>()
    for (const update of updates) for (const name in update.properties) fields.add(name)
    inSlices([...fields], rowsPerStatement(1), (slice) =>
      driver.run(insertFieldNames(slice.length), [state.acct, ...slice]),
    )
    const parts: Array<{ no: number; part: number; text: string }> = []
    inSlices([...profiles], rowsPerStatement(5), (slice) => {
      const params: Array<string | number> = [state.acct]
      for (const [no, profile] of slice) {
        const texts = profileTextParts(JSON.stringify(profile!.properties))
        params.push(no, profile!.profile, profile!.ts, texts[0]!, texts.length)
        for (let part = 1; part < texts.length; part++) parts.push({ no, part, text: texts[part]! })
        if (texts.length > 1) split.add(no)
      }
      driver.run(updateProfileRows(slice.length), params)
    })
    for (const no of split)
      driver.run("DELETE FROM profile_parts WHERE acct = ? AND no = ?", [state.acct, no])
    // One part a statement: each is up to a megabyte.
    inSlices(parts, 1, (slice) => {
      const params: Array<string | number> = [state.acct]
      for (const { no, part, text } of slice) params.push(no, part, text)
      driver.run(insertProfileParts(slice.length), params)
    })
  }

  // The parts of a profile after its first, in order.
  const otherParts = (state: AccountState, no: number): Array<string> =>
    driver
      .all("SELECT text FROM profile_parts WHERE acct = ? AND no = ? ORDER BY part", [
        state.acct,
        no,
      ])
      .map((row) => String(row.text))

  const profile = (state: AccountState, key: string): Option.Option<EventStore.Profile> => {
    const row = driver.all(
      "SELECT no, ts, properties, parts FROM profiles WHERE acct = ? AND key = ?",
      [state.acct, key],
    )[0]
    return storedProfile(key, row, () => otherParts(state, Number(row!.no)))
  }

  const profileFields = (state: AccountState, numbers: ReadonlyArray<number>): ProfileFields => {
    const fields = new Map<number, EventStore.Profile["properties"]>()
    let statements = 0
    let chars = 0
    inSlices(numbers, keysPerLookup, (slice) => {
      statements++
      for (const row of driver.all(lookupByNumber(slice.length), [state.acct, ...slice])) {
        const no = Number(row.no)
        const json = storedJson(row, () => {
          statements++
          return otherParts(state, no)
        })
        if (json === undefined) continue
        chars += json.length
        fields.set(no, JSON.parse(json) as EventStore.Profile["properties"])
      }
    })
    return { fields, statements, chars }
  }

  const forget = (id: string): void => {
    accounts.delete(id)
    cachedNumbers.clear()
  }

  const fieldNames = (state: AccountState): ReadonlyArray<string> =>
    driver
      .all("SELECT name FROM profile_fields WHERE acct = ?", [state.acct])
      .map((row) => String(row.name))

  return {
    fieldNames,
    load: loadAccount,
    create: createAccount,
    loadEventIds,
    addEventNames,
    profileNumbers,
    updateProfiles,
    profile,
    profileFields,
    forget,
  }
}
