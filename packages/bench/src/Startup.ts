/**
 * How fast the `trendline` command starts, as a person meets it: the built command
 * (`apps/tui/bin/trendline.js` over a build of the current code, made first, untimed, by
 * the app's `build.mjs` into a temporary folder beside a copy of `bin/`, so that the app's
 * own `dist` is left alone), a fresh process every run, timed on the wall clock from spawn.
 *
 * - `trendline --help`: until the process has exited.
 * - The UI in a real terminal (script(1) gives it a pty of 100×30; the times include
 *   starting `script`, a shell and `stty`, a few ms): until its first frame is on the
 *   screen, and until the query form is (the first moment typing shows), on a database
 *   that exists and on a new one (filled with the demo data first). Each run then quits
 *   (Ctrl+Q), untimed, and must exit with code 0.
 *
 * Every run is cold as far as the process goes (nothing compiled, nothing cached in it);
 * the operating system's file cache is warm after the first. Each wait is bounded.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"

/** The figures the command should reach, in ms. */
export const targets = {
  /** `trendline --help`, median. */
  help: 300,
  /** The UI's first frame, median. */
  firstFrame: 1000,
} as const

/** The terminal UI's folder, found from this package's. */
export const defaultApp = join(import.meta.dirname, "..", "..", "..", "apps", "tui")

/** What to run. */
export interface Options {
  /** Timed runs of each measure (default 7). */
  readonly runs?: number
  /** The terminal UI's folder (default: the repository's `apps/tui`). */
  readonly app?: string
  readonly log?: (line: string) => void
}

/** One measure: its wall times in ms, one a run, and its target when it has one. */
export interface Measure {
  readonly what: string
  readonly millis: ReadonlyArray<number>
  readonly target: number | undefined
}

/** The section's figures. */
export interface Result {
  readonly runs: number
  /** The terminal size the UI ran in. */
  readonly terminal: string
  readonly measures: ReadonlyArray<Measure>
  readonly millis: number
}

/** Each wait on the command, in ms: far above any start, so that a hang fails the run. */
const bound = 30_000

const terminal = { columns: 100, rows: 30 }

const helpTime = (bin: string): Promise<number> =>
  new Promise((done, fail) => {
    const started = performance.now()
    const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.once("error", fail)
    child.once("exit", (code) => {
      const millis = performance.now() - started
      if (code === 0) done(millis)
      else fail(new Error(`trendline --help exited with ${code}: ${stderr}`))
    })
  })

// The environment of a person's shell: Ink renders only the last frame when CI is set.
const shellEnv = (database: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", TRENDLINE_DB: database }
  delete env.CI
  return env
}

/** The times of one start of the UI: its first frame, and the query form. */
interface UiStart {
  readonly frame: number
  readonly form: number
}

const killGroup = (child: ChildProcess) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    // Already gone.
  }
}

const uiStart = (bin: string, database: string): Promise<UiStart> =>
  new Promise((done, fail) => {
    const command = `stty cols ${terminal.columns} rows ${terminal.rows}; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)}`
    const started = performance.now()
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: shellEnv(database),
      stdio: ["pipe", "pipe", "ignore"],
      detached: true,
    })
    let screen = ""
    let frame: number | undefined
    let form: number | undefined
    const failWith = (why: string) => {
      clearTimeout(deadline)
      killGroup(child)
      fail(new Error(`trendline ${why}; the screen was:\n${stripVTControlCharacters(screen)}`))
    }
    const deadline = setTimeout(() => failWith(`did not start in ${bound} ms`), bound)
    child.once("error", (error) => failWith(`could not run script(1): ${error.message}`))
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString("utf8")
      const text = stripVTControlCharacters(screen)
      const now = performance.now() - started
      if (frame === undefined && text.includes("Trendline")) frame = now
      if (form === undefined && text.includes("› Event")) {
        form = now
        child.stdin.write("\x11")
      }
    })
    child.once("exit", (code) => {
      clearTimeout(deadline)
      if (frame !== undefined && form !== undefined && code === 0) done({ frame, form })
      else failWith(`exited with ${code} before it was quit`)
    })
  })

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The median of a measure's runs, in ms. */
export const medianOf = (measure: Measure): number => median(measure.millis)

/** Builds the command (untimed), then times it. */
export const run = async (options: Options = {}): Promise<Result> => {
  const runs = options.runs ?? 7
  const app = options.app ?? defaultApp
  const log = options.log ?? (() => {})
  const began = performance.now()
  const folder = await mkdtemp(join(tmpdir(), "trendline-bench-startup-"))
  try {
    log("startup: building the trendline command (apps/tui/build.mjs)")
    const bin = join(folder, "bin", "trendline.js")
    await mkdir(join(folder, "bin"))
    await copyFile(join(app, "bin", "trendline.js"), bin)
    const built = spawnSync(process.execPath, [join(app, "build.mjs"), join(folder, "dist")], {
      encoding: "utf8",
    })
    if (built.status !== 0) {
      throw new Error(`building the trendline command failed:\n${built.stderr}`)
    }
    const help: Array<number> = []
    for (let i = 0; i < runs; i++) help.push(await helpTime(bin))
    log(`startup: --help ${Math.round(median(help))} ms`)
    const existing = join(folder, "existing.db")
    await uiStart(bin, existing) // creates the database and fills it, untimed
    const onExisting: Array<UiStart> = []
    const onNew: Array<UiStart> = []
    for (let i = 0; i < runs; i++) {
      onExisting.push(await uiStart(bin, existing))
      onNew.push(await uiStart(bin, join(folder, `new-${i}.db`)))
    }
    log(`startup: first frame ${Math.round(median(onExisting.map((s) => s.frame)))} ms`)
    const ui = (what: string, starts: ReadonlyArray<UiStart>, at: keyof UiStart): Measure => ({
      what,
      millis: starts.map((start) => start[at]),
      target: targets.firstFrame,
    })
    return {
      runs,
      terminal: `${terminal.columns}×${terminal.rows}`,
      measures: [
        { what: "`trendline --help`, to exit", millis: help, target: targets.help },
        ui("`trendline`, first frame, existing database", onExisting, "frame"),
        ui("`trendline`, query form shown, existing database", onExisting, "form"),
        ui("`trendline`, first frame, new database (demo data filled)", onNew, "frame"),
        ui("`trendline`, query form shown, new database", onNew, "form"),
      ],
      millis: performance.now() - began,
    }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}
