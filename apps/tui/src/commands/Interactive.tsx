/**
 * The interactive UI, the command without a name: one Effect runtime for the whole session
 * on the backend of the command line's target, disposed (closing the database) when the UI
 * exits. The entry imports this module only when the UI opens, so that the commands and
 * `--help` never load Ink or React.
 */
import * as Calendar from "@trendline/core/Calendar"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { render } from "ink"
import { useEffect, useState } from "react"
import { App } from "../App.tsx"
import * as Backend from "../Backend.ts"
import type * as Cli from "../Cli.ts"
import { RuntimeProvider } from "../RuntimeContext.tsx"
import type * as EarlyInput from "./EarlyInput.ts"
import { ExitCode } from "./ExitCode.ts"
import * as Zone from "./Zone.ts"

/** What `Cli.parse` returns for the UI. */
export type Invocation = Cli.Invocation & { readonly _tag: "Interactive" }

/**
 * Calls `release` once the query form listens for keys. React runs a commit's effects in
 * tree order, so this component's (placed after the App) run after the App's; and it waits
 * one more commit, in which the App shows the form: on a runtime already built, `useBackend`
 * has the backend at once, in its first effect.
 */
const ReleaseWhenListening = ({ release }: { readonly release: () => void }) => {
  const [mounted, setMounted] = useState(false)
  useEffect(() => {
    if (mounted) release()
    else setMounted(true)
  }, [mounted, release])
  return null
}

/**
 * Opens the UI and resolves to the exit code when it closes. The backend is built first
 * (the database opened, the demo data seeded), so that a failure is a plain message in the
 * shell; keys typed meanwhile are kept by `early` and reach the query form.
 */
export const run = async (
  invocation: Invocation,
  early: EarlyInput.EarlyInput,
): Promise<number> => {
  const io = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
  }
  const stop = Zone.check(invocation.target, io)
  if (stop !== undefined) {
    early.stop()
    return stop
  }
  const runtime = ManagedRuntime.make(Backend.layerOf(invocation.target, { seedDemo: true }))
  const ready = await runtime.runPromiseExit(Backend.Backend)
  if (Exit.isFailure(ready)) {
    early.stop()
    io.stderr(`trendline: the backend could not start: ${Cause.pretty(ready.cause)}\n`)
    await runtime.dispose()
    return ExitCode.Failed
  }
  // Under `pnpm start` exports go where the user typed it, not where pnpm runs the command.
  const instance = render(
    <RuntimeProvider runtime={runtime}>
      <App
        color={invocation.color}
        cwd={process.env.INIT_CWD ?? process.cwd()}
        today={Calendar.today(Date.now(), invocation.timeZone)}
      />
      <ReleaseWhenListening release={early.release} />
    </RuntimeProvider>,
    { alternateScreen: true, stdin: early.stdin },
  )
  try {
    await instance.waitUntilExit()
  } finally {
    early.stop()
    await runtime.dispose()
  }
  return ExitCode.Success
}
