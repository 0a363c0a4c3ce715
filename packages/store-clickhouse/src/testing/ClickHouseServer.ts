/**
 * A throwaway ClickHouse server for tests and benchmarks: Debian's clickhouse-server
 * (18.16) run without systemd, its packaged config copied to a temporary folder with data,
 * logs and free loopback ports of its own.
 *
 * No server outlives the process that started it, however its tests end: each server is
 * registered before it is spawned, runs in a process group of its own (`detached`), and
 * that group is killed (SIGKILL) and its folder deleted when this process exits or is
 * ended by SIGINT, SIGTERM or SIGHUP; a shell beside the server stops it if this process
 * dies of SIGKILL.
 *
 * The pieces marked internal (ports, config, spawning) are shared with ClickHouseCluster.ts,
 * whose servers keep their folders across a stop and a restart.
 *
 * @since 0.1.0
 */
import { type StdioOptions, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server as NetServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ProcessGroups from "@trendline/testing/ProcessGroups"

/** Where Debian puts the server. */
export const serverBinary = "/usr/sbin/clickhouse-server"
const packagedConfig = "/etc/clickhouse-server"
const startDeadlineMs = 20_000

// Runs a command (the arguments after the parent's pid and a folder) while the parent lives;
// a SIGTERM to the group stops it too, and waits for it. Stops are kills: the data is thrown
// away (or kept on purpose, by a cluster's stopped node), and 18.16 takes up to 15 s to stop
// on SIGTERM. Once the parent is gone, it deletes the folder: a server's own, or a whole
// cluster's (each of its watchdogs does, after its own process has died; the last one to do
// so comes after all of them).
const watchdog = `
parent=$1; folder=$2; shift 2
"$@" & child=$!
trap 'kill -KILL "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill -KILL "$child" 2>/dev/null; wait "$child"
kill -0 "$parent" 2>/dev/null || rm -rf "$folder"
`

/**
 * Free loopback ports, all different: every one is held until all are picked.
 *
 * @internal
 */
export const freePorts = async (count: number): Promise<Array<number>> => {
  const servers: Array<NetServer> = []
  try {
    const ports: Array<number> = []
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject)
          server.listen(0, "127.0.0.1", () => {
            const address = server.address()
            if (typeof address === "object" && address !== null) resolve(address.port)
            else reject(new Error("no port"))
          })
        }),
      )
    }
    return ports
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
    )
  }
}

const setElement = (xml: string, element: string, value: string): string => {
  // The first one: the server's own settings come before the nested sections.
  const pattern = new RegExp(`<${element}>[^<]*</${element}>`)
  if (!pattern.test(xml)) throw new Error(`clickhouse config has no <${element}> to set`)
  return xml.replace(pattern, `<${element}>${value}</${element}>`)
}

const isUp = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })
    return (await response.text()) === "Ok.\n"
  } catch {
    return false
  }
}

/**
 * Deletes a temporary folder, best effort: its server's threads may still be writing while
 * they die.
 *
 * @internal
 */
export const deleteFolder = (folder: string): void => {
  try {
    rmSync(folder, { recursive: true, force: true, maxRetries: 2 })
  } catch {
    // A temporary folder: left behind at worst.
  }
}

/** A running server: its HTTP URL, and `stop` (which also deletes its data). */
export interface Server {
  readonly url: string
  readonly stop: () => Promise<void>
}

/** Whether Debian's clickhouse-server is installed here. */
export const isInstalled = (): boolean =>
  existsSync(serverBinary) && existsSync(join(packagedConfig, "config.xml"))

/** @internal The error naming the package to install. */
export const notInstalled = (): Error =>
  new Error(
    `${serverBinary} is missing: install Debian's clickhouse-server as root with \`apt-get update && apt-get install -y clickhouse-server\` (in this repository \`pnpm test\` does it where it can). Or set TRENDLINE_CLICKHOUSE_URL to a running server.`,
  )

/**
 * A free port was taken by another process between picking it and the server's bind
 * (servers of test files running side by side): the server exited, and can be started again
 * on other ports.
 *
 * @internal
 */
export class PortTaken extends Error {}
const startAttempts = 5

/** Starts a server and resolves once it answers `/ping`; fails clearly when it is not installed. */
export const start = async (): Promise<Server> => {
  if (!isInstalled()) throw notInstalled()
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce()
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= startAttempts) throw error
    }
  }
}

const startOnce = async (): Promise<Server> => {
  const folder = mkdtempSync(join(tmpdir(), "trendline-clickhouse-"))
  // Registered before the spawn: whatever happens from here on, it is killed and deleted.
  const group = ProcessGroups.register(() => deleteFolder(folder))
  let launched: Launched
  try {
    const [http, native, interserver] = (await freePorts(3)) as [number, number, number]
    const ports = { http, native, interserver }
    writeConfig(folder, ports)
    launched = await launch({ group, folder, ports })
  } catch (error) {
    deleteFolder(folder)
    ProcessGroups.release(group)
    throw error
  }
  return {
    url: launched.url,
    stop: async () => {
      await launched.kill()
      rmSync(folder, { recursive: true, force: true })
      ProcessGroups.release(group)
    },
  }
}

/** @internal The loopback ports a server listens on. */
export interface Ports {
  readonly http: number
  readonly native: number
  readonly interserver: number
}

/**
 * Writes a server's config.xml and users.xml into its folder: the packaged ones, with data
 * and logs in the folder and the given ports, then `configure`d (a cluster's sections).
 *
 * @internal
 */
export const writeConfig = (
  folder: string,
  ports: Ports,
  configure: (xml: string) => string = (xml) => xml,
): void => {
  let config = readFileSync(join(packagedConfig, "config.xml"), "utf8")
  for (const [element, value] of [
    ["path", `${folder}/data/`],
    ["tmp_path", `${folder}/data/tmp/`],
    ["user_files_path", `${folder}/data/user_files/`],
    ["format_schema_path", `${folder}/data/format_schemas/`],
    ["log", `${folder}/log/clickhouse-server.log`],
    ["errorlog", `${folder}/log/clickhouse-server.err.log`],
    ["http_port", String(ports.http)],
    ["tcp_port", String(ports.native)],
    ["interserver_http_port", String(ports.interserver)],
  ] as const) {
    config = setElement(config, element, value)
  }
  // Idle connections kept longer than the packaged 3 s, so a test pausing on a loaded
  // machine does not meet a connection the server has just closed.
  config = setElement(config, "keep_alive_timeout", "600")
  // Only the loopback interface, IPv4 (the packaged default also tries ::1).
  config = config.replace("</yandex>", "<listen_host>127.0.0.1</listen_host>\n</yandex>")
  writeFileSync(join(folder, "config.xml"), configure(config))
  writeFileSync(join(folder, "users.xml"), readFileSync(join(packagedConfig, "users.xml")))
}

/** @internal A process started by `spawnWatched`. */
export interface Watched {
  readonly exited: () => boolean
  /** Kills (SIGKILL) its process group, if still running, and resolves once it has exited. */
  readonly kill: () => Promise<void>
}

/**
 * Spawns `command` in `folder`, beside a watchdog shell, in a process group of its own, as
 * `group`'s leader (registered by the caller before this, released by the caller when the
 * folder is gone). If this process dies of SIGKILL, the watchdog kills the command and
 * deletes `orphaned` (by default `folder`).
 *
 * @internal
 */
export const spawnWatched = (options: {
  readonly group: ProcessGroups.Group
  readonly folder: string
  readonly orphaned?: string
  /** The watchdog's name in `ps`. */
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly stdio?: StdioOptions
}): Watched => {
  // `detached` runs it in a session of its own (setsid), so it can be stopped with all of
  // its threads and never receives the test runner's terminal signals. The shell beside it
  // stops it and deletes its data if this process dies of SIGKILL (ProcessGroups' exit and
  // signal handlers cover every other end).
  const child = spawn(
    "sh",
    [
      "-c",
      watchdog,
      options.name,
      String(process.pid),
      options.orphaned ?? options.folder,
      options.command,
      ...options.args,
    ],
    { cwd: options.folder, detached: true, stdio: options.stdio ?? "ignore" },
  )
  options.group.pid = child.pid
  let exited = child.pid === undefined
  const stopped = new Promise<void>((resolve) => {
    if (exited) return resolve()
    child.once("exit", () => {
      exited = true
      options.group.pid = undefined
      resolve()
    })
  })
  return {
    exited: () => exited,
    kill: async () => {
      if (!exited && child.pid !== undefined) {
        try {
          // At once: 18.16 takes up to 15 s to stop on SIGTERM, and a kill is what a
          // cluster's node stop means to test.
          process.kill(-child.pid, "SIGKILL")
        } catch {
          // Gone meanwhile.
        }
      }
      await stopped
      // The shell is gone, but the server may still be dying (unmapping gigabytes, its
      // ports still bound): wait for every member of the group, as a restart on the same
      // ports and a deletion of the folder need.
      if (child.pid !== undefined) await groupGone(child.pid)
    },
  }
}

const groupGoneDeadlineMs = 10_000

// Whether any process of group `pgid` still runs (zombies, already dead, do not count).
// Linux: read from /proc; elsewhere, none is seen.
const groupRuns = (pgid: number): boolean => {
  let names: Array<string>
  try {
    names = readdirSync("/proc")
  } catch {
    return false
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    try {
      // "pid (comm) state ppid pgrp …": the command may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8")
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(group) === pgid && state !== "Z" && state !== "X") return true
    } catch {
      // Gone meanwhile.
    }
  }
  return false
}

const groupGone = async (pgid: number): Promise<void> => {
  const deadline = Date.now() + groupGoneDeadlineMs
  while (groupRuns(pgid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** @internal A server started by `launch`. */
export interface Launched {
  readonly url: string
  /** Kills it (SIGKILL) and resolves once it has exited; its folder is left alone. */
  readonly kill: () => Promise<void>
}

/**
 * Starts a server on a folder `writeConfig` wrote, as `group`'s leader, and resolves once it
 * answers `/ping`. If it does not, it is killed and this fails: with `PortTaken` when a port
 * was in use. The folder is the caller's to delete.
 *
 * @internal
 */
export const launch = async (options: {
  readonly group: ProcessGroups.Group
  readonly folder: string
  readonly ports: Ports
  /** What the watchdog deletes if this process dies of SIGKILL, by default `folder`. */
  readonly orphaned?: string
  readonly deadlineMs?: number
}): Promise<Launched> => {
  const { folder } = options
  const errors = join(folder, "log/clickhouse-server.err.log")
  // The error log of an earlier run (a restarted node) must not be taken for this one's.
  const logged = existsSync(errors) ? readFileSync(errors, "utf8").length : 0
  const watched = spawnWatched({
    group: options.group,
    folder,
    ...(options.orphaned === undefined ? {} : { orphaned: options.orphaned }),
    name: "clickhouse-watchdog",
    command: serverBinary,
    args: [`--config-file=${join(folder, "config.xml")}`],
  })
  const url = `http://127.0.0.1:${options.ports.http}`
  const deadlineMs = options.deadlineMs ?? startDeadlineMs
  const deadline = Date.now() + deadlineMs
  while (!(await isUp(url))) {
    if (watched.exited() || Date.now() > deadline) {
      const exited = watched.exited()
      await watched.kill()
      const log = existsSync(errors)
        ? readFileSync(errors, "utf8").slice(logged).slice(-2000)
        : "(no log)"
      const message = `clickhouse-server ${exited ? "exited" : `did not answer /ping within ${deadlineMs} ms`}:\n${log}`
      throw exited && log.includes("Address already in use")
        ? new PortTaken(message)
        : new Error(message)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url, kill: watched.kill }
}
