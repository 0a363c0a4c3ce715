// Bringing an account's rollups to a new time zone (or to value slices, for an account
// stored before they existed) in steps (see the module comment of
// `engine.ts`): each step folds more of the account's event log into a new rollup set, in
// its own transaction, until the set is complete and swapped in; later steps delete the
// replaced sets. Only the connection that writes rebuilds.
import type * as Account from "@trendline/core/Account"
import type { SqlDriver } from "../SqlDriver.ts"
import type { Accounts } from "./accounts.ts"
import { parseLogChunk } from "./eventLog.ts"
import { newRollupSet, type RollupSets } from "./rollupSets.ts"
import type { ValueSlices } from "./valueSlices.ts"

// Events folded per read of `event_log` while rebuilding (rows hold up to 1000 events each).
const rebuildRowsPerRead = 8

/** Where a rebuild stands: rows of the account's event log folded so far, of how many. */
export interface RebuildProgress {
  readonly finished: boolean
  readonly folded: number
  readonly total: number
}

// Deletes what it can of replaced rollup sets before `deadline`; `true` when none is left.
const collectGarbage = (driver: SqlDriver, deadline: number): boolean => {
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

/**
 * One step of rebuilding an account's rollups in its `timeZone`, then of deleting replaced
 * rollup sets, working until `deadline` (`performance.now()` milliseconds). A step that
 * throws has rolled back; `forget` drops what it taught the caches.
 */
export const make =
  (
    driver: SqlDriver,
    accounts: Accounts,
    rollupSets: RollupSets,
    slices: ValueSlices,
    forget: (id: string) => void,
  ) =>
  (account: Account.Settings, deadline: number): RebuildProgress => {
    const timeZone = account.timeZone
    let finished = false
    let progress = { folded: 0, total: 0 }
    try {
      driver.transaction(() => {
        const state = accounts.load(account.id)
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
        if (state.timeZone === timeZone && (state.sliced || !slices.enabled)) {
          finished = true
          return
        }
        if (target === undefined) {
          target = newRollupSet(driver)
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
            rollupSets.apply(
              target,
              timeZone,
              slices.expand(state, parseLogChunk(String(logged.events))),
            )
            folded = Number(logged.seq)
          }
          if (rows.length < rebuildRowsPerRead) {
            // The whole log is folded: the new set answers from now on.
            driver.run("INSERT OR IGNORE INTO rollup_garbage (id) VALUES (?)", [state.rollups])
            driver.run(
              `UPDATE accounts SET rollups = ?, time_zone = ?, sliced = ?, rebuild_zone = NULL,
               rebuild_rollups = NULL, rebuild_seq = NULL WHERE acct = ?`,
              [target, timeZone, slices.enabled ? 1 : 0, state.acct],
            )
            state.rollups = target
            state.timeZone = timeZone
            state.sliced = slices.enabled
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
    return { finished: finished && collectGarbage(driver, deadline), ...progress }
  }
