/**
 * A worker thread of the bench that puts one account's load on the server (`Background`
 * in `UnderLoad.ts`), so that the clients measuring latency in the main thread share
 * neither its event loop nor its garbage. It prepares its requests, loops until told to
 * stop (or its bounds run out), then sends back what it saw.
 */
import { parentPort, workerData } from "node:worker_threads"
import * as Dataset from "../Dataset.ts"
import type * as NodeServer from "../NodeServer.ts"
import * as Traffic from "../Traffic.ts"

/** What the worker is asked to do. */
export interface Job {
  readonly url: string
  readonly account: NodeServer.AccountEntry
  readonly clients: number
  /** Uploads of a data set's batches (sent round and round), or one query body, again and again. */
  readonly send:
    | { readonly uploads: { readonly events: number; readonly seed: number } }
    | { readonly query: string }
  readonly maxRequests: number
  readonly maxMillis: number
}

/** Messages to the main thread. */
export type Message =
  | { readonly type: "running" }
  | { readonly type: "done"; readonly tally: Traffic.Tally }
  | { readonly type: "failed"; readonly message: string }

const port = parentPort!
const job = workerData as Job
const stop = new AbortController()
port.on("message", (message: unknown) => {
  if (message === "stop") stop.abort()
})
const post = (message: Message) => port.postMessage(message)

const bodies =
  "uploads" in job.send
    ? Traffic.uploadBodies(
        Dataset.make({ events: job.send.uploads.events, seed: job.send.uploads.seed }),
      )
    : []
const query = "query" in job.send ? job.send.query : ""
let running = false
Traffic.loop({
  url: job.url,
  clients: job.clients,
  request: (n) => ({
    method: "POST",
    path: bodies.length > 0 ? "/1/upload" : "/1/counts/trends.json",
    account: job.account,
    body: bodies.length > 0 ? bodies[n % bodies.length]!.text : query,
  }),
  records: (n) => (bodies.length > 0 ? bodies[n % bodies.length]!.records : 0),
  maxRequests: job.maxRequests,
  maxMillis: job.maxMillis,
  signal: stop.signal,
  onAnswer: (answered) => {
    if (!running && answered >= job.clients) {
      running = true
      post({ type: "running" })
    }
  },
}).then(
  (tally) => post({ type: "done", tally }),
  (error: unknown) =>
    post({ type: "failed", message: error instanceof Error ? error.message : String(error) }),
)
