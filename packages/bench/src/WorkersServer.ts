/**
 * Trendline's Workers entry (`apps/worker/src/worker.ts`, each account in its own
 * SQLite-backed Durable Object) in workerd, as a child process of the bench: the `workers`
 * engine starts it here, as the `http` engine starts the Node entry with `NodeServer`.
 *
 * The child (`internal/workersHost.ts`) runs the worker app's own wrangler through its
 * programmatic dev server (`unstable_DevEnv`, what `wrangler dev` runs), with its
 * `wrangler.jsonc`, no file watching, state persisted in a folder of the caller's
 * (`--persist-to`), and the accounts in an env file of their own (`--env-file`), so neither
 * a `.dev.vars` nor a `TRENDLINE_*` variable of the caller's shell reaches the worker.
 * Requests go straight to the workerd process that runs the worker, not through the dev
 * proxy (a second workerd) in front of it: that hop is a dev-server artefact, not Workers.
 *
 * No child outlives the bench: it runs in a process group of its own (wrangler's workerd
 * processes with it), killed (SIGKILL) when the bench exits or is ended by SIGINT, SIGTERM
 * or SIGHUP, or when the child has not exited 30 s after `stop`; and if the bench dies of
 * SIGKILL, the child sees its stdin close, stops wrangler and kills its group.
 *
 * @since 0.1.0
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { createInterface } from "node:readline"
import type { Readable, Writable } from "node:stream"
import * as ProcessGroups from "@trendline/testing/ProcessGroups"
import * as NodeServer from "./NodeServer.ts"

/** The worker app of this repository, found from this package's folder. */
export const defaultWorkerDir = join(import.meta.dirname, "..", "..", "..", "apps", "worker")

/** What to start. */
export interface Options {
  /** The folder of `wrangler.jsonc` and of the wrangler that runs it. */
  readonly workerDir?: string
  /** Where the Durable Objects keep their SQLite databases (`--persist-to`). */
  readonly persistTo: string
  /** The env file holding `TRENDLINE_ACCOUNTS` (`envFileText` of the accounts). */
  readonly envFile: string
}

/** What the child reads from its first argument, as JSON. */
export type HostConfig = Required<Options>

/** The child's line once workerd serves (again): `<prefix><generation> <url>`. */
export const readyPrefix = "trendline-workers-host ready "

/** The child's command to restart workerd: `<prefix><generation>`. */
export const restartPrefix = "restart "

/** The child's command to stop workerd and exit 0. */
export const stopCommand = "stop"

/** A running worker. */
export interface Running {
  /** `http://127.0.0.1:<port>` of the workerd process that runs the worker. */
  readonly url: () => string
  /** A new workerd process on the same persisted state; resolves with its URL. */
  readonly restart: () => Promise<string>
  /** Asks the child to stop workerd; its exit code once it has exited (again: the same code). */
  readonly stop: () => Promise<number | null>
}

/** The env file's text: `TRENDLINE_ACCOUNTS` as the worker reads it (the same JSON as Node). */
export const envFileText = (accounts: ReadonlyArray<NodeServer.AccountEntry>): string =>
  `TRENDLINE_ACCOUNTS='${NodeServer.accountsJson(accounts)}'\n`

/** The runtime and tooling, for the report: `"workerd 1.20261102.1, wrangler 4.156.2, Hono 4.13.19"`. */
export const versions = (workerDir: string = defaultWorkerDir): string => {
  try {
    const fromWorker = createRequire(join(workerDir, "package.json"))
    const wrangler = fromWorker.resolve("wrangler")
    const miniflare = createRequire(wrangler).resolve("miniflare")
    const versionOf = (name: string, from: string) =>
      (createRequire(from)(`${name}/package.json`) as { version: string }).version
    const manifest = JSON.parse(readFileSync(join(workerDir, "package.json"), "utf8"))
    return `workerd ${versionOf("workerd", miniflare)}, wrangler ${versionOf("wrangler", wrangler)}, Hono ${manifest.dependencies?.hono}`
  } catch {
    return "workerd (wrangler)"
  }
}

/** The child's entry (`node <hostScript> <HostConfig as JSON>`). */
export const hostScript = join(import.meta.dirname, "internal", "workersHost.ts")

// After asking the child to stop, how long before its group is killed.
const stopGraceMs = 30_000

type Child = ChildProcessByStdio<Writable, Readable, Readable>

/** Starts the worker in workerd on 127.0.0.1 and a free port; resolves once it serves. */
export const start = async (options: Options): Promise<Running> => {
  const workerDir = options.workerDir ?? defaultWorkerDir
  if (!existsSync(join(workerDir, "wrangler.jsonc"))) {
    throw new Error(`no wrangler.jsonc in ${workerDir}`)
  }
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    // wrangler takes a var or a required secret from its own environment too: only the
    // env file's, and wrangler.jsonc's vars, may reach the worker.
    if (value !== undefined && !name.startsWith("TRENDLINE_")) env[name] = value
  }
  const config: HostConfig = {
    workerDir,
    persistTo: options.persistTo,
    envFile: options.envFile,
  }
  // Registered before the spawn: whatever happens from here on, the group is killed.
  const group = ProcessGroups.register()
  const child: Child = spawn(process.execPath, [hostScript, JSON.stringify(config)], {
    cwd: workerDir,
    env: { ...env, WRANGLER_LOG: "error", WRANGLER_SEND_METRICS: "false" },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  })
  group.pid = child.pid
  let signal: NodeJS.Signals | null = null
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, by) => {
      ProcessGroups.release(group)
      signal = by
      resolve(code)
    }),
  )
  child.once("error", () => ProcessGroups.release(group))
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  let url = ""
  let generation = 0
  let waiting: { readonly generation: number; readonly resolve: (url: string) => void } | undefined
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (!line.startsWith(readyPrefix)) return
    const [of, ready] = line.slice(readyPrefix.length).split(" ")
    if (waiting === undefined || Number(of) !== waiting.generation || ready === undefined) return
    url = ready
    const { resolve } = waiting
    waiting = undefined
    resolve(ready)
  })
  const failed = exited.then((code) => {
    throw new Error(
      `the workers host exited (${code ?? signal}) before workerd served:\n${stderr.trim()}`,
    )
  })
  // Awaited only while a start or restart is pending.
  failed.catch(() => undefined)
  // A command written after the child died: its exit is what the caller hears of.
  child.stdin.on("error", () => undefined)
  // Resolves with the URL once the child says workerd of `generation` serves; rejects if
  // the child exits first.
  const served = (of: number): Promise<string> =>
    Promise.race([
      new Promise<string>((resolve) => {
        waiting = { generation: of, resolve }
      }),
      failed,
    ])
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.stdin.write(`${stopCommand}\n`)
    // A bound, not a wait: wrangler stops workerd in well under a second.
    const hung = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        // Gone meanwhile.
      }
    }, stopGraceMs)
    const code = await exited
    clearTimeout(hung)
    child.stdin.destroy()
    return code
  }
  const restart = async () => {
    generation += 1
    const next = served(generation)
    child.stdin.write(`${restartPrefix}${generation}\n`)
    return next
  }
  try {
    await served(generation)
  } catch (error) {
    await stop()
    throw error
  }
  return { url: () => url, restart, stop }
}
