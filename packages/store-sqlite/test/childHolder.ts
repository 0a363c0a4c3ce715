// Another process holding a database file (`holdDatabase.ts`), for the tests of the writer
// lock. Scoped: the process is killed and waited for when the scope closes, whatever the
// test's outcome; it also exits by itself if this process dies (its stdin closes).
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

const script = fileURLToPath(new URL("./holdDatabase.ts", import.meta.url))

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Sends `signal` unless the process has exited, and waits for its exit. */
export const stop = (child: ChildProcess, signal: NodeJS.Signals): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (hasExited(child)) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill(signal)
  })

/** A child process that holds `filename` with a store (`kind`), once it says it does. */
export const holdInChild = (
  filename: string,
  kind: "single" | "pool" = "single",
): Effect.Effect<ChildProcess, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<ChildProcess, Error>((resume) => {
      const child = spawn(process.execPath, [script, filename, kind], {
        stdio: ["pipe", "pipe", "pipe"],
      })
      let settled = false
      const settle = (outcome: Effect.Effect<ChildProcess, Error>) => {
        if (settled) return
        settled = true
        resume(outcome)
      }
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes("ready\n")) settle(Effect.succeed(child))
      })
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      child.on("error", (error) => settle(Effect.fail(error)))
      child.on("exit", (code, signal) =>
        settle(
          Effect.fail(new Error(`the holder exited (${code ?? signal}) before holding: ${stderr}`)),
        ),
      )
      // Interrupted before it was ready (a timeout): kill it and wait for its exit.
      return stop(child, "SIGKILL")
    }),
    (child) => stop(child, "SIGKILL"),
  )
