/**
 * Trendline's Node server (`apps/worker/src/node.ts`) as a child process of the bench, on a
 * free loopback port: the `http` engine and the under-load section both start it here.
 *
 * Not `@trendline/worker/testing/ServerProcess`: that one passes the caller's `TRENDLINE_*`
 * variables on (a shell's settings would skew a run) and keeps every request's log line in
 * memory, which grows without bound under load; here the log is read and dropped.
 *
 * @since 0.1.0
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import type { Readable } from "node:stream"
import type * as Account from "@trendline/core/Account"

/** The worker app's Node entry, found from this package's folder. */
export const defaultEntry = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "apps",
  "worker",
  "src",
  "node.ts",
)

/** An account of `TRENDLINE_ACCOUNTS`. */
export interface AccountEntry {
  readonly settings: Account.Settings
  readonly passcode: string
}

/** What to start. */
export interface Options {
  readonly entry?: string
  /** The SQLite file (`TRENDLINE_DB`). */
  readonly database: string
  readonly accounts: ReadonlyArray<AccountEntry>
  /** Other `TRENDLINE_*` settings, e.g. `{ TRENDLINE_MAX_UPLOADS: "40" }`. */
  readonly settings?: Readonly<Record<string, string>>
}

/** A running server. */
export interface Running {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** SIGTERM, then the exit code once it has exited (again: the same code). */
  readonly stop: () => Promise<number | null>
}

/** `TRENDLINE_ACCOUNTS` of the entries. */
export const accountsJson = (accounts: ReadonlyArray<AccountEntry>): string =>
  JSON.stringify(
    accounts.map(({ settings, passcode }) => ({
      id: settings.id,
      passcode,
      timezone: settings.timeZone,
      weekStart: settings.weekStart,
    })),
  )

/** The headers of an account's requests. */
export const headersOf = (account: AccountEntry): Record<string, string> => ({
  "X-CleverTap-Account-Id": account.settings.id,
  "X-CleverTap-Passcode": account.passcode,
  "Content-Type": "application/json",
})

/** The server's framework, for the report: `"Hono 4.13.19, @hono/node-server 2.1.9"`. */
export const versions = (entry: string = defaultEntry): string => {
  try {
    const manifest = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8"))
    const dependencies = (manifest.dependencies ?? {}) as Record<string, string>
    return `Hono ${dependencies.hono}, @hono/node-server ${dependencies["@hono/node-server"]}`
  } catch {
    return "Hono"
  }
}

const ready = /^Trendline is serving (http:\/\/\S+) \(database /m

type Child = ChildProcessByStdio<null, Readable, Readable>

// Resolves with the base URL once the server prints its ready line; rejects, with what it
// wrote on stderr, if it exits first.
const started = (child: Child): Promise<string> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    const onStdout = (chunk: string) => {
      stdout += chunk
      const match = ready.exec(stdout)
      if (match === null) return
      child.off("exit", onExit)
      child.stdout.off("data", onStdout)
      // One JSON line per request follows: read and drop them, or the pipe fills up and
      // the server blocks on its next log line.
      child.stdout.resume()
      resolve(match[1]!)
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      reject(
        new Error(`the server exited (${code ?? signal}) before it was ready:\n${stderr.trim()}`),
      )
    child.stdout.setEncoding("utf8").on("data", onStdout)
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000)
    })
    child.once("exit", onExit)
  })

/** Starts the server on 127.0.0.1 and a free port; resolves once it serves. */
export const start = async (options: Options): Promise<Running> => {
  const entry = options.entry ?? defaultEntry
  if (!existsSync(entry)) throw new Error(`no server entry at ${entry}`)
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    // Only the settings given here: a TRENDLINE_* of the caller's shell would skew the run,
    // but for TRENDLINE_VALUE_SLICES, which a run sets on purpose to compare uploads.
    const passed = name === "TRENDLINE_VALUE_SLICES" || !name.startsWith("TRENDLINE_")
    if (value !== undefined && passed && name !== "PORT" && name !== "HOST") env[name] = value
  }
  const child: Child = spawn(process.execPath, [entry], {
    cwd: join(dirname(entry), ".."),
    env: {
      ...env,
      ...options.settings,
      PORT: "0",
      HOST: "127.0.0.1",
      TRENDLINE_DB: options.database,
      TRENDLINE_ACCOUNTS: accountsJson(options.accounts),
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  )
  // If the bench dies, the server must not outlive it.
  const killOnExit = () => child.kill("SIGKILL")
  process.once("exit", killOnExit)
  const stop = async () => {
    process.off("exit", killOnExit)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    return exited
  }
  try {
    return { url: await started(child), stop }
  } catch (error) {
    await stop()
    throw error
  }
}
