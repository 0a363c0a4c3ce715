/**
 * The app on Node's HTTP server, and its shutdown. When the scope closes the server stops
 * accepting connections, answers every request it has received (its body has arrived, or it
 * is being processed) with `Connection: close`, closes idle keep-alive connections, gives
 * clients still sending a request `shutdownGraceMs`, then destroys what is left. The scope's
 * earlier resources (the backend, the store) close after that, once no request runs.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { type AddressInfo, Server as NetServer, type Socket } from "node:net"
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from "@hono/node-server"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** What to serve, where, and how long a shutdown waits for clients still sending. */
export interface Options {
  readonly fetch: (request: Request, env: HttpBindings) => Response | Promise<Response>
  readonly port: number
  readonly hostname: string
  readonly shutdownGraceMs: number
}

/** Serves `fetch` until the scope closes, then shuts down as above; yields the address. */
export const serve = (options: Options): Effect.Effect<AddressInfo, never, Scope.Scope> =>
  Effect.acquireRelease(listen(options), (server) =>
    Effect.promise(() => server.shutdown(options.shutdownGraceMs)),
  ).pipe(Effect.map((server) => server.address))

interface Listening {
  readonly address: AddressInfo
  readonly shutdown: (graceMs: number) => Promise<void>
}

// Node's default listen backlog: at most this many connections wait to be accepted.
const backlog = 511

// A request is being answered once its body has all arrived, until its answer is written.
const received = (response: ServerResponse): boolean =>
  response.req.complete && !response.writableEnded

// Whether some of the request's body has yet to arrive.
const bodyPending = (request: IncomingMessage): boolean =>
  !request.complete &&
  (request.headers["transfer-encoding"] !== undefined ||
    Number(request.headers["content-length"] ?? 0) > 0)

const listen = (options: Options): Effect.Effect<Listening> =>
  Effect.async<Listening>((resume) => {
    let closing = false
    let idleClosed = false
    let running = 0
    let accepted = 0
    let settled: (() => void) | undefined
    // Each connection with the exchanges on it whose answer is not written yet.
    const connections = new Map<Socket, Set<ServerResponse>>()
    const settle = () => {
      if (idleClosed && connections.size === 0 && running === 0) settled?.()
    }

    const fetch = (request: Request, env: HttpBindings | Http2Bindings) => {
      const { incoming, outgoing } = env as HttpBindings
      running++
      const finish = () => {
        running--
        settle()
      }
      const answer = (response: Response): Response => {
        // An answer before the body has all arrived leaves the rest of it on the connection,
        // where a client reusing it would send its next request: close it instead. So does
        // every answer during a shutdown.
        if (closing || bodyPending(incoming)) outgoing.shouldKeepAlive = false
        finish()
        return response
      }
      const failed = (error: unknown): never => {
        finish()
        throw error
      }
      try {
        const result = options.fetch(request, env as HttpBindings)
        return result instanceof Promise ? result.then(answer, failed) : answer(result)
      } catch (error) {
        return failed(error)
      }
    }

    const server = createAdaptorServer({ fetch, hostname: options.hostname }) as Server
    server.on("connection", (socket: Socket) => {
      accepted++
      connections.set(socket, new Set())
      socket.once("close", () => {
        connections.delete(socket)
        settle()
      })
    })
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      const exchanges = connections.get(request.socket)
      if (exchanges === undefined) return
      exchanges.add(response)
      response.once("close", () => {
        exchanges.delete(response)
        // Answered during the shutdown on a connection kept alive before it began.
        if (closing && exchanges.size === 0) request.socket.destroySoon()
      })
    })

    const shutdown = (graceMs: number): Promise<void> =>
      new Promise<void>((resolve) => {
        closing = true
        let graceOver = false
        const destroyUnless = (
          keep: (exchanges: ReadonlySet<ServerResponse>, socket: Socket) => boolean,
        ) => {
          for (const [socket, exchanges] of connections)
            if (!keep(exchanges, socket)) socket.destroy()
        }
        // Once the grace is over, only requests already received go on.
        const dropUnreceived = () => destroyUnless((exchanges) => [...exchanges].some(received))
        const grace = setTimeout(() => {
          graceOver = true
          if (idleClosed) dropUnreceived()
        }, graceMs)
        settled = () => {
          clearTimeout(grace)
          resolve()
        }
        // Connections the kernel has already queued were opened before the signal, and their
        // requests may have been sent in full: closing the listener would reset them. Node
        // accepts one per turn of the event loop, so the listener closes after a turn that
        // accepted none, or after as many turns as its backlog holds connections. http's
        // `close` is not used: it would destroy, as idle, connections whose request has been
        // sent but not read yet.
        const stopAccepting = (seen: number, turns: number) =>
          setImmediate(() => {
            if (accepted !== seen && turns < backlog) return stopAccepting(accepted, turns + 1)
            NetServer.prototype.close.call(server)
            // Idle keep-alive connections close now, gracefully: an answer just written may
            // still be on its way out (destroying would reset it). One not read from yet may
            // hold a whole request in the kernel (on a busy machine reading it can take several
            // turns): it is a client still sending, and gets the grace like one.
            setImmediate(() => {
              for (const [socket, exchanges] of connections)
                if (exchanges.size === 0 && socket.bytesRead > 0) socket.destroySoon()
              idleClosed = true
              if (graceOver) dropUnreceived()
              settle()
            })
          })
        stopAccepting(-1, 0)
      })

    server.once("error", (error) => resume(Effect.die(error)))
    server.listen(options.port, options.hostname, () =>
      resume(Effect.succeed({ address: server.address() as AddressInfo, shutdown })),
    )
  })
