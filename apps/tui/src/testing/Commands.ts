/**
 * The terminal UI's subcommands run as a script would run them, for tests in any package:
 * `Cli.parse`, then the command with its output captured.
 */
import * as Cli from "../Cli.ts"

/** How a command ended: its exit code and what it wrote. */
export interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `trendline <argv>` with `env` and `stdin`; throws if argv is not a command. */
export const run = async (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {},
  stdin = "",
): Promise<Outcome> => {
  const invocation = Cli.parse(argv, env, {
    stdoutIsTTY: false,
    readStdin: () => Promise.resolve(stdin),
  })
  if (invocation._tag !== "Command") {
    throw new Error(
      `expected a command, got ${invocation._tag === "UsageError" ? invocation.message : invocation._tag}`,
    )
  }
  let stdout = ""
  let stderr = ""
  const code = await invocation.run({
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

/** A range of the commands' test fixture (events.jsonl): its first week of 2025. */
export const fixtureWeek: ReadonlyArray<string> = ["--from", "20250101", "--to", "20250107"]

/** The fixture's Charged events per day of `fixtureWeek` (UTC). */
export const fixtureDailyCharged = {
  "20250101": 2,
  "20250102": 1,
  "20250103": 0,
  "20250104": 0,
  "20250105": 0,
  "20250106": 1,
  "20250107": 0,
}
