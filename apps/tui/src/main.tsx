/**
 * The `trendline` entry: a command runs and exits with its code; no command opens the
 * interactive UI on the backend the arguments and environment select, with one Effect
 * runtime for the whole session, disposed (closing the database) when the UI exits.
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { render } from "ink"
import { App } from "./App.tsx"
import * as Backend from "./Backend.ts"
import * as Cli from "./Cli.ts"
import { RuntimeProvider } from "./RuntimeContext.tsx"

const interactive = async (color: boolean, backend: Cli.Invocation & { _tag: "Interactive" }) => {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(
      "trendline: the interactive UI needs a terminal; run a command instead (see trendline --help)\n",
    )
    return 2
  }
  const runtime = ManagedRuntime.make(backend.backend)
  // Build the backend (open the database, seed the demo data) before the screen takes
  // over, so that a failure is a plain message in the shell.
  const ready = await runtime.runPromiseExit(Backend.Backend)
  if (Exit.isFailure(ready)) {
    process.stderr.write(`trendline: the backend could not start: ${Cause.pretty(ready.cause)}\n`)
    await runtime.dispose()
    return 1
  }
  // Under `pnpm start` the process runs in apps/tui; exports go where the user typed it.
  const instance = render(
    <RuntimeProvider runtime={runtime}>
      <App
        color={color}
        cwd={process.env.INIT_CWD ?? process.cwd()}
        today={Calendar.today(Date.now(), backend.timeZone)}
      />
    </RuntimeProvider>,
    { alternateScreen: true },
  )
  try {
    await instance.waitUntilExit()
  } finally {
    await runtime.dispose()
  }
  return 0
}

const invocation = Cli.parse(process.argv.slice(2), process.env)
switch (invocation._tag) {
  case "Help":
    process.stdout.write(invocation.text.endsWith("\n") ? invocation.text : `${invocation.text}\n`)
    process.exitCode = 0
    break
  case "UsageError":
    process.stderr.write(
      invocation.message.endsWith("\n") ? invocation.message : `${invocation.message}\n`,
    )
    process.exitCode = 2
    break
  case "Command":
    process.exitCode = await invocation.run({
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    })
    break
  case "Interactive":
    process.exitCode = await interactive(invocation.color, invocation)
    break
}
