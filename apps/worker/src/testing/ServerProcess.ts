/**
 * The Node server (`src/node.ts`) as a child process, for end-to-end tests and benchmarks
 * in any package: it resolves once the server prints its URL, and keeps every later
 * stdout line (the request log).
 *
 * No server outlives the process that started it, however its tests end: each server is
 * registered before it is spawned, runs in a process group of its own (`detached`), and
 * that group is killed (SIGKILL) when this process exits or is ended by SIGINT, SIGTERM or
 * SIGHUP (a test runner stopping its worker after a hook timed out, before the test had a
 * handle to stop). If this process dies of SIGKILL, the server notices within a second
 * that its parent is gone and kills itself.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import * as ProcessGroups from "@trendline/testing/ProcessGroups"

/** How a process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A running server. */
export interface ServerProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Every stdout line after the ready line, as the server wrote it. */
  readonly lines: ReadonlyArray<string>
  /** Resolves when the process has ended and its output has been read. */
  readonly exited: Promise<Exit>
  /** Asks the server to stop (SIGTERM) and waits for it. */
  readonly stop: () => Promise<Exit>
}

const entry = fileURLToPath(new URL("../node.ts", import.meta.url))
const ready = /^Trendline is serving (http:\/\/\S+) \(database /

// Loaded by the server before its entry (`--import`): once its parent is no longer this
// process, it kills its own group. Its worker threads load it too, and skip it.
const orphanGuard = `data:text/javascript,${encodeURIComponent(
  `import { isMainThread } from "node:worker_threads"
if (isMainThread) {
  setInterval(() => {
    if (process.ppid !== ${process.pid}) process.kill(-process.pid, "SIGKILL")
  }, 1000).unref()
}`,
)}`

/**
 * Starts the server on a free loopback port with `env` on top of this process's
 * environment, e.g. `start({ TRENDLINE_DB: file, TRENDLINE_ACCOUNTS: "[…]" })`.
 */
export const start = (env: Readonly<Record<string, string>>): Promise<ServerProcess> => {
  // Registered before the spawn: whatever happens from here on, the group is killed.
  const group = ProcessGroups.register()
  const child = spawn(process.execPath, ["--import", orphanGuard, entry], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  })
  group.pid = child.pid
  child.once("exit", () => ProcessGroups.release(group))
  child.once("error", () => ProcessGroups.release(group))
  const exited = new Promise<Exit>((resolve) =>
    // "close", not "exit": by then stdout has ended and every line has been read.
    child.once("close", (code, signal) => resolve({ code, signal })),
  )
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const lines: Array<string> = []
  const stop = (): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    return exited
  }
  return new Promise((resolve, reject) => {
    let url: string | undefined
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (url !== undefined) {
        lines.push(line)
        return
      }
      const match = ready.exec(line)
      if (match?.[1] !== undefined) {
        url = match[1]
        resolve({ child, url, lines, exited, stop })
      }
    })
    child.once("error", reject)
    void exited.then(({ code, signal }) => {
      if (url === undefined)
        reject(new Error(`the server exited (${code ?? signal}) before it was ready:\n${stderr}`))
    })
  })
}
