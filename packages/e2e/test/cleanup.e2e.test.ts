// The helpers that start servers for tests (the worker's ServerProcess, the ClickHouse
// store's ClickHouseServer) leave nothing running, whatever becomes of the tests that
// started them. A vitest of its own runs suites that fail on purpose (fixtures/leftovers);
// every process it starts carries a probe of this test in its environment, and afterwards
// no process carries it. The probe is unique to the test, so no other process can match.
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const fixtures = join(import.meta.dirname, "fixtures", "leftovers")
const vitest = join(import.meta.dirname, "..", "node_modules", ".bin", "vitest")

/** The pids of the processes whose environment holds `entry` (`NAME=value`). */
const carrying = (entry: string): Array<number> =>
  readdirSync("/proc")
    .filter((name) => {
      try {
        return (
          /^\d+$/.test(name) &&
          readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry)
        )
      } catch {
        return false
      }
    })
    .map(Number)

interface Run {
  readonly code: number | null
  readonly output: string
  /** The pids the suite printed: the processes it started. */
  readonly children: ReadonlyArray<number>
  /** The processes of the run still running once it has exited. */
  readonly left: ReadonlyArray<number>
}

const runFixture = async (file: string): Promise<Run> => {
  const probe = `TRENDLINE_E2E_PROBE=${randomUUID()}`
  const folder = mkdtempSync(join(tmpdir(), "trendline-leftovers-"))
  // A run of its own, not a worker of this one: none of this vitest's variables.
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith("VITEST") && name !== "FORCE_COLOR")
      env[name] = value
  const child = spawn(vitest, ["run", file], {
    cwd: fixtures,
    env: {
      ...env,
      NO_COLOR: "1",
      LEFTOVERS_FOLDER: folder,
      TRENDLINE_E2E_PROBE: probe.split("=")[1]!,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
  const left = carrying(probe)
  rmSync(folder, { recursive: true, force: true })
  const printed = /children of the test worker: ([\d, ]+)/.exec(output)?.[1] ?? ""
  return { code, output, children: printed.split(", ").filter(Boolean).map(Number), left }
}

describe("no server outlives the tests that started it", () => {
  it("kills the servers of a beforeAll that timed out before it held them", async () => {
    const run = await runFixture("hookTimeout.fixture.ts")
    assert.notStrictEqual(run.code, 0, run.output)
    assert.include(run.output, "Hook timed out in 3000ms", run.output)
    assert.lengthOf(run.children, 2, run.output)
    assert.notInclude(run.output, "were still running after it", run.output)
    assert.deepStrictEqual(run.left, [], run.output)
  })

  it("the servers stop themselves when the test worker dies of SIGKILL", async () => {
    const run = await runFixture("killed.fixture.ts")
    assert.notStrictEqual(run.code, 0, run.output)
    assert.lengthOf(run.children, 2, run.output)
    assert.notInclude(run.output, "were still running after it", run.output)
    assert.deepStrictEqual(run.left, [], run.output)
  })
})
