// The terminal UI's subcommands in remote mode, run as a script would run them
// (`Cli.parse`, then `run` with captured output) against the real Node server
// (`apps/worker/src/node.ts`) as a child process; local mode is tested in apps/tui. The
// fixture holds six records; record 3 (line 4) has no identity. Its Charged events (UTC):
// 2025-01-01 alice 10 and bob 5, 2025-01-02 alice 7, 2025-01-06 carol 3; and one App Opened
// on 2025-01-03.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { fixtureDailyCharged, fixtureWeek, run } from "@trendline/tui/src/testing/Commands.ts"
import * as ServerProcess from "@trendline/worker/testing/ServerProcess"
import { afterAll, beforeAll } from "vitest"

const fixture = join(import.meta.dirname, "fixtures", "events.jsonl")
const folder = mkdtempSync(join(tmpdir(), "trendline-cli-"))

const week = fixtureWeek
const dailyCharged = fixtureDailyCharged

afterAll(() => rmSync(folder, { recursive: true, force: true }))

type Server = ServerProcess.ServerProcess

const startServer = (database: string): Promise<Server> =>
  ServerProcess.start({
    TRENDLINE_DB: database,
    TRENDLINE_ACCOUNTS: JSON.stringify([{ id: "acme", passcode: "acme-passcode" }]),
  })

describe("trendline query and upload (remote)", () => {
  let server: Server | undefined
  beforeAll(async () => {
    server = await startServer(join(folder, "server", "trendline.db"))
  })
  afterAll(() => {
    server?.child.kill("SIGTERM")
  })
  const credentials = () => [
    "--url",
    server!.url,
    "--account-id",
    "acme",
    "--passcode",
    "acme-passcode",
  ]

  it("uploads to the server (exit 3, the bad record reported), then queries it as locally", async () => {
    const upload = await run(["upload", fixture, ...credentials()])
    assert.strictEqual(upload.code, 3, upload.stderr)
    assert.match(upload.stderr, /^trendline: record 3 \(line 4\) unprocessed, code 523/)

    const query = await run(["query", ...credentials(), "--event", "Charged", ...week, "--json"])
    assert.strictEqual(query.code, 0, query.stderr)
    assert.deepStrictEqual(JSON.parse(query.stdout), { status: "success", daily: dailyCharged })
  })

  it("takes the server and credentials from the environment", async () => {
    const outcome = await run(
      ["query", "--event", "Charged", ...week, "--group", "weekly", "--csv"],
      {
        TRENDLINE_URL: server!.url,
        TRENDLINE_ACCOUNT_ID: "acme",
        TRENDLINE_PASSCODE: "acme-passcode",
      },
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.include(outcome.stdout, "weekly,weekly,202501,2025-01-01,2025-01-05,3\n")
  })

  it("exits 1 with the server's message for a wrong passcode", async () => {
    const outcome = await run([
      "query",
      "--url",
      server!.url,
      "--account-id",
      "acme",
      "--passcode",
      "wrong-passcode",
      "--event",
      "Charged",
      ...week,
    ])
    assert.strictEqual(outcome.code, 1)
    assert.strictEqual(outcome.stdout, "")
    assert.match(outcome.stderr, /\ntrendline: check --account-id \(TRENDLINE_ACCOUNT_ID\)/)
  })

  it("exits 2 for an invalid request without sending it", async () => {
    const outcome = await run(["query", ...credentials(), "--event", "", ...week])
    assert.strictEqual(outcome.code, 2)
    assert.strictEqual(
      outcome.stderr,
      "trendline: --event is empty: give the event to count, e.g. --event Charged\n",
    )
  })

  it("exits 4 when the server cannot be reached", async () => {
    const outcome = await run([
      "query",
      "--url",
      "http://127.0.0.1:9",
      "--account-id",
      "acme",
      "--passcode",
      "acme-passcode",
      "--retries",
      "0",
      "--event",
      "Charged",
      ...week,
    ])
    assert.strictEqual(outcome.code, 4)
    assert.strictEqual(outcome.stdout, "")
    assert.match(outcome.stderr, /^trendline: .*127\.0\.0\.1:9/)
  })

  it("exits 4 when an upload cannot reach the server", async () => {
    const outcome = await run([
      "upload",
      "--url",
      "http://127.0.0.1:9",
      "--account-id",
      "acme",
      "--passcode",
      "acme-passcode",
      fixture,
    ])
    assert.strictEqual(outcome.code, 4)
    assert.match(outcome.stderr, /^trendline: Upload stopped at record 0/)
  })
})
