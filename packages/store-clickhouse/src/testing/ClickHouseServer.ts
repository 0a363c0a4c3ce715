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
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ProcessGroups from "@trendline/testing/ProcessGroups"

/** Where Debian puts the server. */
export const serverBinary = "/usr/sbin/clickhouse-server"
const packagedConfig = "/etc/clickhouse-server"
const startDeadlineMs = 20_000

// Runs the server (the arguments after the parent's pid and the data folder) while the
// parent lives; a SIGTERM to the group stops it too, and waits for it. Stops are kills: the
// data is thrown away, and 18.16 takes up to 15 s to stop on SIGTERM.
const watchdog = `
parent=$1; folder=$2; shift 2
"$@" & server=$!
trap 'kill -KILL "$server" 2>/dev/null; wait "$server"; exit 0' TERM INT
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill -KILL "$server" 2>/dev/null; wait "$server"
kill -0 "$parent" 2>/dev/null || rm -rf "$folder"
`

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      )
    })
  })

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

// Deletes a server's temporary folder, best effort: its threads may still be writing while
// they die.
const deleteFolder = (folder: string) => {
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

// A free port can be taken by another process between `freePort` and the server's bind
// (servers of test files running side by side): the server then exits, and is started
// again on other ports.
class PortTaken extends Error {}
const startAttempts = 5

/** Starts a server and resolves once it answers `/ping`; fails clearly when it is not installed. */
export const start = async (): Promise<Server> => {
  if (!isInstalled()) {
    throw new Error(
      `${serverBinary} is missing: install Debian's clickhouse-server as root with \`apt-get update && apt-get install -y clickhouse-server\` (in this repository \`pnpm test\` does it where it can). Or set TRENDLINE_CLICKHOUSE_URL to a running server.`,
    )
  }
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
  const registered = ProcessGroups.register(() => deleteFolder(folder))
  const [http, native, interserver] = [await freePort(), await freePort(), await freePort()]
  let config = readFileSync(join(packagedConfig, "config.xml"), "utf8")
  for (const [element, value] of [
    ["path", `${folder}/data/`],
    ["tmp_path", `${folder}/data/tmp/`],
    ["user_files_path", `${folder}/data/user_files/`],
    ["format_schema_path", `${folder}/data/format_schemas/`],
    ["log", `${folder}/log/clickhouse-server.log`],
    ["errorlog", `${folder}/log/clickhouse-server.err.log`],
    ["http_port", String(http)],
    ["tcp_port", String(native)],
    ["interserver_http_port", String(interserver)],
  ] as const) {
    config = setElement(config, element, value)
  }
  // Idle connections kept longer than the packaged 3 s, so a test pausing on a loaded
  // machine does not meet a connection the server has just closed.
  config = setElement(config, "keep_alive_timeout", "600")
  // Only the loopback interface, IPv4 (the packaged default also tries ::1).
  config = config.replace("</yandex>", "<listen_host>127.0.0.1</listen_host>\n</yandex>")
  writeFileSync(join(folder, "config.xml"), config)
  writeFileSync(join(folder, "users.xml"), readFileSync(join(packagedConfig, "users.xml")))

  // `detached` runs the server in a session of its own (setsid), so it can be stopped
  // with all of its threads and never receives the test runner's terminal signals. A shell
  // beside it stops it and deletes its data if this process dies of SIGKILL (the exit and
  // signal handlers above cover every other end).
  const server = spawn(
    "sh",
    [
      "-c",
      watchdog,
      "clickhouse-watchdog",
      String(process.pid),
      folder,
      serverBinary,
      `--config-file=${join(folder, "config.xml")}`,
    ],
    { cwd: folder, detached: true, stdio: "ignore" },
  )
  registered.pid = server.pid
  let exited = false
  const stopped = new Promise<void>((resolve) =>
    server.once("exit", () => {
      exited = true
      registered.pid = undefined
      resolve()
    }),
  )
  const url = `http://127.0.0.1:${http}`
  const teardown = async () => {
    if (!exited && server.pid !== undefined) {
      // At once: its data is deleted next, and 18.16 takes up to 15 s to stop on SIGTERM.
      process.kill(-server.pid, "SIGKILL")
      await stopped
    }
    rmSync(folder, { recursive: true, force: true })
    ProcessGroups.release(registered)
  }

  const deadline = Date.now() + startDeadlineMs
  while (!(await isUp(url))) {
    if (exited || Date.now() > deadline) {
      const errors = join(folder, "log/clickhouse-server.err.log")
      const log = existsSync(errors) ? readFileSync(errors, "utf8").slice(-2000) : "(no log)"
      await teardown()
      const message = `clickhouse-server ${exited ? "exited" : `did not answer /ping within ${startDeadlineMs} ms`}:\n${log}`
      throw exited && log.includes("Address already in use")
        ? new PortTaken(message)
        : new Error(message)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url, stop: teardown }
}
