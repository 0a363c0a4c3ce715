/**
 * Traffic for the under-load section: requests to the server on 127.0.0.1, sent by
 * clients in closed loops (each sends its next request once the last one is answered),
 * bounded in count and in time, and what they saw.
 *
 * @since 0.1.0
 */
import * as Dataset from "./Dataset.ts"
import { toRecord } from "./HttpEngine.ts"
import * as NodeServer from "./NodeServer.ts"

/** One request: `account` signs it; a body is sent as JSON. */
export interface Request {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly account?: NodeServer.AccountEntry
  /** Prepared before anything is timed. */
  readonly body?: string
}

/**
 * How the server answered: `ok` (success, every record processed), `refused` (429, too
 * many requests of the account in flight) or `partial` (the query outlasted its sync
 * budget). Anything else is a failure of the run, thrown.
 */
export type Outcome = "ok" | "refused" | "partial"

/** Whether the answer's outcome counts, or why it is a failure. */
export const outcomeOf = (status: number, text: string): Outcome => {
  if (status === 429) return "refused"
  let body: { status?: unknown; unprocessed?: ReadonlyArray<unknown> } | undefined
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (status === 200 && body?.status === "partial") return "partial"
  if (
    status === 200 &&
    (body?.status === "success" || body?.status === "ok") &&
    (body.unprocessed === undefined || body.unprocessed.length === 0)
  )
    return "ok"
  throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`)
}

/** Sends a request and reads the whole answer: its outcome, and the milliseconds it took. */
export const send = async (
  url: string,
  request: Request,
): Promise<{ readonly outcome: Outcome; readonly millis: number }> => {
  const started = performance.now()
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    ...(request.account === undefined ? {} : { headers: NodeServer.headersOf(request.account) }),
    ...(request.body === undefined ? {} : { body: request.body }),
  })
  const text = await response.text()
  const millis = performance.now() - started
  try {
    return { outcome: outcomeOf(response.status, text), millis }
  } catch (error) {
    throw new Error(
      `${request.method} ${request.path}${request.account === undefined ? "" : ` as ${request.account.settings.id}`}: ${(error as Error).message}`,
    )
  }
}

/** What some clients saw: answers by outcome, every round trip, and the wall time. */
export interface Tally {
  readonly ok: number
  readonly refused: number
  readonly partial: number
  /** Records the `ok` uploads stored (0 for queries). */
  readonly records: number
  /** Every request's round trip, in ms, in the order answered. */
  readonly millis: ReadonlyArray<number>
  /** From the first request sent to the last answer, in ms. */
  readonly elapsed: number
}

/** How clients loop. */
export interface Loop {
  readonly url: string
  readonly clients: number
  /** The `n`th request (0-based, across clients). */
  readonly request: (n: number) => Request
  /** Records in the `n`th request, counted when it is `ok`. */
  readonly records?: (n: number) => number
  /** Requests sent at most, across clients. */
  readonly maxRequests: number
  /** No request starts after this many ms. */
  readonly maxMillis: number
  /** Each client starts a request at most every `interval` ms (default: at once). */
  readonly interval?: number
  /** Stops the loop early: requests under way finish, no other starts. */
  readonly signal?: AbortSignal
  /** Called after every answer with the number answered so far. */
  readonly onAnswer?: (answered: number) => void
}

const pause = (millis: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (millis <= 0 || signal?.aborted === true) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener("abort", done)
      resolve()
    }
    const timer = setTimeout(done, millis)
    signal?.addEventListener("abort", done, { once: true })
  })

/**
 * Runs `clients` closed loops until `maxRequests` were sent, `maxMillis` went by, or
 * `signal` aborts. After a failure no request starts; it is thrown once those under way
 * have settled.
 */
export const loop = async (options: Loop): Promise<Tally> => {
  const millis: Array<number> = []
  let ok = 0
  let refused = 0
  let partial = 0
  let records = 0
  let sent = 0
  let failure: { readonly cause: unknown } | undefined
  const started = performance.now()
  const deadline = started + options.maxMillis
  const going = () =>
    failure === undefined &&
    options.signal?.aborted !== true &&
    sent < options.maxRequests &&
    performance.now() < deadline
  const client = async () => {
    while (going()) {
      const n = sent++
      const begun = performance.now()
      try {
        const answer = await send(options.url, options.request(n))
        millis.push(answer.millis)
        if (answer.outcome === "ok") {
          ok++
          records += options.records?.(n) ?? 0
        } else if (answer.outcome === "refused") refused++
        else partial++
        options.onAnswer?.(millis.length)
      } catch (cause) {
        failure ??= { cause }
        return
      }
      if (options.interval !== undefined)
        await pause(begun + options.interval - performance.now(), options.signal)
    }
  }
  await Promise.all(Array.from({ length: options.clients }, client))
  const elapsed = performance.now() - started
  if (failure !== undefined) throw failure.cause
  return { ok, refused, partial, records, millis, elapsed }
}

/** An upload body prepared before timing: its JSON, and how many records it holds. */
export interface Body {
  readonly text: string
  readonly records: number
}

/** The data set as `POST /1/upload` bodies, one a batch (1000 records), at most `limit`. */
export const uploadBodies = (
  dataset: Dataset.Dataset,
  limit = Number.POSITIVE_INFINITY,
): Array<Body> => {
  const bodies: Array<Body> = []
  for (const batch of Dataset.batches(dataset)) {
    if (bodies.length >= limit) break
    bodies.push({ text: JSON.stringify({ d: batch.map(toRecord) }), records: batch.length })
  }
  return bodies
}
