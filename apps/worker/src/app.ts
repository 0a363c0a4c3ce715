/**
 * The Trends API as one Hono app, the same on Workers and on Node: the platform hands it
 * the accounts and a backend (where each account's `AccountApi` runs).
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import { Hono } from "hono"
import type * as Accounts from "./Accounts.ts"
import type { Backend } from "./Backend.ts"
import * as BodyBudget from "./BodyBudget.ts"
import {
  type AppEnv,
  aborted,
  bodyBudget,
  fail,
  type Log,
  RequestAborted,
  requestLog,
} from "./middleware.ts"
import { document } from "./openapi.ts"
import { countsRoutes } from "./routes/counts.ts"
import { uploadRoutes } from "./routes/upload.ts"

/** The largest request body the app reads when its options name none: 10 MiB. */
export const defaultMaxBodyBytes = 10 * 1024 * 1024

/** What the app is built from. */
export interface Options {
  readonly accounts: Accounts.Accounts
  readonly backend: Backend
  /** Largest request body accepted, in bytes (default 10 MiB). */
  readonly maxBodyBytes?: number
  /** Request-body bytes held at once, all requests together (`BodyBudget.defaultMaxBytes`). */
  readonly maxBodyBytesInFlight?: number
  readonly log?: Log
  /** Checks the event store for `/health`: `undefined` when healthy, else the reason. */
  readonly health?: () => Promise<string | undefined>
}

const methods: ReadonlyArray<readonly [path: string, allowed: ReadonlyArray<string>]> = [
  ["/1/counts/trends.json", ["GET", "POST"]],
  ["/1/counts/events.json", ["GET", "POST"]],
  ["/1/counts/profiles.json", ["GET", "POST"]],
  ["/1/counts/top.json", ["GET", "POST"]],
  ["/1/upload", ["POST"]],
  ["/health", ["GET"]],
  ["/openapi.json", ["GET"]],
]

/** Builds the app; build it once per process or isolate. */
export const makeApp = (options: Options) => {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  const openapi = document()
  const app = new Hono<AppEnv>()
  if (options.log !== undefined) app.use(requestLog(options.log))
  const bodies = options.maxBodyBytesInFlight ?? BodyBudget.defaultMaxBytes(maxBodyBytes)
  app.use("/1/*", bodyBudget(BodyBudget.make(bodies)))
  // 503 with the reason while the store cannot read or write (disk full, file deleted, …).
  app.get("/health", async (c) => {
    const problem = await options.health?.()
    if (problem === undefined) return c.json({ status: "ok" })
    options.log?.({
      time: new Date().toISOString(),
      level: "error",
      message: `health: the event store is unavailable: ${problem}`,
    })
    return c.json({ status: "unavailable", reason: problem }, 503)
  })
  app.get("/openapi.json", (c) => c.json(openapi))
  app.route("/1/counts", countsRoutes(options.accounts, options.backend, maxBodyBytes))
  app.route("/1/upload", uploadRoutes(options.accounts, options.backend, maxBodyBytes))
  for (const [path, allowed] of methods) {
    app.all(path, (c) => {
      c.header("Allow", allowed.join(", "))
      return fail(
        c,
        new ApiError.MethodNotAllowed({
          reason: `${c.req.method} is not allowed on ${path}; use ${allowed.join(" or ")}`,
        }),
      )
    })
  }
  app.notFound((c) =>
    fail(
      c,
      new ApiError.RouteNotFound({
        reason: `No endpoint at ${c.req.method} ${c.req.path}; see /openapi.json`,
      }),
    ),
  )
  app.onError((error, c) => {
    // The client went away: nobody to answer and nothing to fix (logged as 499, aborted).
    if (error instanceof RequestAborted) return aborted(c)
    options.log?.({
      time: new Date().toISOString(),
      level: "error",
      message: error.message,
      stack: error.stack,
    })
    return fail(c, AccountApi.internalError())
  })
  return app
}
