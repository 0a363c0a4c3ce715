/**
 * The server under load: Trendline's Node server in a child process (`NodeServer`), a
 * fresh SQLite file, several accounts. How long account B's small query and `GET /health`
 * take while account A uploads from 40 clients at once, and while A runs its heaviest
 * query from 3 clients (the most it may have in flight), against a baseline with no load;
 * how many events per second uploads store with 1, 2 and 4 accounts uploading at once;
 * and how many small queries per second 6 clients get answered.
 *
 * A's load comes from a worker thread (`internal/loadWorker.ts`), so the clients that
 * measure, in the main thread, share neither its event loop nor its garbage. Every request
 * goes to 127.0.0.1; every loop is bounded in count and in time; the server is stopped
 * whatever happens. Bodies are generated and serialised before anything is timed.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Dataset from "./Dataset.ts"
import * as LoadInBackground from "./internal/background.ts"
import type * as LoadWorker from "./internal/loadWorker.ts"
import * as Latency from "./Latency.ts"
import * as NodeServer from "./NodeServer.ts"
import * as Shape from "./Shape.ts"
import * as Traffic from "./Traffic.ts"

/** The figures the server should reach. */
export const targets = {
  /** B's small query, p99 in ms, while A uploads from 40 clients. */
  queryP99UnderUploads: 50,
  /** `GET /health`, p99 in ms, while A uploads from 40 clients. */
  healthP99UnderUploads: 20,
  /** Events stored per second through `POST /1/upload`. */
  uploadEventsPerSecond: 130_000,
  /** Small queries answered per second, 6 clients. */
  queriesPerSecond: 700,
} as const

/** What to run, and its bounds. */
export interface Options {
  /** A's data set, and the events each upload test sends per account at most. */
  readonly events: number
  readonly seed?: number
  readonly serverEntry?: string
  /** Requests of each probe (B's query, /health) per phase (default 250). */
  readonly probeRequests?: number
  /** A probe starts a request at most every this many ms (default 20). */
  readonly probeInterval?: number
  /** A phase's probes stop after this many seconds whatever their count (default 15). */
  readonly phaseSeconds?: number
  /** Uploads of 1000 records each account sends in the upload tests (default 200). */
  readonly uploadsPerAccount?: number
  /** Small queries sent in the queries-per-second test (default 3000). */
  readonly queryRequests?: number
  readonly log?: (line: string) => void
}

/** A probe's requests: their latencies, and the answers that were not `ok`. */
export interface Probe {
  readonly latency: Latency.Summary
  readonly refused: number
  readonly partial: number
}

/** What A's load did during a phase. */
export interface Background {
  readonly kind: "uploads" | "queries"
  readonly what: string
  readonly clients: number
  readonly latency: Latency.Summary
  readonly ok: number
  readonly refused: number
  readonly partial: number
  /** Records stored (uploads), 0 for queries. */
  readonly records: number
  readonly seconds: number
}

/** B's query and /health, while something else happens (or nothing: `background` absent). */
export interface Phase {
  readonly name: string
  readonly query: Probe
  readonly health: Probe
  readonly background?: Background
}

/** A rate: uploads (events/s) or queries (requests/s) from several clients. */
export interface Throughput {
  readonly what: string
  readonly accounts: number
  readonly clientsPerAccount: number
  readonly requests: number
  readonly refused: number
  readonly seconds: number
  readonly rate: number
  readonly unit: "events/s" | "requests/s"
  readonly latency: Latency.Summary
  readonly target: number
}

/** The section's figures, and what they were measured on. */
export interface Result {
  readonly server: string
  /** The settings the server ran with beyond its defaults, e.g. `TRENDLINE_MAX_UPLOADS=40`. */
  readonly settings: ReadonlyArray<string>
  readonly accounts: number
  readonly aEvents: number
  readonly bEvents: number
  readonly query: string
  readonly heavyQuery: string
  readonly probeInterval: number
  readonly phases: ReadonlyArray<Phase>
  readonly uploads: ReadonlyArray<Throughput>
  readonly queries: Throughput
  readonly millis: number
}

/** The uploads in flight A keeps during the upload phase. */
export const uploadClients = 40
/** The queries in flight A keeps during the query phase: the server's default limit. */
export const heavyQueryClients = 3
/** Clients per account in the upload tests. */
export const uploadClientsPerAccount = 4
/** Accounts uploading at once in the upload tests. */
export const uploadAccounts: ReadonlyArray<number> = [1, 2, 4]
/** Clients of the queries-per-second test, and over how many accounts (2 each: under 3). */
export const queryClients = 6
export const queryAccounts = 3

/** B's small query: count daily of the ~1% event over 30 days (June 2025). */
export const smallQuery: TrendsRequest.TrendsRequest = {
  event_name: Dataset.rareEvent,
  from: Calendar.unsafeMakeDay(2025, 6, 1),
  to: Calendar.unsafeMakeDay(2025, 6, 30),
  groups: { trend: { trend_type: "daily" } },
}

/** A's heavy query: distinct profiles of the top event, daily, weekly and monthly over 2025. */
export const heavyQuery = Shape.combinedRequest({ event: Dataset.topEvent, measure: "profiles" })

// B's data set: the first events of the same data set, enough for its query to count.
const bEventsAtMost = 100_000

const entry = (id: string): NodeServer.AccountEntry => ({
  settings: Account.make(id),
  passcode: randomBytes(12).toString("base64url"),
})

const seconds = (millis: number) => millis / 1000

const probeOf = (tally: Traffic.Tally): Probe => ({
  latency: Latency.summarize(tally.millis),
  refused: tally.refused,
  partial: tally.partial,
})

/** Runs the section; the server and any worker are stopped whatever happens. */
export const run = async (options: Options): Promise<Result> => {
  const started = performance.now()
  const log = options.log ?? (() => undefined)
  const seed = options.seed ?? Dataset.defaultSeed
  const probeRequests = options.probeRequests ?? 250
  const probeInterval = options.probeInterval ?? 20
  const phaseMillis = (options.phaseSeconds ?? 15) * 1000
  const queryRequests = options.queryRequests ?? 3000

  log(`[under load] generating ${options.events.toLocaleString("en-US")} events as upload bodies …`)
  const bodies = Traffic.uploadBodies(Dataset.make({ events: options.events, seed }))
  const uploadsPerAccount = Math.min(options.uploadsPerAccount ?? 200, bodies.length)
  const a = entry("load-a")
  const b = entry("load-b")
  const uploaders = Array.from({ length: 7 }, (_, i) => entry(`load-u${i + 1}`))
  const settings = { TRENDLINE_MAX_UPLOADS: String(uploadClients) }
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-load-"))
  const workers = new Set<{ readonly terminate: () => Promise<number> }>()
  let server: NodeServer.Running | undefined
  try {
    server = await NodeServer.start({
      ...(options.serverEntry === undefined ? {} : { entry: options.serverEntry }),
      database: join(folder, "events.db"),
      accounts: [a, b, ...uploaders],
      settings,
    })
    const url = server.url

    const uploads = (account: NodeServer.AccountEntry, count: number, clients: number) =>
      Traffic.loop({
        url,
        clients,
        request: (n) => ({ method: "POST", path: "/1/upload", account, body: bodies[n]!.text }),
        records: (n) => bodies[n]!.records,
        maxRequests: Math.min(count, bodies.length),
        maxMillis: 600_000,
      })

    const bCount = Math.min(bodies.length, Math.ceil(bEventsAtMost / 1000))
    log(`[under load] loading A and B (untimed) …`)
    const [aLoaded, bLoaded] = await Promise.all([
      uploads(a, bodies.length, 4),
      uploads(b, bCount, 4),
    ])
    if (aLoaded.ok !== bodies.length || bLoaded.ok !== bCount)
      throw new Error("A's or B's data was refused (429) while loading")

    const queryBody = JSON.stringify(TrendsRequest.encode(smallQuery))
    const probes = async (): Promise<Pick<Phase, "query" | "health">> => {
      const probe = (request: Traffic.Request) =>
        Traffic.loop({
          url,
          clients: 1,
          request: () => request,
          maxRequests: probeRequests,
          maxMillis: phaseMillis,
          interval: probeInterval,
        })
      const [query, health] = await Promise.all([
        probe({ method: "POST", path: "/1/counts/trends.json", account: b, body: queryBody }),
        probe({ method: "GET", path: "/health" }),
      ])
      return { query: probeOf(query), health: probeOf(health) }
    }

    const phases: Array<Phase> = []
    log(`[under load] baseline: B's query and /health, no other load …`)
    phases.push({ name: "no load", ...(await probes()) })

    const withBackground = async (
      name: string,
      what: string,
      clients: number,
      send: LoadWorker.Job["send"],
    ) => {
      const kind = "uploads" in send ? "uploads" : "queries"
      log(`[under load] ${name} …`)
      const load = LoadInBackground.start({
        url,
        account: a,
        clients,
        send,
        maxRequests: 1_000_000,
        maxMillis: phaseMillis + 120_000,
      })
      workers.add(load)
      try {
        await load.running
        const measured = await probes()
        const tally = await load.stop()
        const phase: Phase = {
          name,
          ...measured,
          background: {
            kind,
            what,
            clients,
            latency: Latency.summarize(tally.millis),
            ok: tally.ok,
            refused: tally.refused,
            partial: tally.partial,
            records: tally.records,
            seconds: seconds(tally.elapsed),
          },
        }
        phases.push(phase)
      } finally {
        await load.terminate()
        workers.delete(load)
      }
    }
    await withBackground(
      `A: ${uploadClients} concurrent uploads of 1000 records`,
      "uploads of 1000 records",
      uploadClients,
      { uploads: { events: Math.min(options.events, 200_000), seed: seed + 1 } },
    )
    await withBackground(
      `A: ${heavyQueryClients} concurrent heavy queries`,
      `${Shape.combinedLabel({ event: Dataset.topEvent, measure: "profiles" })} over 2025`,
      heavyQueryClients,
      { query: JSON.stringify(TrendsRequest.encode(heavyQuery)) },
    )

    const throughput = (
      what: string,
      unit: Throughput["unit"],
      target: number,
      clientsPerAccount: number,
      tallies: ReadonlyArray<Traffic.Tally>,
      elapsed: number,
    ): Throughput => {
      const requests = tallies.reduce((sum, t) => sum + t.ok, 0)
      const records = tallies.reduce((sum, t) => sum + t.records, 0)
      return {
        what,
        accounts: tallies.length,
        clientsPerAccount,
        requests,
        refused: tallies.reduce((sum, t) => sum + t.refused, 0),
        seconds: seconds(elapsed),
        rate: (unit === "events/s" ? records : requests) / seconds(elapsed),
        unit,
        latency: Latency.summarize(tallies.flatMap((t) => t.millis)),
        target,
      }
    }

    const uploadRates: Array<Throughput> = []
    let next = 0
    for (const count of uploadAccounts) {
      const accounts = uploaders.slice(next, next + count)
      next += count
      log(`[under load] uploads from ${count} account(s) at once …`)
      const begun = performance.now()
      const tallies = await Promise.all(
        accounts.map((account) => uploads(account, uploadsPerAccount, uploadClientsPerAccount)),
      )
      uploadRates.push(
        throughput(
          "uploads of 1000 records",
          "events/s",
          targets.uploadEventsPerSecond,
          uploadClientsPerAccount,
          tallies,
          performance.now() - begun,
        ),
      )
    }

    // B and the accounts of the first two upload tests hold data by now.
    const queryAccountsUsed = [b, uploaders[0]!, uploaders[1]!].slice(0, queryAccounts)
    const perAccount = queryClients / queryAccountsUsed.length
    log(`[under load] small queries from ${queryClients} clients …`)
    const begun = performance.now()
    const tallies = await Promise.all(
      queryAccountsUsed.map((account) =>
        Traffic.loop({
          url,
          clients: perAccount,
          request: () => ({
            method: "POST",
            path: "/1/counts/trends.json",
            account,
            body: queryBody,
          }),
          maxRequests: Math.ceil(queryRequests / queryAccountsUsed.length),
          maxMillis: phaseMillis,
        }),
      ),
    )
    const queries = throughput(
      "B's small query",
      "requests/s",
      targets.queriesPerSecond,
      perAccount,
      tallies,
      performance.now() - begun,
    )

    return {
      server: `Trendline's Node server (${NodeServer.versions(options.serverEntry)})`,
      settings: Object.entries(settings).map(([name, value]) => `${name}=${value}`),
      accounts: 2 + uploaders.length,
      aEvents: aLoaded.records,
      bEvents: bLoaded.records,
      query: `count daily · ${Dataset.rareEvent}, ${Calendar.formatIsoDate(smallQuery.from)} to ${Calendar.formatIsoDate(smallQuery.to)}`,
      heavyQuery: `${Shape.combinedLabel({ event: Dataset.topEvent, measure: "profiles" })} over 2025`,
      probeInterval,
      phases,
      uploads: uploadRates,
      queries,
      millis: performance.now() - started,
    }
  } finally {
    for (const worker of workers) await worker.terminate()
    const code = await server?.stop()
    await rm(folder, { recursive: true, force: true })
    if (server !== undefined && code !== 0) log(`[under load] the server exited with code ${code}`)
  }
}
