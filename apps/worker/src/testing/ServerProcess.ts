/**
 * The Node server (`src/node.ts`) as a child process, for end-to-end tests and benchmarks
 * in any package: it resolves once the server prints its URL, and keeps every later
 * stdout line (the request log).
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import type { Readable } from "node:stream"
import { fileURLToPath } from "node:url"

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

/**
 * Starts the server on a free loopback port with `env` on top of this process's
 * environment, e.g. `start({ TRENDLINE_DB: file, TRENDLINE_ACCOUNTS: "[…]" })`.
 */
export const start = (env: Readonly<Record<string, string>>): Promise<ServerProcess> => {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
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
    void exited.then(({ code, signal }) => {
      if (url === undefined)
        reject(new Error(`the server exited (${code ?? signal}) before it was ready:\n${stderr}`))
    })
  })
}
