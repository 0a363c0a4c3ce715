/**
 * The public packages as a user gets them from npm: packed by pnpm (whose `prepack` builds
 * `dist/`, and which applies `publishConfig` and turns `workspace:` versions into real
 * ones), then installed with npm into a fresh project outside the workspace.
 */
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

/** The repository's root. */
export const root = join(import.meta.dirname, "..", "..", "..", "..")

/** What a command printed and how it ended; never throws. */
export interface Ran {
  readonly code: number | null
  readonly output: string
}

// Longer than any command here takes on a loaded machine (an npm install took 15 s): a
// command past it is killed, so that a hung one (a network without its CA certificates)
// fails its test instead of outliving the run.
const commandTimeoutMs = 150_000

/** Runs `command` in `cwd` and collects its output (stdout and stderr, interleaved). */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Ran> =>
  new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: commandTimeoutMs,
      killSignal: "SIGKILL",
    })
    let output = ""
    const collect = (chunk: string) => {
      output += chunk
    }
    child.stdout.setEncoding("utf8").on("data", collect)
    child.stderr.setEncoding("utf8").on("data", collect)
    child.once("error", (error) => resolve({ code: null, output: `${output}${error.message}` }))
    child.once("close", (code, signal) =>
      resolve({
        code,
        output:
          signal === null
            ? output
            : `${output}\n(killed by ${signal} after ${commandTimeoutMs} ms at most)`,
      }),
    )
  })

/** A workspace package that is published. */
export interface PublicPackage {
  readonly name: string
  readonly folder: string
  readonly readme: string
}

/** Every workspace package not marked private. */
export const publicPackages = (): ReadonlyArray<PublicPackage> =>
  ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, group, entry.name))
      .flatMap((folder) => {
        let manifest: { name: string; private?: boolean }
        try {
          manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"))
        } catch {
          return []
        }
        return manifest.private === true
          ? []
          : [
              {
                name: manifest.name,
                folder,
                readme: readFileSync(join(folder, "README.md"), "utf8"),
              },
            ]
      }),
  )

/** A fenced TypeScript example of a README. */
export interface Example {
  readonly code: string
  /** Fenced as ```ts no-run: type-checked, not run (it needs a hosted account). */
  readonly run: boolean
}

/** The ```ts (or ```typescript) blocks of a README, in order. */
export const examplesOf = (readme: string): ReadonlyArray<Example> =>
  Array.from(readme.matchAll(/^```(?:ts|typescript)\b([^\n]*)\n([\s\S]*?)^```$/gm), (match) => ({
    code: match[2]!,
    run: !/\bno-run\b/.test(match[1]!),
  }))

/** The Effect range a README tells users to install, e.g. `^3.22.4` from `effect@^3.22.4`. */
export const effectRangeOf = (readme: string): string | undefined =>
  /\beffect@(\^?\d+\.\d+(?:\.\d+)?)/.exec(readme)?.[1]

/**
 * The public modules of a packed package, as import specifiers: every `dist/**\/*.js` but
 * `internal/`, under the package's name (`@trendline/core/Calendar`), or the name alone for
 * `dist/index.js` when the package exports `"."`.
 */
export const modulesOf = (
  name: string,
  files: ReadonlyArray<string>,
  exportsRoot: boolean,
): ReadonlyArray<string> =>
  files
    .filter((file) => /^package\/dist\/.*\.js$/.test(file) && !file.includes("/internal/"))
    .map((file) => file.slice("package/dist/".length, -".js".length))
    .flatMap((module) => (module === "index" ? (exportsRoot ? [name] : []) : [`${name}/${module}`]))
    .sort()
