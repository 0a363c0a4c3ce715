// A TCP proxy in front of the ClickHouse server that can cut one insert request short: it
// forwards the request's headers and the first N bytes of its body, then closes the
// connection, as a crashed client or a broken network would. It keeps listening to the
// server, so a test can wait for what the server made of the truncated request.
import { connect, createServer, type Socket } from "node:net"

export interface Cut {
  /** Body bytes the server received, and the body's full length. */
  readonly forwarded: number
  readonly length: number
  /** The server's answer to the truncated request (an exception, we expect). */
  readonly response: string
}

export interface CuttingProxy {
  readonly url: string
  /** Cuts the next insert after `bytes(bodyLength)` bytes of its body; resolves once the server answered it. */
  readonly cutNextInsert: (bytes: (length: number) => number) => Promise<Cut>
  readonly close: () => Promise<void>
}

const headerEnd = Buffer.from("\r\n\r\n")

export const start = async (target: string): Promise<CuttingProxy> => {
  const { hostname, port } = new URL(target)
  let armed: ((length: number) => number) | undefined
  let report: ((cut: Cut) => void) | undefined
  const sockets = new Set<Socket>()

  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
    }
    let pending = Buffer.alloc(0)
    let body = 0 // bytes of the current request's body not forwarded yet
    let cut: { remaining: number; length: number; done: (cut: Cut) => void } | undefined
    let cutDone = false

    upstream.on("data", (data) => client.write(data))
    upstream.on("end", () => client.end())

    const cutNow = (bytes: Buffer, forwarded: number, active: NonNullable<typeof cut>) => {
      cutDone = true
      // The client sees its connection die; the server sees its request end early.
      client.destroy()
      const answer: Array<Buffer> = []
      upstream.removeAllListeners("data")
      upstream.on("data", (data) => answer.push(data))
      upstream.on("close", () =>
        active.done({
          forwarded,
          length: active.length,
          response: Buffer.concat(answer).toString("utf8"),
        }),
      )
      upstream.end(bytes)
    }

    client.on("data", (chunk) => {
      if (cutDone) return
      pending = Buffer.concat([pending, chunk])
      while (pending.length > 0) {
        if (body > 0) {
          const n = Math.min(body, pending.length)
          if (cut !== undefined && n >= cut.remaining) {
            cutNow(pending.subarray(0, cut.remaining), cut.length - body + cut.remaining, cut)
            return
          }
          if (cut !== undefined) cut.remaining -= n
          upstream.write(pending.subarray(0, n))
          pending = pending.subarray(n)
          body -= n
          continue
        }
        const end = pending.indexOf(headerEnd)
        if (end < 0) return
        const head = pending.subarray(0, end + headerEnd.length)
        const text = head.toString("latin1")
        if (/\r\ntransfer-encoding:/i.test(text)) {
          throw new Error("CuttingProxy reads Content-Length bodies only")
        }
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0)
        cut = undefined
        if (armed !== undefined && report !== undefined && /^POST [^ ]*query=INSERT/i.test(text)) {
          cut = { remaining: Math.min(armed(length), length), length, done: report }
          armed = undefined
          report = undefined
        }
        pending = pending.subarray(head.length)
        body = length
        if (cut !== undefined && cut.remaining === 0) {
          cutNow(head, 0, cut)
          return
        }
        upstream.write(head)
      }
    })
    client.on("end", () => upstream.end())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("proxy has no port")
  return {
    url: `http://127.0.0.1:${address.port}`,
    cutNextInsert: (bytes) =>
      new Promise<Cut>((resolve) => {
        armed = bytes
        report = resolve
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
