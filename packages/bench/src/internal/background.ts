/**
 * The main thread's side of `loadWorker.ts`: starts the worker, tells when its load runs,
 * stops it and gives what it saw.
 */
import { Worker } from "node:worker_threads"
import type * as Traffic from "../Traffic.ts"
import type * as LoadWorker from "./loadWorker.ts"

/**
 * A's load in a worker thread: `running` settles once every client has had an answer
 * (or the load ended or failed), `stop` ends it and gives what it saw; `terminate` ends
 * the thread whatever its state.
 */
export const start = (job: LoadWorker.Job) => {
  const worker = new Worker(new URL("./loadWorker.ts", import.meta.url), {
    workerData: job,
  })
  let onRunning: () => void = () => undefined
  let onFailed: (error: Error) => void = () => undefined
  const running = new Promise<void>((resolve, reject) => {
    onRunning = resolve
    onFailed = reject
  })
  const done = new Promise<Traffic.Tally>((resolve, reject) => {
    worker.on("message", (message: LoadWorker.Message) => {
      if (message.type === "running") onRunning()
      else if (message.type === "done") {
        onRunning()
        resolve(message.tally)
      } else {
        const error = new Error(`the load of ${job.account.settings.id}: ${message.message}`)
        onFailed(error)
        reject(error)
      }
    })
    worker.on("error", (error) => {
      onFailed(error)
      reject(error)
    })
    worker.on("exit", (code) => {
      const error = new Error(`the load's worker exited (${code}) before it was done`)
      onFailed(error)
      reject(error)
    })
  })
  // Observed here (a failure after the caller stopped waiting is not unhandled); the caller
  // awaits `running` and `stop`.
  running.catch(() => undefined)
  done.catch(() => undefined)
  return {
    running,
    stop: async (): Promise<Traffic.Tally> => {
      worker.postMessage("stop")
      return done
    },
    terminate: () => worker.terminate(),
  }
}
