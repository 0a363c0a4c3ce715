// The published packages, used as a new user would: every public package is packed, the
// tarballs are installed with npm into a fresh project outside the workspace beside the
// Effect version the READMEs name, and there every code example of the packages' READMEs
// is type-checked with `tsc --strict` and run with Node (ESM), every public module is
// imported (ESM) and required (CommonJS, which Node >= 22.12 loads from ESM), and each
// tarball passes publint and @arethetypeswrong/cli. Examples that talk to a server get a
// real one: TRENDLINE_URL, TRENDLINE_ACCOUNT_ID and TRENDLINE_PASSCODE.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as ServerProcess from "@trendline/worker/testing/ServerProcess"
import { afterAll, beforeAll } from "vitest"
import * as Packed from "./packed/Packed.ts"

const require = createRequire(import.meta.url)
const tsc = require.resolve("typescript/bin/tsc")
const bin = join(import.meta.dirname, "..", "node_modules", ".bin")

const account = { id: "packed", passcode: "packed-passcode", timezone: "UTC" }
const packages = Packed.publicPackages()
const folder = mkdtempSync(join(tmpdir(), "trendline-packed-"))
const project = join(folder, "project")
const packs = join(folder, "packs")

interface Tarball {
  readonly name: string
  readonly file: string
  readonly manifest: Record<string, unknown>
  readonly modules: ReadonlyArray<string>
}
const tarballs: Array<Tarball> = []
let installed: Packed.Ran | undefined
let server: ServerProcess.ServerProcess | undefined

const ok = (ran: Packed.Ran, what: string) =>
  assert.strictEqual(ran.code, 0, `${what}:\n${ran.output}`)

// Packing builds each package (tsc) and the install fetches Effect from the registry: about
// 15 s on an idle 2-core machine, 40 s beside other suites; the hook gets five times that.
// (Under turbo, the registry's CA certificates reach npm through passThroughEnv.)
beforeAll(async () => {
  mkdirSync(packs)
  mkdirSync(project)
  for (const pkg of packages) {
    const before = new Set(readdirSync(packs))
    ok(
      await Packed.run("pnpm", ["pack", "--pack-destination", packs], pkg.folder),
      `pnpm pack ${pkg.name}`,
    )
    const file = join(packs, readdirSync(packs).find((name) => !before.has(name))!)
    const listed = await Packed.run("tar", ["-tzf", file], folder)
    const manifest = JSON.parse(
      (await Packed.run("tar", ["-xzOf", file, "package/package.json"], folder)).output,
    ) as Record<string, unknown>
    const exportsRoot = typeof manifest.exports === "object" && "." in (manifest.exports ?? {})
    tarballs.push({
      name: pkg.name,
      file,
      manifest,
      modules: Packed.modulesOf(pkg.name, listed.output.split("\n"), exportsRoot),
    })
  }
  const effect = Packed.effectRangeOf(packages.map((pkg) => pkg.readme).join("\n"))
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "trendline-packed-check", private: true, type: "module" }),
  )
  installed = await Packed.run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      // A registry it cannot reach fails within a minute or two, not after npm's defaults.
      "--fetch-retries=1",
      "--fetch-timeout=30000",
      ...tarballs.map((tarball) => tarball.file),
      `effect@${effect ?? "missing-from-the-readme"}`,
      "@types/node@24",
    ],
    project,
  )
  server = await ServerProcess.start({
    TRENDLINE_DB: join(folder, "trendline.db"),
    TRENDLINE_ACCOUNTS: JSON.stringify([account]),
  })
}, 200_000)

afterAll(async () => {
  await server?.stop()
  rmSync(folder, { recursive: true, force: true })
})

describe("the published packages", () => {
  it("are the public ones: core and client, and they name Effect 3 in their READMEs", () => {
    assert.deepStrictEqual(packages.map((pkg) => pkg.name).sort(), [
      "@trendline/client",
      "@trendline/core",
    ])
    for (const pkg of packages) assert.match(pkg.readme, /effect@\^3\./, pkg.name)
  })

  it("publish manifests with real versions, built exports and no private package", () => {
    for (const { name, manifest } of tarballs) {
      const text = JSON.stringify(manifest)
      assert.notInclude(text, "workspace:", name)
      assert.notInclude(text, "catalog:", name)
      assert.notInclude(text, "@trendline/worker", name)
      assert.notMatch(
        JSON.stringify(manifest.exports),
        /(?<!\.d)\.ts"/,
        `${name} exports JavaScript, not TypeScript sources`,
      )
      const peers = manifest.peerDependencies as Record<string, string>
      assert.match(peers.effect ?? "", /^\^3\./, `${name}: effect is a peer dependency`)
      assert.notProperty(manifest.dependencies ?? {}, "effect", name)
    }
  })

  it("install from npm with one copy of effect, shared with the user's code", async () => {
    ok(installed!, "npm install")
    const listed = await Packed.run("npm", ["ls", "effect", "--all", "--parseable"], project)
    ok(listed, "npm ls effect")
    const copies = listed.output.split("\n").filter((line) => line.endsWith("/effect"))
    assert.deepStrictEqual(copies, [join(project, "node_modules", "effect")])
  })

  it("refuse to install beside Effect 4, naming the Effect they need", async () => {
    const other = join(folder, "effect-4")
    mkdirSync(other)
    writeFileSync(
      join(other, "package.json"),
      JSON.stringify({ name: "on-effect-4", private: true }),
    )
    const refused = await Packed.run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "effect@4",
        ...tarballs.map((tarball) => tarball.file),
      ],
      other,
    )
    assert.notStrictEqual(refused.code, 0, refused.output)
    assert.include(refused.output, "ERESOLVE")
    assert.match(refused.output, /peer effect@"\^3\.\d+\.\d+"/)
  })

  it("pass publint and @arethetypeswrong/cli (ESM only)", async () => {
    for (const { name, file, modules } of tarballs) {
      ok(
        await Packed.run(join(bin, "publint"), ["run", file, "--strict"], folder),
        `publint ${name}`,
      )
      const entrypoints = modules.map((module) => `.${module.slice(name.length)}`)
      ok(
        await Packed.run(
          join(bin, "attw"),
          [
            file,
            "--profile",
            "esm-only",
            "--format",
            "ascii",
            "--include-entrypoints",
            ...entrypoints,
          ],
          folder,
        ),
        `attw ${name}`,
      )
    }
  })

  it("load every public module from ESM and from CommonJS", async () => {
    // The store contract suite is for adapters' tests: it needs the optional peers
    // @effect/vitest and fast-check, and a test runner to run in.
    const modules = tarballs
      .flatMap((tarball) => tarball.modules)
      .filter((module) => module !== "@trendline/core/testing/EventStoreContract")
    assert.isAbove(modules.length, 10)
    const check = (load: string) => `
const modules = ${JSON.stringify(modules)}
const empty = []
for (const name of modules) if (Object.keys(${load}).length === 0) empty.push(name)
if (empty.length > 0) throw new Error("no exports: " + empty.join(", "))
console.log(modules.length + " modules")
`
    writeFileSync(join(project, "imports.mjs"), check("await import(name)"))
    writeFileSync(join(project, "requires.cjs"), check("require(name)"))
    for (const file of ["imports.mjs", "requires.cjs"]) {
      const ran = await Packed.run(process.execPath, [file], project)
      ok(ran, file)
      assert.include(ran.output, `${modules.length} modules`)
    }
  })

  it("run every README example after tsc --strict accepts it", async () => {
    const examples = packages.flatMap((pkg) =>
      Packed.examplesOf(pkg.readme).map((example, i) => ({
        ...example,
        file: `${pkg.name.replace(/\W+/g, "-").replace(/^-/, "")}-${i + 1}.mts`,
      })),
    )
    assert.isAtLeast(examples.length, packages.length, "every package's README has an example")
    for (const { file, code } of examples) writeFileSync(join(project, file), code)
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "ES2023",
          lib: ["ES2024", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
        },
        files: examples.map((example) => example.file),
      }),
    )
    ok(await Packed.run(process.execPath, [tsc, "-p", "tsconfig.json"], project), "tsc --strict")
    const env = {
      TRENDLINE_URL: server!.url,
      TRENDLINE_ACCOUNT_ID: account.id,
      TRENDLINE_PASSCODE: account.passcode,
    }
    for (const { file } of examples.filter((example) => example.run))
      ok(await Packed.run(process.execPath, [file], project, env), `node ${file}`)
  })
})
