import { spawn } from "node:child_process"
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { assert, describe, it } from "@effect/vitest"
import * as Dataset from "../src/Dataset.ts"
import * as Harness from "../src/Harness.ts"
import * as HttpEngine from "../src/HttpEngine.ts"
import type * as NodeServer from "../src/NodeServer.ts"
import * as Shape from "../src/Shape.ts"
import * as TopShape from "../src/TopShape.ts"
import * as WorkersEngine from "../src/WorkersEngine.ts"
import * as WorkersReport from "../src/WorkersReport.ts"
import * as WorkersServer from "../src/WorkersServer.ts"

const withFolder = async <A>(use: (folder: string) => Promise<A>): Promise<A> => {
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-workers-test-"))
  try {
    return await use(folder)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

const benchAccount: NodeServer.AccountEntry = {
  settings: Shape.account,
  passcode: "bench-test-passcode",
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  )

// The Workers entry in workerd, started by the worker app's wrangler: what the `workers`
// engine measures. No timing assertions.
describe("WorkersEngine", () => {
  it("loads through the Workers entry and answers every shape, filtered shape, combined request and top values shape as core does, also in a restarted workerd", {
    timeout: 120_000,
  }, async () => {
    const dataset = Dataset.make({ events: 3000 })
    const shapes = [...Shape.all, ...Shape.filtered]
    const reference = Harness.referenceAnswers(dataset, shapes, Shape.combined)
    const engine = await WorkersEngine.make()
    try {
      assert.strictEqual(engine.name, "workers")
      assert.match(engine.version, /workerd 1\.\d+\.\d+, wrangler 4\.[\d.]+, Hono/)
      assert.strictEqual((await engine.load(Dataset.batches(dataset))).events, 3000)
      // Each rejects with the shape and the differing buckets on a mismatch.
      await Harness.verify([engine], shapes, reference.shapes)
      await Harness.verifyCombined([engine], Shape.combined, reference.combined)
      const referenceTop = Harness.referenceTop(dataset, TopShape.all)
      await Harness.verifyTop([engine], TopShape.all, referenceTop)
      // Cold: a new workerd on the same persisted state, every object evicted.
      await engine.cold!.reopen()
      // Distinct profiles by week: what the object remembers warm, computed again.
      const shape = Shape.all.find(
        (s) => s.event === Dataset.topEvent && s.measure === "profiles" && s.trendType === "weekly",
      )!
      assert.deepStrictEqual(await engine.run(shape), reference.shapes.get(shape))
      // The top values of the top event's Amount, read again by a new object.
      await engine.cold!.reopen()
      assert.deepStrictEqual(
        await engine.runTop!(TopShape.all[0]!),
        referenceTop.get(TopShape.all[0]!),
      )
    } finally {
      // Rejects unless the host exits with code 0 once it has stopped workerd.
      await engine.close()
    }
  })

  it("is timed beside the Node entry on the same data, cold and warm, and compared in the report", {
    timeout: 180_000,
  }, async () => {
    const shapes = [Shape.all[0]!, Shape.all.at(-1)!]
    const size = await Harness.runSize(
      {
        sizes: [2000],
        repetitions: 1,
        shapes,
        // The filtered and top values shapes are checked above; the comparison leaves them out.
        filtered: [],
        top: [],
        combined: [Shape.combined[1]!],
        engines: [
          { name: "http", make: () => HttpEngine.make() },
          { name: "workers", make: () => WorkersEngine.make() },
        ],
      },
      2000,
    )
    assert.deepStrictEqual(
      size.loads.map((load) => [load.engine, load.loadPath, load.events]),
      [
        ["http", "POST /1/upload, 1000 records a call", 2000],
        ["workers", "POST /1/upload, 1000 records a call", 2000],
      ],
    )
    assert.isTrue(size.checkedAgainstReference)
    assert.match(size.cold.workers!, /^a new workerd process on the same persisted state/)
    for (const timing of [...size.timings, ...size.combined]) {
      for (const temperature of Harness.temperatures)
        assert.deepStrictEqual(Object.keys(timing[temperature].medians), ["http", "workers"])
    }
    const section = WorkersReport.section(size)!
    assert.include(section, "### Workers beside the Node server")
    assert.match(
      section,
      /\| upload, events\/s +\| +[\d,]+ \| +[\d,]+ \| +[\d.]+× \| +≥ 0\.5× \| +(yes|no) \|/,
    )
    const rows = WorkersReport.queryTable(size).split("\n").slice(2)
    assert.deepStrictEqual(
      rows.map((row) => row.split("|")[1]!.trim()),
      [...shapes.map(Shape.label), Shape.combinedLabel(Shape.combined[1]!)],
    )
    for (const row of rows) assert.notInclude(row, "n/a")
  })
})

describe("WorkersServer", () => {
  it("fails to start with wrangler's reason when the worker does not build, leaving nothing running", async () => {
    await withFolder(async (folder) => {
      // A worker app of its own, with the repository's wrangler.
      const app = join(folder, "app")
      await mkdir(join(app, "src"), { recursive: true })
      await mkdir(join(app, "node_modules"))
      await symlink(
        join(WorkersServer.defaultWorkerDir, "node_modules", "wrangler"),
        join(app, "node_modules", "wrangler"),
      )
      await writeFile(join(app, "package.json"), '{ "name": "broken", "type": "module" }')
      await writeFile(
        join(app, "wrangler.jsonc"),
        '{ "name": "broken", "main": "./src/worker.ts", "compatibility_date": "2026-11-01" }',
      )
      await writeFile(join(app, "src", "worker.ts"), "export default { fetch() {\n")
      await writeFile(join(folder, "workers.env"), "")
      const error = await rejection(
        WorkersServer.start({
          workerDir: app,
          persistTo: join(folder, "state"),
          envFile: join(folder, "workers.env"),
        }),
      )
      assert.instanceOf(error, Error)
      assert.match((error as Error).message, /the workers host exited .* before workerd served/)
      assert.match((error as Error).message, /Build failed/)
    })
    // A folder without wrangler.jsonc is refused before anything starts.
    const refused = await rejection(
      WorkersServer.start({ workerDir: tmpdir(), persistTo: "unused", envFile: "unused" }),
    )
    assert.match(String(refused), /no wrangler\.jsonc in/)
  })

  it("stops workerd when the bench goes away: the host kills its group once its stdin closes", {
    timeout: 60_000,
  }, async () => {
    await withFolder(async (folder) => {
      const envFile = join(folder, "workers.env")
      await writeFile(envFile, WorkersServer.envFileText([benchAccount]))
      const config: WorkersServer.HostConfig = {
        workerDir: WorkersServer.defaultWorkerDir,
        persistTo: join(folder, "state"),
        envFile,
      }
      const host = spawn(process.execPath, [WorkersServer.hostScript, JSON.stringify(config)], {
        stdio: ["pipe", "pipe", "ignore"],
        detached: true,
      })
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        host.once("exit", (_code, signal) => resolve(signal)),
      )
      try {
        const url = await new Promise<string>((resolve) =>
          createInterface({ input: host.stdout }).on("line", (line) => {
            if (line.startsWith(`${WorkersServer.readyPrefix}0 `)) resolve(line.split(" ").at(-1)!)
          }),
        )
        const health = await fetch(`${url}/health`)
        assert.deepStrictEqual(await health.json(), { status: "ok" })
        host.stdin.end()
        // The signal the host sends its whole group, workerd included (the run's check of
        // leftover processes fails if workerd outlived it).
        assert.strictEqual(await exited, "SIGKILL")
      } finally {
        if (host.exitCode === null && host.signalCode === null) process.kill(-host.pid!, "SIGKILL")
      }
    })
  })
})
