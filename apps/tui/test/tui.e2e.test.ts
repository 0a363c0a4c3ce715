/**
 * The real program in a real terminal: tmux runs `src/main.tsx` on a fresh local database
 * (filled with the demo data), the test types a query, reads the chart and the table off
 * the screen, exports a CSV, goes back to the form and quits with Ctrl+Q (a real terminal
 * must hand it over, not take it for flow control). A tmux server of its own (`-L`) keeps
 * it apart from any other tmux session on the machine.
 *
 * Nothing outlives the test: the tmux server runs in the foreground (`-D`) as a child of
 * this process, in a process group of its own (`detached`) beside a shell that kills it if
 * this process dies; killing that group ends the program too (its terminal hangs up). The
 * group is killed after the tests and whenever this process ends, so a hook that times out
 * before the test holds anything still leaves nothing running.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import * as Calendar from "@trendline/core/Calendar"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const appDir = resolve(import.meta.dirname, "..")
const socket = `trendline-e2e-${process.pid}`
const session = "tui"
let dir: string

const tmux = (...args: ReadonlyArray<string>): string =>
  execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })

const isRunning = (): boolean =>
  spawnSync("tmux", ["-L", socket, "has-session", "-t", session]).status === 0

const screen = (): string => tmux("capture-pane", "-p", "-t", session)

// Runs tmux's server (the arguments after the parent's pid) while the parent lives.
const watchdog = `
parent=$1; shift
"$@" & server=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill -KILL "$server" 2>/dev/null
`
let tmuxServer: ChildProcess | undefined

// Synchronous, for exit and signal handlers. The group is signalled only while its leader
// (our child) has not been reaped, so its id cannot be another's.
const killTmux = () => {
  const pid = tmuxServer?.pid
  if (pid === undefined || tmuxServer?.exitCode !== null || tmuxServer.signalCode !== null) return
  try {
    process.kill(-pid, "SIGKILL")
  } catch {
    // Already gone.
  }
}
const endSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const
const onEndSignal = (signal: NodeJS.Signals) => {
  killTmux()
  for (const other of endSignals) process.off(other, onEndSignal)
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}
process.once("exit", killTmux)
for (const signal of endSignals) process.once(signal, onEndSignal)

/** Polls the screen until `predicate` holds (bounded), and returns that screen. */
const waitForScreen = async (
  what: string,
  predicate: (text: string) => boolean,
  timeoutMillis = 30_000,
): Promise<string> => {
  const deadline = Date.now() + timeoutMillis
  let last = ""
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error(`the program ended while waiting for ${what}:\n${last}`)
    last = screen()
    if (predicate(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`)
}

const see = (text: string) => waitForScreen(JSON.stringify(text), (s) => s.includes(text))

const keys = (...names: ReadonlyArray<string>) => tmux("send-keys", "-t", session, ...names)
const type = (text: string) => tmux("send-keys", "-t", session, "-l", text)

// Today as the UI counts it: the account's calendar date, not this machine's. A zone 14
// hours ahead of UTC makes the two differ for most of the day on most machines.
const timeZone = "Pacific/Kiritimati"
const today = Calendar.today(Date.now(), timeZone)
const todayKey = Calendar.formatDateKey(today)
const todayIso = Calendar.formatIsoDate(today)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trendline-e2e-"))
  const server = spawn(
    "sh",
    ["-c", watchdog, "tmux-watchdog", String(process.pid), "tmux", "-L", socket, "-D"],
    { detached: true, stdio: "ignore" },
  )
  tmuxServer = server
  while (spawnSync("tmux", ["-L", socket, "list-sessions"]).status !== 0) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`tmux -D exited (${server.exitCode ?? server.signalCode}) before it served`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const command = [
    // Ink renders only the last frame when it sees CI=true, as CI sets it: a person's terminal has no CI.
    "unset CI &&",
    `cd ${JSON.stringify(appDir)}`,
    `&& PATH=${JSON.stringify(dirname(process.execPath))}:"$PATH"`,
    `TRENDLINE_DB=${JSON.stringify(join(dir, "trendline.db"))}`,
    `TRENDLINE_TIMEZONE=${timeZone}`,
    "node_modules/.bin/tsx src/main.tsx",
  ].join(" ")
  tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", session, command)
})

afterAll(async () => {
  const server = tmuxServer
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve))
    killTmux()
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
})

describe("trendline in a terminal", () => {
  it("runs a query on the demo data, shows and exports it, and quits with Ctrl+Q", {
    timeout: 90_000,
  }, async () => {
    await see("› Event")
    await see("Charged") // the demo data's event names are suggested
    type("Charged")
    await see("Event     Charged")
    keys("Down", "Right")
    await see("‹ last 90 days ›")
    keys("Left")
    await see("‹ last 30 days ›")
    keys("Enter")

    const results = await see("total ")
    expect(results).toContain(`"Charged" · events`)
    expect(results).toContain("daily · 30 buckets")
    expect(results).toContain(todayKey) // the last key under the chart
    expect(results).toMatch(/[▁▂▃▄▅▆▇█]/)
    const total = Number(/total ([\d,]+)/.exec(results)?.[1]?.replaceAll(",", ""))
    expect(total).toBeGreaterThan(0)

    // Local mode asks for Trendline's extensions: today has not ended, so its bucket is marked.
    expect(results).toContain("░ * not over yet")
    keys("End")
    const lastRow = await waitForScreen("today's row selected", (s) =>
      new RegExp(`› ${todayKey} {2}${todayIso} +[\\d,]+\\*`).test(s),
    )
    expect(lastRow).toContain("30 of 30")

    keys("e")
    await see("File   trends-Charged-")
    const file = join(dir, "charged.csv")
    keys("C-u")
    type(file)
    await see(`File   ${file}`)
    keys("Enter")
    await see(`Wrote 30 buckets as CSV to ${file}`)
    const rows = readFileSync(file, "utf8").trimEnd().split("\n")
    expect(rows[0]).toBe(
      "group,trend_type,key,start,end,value,group_total,first,last,complete,days,whole_days",
    )
    expect(rows).toHaveLength(31)
    // The account's day in its zone (14 hours ahead of UTC), and not over yet.
    expect(rows[30]).toMatch(
      new RegExp(
        `^daily,daily,${todayKey},${todayIso},${todayIso},\\d+,${total},${todayIso}T00:00:00\\+14:00,${todayIso}T23:59:59\\+14:00,false,,$`,
      ),
    )
    expect(rows.slice(1).reduce((sum, row) => sum + Number(row.split(",")[5]), 0)).toBe(total)

    // Back on the form, as it was left: on the range (a choice) q would quit; in the event
    // field it is a letter and Ctrl+Q quits, as the header says each time.
    keys("n")
    await see("‹ last 30 days ›")
    await see("? help · q quit")
    keys("Up")
    await see("? help · Ctrl+Q quit")
    type("q")
    await see("Event     Chargedq")
    keys("C-q")
    const deadline = Date.now() + 10_000
    while (isRunning() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(isRunning()).toBe(false)
  })
})
