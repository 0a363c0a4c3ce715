// Vitest global setup: no process started by the test run outlives it. Every process the
// run starts (test workers, servers, their children) inherits a token of this run in its
// environment; once the tests are done, any process still carrying it is killed and the
// run fails, naming it. The token is unique to the run, so other runs and other people's
// processes on the machine never match. Linux only (it reads /proc); elsewhere a no-op.
import { randomUUID } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"

export const variable = "VITEST_TRENDLINE_RUN"
// Long enough for processes killed during the run's teardown to finish dying, and for a
// server whose parent died to notice (within a second); well inside vitest's teardownTimeout
// (10 s), past which vitest exits without this verdict.
const settleMs = 5_000

/** The processes whose environment carries `token`, other than this one. */
export const carrying = (token) => {
  const entry = `${variable}=${token}`
  const found = []
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      // Readable for our own processes only; a zombie's is empty.
      if (!readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry)) continue
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim()
      found.push({ pid: Number(name), command })
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return found
}

export default function setup() {
  if (!existsSync("/proc/self/environ")) return undefined
  const token = randomUUID()
  process.env[variable] = token
  return async function teardown() {
    const deadline = Date.now() + settleMs
    let left = carrying(token)
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      left = carrying(token)
    }
    if (left.length === 0) return
    for (const { pid } of left) {
      try {
        process.kill(pid, "SIGKILL")
      } catch {
        // Gone meanwhile.
      }
    }
    throw new Error(
      `${left.length} process(es) started by this test run were still running after it (now killed):\n${left
        .map(({ pid, command }) => `  ${pid} ${command.slice(0, 200)}`)
        .join("\n")}`,
    )
  }
}
