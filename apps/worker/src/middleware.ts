/**
 * The edges of every request: the structured log line, authentication, and reading a JSON
 * body. Each failure answers core's `fail` body with its HTTP status.
 */
import type * as Account from "@trendline/core/Account"
import * as ApiError from "@trendline/core/ApiError"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as Data from "effect/Data"
import type { Context, MiddlewareHandler } from "hono"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type * as Accounts from "./Accounts.ts"
import { passcodeMatches } from "./Accounts.ts"
import * as BodyBudget from "./BodyBudget.ts"

/** What a request carries between middleware and routes. */
export interface AppEnv {
  Variables: {
    account: Account.Settings
    body: unknown
    /** The body's text, unparsed (`jsonText`). */
    text: string
    reqId: string | undefined
    /** The request-body bytes the whole app may hold at once (`bodyBudget`). */
    bodyBudget: BodyBudget.BodyBudget
  }
}

/** A structured log line (one per request). */
export type Log = (line: Record<string, unknown>) => void

/** Answers with core's wire form of an error. */
export const fail = (c: Context, error: ApiError.ApiError): Response => {
  const { status, body } = WireAnswer.failure(error)
  return c.json(body, status)
}

/**
 * The connection closed before the request was answered: the client went away, or a
 * shutdown dropped it when its grace was over. Not the server's failure.
 */
export class RequestAborted extends Data.TaggedError("RequestAborted")<{
  readonly cause: unknown
}> {
  override get message() {
    return "The connection closed before the request was answered"
  }
}

/** The status logged for a request whose client went away: nobody receives an answer. */
export const clientClosedRequest = 499

/** The answer to a `RequestAborted`: no body, and no one to read it. */
export const aborted = (c: Context): Response =>
  c.body(null, clientClosedRequest as ContentfulStatusCode)

/**
 * Logs one line per request: method, path, status, duration, account and req_id. A request
 * whose client went away is logged with status 499 and `"aborted": true`, not as a failure.
 */
export const requestLog =
  (log: Log): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = performance.now()
    await next()
    const wasAborted = c.res.status === clientClosedRequest || c.req.raw.signal.aborted
    log({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: wasAborted ? clientClosedRequest : c.res.status,
      ...(wasAborted ? { aborted: true } : {}),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      account: c.get("account")?.id,
      reqId: c.get("reqId"),
    })
  }

// Whether the request comes with a body (its headers say so on Node without building it).
const hasBody = (c: Context): boolean => {
  const length = c.req.header("Content-Length")
  if (length !== undefined) return length !== "0"
  return c.req.header("Transfer-Encoding") !== undefined || c.req.raw.body !== null
}

/**
 * Answers with an error before the request's body has been read, with `Connection: close`:
 * the rest of the body may still be on its way, and a client that reused the connection
 * would have its next request read after it (Node's fetch fails with "other side closed").
 */
export const failBeforeBody = (c: Context, error: ApiError.ApiError): Response => {
  if (hasBody(c)) c.header("Connection", "close")
  return fail(c, error)
}

/** Makes `budget` the one every body of the app is read within (see `BodyBudget`). */
export const bodyBudget =
  (budget: BodyBudget.BodyBudget): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    c.set("bodyBudget", budget)
    await next()
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
      return failBeforeBody(
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
      return failBeforeBody(
        c,
        new ApiError.InvalidCredentials({ reason: "Invalid account id or passcode" }),
      )
    }
    c.set("account", known.settings)
    await next()
  }

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim())

// 415 unless `Content-Type: application/json`: before any body is read.
const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const contentType = c.req.header("Content-Type")
  if (!isJson(contentType)) {
    const got = contentType === undefined ? "no Content-Type" : `Content-Type ${contentType}`
    return failBeforeBody(
      c,
      new ApiError.UnsupportedMediaType({
        reason: `Expected Content-Type application/json, got ${got}`,
      }),
    )
  }
  await next()
}

// The body's declared length, unless it is sent in chunks (then it is counted as it comes).
const declaredLength = (c: Context): number | undefined => {
  const length = c.req.header("Content-Length")
  if (length === undefined || c.req.header("Transfer-Encoding") !== undefined) return undefined
  return /^[0-9]+$/.test(length) ? Number(length) : undefined
}

const tooLarge = (maxBytes: number) =>
  new ApiError.PayloadTooLarge({
    reason: `Request body exceeds ${maxBytes} bytes: send fewer records per call`,
  })

const busy = (c: Context, budget: BodyBudget.BodyBudget): Response => {
  c.header("Retry-After", "1")
  return failBeforeBody(
    c,
    new ApiError.ServiceUnavailable({
      reason: `The server is reading as many request bodies as it holds at once (${budget.maxBytes} bytes); retry in a second`,
    }),
  )
}

// Apps built without `bodyBudget` (a route tested alone) read without a shared limit.
const unlimited = BodyBudget.make(Number.POSITIVE_INFINITY)
const utf8 = new TextDecoder()

/**
 * Reads the body as UTF-8 text and hands it to `use`, which answers a failure or lets the
 * request go on. The body is read after the middleware before it (authentication) and
 * within two limits: `maxBytes` for this body (413, counted as the bytes arrive, before any
 * when the declared length exceeds it), and the app's `BodyBudget` for all bodies held at
 * once (503 with `Retry-After`). Its bytes stay reserved until the request is answered.
 */
const readJson = (
  maxBytes: number,
  use: (c: Context<AppEnv>, text: string) => Response | undefined,
): Array<MiddlewareHandler<AppEnv>> => [
  requireJson,
  async (c, next) => {
    const budget = c.get("bodyBudget") ?? unlimited
    const declared = declaredLength(c)
    if (declared !== undefined && declared > maxBytes) return failBeforeBody(c, tooLarge(maxBytes))
    let held = 0
    // Reserves enough for `total` bytes of the body; false when the budget has no room.
    const holdUpTo = (total: number): boolean => {
      if (total <= held) return true
      if (!budget.reserve(total - held)) return false
      held = total
      return true
    }
    try {
      if (!holdUpTo(declared ?? 0)) return busy(c, budget)
      const read = await readText(c, maxBytes, holdUpTo)
      if (read === "tooLarge") return failBeforeBody(c, tooLarge(maxBytes))
      if (read === "noRoom") return busy(c, budget)
      const failed = use(c, read.text)
      if (failed !== undefined) return failed
      await next()
    } finally {
      budget.release(held)
    }
  },
]

// The body as text, counted as it arrives; the rest stays unread once it is refused.
const readText = async (
  c: Context,
  maxBytes: number,
  holdUpTo: (total: number) => boolean,
): Promise<{ readonly text: string } | "tooLarge" | "noRoom"> => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  const reader = c.req.raw.body?.getReader()
  while (reader !== undefined) {
    let chunk: Awaited<ReturnType<typeof reader.read>>
    try {
      chunk = await reader.read()
    } catch (cause) {
      throw new RequestAborted({ cause })
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    const refused = size > maxBytes ? "tooLarge" : holdUpTo(size) ? undefined : "noRoom"
    if (refused !== undefined) {
      reader.cancel().catch(() => {})
      return refused
    }
    chunks.push(chunk.value)
  }
  return { text: utf8.decode(concat(chunks, size)) }
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** Reads the body as JSON: 415 unless `Content-Type: application/json`, 413 over `maxBytes`, 400 if not JSON. */
export const jsonBody = (maxBytes: number): Array<MiddlewareHandler<AppEnv>> =>
  readJson(maxBytes, (c, text) => {
    try {
      c.set("body", JSON.parse(text))
      return undefined
    } catch (error) {
      return fail(c, ApiError.invalidJson(error instanceof Error ? error.message : String(error)))
    }
  })

/**
 * Reads the body as text, for JSON parsed later and elsewhere (uploads, on the thread that
 * stores them): 415 unless `Content-Type: application/json`, 413 over `maxBytes`.
 */
export const jsonText = (maxBytes: number): Array<MiddlewareHandler<AppEnv>> =>
  readJson(maxBytes, (c, text) => {
    c.set("text", text)
    return undefined
  })
