/**
 * Child processes that must not outlive the process that started them: servers started
 * for tests and benchmarks. A child is registered before it is spawned and runs in a
 * process group of its own (`spawn(…, { detached: true })`); every registered group still
 * running is killed (SIGKILL) when this process exits or is ended by SIGINT, SIGTERM or
 * SIGHUP, e.g. a test runner stopping its worker after a hook timed out, before the test
 * had a handle to stop it.
 *
 * @example
 * const group = ProcessGroups.register()
 * const child = spawn(command, args, { detached: true })
 * group.pid = child.pid
 * child.once("exit", () => ProcessGroups.release(group))
 */

/** A registered group: its leader's pid once spawned. */
export interface Group {
  pid: number | undefined
}

// The groups that have not exited yet, each with what to do after killing it. A group is
// signalled only while its leader has not been reaped, so its id cannot be another's.
const groups = new Map<Group, (() => void) | undefined>()

/** Kills (SIGKILL) every registered group, then runs their `afterKill`; synchronous. */
export const killAll = (): void => {
  for (const [group, afterKill] of groups) {
    try {
      if (group.pid !== undefined) process.kill(-group.pid, "SIGKILL")
    } catch {
      // Already gone.
    }
    afterKill?.()
  }
}

const endSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const
const onEndSignal = (signal: NodeJS.Signals) => {
  killAll()
  for (const other of endSignals) process.off(other, onEndSignal)
  // The signal's usual end, unless someone else (a test runner) handles it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}
let hooked = false

/**
 * A group to kill when this process ends, registered before its leader is spawned; set
 * its `pid` once it is. `afterKill` runs (synchronously) after a kill at this process's
 * end, e.g. to delete the child's temporary folder.
 */
export const register = (afterKill?: () => void): Group => {
  if (!hooked) {
    hooked = true
    process.once("exit", killAll)
    for (const signal of endSignals) process.once(signal, onEndSignal)
  }
  const group: Group = { pid: undefined }
  groups.set(group, afterKill)
  return group
}

/** Forgets a group whose leader has exited (or will not be started). */
export const release = (group: Group): void => {
  groups.delete(group)
}
