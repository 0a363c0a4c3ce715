/**
 * `POST` and `GET ?req_id=` of `/1/counts/trends.json`, `/1/counts/events.json`,
 * `/1/counts/profiles.json` and `/1/counts/top.json`.
 */
import * as ApiError from "@trendline/core/ApiError"
import type * as WireAnswer from "@trendline/core/WireAnswer"
import { type Context, Hono } from "hono"
import type * as Accounts from "../Accounts.ts"
import type { Backend } from "../Backend.ts"
import { type AppEnv, authenticate, fail, jsonBody } from "../middleware.ts"

const reply = (c: Context<AppEnv>, answer: WireAnswer.WireAnswer): Response => {
  if (answer.body.status === "partial") c.set("reqId", String(answer.body.req_id))
  return c.json(answer.body, answer.status)
}

/** The read endpoints, mounted at `/1/counts`. */
export const countsRoutes = (
  accounts: Accounts.Accounts,
  backend: Backend,
  maxBodyBytes: number,
) => {
  const routes = new Hono<AppEnv>()
  const auth = authenticate(accounts)
  for (const [path, endpoint] of [
    ["/trends.json", "trends"],
    ["/events.json", "events"],
    ["/profiles.json", "profiles"],
    ["/top.json", "top"],
  ] as const) {
    routes.post(path, auth, ...jsonBody(maxBodyBytes), async (c) => {
      const api = backend(c.get("account"))
      const body = c.get("body")
      return reply(
        c,
        await (endpoint === "trends"
          ? api.trends(body)
          : endpoint === "events"
            ? api.eventCount(body)
            : endpoint === "profiles"
              ? api.profileCount(body)
              : api.top(body)),
      )
    })
    routes.get(path, auth, async (c) => {
      const reqId = c.req.query("req_id")
      if (reqId === undefined) {
        return fail(
          c,
          ApiError.InvalidRequest.field(
            "req_id",
            `is missing: POST the query to ${c.req.path}, or poll a partial answer with ?req_id=<its req_id>`,
          ),
        )
      }
      c.set("reqId", reqId)
      return reply(c, await backend(c.get("account")).poll(endpoint, reqId))
    })
  }
  return routes
}
