// The Node server's connections, end to end (`node src/node.ts` as a child process): a
// shutdown answers every request it received and keeps what it acknowledged, gives a
// client still sending only the grace, and closes idle connections; an answer given before
// the body arrived closes its connection, so a pooled client goes on; and a client that
// goes away is logged as aborted. Requests that must be fully sent before a signal are
// written on raw sockets: a write's callback says the bytes are with the kernel.
import { mkdtempSync, rmSync } from "node:fs"
import { connect, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Uploads from "@trendline/core/testing/Uploads"
import { afterAll, afterEach } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

const acme = { id: "acme", passcode: "acme-passcode", timezone: "UTC" }
const credentials = {
  "X-CleverTap-Account-Id": acme.id,
  "X-CleverTap-Passcode": acme.passcode,
}

const folder = mkdtempSync(join(tmpdir(), "trendline-server-"))
let databases = 0
const servers: Array<ServerProcess.ServerProcess> = []
const sockets: Array<Socket> = []

const start = async (env: Record<string, string> = {}, database = newDatabase()) => {
  const server = await ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: JSON.stringify([acme]),
    ...env,
  })
  servers.push(server)
  return server
}
const newDatabase = () => join(folder, `trendline-${++databases}.db`)

// Whatever a test leaves running, even when it fails: no process or socket outlives it.
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const server of servers.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL")
    }
    await server.exited
  }
})
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const events = (seed: number) =>
  Uploads.eventRecords({
    seed,
    count: 200,
    names: ["Charged"],
    profiles: ["alice", "bob", "carol"],
    from: Date.UTC(2025, 0, 1) / 1000,
    to: Date.UTC(2025, 1, 1) / 1000,
  })
const uploadBody = (records: ReadonlyArray<Uploads.EventRecord>) => JSON.stringify({ d: records })
const success = (count: number) => ({ status: "success", processed: count, unprocessed: [] })

// ---------------------------------------------------------------------------------------
// HTTP/1.1 on a raw socket

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

interface Exchange {
  /** Writes bytes; resolves once the kernel has them. */
  readonly send: (bytes: string) => Promise<void>
  /** Resolves on `100 Continue`: the server has read the headers and started the request. */
  readonly continued: Promise<void>
  /** The final answer; rejects if the connection ends first. */
  readonly answer: Promise<Answer>
  /** Resolves when the connection has closed, from either side. */
  readonly closed: Promise<void>
  readonly socket: Socket
}

const open = (url: string): Exchange => {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  sockets.push(socket)
  let received = Buffer.alloc(0)
  let onContinue: () => void = () => {}
  let onAnswer: (answer: Answer) => void = () => {}
  let onEnd: (error: Error) => void = () => {}
  const continued = new Promise<void>((resolve) => {
    onContinue = resolve
  })
  const answer = new Promise<Answer>((resolve, reject) => {
    onAnswer = resolve
    onEnd = reject
  })
  // Whoever awaits it sees the rejection; unawaited, it is not an unhandled one.
  answer.catch(() => {})
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()))
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    for (;;) {
      const end = received.indexOf("\r\n\r\n")
      if (end < 0) return
      const [statusLine = "", ...lines] = received.subarray(0, end).toString("latin1").split("\r\n")
      const status = Number(statusLine.split(" ")[1])
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(":")
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
        }),
      )
      if (status >= 100 && status < 200) {
        received = received.subarray(end + 4)
        onContinue()
        continue
      }
      const length = Number(headers["content-length"] ?? 0)
      if (received.length < end + 4 + length) return
      const text = received.subarray(end + 4, end + 4 + length).toString("utf8")
      onAnswer({ status, headers, body: text === "" ? undefined : JSON.parse(text) })
      return
    }
  })
  socket.on("error", (error) => onEnd(error))
  socket.on("close", () => onEnd(new Error("the connection closed before an answer")))
  const send = (bytes: string) =>
    new Promise<void>((resolve, reject) =>
      socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    )
  return { send, continued, answer, closed, socket }
}

const head = (method: string, path: string, headers: Record<string, string | number>): string =>
  `${[`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join("\r\n")}\r\n\r\n`

const uploadHead = (body: string, extra: Record<string, string> = {}) =>
  head("POST", "/1/upload", {
    ...credentials,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
  })

/** An upload the server has started on (it read the headers), its body held after `sent` bytes. */
const startUpload = async (url: string, body: string, sent: number) => {
  const exchange = open(url)
  await exchange.send(uploadHead(body, { Expect: "100-continue" }))
  await exchange.continued
  await exchange.send(body.slice(0, sent))
  return exchange
}

/**
 * A keep-alive connection that has been answered and waits for its next request. Opened
 * right before a signal: Node closes one idle for 5 s (`keepAliveTimeout`) by itself.
 */
const idleConnection = async (url: string) => {
  const idle = open(url)
  await idle.send(head("GET", "/health", {}))
  const answer = await idle.answer
  assert.deepStrictEqual([answer.status, answer.headers.connection], [200, "keep-alive"])
  return idle
}

// The request log: the JSON lines a server printed.
const requestLog = (server: ServerProcess.ServerProcess) =>
  server.lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)

const countCharged = async (url: string) => {
  const response = await fetch(`${url}/1/counts/events.json`, {
    method: "POST",
    headers: { ...credentials, "Content-Type": "application/json" },
    body: JSON.stringify({ event_name: "Charged", from: 20250101, to: 20250131 }),
  })
  return (await response.json()) as Record<string, unknown>
}

describe("the Node server's connections", () => {
  it("answers every upload sent in full before SIGTERM, and keeps each one it acknowledged", async () => {
    const database = newDatabase()
    const server = await start({}, database)
    const batches = Array.from({ length: 12 }, (_, i) => events(i + 1))
    const exchanges = batches.map((batch) => {
      const exchange = open(server.url)
      const body = uploadBody(batch)
      return { exchange, written: exchange.send(uploadHead(body) + body) }
    })
    await Promise.all(exchanges.map(({ written }) => written))
    server.child.kill("SIGTERM")

    const answers = await Promise.all(exchanges.map(({ exchange }) => exchange.answer))
    for (const [i, answer] of answers.entries()) {
      assert.deepStrictEqual(
        { status: answer.status, body: answer.body },
        { status: 200, body: success(batches[i]!.length) },
      )
    }
    assert.deepStrictEqual(await server.exited, { code: 0, signal: null })

    const again = await start({ TRENDLINE_SYNC_BUDGET_MS: "60000" }, database)
    const body = { event_name: "Charged", from: 20250101, to: 20250131 }
    assert.deepStrictEqual(await countCharged(again.url), {
      status: "success",
      count: Uploads.expectedCount(Account.make(acme.id), batches.flat(), body),
    })
    assert.deepStrictEqual(await again.stop(), { code: 0, signal: null })
  })

  it("on SIGTERM closes idle connections, answers a body that completes within the grace with Connection: close, and drops a stalled one when the grace is over", async () => {
    const graceMs = 4000
    const server = await start({ TRENDLINE_SHUTDOWN_GRACE_MS: String(graceMs) })
    const finishing = uploadBody(events(1))
    const completes = await startUpload(server.url, finishing, 100)
    const stalls = await startUpload(server.url, uploadBody(events(2)), 100)
    const idle = await idleConnection(server.url)

    const signalled = performance.now()
    server.child.kill("SIGTERM")
    // The server closes the idle connection only once it is shutting down.
    await idle.closed
    await completes.send(finishing.slice(100))
    const answer = await completes.answer
    assert.deepStrictEqual(
      { status: answer.status, connection: answer.headers.connection, body: answer.body },
      { status: 200, connection: "close", body: success(200) },
    )

    assert.deepStrictEqual(await server.exited, { code: 0, signal: null })
    assert.isAtLeast(performance.now() - signalled, graceMs, "the stalled client had the grace")
    const stalled = await stalls.answer.then(
      (answer) => `answered ${answer.status}`,
      () => "dropped",
    )
    assert.strictEqual(stalled, "dropped")
    const uploads = requestLog(server).filter((line) => line.path === "/1/upload")
    assert.deepStrictEqual(
      uploads
        .map(({ status, aborted }) => ({ status, aborted }))
        .sort((a, b) => Number(a.status) - Number(b.status)),
      [
        { status: 200, aborted: undefined },
        { status: 499, aborted: true },
      ],
    )
    assert.isFalse(requestLog(server).some((line) => line.level === "error"))
  })

  it("exits at once on a second signal during the grace", async () => {
    const server = await start({ TRENDLINE_SHUTDOWN_GRACE_MS: "600000" })
    await startUpload(server.url, uploadBody(events(1)), 100)
    const idle = await idleConnection(server.url)
    server.child.kill("SIGTERM")
    await idle.closed
    server.child.kill("SIGTERM")
    assert.deepStrictEqual(await server.exited, { code: 1, signal: null })
  })

  it("closes the connection of an answer given before the body arrived, so Node's fetch goes on with its pool", async () => {
    const server = await start({ TRENDLINE_MAX_BODY_BYTES: "65536" })
    const headers = { ...credentials, "Content-Type": "application/json" }
    const oversized = uploadBody(Array.from({ length: 20 }, (_, i) => events(i + 1)).flat())
    assert.isAbove(oversized.length, 4 * 65536)
    for (let round = 0; round < 3; round++) {
      const refusals = [
        fetch(`${server.url}/1/upload`, { method: "POST", headers, body: oversized }),
        fetch(`${server.url}/1/upload`, {
          method: "POST",
          headers: { ...headers, "X-CleverTap-Passcode": "wrong-passcode" },
          body: oversized,
        }),
        fetch(`${server.url}/1/upload`, {
          method: "POST",
          headers: { ...headers, "Content-Type": "text/plain" },
          body: oversized,
        }),
      ]
      const answered = await Promise.all(refusals)
      assert.deepStrictEqual(
        answered.map((response) => [response.status, response.headers.get("connection")]),
        [
          [413, "close"],
          [401, "close"],
          [415, "close"],
        ],
      )
      await Promise.all(answered.map((response) => response.arrayBuffer()))
      // The pool's next requests: on new connections, all answered.
      const batch = events(100 + round).slice(0, 10)
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${server.url}/1/upload`, {
          method: "POST",
          headers,
          body: uploadBody(batch),
        })
        assert.deepStrictEqual(await response.json(), success(10))
        assert.strictEqual((await fetch(`${server.url}/health`)).status, 200)
      }
    }
    assert.deepStrictEqual(await server.stop(), { code: 0, signal: null })
  })

  it("logs a client that disconnects mid-request as aborted (499), not as an internal error", async () => {
    const server = await start()
    const leaving = await startUpload(server.url, uploadBody(events(1)), 100)
    leaving.socket.destroy()
    await leaving.closed
    assert.deepStrictEqual(await server.stop(), { code: 0, signal: null })
    const log = requestLog(server)
    assert.deepStrictEqual(
      log.map(({ method, path, status, aborted }) => ({ method, path, status, aborted })),
      [{ method: "POST", path: "/1/upload", status: 499, aborted: true }],
    )
    assert.isFalse(log.some((line) => line.level === "error"))
  })
})
