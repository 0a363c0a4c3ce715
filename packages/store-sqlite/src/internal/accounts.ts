// The accounts one connection knows: their numbers, rollup sets, zones and event names,
// read once (on every use by a reader, as the writer may have changed them), and the dense
// numbers of their profiles (see the module comment of `engine.ts`).
import type * as Account from "@trendline/core/Account"
import type { SqlDriver } from "../SqlDriver.ts"
import { ProfileNumbers } from "./caches.ts"
import type { Role } from "./engine.ts"
import { newRollupSet } from "./rollupSets.ts"

/** An account as the engine holds it. */
export interface AccountState {
  readonly acct: number
  /** The rollup set that answers queries, and its zone. */
  rollups: number
  timeZone: string
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
  /** The number of a profile of the account, given on its first sight (inside a write). */
  readonly profileNumber: (state: AccountState, key: string) => number
  /** Forgets what was read of an account, and every profile number, after a rollback. */
  readonly forget: (id: string) => void
}

/** The accounts over `driver`. */
export const make = (driver: SqlDriver, role: Role): Accounts => {
  const accounts = new Map<string, AccountState>()
  const profileNumbers = new ProfileNumbers(4 * 1024 * 1024)

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

  const createAccount = (account: Account.Settings): AccountState => {
    driver.run("INSERT INTO accounts (id, time_zone, rollups) VALUES (?, ?, ?)", [
      account.id,
      account.timeZone,
      newRollupSet(driver),
    ])
    return loadAccount(account.id)!
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
  }

  return { load: loadAccount, create: createAccount, loadEventIds, profileNumber, forget }
}
