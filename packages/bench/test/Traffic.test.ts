import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import * as Dataset from "../src/Dataset.ts"
import * as Traffic from "../src/Traffic.ts"

// A server on 127.0.0.1 that answers the `n`th request (1-based) with `answer(n)`, and
// counts the requests in flight at once.
const stub = async (answer: (n: number) => { readonly status: number; readonly body: unknown }) => {
  let received = 0
  let inFlight = 0
  let most = 0
  const server: Server = createServer((request, response) => {
    const n = ++received
    most = Math.max(most, ++inFlight)
    request.resume()
    request.on("end", () =>
      // Answered on the next turn, so that several clients' requests overlap.
      setImmediate(() => {
        const { status, body } = answer(n)
        inFlight--
        response.writeHead(status, { "Content-Type": "application/json" })
        response.end(JSON.stringify(body))
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    most: () => most,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const health: Traffic.Request = { method: "GET", path: "/health" }

describe("Traffic", () => {
  it("tells ok, refused and partial answers apart, and throws on anything else", () => {
    assert.strictEqual(Traffic.outcomeOf(200, '{"status":"ok"}'), "ok")
    assert.strictEqual(
      Traffic.outcomeOf(200, '{"status":"success","processed":2,"unprocessed":[]}'),
      "ok",
    )
    assert.strictEqual(Traffic.outcomeOf(200, '{"status":"partial","req_id":1}'), "partial")
    assert.strictEqual(Traffic.outcomeOf(429, '{"status":"fail"}'), "refused")
    assert.throws(
      () => Traffic.outcomeOf(200, '{"status":"success","processed":1,"unprocessed":[{}]}'),
      /HTTP 200/,
    )
    assert.throws(() => Traffic.outcomeOf(500, "oops"), /HTTP 500: oops/)
    assert.throws(() => Traffic.outcomeOf(200, "not json"), /HTTP 200/)
  })

  it("sends at most maxRequests from its clients, counting outcomes and records", async () => {
    const server = await stub((n) =>
      n % 4 === 0
        ? { status: 429, body: { status: "fail" } }
        : { status: 200, body: { status: "ok" } },
    )
    try {
      const tally = await Traffic.loop({
        url: server.url,
        clients: 3,
        request: () => health,
        records: () => 1000,
        maxRequests: 10,
        maxMillis: 60_000,
      })
      assert.strictEqual(server.received(), 10)
      assert.isAtMost(server.most(), 3)
      assert.deepStrictEqual([tally.ok, tally.refused, tally.partial], [8, 2, 0])
      assert.strictEqual(tally.records, 8000)
      assert.strictEqual(tally.millis.length, 10)
    } finally {
      await server.close()
    }
  })

  it("starts nothing after its time is up or it is stopped", async () => {
    const server = await stub(() => ({ status: 200, body: { status: "ok" } }))
    try {
      const late = await Traffic.loop({
        url: server.url,
        clients: 2,
        request: () => health,
        maxRequests: 10,
        maxMillis: 0,
      })
      assert.strictEqual(late.millis.length, 0)
      const stop = new AbortController()
      const stopped = await Traffic.loop({
        url: server.url,
        clients: 2,
        request: () => health,
        maxRequests: 1000,
        maxMillis: 60_000,
        signal: stop.signal,
        onAnswer: (answered) => {
          if (answered === 3) stop.abort()
        },
      })
      // The third answer stops it; the other client's request under way still counts.
      assert.isAtLeast(stopped.millis.length, 3)
      assert.isAtMost(stopped.millis.length, 4)
      // The client answered first waits for its next turn (a minute away) when the other's
      // answer stops the loop: the stop wakes it.
      const paced = new AbortController()
      const woken = await Traffic.loop({
        url: server.url,
        clients: 2,
        request: () => health,
        maxRequests: 1000,
        maxMillis: 60_000,
        interval: 60_000,
        signal: paced.signal,
        onAnswer: (answered) => {
          if (answered === 2) paced.abort()
        },
      })
      assert.strictEqual(woken.millis.length, 2)
    } finally {
      await server.close()
    }
  })

  it("fails with the first failure once the requests under way have settled", async () => {
    const server = await stub((n) =>
      n === 3 ? { status: 500, body: { status: "fail" } } : { status: 200, body: { status: "ok" } },
    )
    try {
      const outcome = await Traffic.loop({
        url: server.url,
        clients: 2,
        request: () => health,
        maxRequests: 100,
        maxMillis: 60_000,
      }).then(
        () => "done",
        (error: unknown) => String(error),
      )
      assert.match(outcome, /GET \/health: HTTP 500/)
      assert.isAtMost(server.received(), 4)
    } finally {
      await server.close()
    }
  })

  it("turns the data set into upload bodies of 1000 records", () => {
    const bodies = Traffic.uploadBodies(Dataset.make({ events: 2500 }))
    assert.deepStrictEqual(
      bodies.map((body) => body.records),
      [1000, 1000, 500],
    )
    const first = JSON.parse(bodies[0]!.text)
    assert.strictEqual(first.d.length, 1000)
    assert.strictEqual(first.d[0].type, "event")
    assert.strictEqual(Traffic.uploadBodies(Dataset.make({ events: 2500 }), 2).length, 2)
  })
})
