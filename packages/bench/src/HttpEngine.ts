/**
 * Trendline's Node server behind the engine interface: `apps/worker/src/node.ts` as a child
 * process on a free port, with a fresh SQLite file, one account (the bench's: UTC, ISO
 * weeks) and otherwise its default settings (sync budget 5 s, concurrency limits).
 *
 * Events go in through `POST /1/upload`, 1000 records a call, one call at a time over
 * Node's fetch, which keeps the connection alive; shapes are `POST /1/counts/trends.json`
 * requests. Timings cover the whole round trip: the client's `JSON.stringify` and fetch,
 * and everything the server does per request (HTTP, authentication, validation, the store,
 * the JSON answer and the request's log line).
 *
 * @since 0.1.0
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { Readable } from "node:stream"
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import { type Engine, timedLoad } from "./Engine.ts"
import * as Shape from "./Shape.ts"

/** Where the server's entry is: by default the worker app of this repository. */
export interface Options {
  readonly serverEntry?: string
}

/** The worker app's Node entry, found from this package's folder. */
export const defaultServerEntry = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "apps",
  "worker",
  "src",
  "node.ts",
)

/** An upload record of a data set event, whose profile is `identity:<value>`. */
export const toRecord = (event: Aggregator.Event) => {
  if (!event.profile.startsWith("identity:")) {
    throw new Error(`profile ${event.profile} has no identity: the bench uploads identities only`)
  }
  return {
    type: "event",
    identity: event.profile.slice("identity:".length),
    ts: event.ts,
    evtName: event.name,
    evtData: event.properties,
  }
}

const ready = /^Trendline is serving (http:\/\/\S+) \(database /m

type Server = ChildProcessByStdio<null, Readable, Readable>

// Resolves with the base URL once the server prints its ready line; rejects, with what it
// wrote on stderr, if it exits first.
const started = (child: Server): Promise<string> =>
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

const versions = (entry: string): string => {
  try {
    const manifest = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8"))
    const dependencies = (manifest.dependencies ?? {}) as Record<string, string>
    return `Hono ${dependencies.hono}, @hono/node-server ${dependencies["@hono/node-server"]}`
  } catch {
    return "Hono"
  }
}

/** Starts the server on a fresh database; `close` stops it with SIGTERM and removes the folder. */
export const make = async (options: Options = {}): Promise<Engine> => {
  const entry = options.serverEntry ?? defaultServerEntry
  if (!existsSync(entry)) throw new Error(`no server entry at ${entry}`)
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-http-"))
  const passcode = randomBytes(12).toString("base64url")
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    // Only the settings given here: a TRENDLINE_* of the caller's shell would skew the run.
    if (value !== undefined && !name.startsWith("TRENDLINE_") && name !== "PORT" && name !== "HOST")
      env[name] = value
  }
  const child: Server = spawn(process.execPath, [entry], {
    cwd: join(dirname(entry), ".."),
    env: {
      ...env,
      PORT: "0",
      HOST: "127.0.0.1",
      TRENDLINE_DB: join(folder, "events.db"),
      TRENDLINE_ACCOUNTS: JSON.stringify([
        {
          id: Shape.account.id,
          passcode,
          timezone: Shape.account.timeZone,
          weekStart: Shape.account.weekStart,
        },
      ]),
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
    const code = await exited
    await rm(folder, { recursive: true, force: true })
    return code
  }

  let base: string
  try {
    base = await started(child)
  } catch (error) {
    await stop()
    throw error
  }
  const headers = {
    "X-CleverTap-Account-Id": Shape.account.id,
    "X-CleverTap-Passcode": passcode,
    "Content-Type": "application/json",
  }
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    })
    const answer = (await response.json()) as Record<string, unknown>
    if (response.status !== 200 || answer.status === "fail") {
      throw new Error(`POST ${path}: HTTP ${response.status}: ${JSON.stringify(answer)}`)
    }
    return answer
  }

  // Answers are read as plain JSON, not decoded with core's response schemas: decoding
  // would add the client's schema work to every timing.
  const runTrends = async (request: TrendsRequest.TrendsRequest): Promise<QueryPlan.Result> => {
    const { status, ...groups } = await post("/1/counts/trends.json", TrendsRequest.encode(request))
    if (status !== "success") {
      throw new Error(
        `the server answered ${status} (req_id ${String(groups.req_id)}): the query outlasted its sync budget; the bench times synchronous answers`,
      )
    }
    return groups as QueryPlan.Result
  }

  return {
    name: "http",
    version: `Trendline's Node server (${versions(entry)}), SQLite file, Node fetch with keep-alive`,
    loadPath: "POST /1/upload, 1000 records a call",
    load: (batches) =>
      timedLoad(batches, async (batch) => {
        const answer = await post("/1/upload", { d: batch.map(toRecord) })
        const unprocessed = answer.unprocessed as ReadonlyArray<{ readonly error: string }>
        if (answer.processed !== batch.length || unprocessed.length > 0) {
          throw new Error(
            `the server did not take ${batch.length - Number(answer.processed)} records of a batch: ${unprocessed[0]?.error}`,
          )
        }
      }),
    run: async (shape) => (await runTrends(Shape.request(shape)))[Shape.group]!,
    runTrends,
    close: async () => {
      const code = await stop()
      if (code !== 0) throw new Error(`the server exited with code ${code} on SIGTERM, not 0`)
    },
  }
}
