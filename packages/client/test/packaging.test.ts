// The published packages, as a user gets them: packed by pnpm (publishConfig points the
// exports at dist/), unpacked into a fresh node_modules, then imported by plain Node (which
// refuses to strip TypeScript types under node_modules, so any .ts export would fail) and
// type-checked by a consumer's tsc.
import { execFileSync } from "node:child_process"
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "vitest"

const clientDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const coreDir = join(clientDir, "..", "core")
const folder = mkdtempSync(join(tmpdir(), "trendline-packaging-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const install = (packageDir: string, name: string) => {
  const packed = join(folder, "packed", name)
  mkdirSync(packed, { recursive: true })
  execFileSync("pnpm", ["pack", "--pack-destination", packed], { cwd: packageDir, stdio: "pipe" })
  const tarball = readdirSync(packed).find((file) => file.endsWith(".tgz"))
  assert.isDefined(tarball, `pnpm pack made no tarball for ${name}`)
  const target = join(folder, "node_modules", "@trendline", name)
  mkdirSync(target, { recursive: true })
  execFileSync("tar", ["-xzf", join(packed, tarball ?? ""), "-C", target, "--strip-components=1"])
}

// The registry dependencies, linked from this workspace's store instead of downloaded.
const link = (name: string) => {
  const target = join(folder, "node_modules", name)
  mkdirSync(dirname(target), { recursive: true })
  symlinkSync(realpathSync(join(clientDir, "node_modules", name)), target, "dir")
}

describe("the published packages", () => {
  it("install from their tarballs, run under plain Node and carry their types", {
    timeout: 120_000,
  }, () => {
    install(coreDir, "core")
    install(clientDir, "client")
    link("effect")
    link("@effect/platform")
    link("typescript")

    writeFileSync(
      join(folder, "check.mjs"),
      `import { createClient, ConfigError } from "@trendline/client"
import * as Calendar from "@trendline/core/Calendar"
let refused = ""
try { createClient({ accountId: "a", passcode: "b" }) } catch (error) { refused = error instanceof ConfigError ? error._tag : String(error) }
const client = createClient({ region: "in1", accountId: "a", passcode: "b" })
await client.close()
console.log(JSON.stringify({ refused, day: Calendar.formatIsoDate(Calendar.unsafeMakeDay(2016, 12, 24)) }))
`,
    )
    const output = execFileSync(process.execPath, ["check.mjs"], { cwd: folder, encoding: "utf8" })
    assert.deepStrictEqual(JSON.parse(output), { refused: "ConfigError", day: "2016-12-24" })

    writeFileSync(
      join(folder, "check.ts"),
      `import { createClient, isTrendlineError, type TrendsAnswer } from "@trendline/client"
import * as Calendar from "@trendline/core/Calendar"
const client = createClient({ baseUrl: "http://127.0.0.1:8787", accountId: "a", passcode: "b" })
export const answer: Promise<TrendsAnswer> = client.trends({ event_name: "Charged", from: 20161224, to: 20170103, groups: { d: { trend_type: "daily" } } })
// @ts-expect-error "minutely" is not a trend type: the published types carry core's wire schema
export const minutely = client.trends({ event_name: "Charged", from: 20161224, to: 20170103, groups: { m: { trend_type: "minutely" } } })
export const narrowed = (error: unknown): number | undefined => isTrendlineError(error) && error._tag === "PollTimeout" ? error.reqId : undefined
export const day: number = Calendar.unsafeMakeDay(2016, 12, 24)
// @ts-expect-error a Day is a number, not a string
export const wrong: string = Calendar.unsafeMakeDay(2016, 12, 24)
`,
    )
    writeFileSync(
      join(folder, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          lib: ["es2023", "dom"],
          types: [],
        },
        files: ["check.ts"],
      }),
    )
    execFileSync(
      process.execPath,
      [join(folder, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
      {
        cwd: folder,
        stdio: "pipe",
      },
    )
  })
})
