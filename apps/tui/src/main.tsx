/**
 * The `trendline` entry (built into `dist/main.js`, which `bin/trendline.js` runs). It
 * statically loads only the parser, which is free of Effect, core, Ink and React, so that
 * `--help`, `--version` and usage errors answer at once; a command loads its own code when
 * it runs, the UI its own when it opens (dynamic imports, chunks of their own in the build).
 *
 * When the UI will open, the terminal's keys are kept from the first moment
 * (`EarlyInput`), so that what is typed while the UI loads reaches the query form.
 */
import * as Cli from "./Cli.ts"
import * as EarlyInput from "./commands/EarlyInput.ts"
import { ExitCode } from "./commands/ExitCode.ts"

const line = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`)

const invocation = Cli.parse(process.argv.slice(2), process.env)
switch (invocation._tag) {
  case "Help":
    process.stdout.write(line(invocation.text))
    process.exitCode = ExitCode.Success
    break
  case "UsageError":
    process.stderr.write(line(invocation.message))
    process.exitCode = ExitCode.Usage
    break
  case "Command":
    process.exitCode = await invocation.run({
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    })
    break
  case "Interactive": {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      process.stderr.write(
        "trendline: the interactive UI needs a terminal; run a command instead (see trendline --help)\n",
      )
      process.exitCode = ExitCode.Usage
      break
    }
    const early = EarlyInput.start(process.stdin)
    try {
      const Interactive = await import("./commands/Interactive.tsx")
      process.exitCode = await Interactive.run(invocation, early)
    } finally {
      // Whatever happened, the shell gets its terminal back as it was.
      early.stop()
    }
    break
  }
}
