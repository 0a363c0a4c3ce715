/**
 * Trendline's Node server behind the engine interface: `apps/worker/src/node.ts` as a child
 * process on a free port (`NodeServer`), with a fresh SQLite file, the bench's account
 * (UTC, ISO weeks), a small warm-up account, and otherwise its default settings (sync
 * budget 5 s, concurrency limits).
 *
 * Events go in through `POST /1/upload`, 1000 records a call, one call at a time over
 * Node's fetch, which keeps the connection alive; shapes are `POST /1/counts/trends.json`
 * requests, top values shapes `POST /1/counts/top.json` requests. Timings cover the whole
 * round trip: the client's `JSON.stringify` and fetch, and everything the server does per
 * request (HTTP, authentication, validation, the store, the JSON answer and the request's
 * log line). A query that outlasts the server's sync budget (5 s: only filtered and top
 * values shapes on large data sets, which the SQLite store answers from its event log)
 * answers `partial`; its `req_id` is then polled every `pollMillis` until the answer is
 * complete, and the timing runs to that answer, as a client waits for it.
 *
 * Cold, the server is a new process on the same file before every timed call: its SQLite
 * page cache and the store's caches are empty. It first answers, untimed, a few trends
 * requests of each measure and top values requests on the warm-up account (2000 events of
 * its own), so that the timed call does not pay for loading and first compiling the
 * server's code (the in-process engines' cold calls do not either), but finds none of the
 * bench account's data read or decoded.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Account from "@trendline/core/Account"
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Dataset from "./Dataset.ts"
import { type Engine, timedLoad } from "./Engine.ts"
import * as NodeServer from "./NodeServer.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"

/** How often a `partial` answer's `req_id` is polled, in ms. */
export const pollMillis = 20

/** How long a `partial` answer is polled before the bench gives up, in ms. */
export const pollTimeoutMillis = 600_000

/** Where the server's entry is (by default the worker app of this repository), and its settings. */
export interface Options {
  readonly serverEntry?: string
  /** `TRENDLINE_*` settings other than the defaults (tests: `TRENDLINE_SYNC_BUDGET_MS`). */
  readonly settings?: Readonly<Record<string, string>>
}

/**
 * Trendline's API at `url()` (the Node server or the worker, named `who` in errors): uploads
 * and trends, read as plain JSON, not decoded with core's response schemas (decoding would
 * add the client's schema work to every timing).
 */
export const apiClient = (url: () => string, who: string) => {
  const post = async (
    account: NodeServer.AccountEntry,
    path: string,
    body: unknown,
  ): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url()}${path}`, {
      method: "POST",
      headers: NodeServer.headersOf(account),
      body: JSON.stringify(body),
    })
    const answer = (await response.json()) as Record<string, unknown>
    if (response.status !== 200 || answer.status === "fail") {
      throw new Error(`POST ${path}: HTTP ${response.status}: ${JSON.stringify(answer)}`)
    }
    return answer
  }
  const upload = async (
    account: NodeServer.AccountEntry,
    batch: ReadonlyArray<Aggregator.Event>,
  ): Promise<void> => {
    const answer = await post(account, "/1/upload", { d: batch.map(toRecord) })
    const unprocessed = answer.unprocessed as ReadonlyArray<{ readonly error: string }>
    if (answer.processed !== batch.length || unprocessed.length > 0) {
      throw new Error(
        `the ${who} did not take ${batch.length - Number(answer.processed)} records of a batch: ${unprocessed[0]?.error}`,
      )
    }
  }
  const get = async (
    account: NodeServer.AccountEntry,
    path: string,
  ): Promise<{ readonly status: number; readonly answer: Record<string, unknown> }> => {
    const response = await fetch(`${url()}${path}`, { headers: NodeServer.headersOf(account) })
    return { status: response.status, answer: (await response.json()) as Record<string, unknown> }
  }
  /**
   * A read endpoint's answer (`path`, e.g. `/1/counts/trends.json`): at once, or, when the
   * query outlasts the sync budget (`partial`), its `req_id` polled on the same path every
   * `pollMillis` until it is complete (at most `pollTimeoutMillis`). The groups of the
   * `success` answer, without its `status`.
   */
  const read = async (
    account: NodeServer.AccountEntry,
    path: string,
    body: unknown,
  ): Promise<Record<string, unknown>> => {
    let answer = await post(account, path, body)
    const deadline = Date.now() + pollTimeoutMillis
    while (answer.status === "partial") {
      const reqId = String(answer.req_id)
      if (Date.now() > deadline) {
        throw new Error(
          `the ${who} still answered partial (req_id ${reqId}) after ${pollTimeoutMillis / 1000} s of polling`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, pollMillis))
      const polledPath = `${path}?req_id=${encodeURIComponent(reqId)}`
      const polled = await get(account, polledPath)
      if (polled.status !== 200 || polled.answer.status === "fail") {
        throw new Error(
          `GET ${polledPath}: HTTP ${polled.status}: ${JSON.stringify(polled.answer)}`,
        )
      }
      answer = polled.answer
    }
    const { status, ...groups } = answer
    if (status !== "success") {
      throw new Error(`the ${who} answered ${String(status)}: ${JSON.stringify(answer)}`)
    }
    return groups
  }
  /** A trends request's answer (`POST /1/counts/trends.json`, polled while `partial`). */
  const trends = async (
    account: NodeServer.AccountEntry,
    request: TrendsRequest.TrendsRequest,
  ): Promise<QueryPlan.Result> =>
    (await read(
      account,
      "/1/counts/trends.json",
      TrendsRequest.encode(request),
    )) as QueryPlan.Result
  /** A top counts request's answer (`POST /1/counts/top.json`, polled while `partial`). */
  const top = async (
    account: NodeServer.AccountEntry,
    request: TopCounts.TopRequest,
  ): Promise<TopCounts.TopResult> =>
    (await read(account, "/1/counts/top.json", TopCounts.encode(request))) as TopCounts.TopResult
  /**
   * Polls a `req_id` that no query was given: the account's API answers it from its
   * registry and archive, reading none of its events. Throws unless it answers the
   * unknown-req_id failure.
   */
  const pollUnknown = async (account: NodeServer.AccountEntry): Promise<void> => {
    const { status, answer } = await get(account, "/1/counts/trends.json?req_id=1")
    if (answer.status !== "fail" || !String(answer.error).includes("req_id")) {
      throw new Error(
        `GET /1/counts/trends.json?req_id=1: HTTP ${status}: ${JSON.stringify(answer)}, not the unknown req_id failure`,
      )
    }
  }
  return { upload, trends, top, pollUnknown }
}

/** The worker app's Node entry, found from this package's folder. */
export const defaultServerEntry = NodeServer.defaultEntry

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

/** The account whose requests warm the server's code up after a cold start. */
export const warmUpAccount: Account.Settings = Account.make("bench-warm-up")

const warmUpRounds = 5

/**
 * The warm-up of a cold start, on the warm-up account: `warmUpRounds` rounds of every
 * combined trends request and every top values request, so that the code of both
 * endpoints is loaded and has run.
 */
export const warmUp = async (
  api: Pick<ReturnType<typeof apiClient>, "trends" | "top">,
  account: NodeServer.AccountEntry,
): Promise<void> => {
  for (let round = 0; round < warmUpRounds; round++) {
    for (const request of Shape.combined) await api.trends(account, Shape.combinedRequest(request))
    for (const shape of TopShape.all) await api.top(account, TopShape.request(shape))
  }
}

/** What `warmUp` sends, for the report: `"15 trends requests (…) and 15 top values requests"`. */
export const warmUpRequests = `${warmUpRounds * Shape.combined.length} trends requests (every measure, daily+weekly+monthly) and ${warmUpRounds * TopShape.all.length} top values requests`

/** The events of the warm-up account. */
export const warmUpDataset: Dataset.Dataset = Dataset.make({
  events: 2000,
  seed: Dataset.defaultSeed + 1,
})

const passcode = () => randomBytes(12).toString("base64url")

/** Starts the server on a fresh database; `close` stops it with SIGTERM and removes the folder. */
export const make = async (options: Options = {}): Promise<Engine> => {
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-http-"))
  const bench: NodeServer.AccountEntry = { settings: Shape.account, passcode: passcode() }
  const warmUpEntry: NodeServer.AccountEntry = { settings: warmUpAccount, passcode: passcode() }
  const serverOptions: NodeServer.Options = {
    ...(options.serverEntry === undefined ? {} : { entry: options.serverEntry }),
    database: join(folder, "events.db"),
    accounts: [bench, warmUpEntry],
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  }
  let server: NodeServer.Running
  try {
    server = await NodeServer.start(serverOptions)
  } catch (error) {
    await rm(folder, { recursive: true, force: true })
    throw error
  }
  const stop = async () => {
    const code = await server.stop()
    if (code !== 0) throw new Error(`the server exited with code ${code} on SIGTERM, not 0`)
  }

  const api = apiClient(() => server.url, "server")
  const { upload, trends: trendsOf } = api

  try {
    for (const batch of Dataset.batches(warmUpDataset)) await upload(warmUpEntry, batch)
  } catch (error) {
    await stop().finally(() => rm(folder, { recursive: true, force: true }))
    throw error
  }

  const runTrends = (request: TrendsRequest.TrendsRequest) => trendsOf(bench, request)

  return {
    name: "http",
    version: `Trendline's Node server (${NodeServer.versions(options.serverEntry)}), SQLite file, Node fetch with keep-alive`,
    loadPath: "POST /1/upload, 1000 records a call",
    load: (batches) => timedLoad(batches, (batch) => upload(bench, batch)),
    run: async (shape) => (await runTrends(Shape.request(shape)))[Shape.group]!,
    runTrends,
    runTop: async (shape) => (await api.top(bench, TopShape.request(shape)))[TopShape.group]!,
    cold: {
      means: `a new server process on the same file before each call (empty SQLite page cache, nothing of the bench account read, decoded or remembered), first sent ${warmUpRequests} on another account of ${warmUpDataset.events.toLocaleString("en-US")} events, so that its code is loaded and has run`,
      reopen: async () => {
        await stop()
        server = await NodeServer.start(serverOptions)
        await warmUp(api, warmUpEntry)
      },
    },
    close: async () => {
      await stop().finally(() => rm(folder, { recursive: true, force: true }))
    },
  }
}
