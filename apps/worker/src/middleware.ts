/**
 * The edges of every request: the structured log line, authentication, and reading a JSON
 * body. Each failure answers core's `fail` body with its HTTP status.
 */
import type * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import type { Context, MiddlewareHandler } from "hono"
import { bodyLimit } from "hono/body-limit"
import type * as Accounts from "./Accounts.ts"
import { passcodeMatches } from "./Accounts.ts"

/** What a request carries between middleware and routes. */
export interface AppEnv {
  Variables: {
    account: Account.Settings
    body: unknown
    /** The body's text, unparsed (`jsonText`). */
    text: string
    reqId: string | undefined
  }
}

/** A structured log line (one per request). */
export type Log = (line: Record<string, unknown>) => void

/** Answers with core's wire form of an error. */
export const fail = (c: Context, error: ApiError.ApiError): Response => {
  const { status, body } = AccountApi.failure(error)
  return c.json(body, status as 400)
}

/** Logs one line per request: method, path, status, duration, account and req_id. */
export const requestLog =
  (log: Log): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = performance.now()
    await next()
    log({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      account: c.get("account")?.id,
      reqId: c.get("reqId"),
    })
  }

// What an unknown account id is compared with: the same work as a known one.
const nobody: Accounts.Known = { settings: undefined as never, passcode: "\u0000" }

/** Checks `X-CleverTap-Account-Id` and `X-CleverTap-Passcode`; 401 when they do not match. */
export const authenticate =
  (accounts: Accounts.Accounts): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const id = c.req.header("X-CleverTap-Account-Id")
    const passcode = c.req.header("X-CleverTap-Passcode")
    if (id === undefined || passcode === undefined) {
      const missing = id === undefined ? "X-CleverTap-Account-Id" : "X-CleverTap-Passcode"
      return fail(
        c,
        new ApiError.InvalidCredentials({
          reason: `Missing ${missing} header: send the account id and passcode`,
        }),
      )
    }
    const known = accounts.get(id)
    // Compare even for an unknown account, so timing does not tell which ids exist.
    const matches = await passcodeMatches(known ?? nobody, passcode)
    if (known === undefined || !matches) {
      return fail(c, new ApiError.InvalidCredentials({ reason: "Invalid account id or passcode" }))
    }
    c.set("account", known.settings)
    await next()
  }

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim())

// 415 unless `Content-Type: application/json`, 413 over `maxBytes`: before any body is read.
const jsonEnvelope = (maxBytes: number): Array<MiddlewareHandler<AppEnv>> => [
  async (c, next) => {
    const contentType = c.req.header("Content-Type")
    if (!isJson(contentType)) {
      const got = contentType === undefined ? "no Content-Type" : `Content-Type ${contentType}`
      return fail(
        c,
        new ApiError.UnsupportedMediaType({
          reason: `Expected Content-Type application/json, got ${got}`,
        }),
      )
    }
    await next()
  },
  bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      fail(
        c,
        new ApiError.PayloadTooLarge({
          reason: `Request body exceeds ${maxBytes} bytes: send fewer records per call`,
        }),
      ),
  }),
]

/** Reads the body as JSON: 415 unless `Content-Type: application/json`, 413 over `maxBytes`, 400 if not JSON. */
export const jsonBody = (maxBytes: number): Array<MiddlewareHandler<AppEnv>> => [
  ...jsonEnvelope(maxBytes),
  async (c, next) => {
    const text = await c.req.text()
    try {
      c.set("body", JSON.parse(text))
    } catch (error) {
      return fail(c, ApiError.invalidJson(error instanceof Error ? error.message : String(error)))
    }
    await next()
  },
]

/**
 * Reads the body as text, for JSON parsed later and elsewhere (uploads, on the thread that
 * stores them): 415 unless `Content-Type: application/json`, 413 over `maxBytes`.
 */
export const jsonText = (maxBytes: number): Array<MiddlewareHandler<AppEnv>> => [
  ...jsonEnvelope(maxBytes),
  async (c, next) => {
    c.set("text", await c.req.text())
    await next()
  },
]
