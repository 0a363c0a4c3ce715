// Ingestion speed of the Trends API on Workers (`wrangler dev`, local workerd) and on Node
// (`pnpm serve`): not a test, a measurement. It starts each server on a free port with a
// fresh database, uploads generated events through `POST /1/upload` and prints events/s
// and the p50/p90 of one upload's round trip; then stops what it started.
//
//   node packages/store-sqlite/test-workers/ingest-speed.mjs [--target workers,node]
//     [--years 1,17] [--events 100000] [--batch 1000] [--concurrency 3] [--profiles 300]
//     [--order time|random] [--seed 7]
//
// The data: `--events` events over `--years` years ending 2025-12-31 (UTC), in time order
// (or in the order drawn, uniformly over the years: `--order random`), `--profiles`
// identities, 8 event names and two integer properties; uploaded in bodies of `--batch`
// records, `--concurrency` at a time, after one untimed upload that builds the account's
// store. Run it with Node 24 first on PATH (the Node server runs `node src/node.ts`);
// `wrangler dev` gets the account from a temporary env file, so no `.dev.vars` is needed.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

const args = new Map()
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].slice(2), process.argv[i + 1])
const option = (name, fallback) => args.get(name) ?? fallback
const targets = option("target", "workers,node").split(",")
const yearsList = option("years", "1,17").split(",").map(Number)
const events = Number(option("events", "100000"))
const batchSize = Number(option("batch", "1000"))
const concurrency = Number(option("concurrency", "3"))
const profiles = Number(option("profiles", "300"))
const order = option("order", "time")
const seed = Number(option("seed", "7"))

const workerDir = join(import.meta.dirname, "..", "..", "..", "apps", "worker")
const account = { id: "speed", passcode: "speed-passcode", timezone: "UTC", weekStart: "monday" }

// mulberry32: the same data on every run.
const random = (state) => () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const names = ["App Opened", "Viewed", "Searched", "Added", "Charged", "Shared", "Rated", "Left"]

const generate = (years) => {
  const next = random(seed + years)
  const end = Date.UTC(2026, 0, 1) / 1000
  const start = Date.UTC(2026 - years, 0, 1) / 1000
  const records = []
  for (let i = 0; i < events; i++) {
    records.push({
      type: "event",
      identity: `user-${Math.floor(next() ** 2 * profiles)}`,
      ts: start + Math.floor(next() * (end - start)),
      evtName: names[Math.floor(next() ** 2 * names.length)],
      evtData: { Amount: 1 + Math.floor(next() * 500), Items: 1 + Math.floor(next() * 9) },
    })
  }
  if (order === "time") records.sort((a, b) => a.ts - b.ts)
  const bodies = []
  for (let i = 0; i < records.length; i += batchSize)
    bodies.push(JSON.stringify({ d: records.slice(i, i + batchSize) }))
  return bodies
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

// Starts a command in a process group of its own; resolves once `url` answers.
const start = async (command, commandArgs, options, url) => {
  const child = spawn(command, commandArgs, { ...options, detached: true, stdio: "pipe" })
  let output = ""
  child.stdout.on("data", (chunk) => {
    output = (output + chunk).slice(-4000)
  })
  child.stderr.on("data", (chunk) => {
    output = (output + chunk).slice(-4000)
  })
  const exited = new Promise((resolve) => child.once("exit", resolve))
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const ready = await fetch(url).then(
      (response) => response.status < 500,
      () => false,
    )
    if (ready) break
    if (child.exitCode !== null) throw new Error(`${command} exited:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid, "SIGTERM")
    await exited
  }
  return { stop, output: () => output }
}

const startNode = async (folder) => {
  const port = await freePort()
  const env = {
    ...process.env,
    PORT: String(port),
    TRENDLINE_DB: join(folder, "events.db"),
    TRENDLINE_ACCOUNTS: JSON.stringify([account]),
  }
  const url = `http://127.0.0.1:${port}`
  const server = await start("node", ["src/node.ts"], { cwd: workerDir, env }, `${url}/health`)
  return { ...server, url }
}

const startWorkers = async (folder) => {
  const port = await freePort()
  const envFile = join(folder, "speed.env")
  writeFileSync(envFile, `TRENDLINE_ACCOUNTS='${JSON.stringify([account])}'\n`)
  const url = `http://127.0.0.1:${port}`
  // wrangler's own binary, not `pnpm exec`: pnpm may check (and install) dependencies first.
  const server = await start(
    join(workerDir, "node_modules", ".bin", "wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--env-file",
      envFile,
      "--persist-to",
      join(folder, "state"),
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    { cwd: workerDir, env: process.env },
    `${url}/health`,
  )
  return { ...server, url }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]

const upload = async (url, body) => {
  const started = performance.now()
  const response = await fetch(`${url}/1/upload`, {
    method: "POST",
    headers: {
      "X-CleverTap-Account-Id": account.id,
      "X-CleverTap-Passcode": account.passcode,
      "Content-Type": "application/json",
    },
    body,
  })
  const answer = await response.json()
  const millis = performance.now() - started
  if (response.status !== 200 || answer.unprocessed?.length > 0)
    throw new Error(`upload answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`)
  return { millis, processed: answer.processed }
}

const ingest = async (url, bodies) => {
  // One warm-up upload (the first call builds the object and its store), not timed.
  const warmUp = { type: "event", identity: "warm-up", ts: 946684800, evtName: "Warm Up" }
  await upload(url, JSON.stringify({ d: [warmUp] }))
  const times = []
  let processed = 0
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < bodies.length) {
      const result = await upload(url, bodies[next++])
      times.push(result.millis)
      processed += result.processed
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  const seconds = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  return {
    eventsPerSecond: Math.round(processed / seconds),
    p50: Math.round(percentile(times, 0.5)),
    p90: Math.round(percentile(times, 0.9)),
    seconds: Number(seconds.toFixed(1)),
  }
}

const results = []
for (const years of yearsList) {
  const bodies = generate(years)
  for (const target of targets) {
    const folder = mkdtempSync(join(tmpdir(), "trendline-ingest-speed-"))
    const server = await (target === "workers" ? startWorkers(folder) : startNode(folder))
    try {
      const result = await ingest(server.url, bodies)
      results.push({ target, years, events, order, ...result })
      console.log(JSON.stringify(results.at(-1)))
    } catch (error) {
      console.error(server.output())
      throw error
    } finally {
      await server.stop()
      rmSync(folder, { recursive: true, force: true })
    }
  }
}
console.table(results)
