/**
 * Trendline's Workers entry behind the engine interface: `apps/worker/src/worker.ts` in
 * workerd (`WorkersServer`), each account in its own SQLite-backed Durable Object, state
 * persisted in a fresh temporary folder, the bench's account (UTC, ISO weeks) and the
 * `http` engine's warm-up account, otherwise `wrangler.jsonc`'s settings (sync budget 5 s,
 * concurrency limits: the Node entry's defaults).
 *
 * It is driven exactly as the `http` engine drives the Node entry, so that their figures
 * compare like with like: events go in through `POST /1/upload`, 1000 records a call, one
 * call at a time over Node's fetch, which keeps the connection alive; shapes are
 * `POST /1/counts/trends.json` requests (top values shapes `POST /1/counts/top.json`),
 * timed over the whole round trip (the worker, the RPC to the account's object, the
 * object's store and its answer).
 *
 * Cold, the worker runs in a new workerd process on the same persisted state before every
 * timed call, so every Durable Object is evicted. As for the `http` engine, the new process
 * first answers, untimed, the same warm-up requests on the warm-up account (its own
 * object), so that the timed call does not pay for loading and first compiling the
 * worker's code. Then an untimed poll of an unknown `req_id` on the bench account starts
 * its object (constructed, its SQLite database opened and migrated, its API built) without
 * reading any of its events: the state the Node entry's cold call finds, whose server
 * opened its database as it started. The timed call then reads, decodes and remembers
 * everything it needs. What starting the object cost (that poll, and the same poll again)
 * is kept for the report (`Cold.starts`): the Workers entry pays it on an account's first
 * request after its object was evicted.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Dataset from "./Dataset.ts"
import { type ColdStart, type Engine, timedLoad } from "./Engine.ts"
import * as HttpEngine from "./HttpEngine.ts"
import type * as NodeServer from "./NodeServer.ts"
import * as Shape from "./Shape.ts"
import * as TopShape from "./TopShape.ts"
import * as WorkersServer from "./WorkersServer.ts"

/** Where the worker app is: by default the one of this repository. */
export interface Options {
  readonly workerDir?: string
}

const passcode = () => randomBytes(12).toString("base64url")

/** Starts the worker on a fresh folder; `close` stops workerd and removes the folder. */
export const make = async (options: Options = {}): Promise<Engine> => {
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-workers-"))
  const bench: NodeServer.AccountEntry = { settings: Shape.account, passcode: passcode() }
  const warmUp: NodeServer.AccountEntry = {
    settings: HttpEngine.warmUpAccount,
    passcode: passcode(),
  }
  const envFile = join(folder, "workers.env")
  let server: WorkersServer.Running
  try {
    await writeFile(envFile, WorkersServer.envFileText([bench, warmUp]), { mode: 0o600 })
    server = await WorkersServer.start({
      ...(options.workerDir === undefined ? {} : { workerDir: options.workerDir }),
      persistTo: join(folder, "state"),
      envFile,
    })
  } catch (error) {
    await rm(folder, { recursive: true, force: true })
    throw error
  }
  const stop = async () => {
    const code = await server.stop()
    if (code !== 0) throw new Error(`the workers host exited with code ${code} on stop, not 0`)
  }
  const api = HttpEngine.apiClient(server.url, "worker")

  try {
    for (const batch of Dataset.batches(HttpEngine.warmUpDataset)) await api.upload(warmUp, batch)
  } catch (error) {
    await stop().finally(() => rm(folder, { recursive: true, force: true }))
    throw error
  }

  const runTrends = (request: TrendsRequest.TrendsRequest) => api.trends(bench, request)

  // The bench account's object, started by a request that reads none of its events: timed
  // for the report, then again once started.
  const starts: Array<ColdStart> = []
  const startObject = async () => {
    const started = performance.now()
    await api.pollUnknown(bench)
    const first = performance.now() - started
    const again = performance.now()
    await api.pollUnknown(bench)
    starts.push({ first, again: performance.now() - again })
  }

  return {
    name: "workers",
    version: `Trendline's Workers entry (${WorkersServer.versions(options.workerDir)}), a SQLite-backed Durable Object per account persisted to a temporary folder, Node fetch with keep-alive straight to workerd`,
    loadPath: "POST /1/upload, 1000 records a call",
    load: (batches) => timedLoad(batches, (batch) => api.upload(bench, batch)),
    run: async (shape) => (await runTrends(Shape.request(shape)))[Shape.group]!,
    runTrends,
    runTop: async (shape) => (await api.top(bench, TopShape.request(shape)))[TopShape.group]!,
    cold: {
      means: `a new workerd process on the same persisted state before each call (every Durable Object evicted), first sent ${HttpEngine.warmUpRequests} on another account (its own object) of ${HttpEngine.warmUpDataset.events.toLocaleString("en-US")} events, so that the worker's code is loaded and has run, then a poll of an unknown req_id on the bench account, which starts its object (its SQLite database opened, its API built) and reads none of its events, as the Node server opens its database when it starts: nothing of the account's data is read, decoded or remembered`,
      reopen: async () => {
        await server.restart()
        await HttpEngine.warmUp(api, warmUp)
        await startObject()
      },
      starts: () => starts,
    },
    close: async () => {
      await stop().finally(() => rm(folder, { recursive: true, force: true }))
    },
  }
}
