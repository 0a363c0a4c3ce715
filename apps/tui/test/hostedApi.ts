// A stand-in for the hosted Trends API on loopback, for the CLI's remote tests: it answers
// every trends request with the reference answer over `records`, which never carries
// Trendline's `trendline` key (the hosted API ignores fields it does not know).
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import type * as Account from "@trendline/core/Account"
import * as Uploads from "@trendline/core/testing/Uploads"
import { afterAll, beforeAll } from "vitest"
import { fixtureWeek, run } from "../src/testing/Commands.ts"

/**
 * Starts the stand-in for the file's tests and gives `query`: `trendline query` against it
 * (the fixture's week of `Charged` and `argv`), with the body the stand-in last received.
 */
export const hostedApi = (account: Account.Settings, records: ReadonlyArray<unknown>) => {
  const received: Array<Record<string, unknown>> = []
  const server = createServer((request, response) => {
    let text = ""
    request.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8")
    })
    request.on("end", () => {
      const body = JSON.parse(text) as Record<string, unknown>
      received.push(body)
      response.setHeader("Content-Type", "application/json")
      response.end(JSON.stringify(Uploads.expectedTrends(account, records, body)))
    })
  })
  let remote: ReadonlyArray<string> = []
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    remote = ["--url", `http://127.0.0.1:${port}`, "--account-id", "acme", "--passcode", "p"]
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {
    query: async (...argv: ReadonlyArray<string>) => {
      const outcome = await run(["query", ...remote, "--event", "Charged", ...fixtureWeek, ...argv])
      return { ...outcome, sent: received.at(-1) }
    },
  }
}
