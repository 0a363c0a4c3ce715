// A scripted Trends API on loopback: each request takes the next scripted reply and is
// recorded. Tests await the Nth request instead of sleeping, and hold replies to keep
// requests in flight for as long as they need.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** One scripted answer: an HTTP status and a body (JSON, or raw `text`). */
export interface Reply {
  readonly status?: number
  readonly json?: unknown
  readonly text?: string
  readonly contentType?: string
  /** Keep the request in flight until `release()`. */
  readonly hold?: boolean
  /** Close the connection without answering, as a crashed server or a lost network would. */
  readonly drop?: boolean
}

/** A request as the server saw it. */
export interface Recorded {
  readonly method: string
  readonly path: string
  readonly query: { readonly [name: string]: string }
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Every request so far, in arrival order. */
  readonly requests: ReadonlyArray<Recorded>
  /** Appends replies to the script. */
  readonly reply: (...replies: ReadonlyArray<Reply>) => void
  /** Resolves with the `n`th request (1-based) once it has arrived. */
  readonly received: (n: number) => Promise<Recorded>
  /** Sends the oldest held reply. */
  readonly release: () => void
  /** Requests whose response has not finished. */
  readonly inFlight: () => number
  /** The most requests ever in flight at once. */
  readonly maxInFlight: () => number
  readonly close: () => Promise<void>
}

/** `200` with `{"status":"success",...groups}`. */
export const success = (groups: object = {}): Reply => ({ json: { status: "success", ...groups } })

/** `200` with `{"status":"partial","req_id":reqId}`. */
export const partial = (reqId: number): Reply => ({ json: { status: "partial", req_id: reqId } })

/** A `fail` body with its code, sent with `status` (the code by default). */
export const fail = (code: number, error: string, status: number = code): Reply => ({
  status,
  json: { status: "fail", error, code },
})

const send = (response: ServerResponse, reply: Reply): void => {
  if (response.destroyed) return
  const text = reply.text ?? JSON.stringify(reply.json ?? null)
  response.writeHead(reply.status ?? 200, {
    "content-type":
      reply.contentType ?? (reply.text === undefined ? "application/json" : "text/html"),
  })
  response.end(text)
}

/** Starts a fake server on 127.0.0.1 and a free port. */
export const start = (): Promise<FakeServer> => {
  const requests: Array<Recorded> = []
  const script: Array<Reply> = []
  const held: Array<() => void> = []
  const waiters: Array<{ readonly n: number; readonly resolve: (r: Recorded) => void }> = []
  let inFlight = 0
  let maxInFlight = 0

  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://fake")
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      response.once("close", () => inFlight--)
      response.on("error", () => {})
      const recorded: Recorded = {
        method: request.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      }
      requests.push(recorded)
      const reply =
        script.shift() ?? fail(500, `fake: no scripted reply for request ${requests.length}`)
      if (reply.drop === true) request.socket.destroy()
      else if (reply.hold === true) held.push(() => send(response, reply))
      else send(response, reply)
      for (const waiter of waiters.filter((w) => w.n <= requests.length)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(requests[waiter.n - 1]!)
      }
    })
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        reply: (...replies) => {
          script.push(...replies)
        },
        received: (n) =>
          n <= requests.length
            ? Promise.resolve(requests[n - 1]!)
            : new Promise((resolve) => waiters.push({ n, resolve })),
        release: () => {
          const next = held.shift()
          if (next === undefined) throw new Error("fake: no held reply to release")
          next()
        },
        inFlight: () => inFlight,
        maxInFlight: () => maxInFlight,
        close: () =>
          new Promise((resolve) => {
            for (const next of held.splice(0)) next()
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** The fake for the scope of a test. */
export const make: Effect.Effect<FakeServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(start),
  (fake) => Effect.promise(fake.close),
)

/** Waits for the `n`th request (1-based). */
export const received = (fake: FakeServer, n: number): Effect.Effect<Recorded> =>
  Effect.promise(() => fake.received(n))

/** One turn of the event loop: lets pending I/O run, without waiting for any timer. */
export const eventLoopTurn: Effect.Effect<void> = Effect.promise(
  () => new Promise<void>((resolve) => setImmediate(resolve)),
)

/** The request's body as JSON. */
export const jsonOf = (request: Recorded): unknown => JSON.parse(request.body)
