// The Node server against what a hostile client, a bad network and a careless operator do:
// uploads retried after lost answers and after `kill -9`, records that break naive code
// (5000 levels of nesting, lone surrogates, totals past 2^53). Every check counts what was
// stored afterwards: each acknowledged event exactly once, nothing else.
import { mkdtempSync, rmSync, unlinkSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, afterEach } from "vitest"
import * as ServerProcess from "../src/testing/ServerProcess.ts"

const acme = { id: "acme", passcode: "acme-passcode", timezone: "UTC" }
const accounts = JSON.stringify([acme])
const folder = mkdtempSync(join(tmpdir(), "trendline-faults-"))
let databases = 0
const freshDatabase = () => join(folder, `faults-${++databases}.db`)

const running = new Set<ServerProcess.ServerProcess>()
const start = async (database: string, env: Record<string, string> = {}) => {
  const server = await ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: accounts,
    ...env,
  })
  running.add(server)
  return server
}
const kill = async (server: ServerProcess.ServerProcess) => {
  server.child.kill("SIGKILL")
  await server.exited
  running.delete(server)
}

afterEach(async () => {
  await Promise.all([...running].map((server) => server.stop()))
  running.clear()
})
afterAll(async () => {
  // A server a failed test started late is stopped here.
  await Promise.all([...running].map((server) => server.stop()))
  rmSync(folder, { recursive: true, force: true })
})

interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
}

const headers = (extra: Record<string, string> = {}) => ({
  "X-CleverTap-Account-Id": acme.id,
  "X-CleverTap-Passcode": acme.passcode,
  "Content-Type": "application/json",
  ...extra,
})

const post = async (
  url: string,
  path: string,
  body: string,
  extra: Record<string, string> = {},
): Promise<Answer> => {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: headers(extra), body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const noon = Date.UTC(2025, 2, 10, 12) / 1000
const event = (evtName: string, identity: string, evtData: Record<string, unknown> = {}) => ({
  type: "event",
  identity,
  ts: noon,
  evtName,
  evtData,
})

const count = async (url: string, eventName: string): Promise<unknown> =>
  (
    await post(
      url,
      "/1/counts/events.json",
      JSON.stringify({ event_name: eventName, from: 20250310, to: 20250310 }),
    )
  ).body.count

describe("uploads that break naive code", () => {
  it("answers 200 to a batch whose rejected record nests 5000 levels deep, and stores it once per key", async () => {
    const server = await start(freshDatabase())
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`
    const body = `{"d":[${JSON.stringify(event("Deep", "alice"))},${JSON.stringify({ ...event("Deep", "bob"), evtData: "@" }).replace('"@"', deep)}]}`
    const key = { "Idempotency-Key": "deep-1" }
    const first = await post(server.url, "/1/upload", body, key)
    assert.strictEqual(first.status, 200)
    assert.strictEqual(first.body.processed, 1)
    assert.deepStrictEqual(
      (first.body.unprocessed as Array<{ index: number; code: number }>).map(({ index, code }) => [
        index,
        code,
      ]),
      [[1, 512]],
    )
    assert.deepStrictEqual(await post(server.url, "/1/upload", body, key), first)
    assert.strictEqual(await count(server.url, "Deep"), 1)
  })

  it("replays a repeated Idempotency-Key, answers 409 to another body and 400 to a bad key", async () => {
    const server = await start(freshDatabase())
    const body = JSON.stringify({ d: [event("Keyed", "alice"), event("Keyed", "bob")] })
    const first = await post(server.url, "/1/upload", body, { "Idempotency-Key": "k-1" })
    assert.deepStrictEqual(first, {
      status: 200,
      body: { status: "success", processed: 2, unprocessed: [] },
    })
    assert.deepStrictEqual(
      await post(server.url, "/1/upload", body, { "Idempotency-Key": "k-1" }),
      first,
    )
    const other = await post(
      server.url,
      "/1/upload",
      JSON.stringify({ d: [event("Keyed", "carol")] }),
      { "Idempotency-Key": "k-1" },
    )
    assert.strictEqual(other.status, 409)
    assert.include(String(other.body.error), "Idempotency-Key")
    const bad = await post(server.url, "/1/upload", body, { "Idempotency-Key": "has spaces in it" })
    assert.strictEqual(bad.status, 400)
    assert.include(String(bad.body.error), "Idempotency-Key")
    assert.strictEqual(await count(server.url, "Keyed"), 2)
  })

  it("sums totals past 2^53 exactly, across uploads and a restart", async () => {
    const database = freshDatabase()
    let server = await start(database)
    const big = Number.MAX_SAFE_INTEGER
    for (let upload = 0; upload < 2; upload++) {
      const answer = await post(
        server.url,
        "/1/upload",
        JSON.stringify({ d: [event("Paid", "alice", { Amount: big })] }),
      )
      assert.strictEqual(answer.status, 200)
    }
    const trends = JSON.stringify({
      event_name: "Paid",
      from: 20250310,
      to: 20250310,
      sum_event_prop: "Amount",
      groups: { days: { trend_type: "daily" } },
    })
    const expected = {
      status: 200,
      body: { status: "success", days: { "20250310": Number(2n * BigInt(big)) } },
    }
    assert.deepStrictEqual(await post(server.url, "/1/counts/trends.json", trends), expected)
    await server.stop()
    running.delete(server)
    server = await start(database)
    assert.deepStrictEqual(await post(server.url, "/1/counts/trends.json", trends), expected)
  })

  it("stores names with lone surrogates well-formed: two such names are one, found under either", async () => {
    const server = await start(freshDatabase())
    for (const name of ["S\ud800", "S\udbff"]) {
      const answer = await post(
        server.url,
        "/1/upload",
        JSON.stringify({ d: [event(name, "alice")] }),
      )
      assert.strictEqual(answer.status, 200, JSON.stringify(answer.body))
    }
    assert.strictEqual(await count(server.url, "S\ud800"), 2)
    assert.strictEqual(await count(server.url, "S\ufffd"), 2)
  })
})

// A client as `@trendline/client` behaves: each batch under one key, sent again after any
// failure until it is answered 200. `url()` is where the server is now.
const uploadUntilAnswered = async (
  url: () => Promise<string>,
  key: string,
  body: string,
): Promise<{ readonly attempts: number; readonly answer: Answer }> => {
  for (let attempts = 1; ; attempts++) {
    try {
      const answer = await post(await url(), "/1/upload", body, { "Idempotency-Key": key })
      if (answer.status === 200) return { attempts, answer }
      assert.oneOf(answer.status, [429, 503], JSON.stringify(answer.body))
    } catch (error) {
      if (attempts > 200) throw error
    }
  }
}

const batchOf = (batch: number, size: number) =>
  JSON.stringify({
    d: Array.from({ length: size }, (_, i) => event("Fault", `user-${batch}-${i % 7}`, { n: 1 })),
  })

describe("acknowledged uploads survive faults exactly once", () => {
  it("kill -9 during concurrent uploads with retries: the stored count equals what was sent", async () => {
    const database = freshDatabase()
    let server = await start(database)
    // Clients wait here while the server is down; a new promise after each kill.
    let current: Promise<string> = Promise.resolve(server.url)
    const clients = 4
    const batchesEach = 12
    const size = 50
    let acknowledged = 0
    let killed = false
    const clientsDone = Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let b = 0; b < batchesEach; b++) {
          const batch = client * batchesEach + b
          await uploadUntilAnswered(() => current, `kill-${batch}`, batchOf(batch, size))
          acknowledged++
          // Once a quarter of the batches are in, kill the server while the others are in flight.
          if (!killed && acknowledged >= (clients * batchesEach) / 4) {
            killed = true
            let restarted: (url: string) => void = () => {}
            current = new Promise((resolve) => {
              restarted = resolve
            })
            const victim = server
            void kill(victim).then(async () => {
              server = await start(database)
              restarted(server.url)
            })
          }
        }
      }),
    )
    await clientsDone
    assert.isTrue(killed)
    assert.strictEqual(await count(await current, "Fault"), clients * batchesEach * size)
  })

  it("lost acknowledgements: a proxy drops every first answer, retries store nothing twice", async () => {
    const server = await start(freshDatabase())
    const seen = new Set<string>()
    let dropped = 0
    // Forwards each request; the first answer to each key is computed, then never delivered.
    const proxy: Server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", async () => {
        const key = String(request.headers["idempotency-key"])
        const upstream = await fetch(`${server.url}${request.url}`, {
          method: request.method ?? "POST",
          headers: headers({ "Idempotency-Key": key }),
          body: Buffer.concat(chunks),
        })
        const text = await upstream.text()
        if (!seen.has(key)) {
          seen.add(key)
          dropped++
          request.socket.destroy()
          return
        }
        response.writeHead(upstream.status, { "Content-Type": "application/json" }).end(text)
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve))
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const batches = 10
      const size = 30
      const results = await Promise.all(
        Array.from({ length: batches }, (_, batch) =>
          uploadUntilAnswered(
            () => Promise.resolve(proxyUrl),
            `lost-${batch}`,
            batchOf(1000 + batch, size),
          ),
        ),
      )
      assert.strictEqual(dropped, batches)
      for (const { attempts, answer } of results) {
        assert.isAtLeast(attempts, 2)
        assert.deepStrictEqual(answer.body, { status: "success", processed: size, unprocessed: [] })
      }
      assert.strictEqual(await count(server.url, "Fault"), batches * size)
    } finally {
      await new Promise((resolve) => proxy.close(resolve))
    }
  })
})

describe("a careless operator", () => {
  it("refuses a second server on the same database file, naming the holder", async () => {
    const database = freshDatabase()
    const first = await start(database)
    const second = await start(database).then(
      () => assert.fail("the second server started"),
      (error: unknown) => String(error),
    )
    assert.include(second, `pid ${first.child.pid}`)
    assert.include(second, "TRENDLINE_DB")
    // The first one goes on serving.
    assert.strictEqual((await fetch(`${first.url}/health`)).status, 200)
  })

  it("answers /health 503 and refuses uploads once the database file is deleted", async () => {
    const database = freshDatabase()
    const server = await start(database)
    const healthy = await fetch(`${server.url}/health`)
    assert.deepStrictEqual(
      { status: healthy.status, body: await healthy.json() },
      { status: 200, body: { status: "ok" } },
    )
    unlinkSync(database)
    const health = await fetch(`${server.url}/health`)
    const body = (await health.json()) as { status: string; reason: string }
    assert.strictEqual(health.status, 503)
    assert.include(body.reason, "deleted")
    const upload = await post(
      server.url,
      "/1/upload",
      JSON.stringify({ d: [event("Lost", "alice")] }),
    )
    assert.strictEqual(upload.status, 503)
  })
})
