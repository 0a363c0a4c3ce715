// Builds the `trendline` command into dist/: `node build.mjs` (the package's `build`
// script, run by turbo before `pnpm start`). What bin/trendline.js runs:
//
// - dist/node-version.js: the root's scripts/node-version.mjs, plain JavaScript that any
//   Node parses, so that an old Node says which version is needed before anything loads
//   node:sqlite.
// - dist/main.js and its chunks: src/main.tsx bundled with everything it imports, the
//   workspace packages, Effect, Ink and React included (one file read a module instead of
//   Node resolving and compiling hundreds). With splitting, the entry chunk holds the
//   parser only; a command's and the UI's code are chunks loaded by their `import()`. React
//   is built for production, as `NODE_ENV=production` would select at run time.
//
// `node build.mjs DIR` builds into DIR instead, as the tests and the startup benchmark do
// (beside a copy of bin/, laid out like the package); `build()` is exported for them too.
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as esbuild from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))

/** The package's own output folder. */
export const dist = join(here, "dist")

// Ink's dependencies are CommonJS in part and call `require` on Node's modules; an ES
// module bundle has no `require` unless it makes one.
const requireShim = `import { createRequire as __trendlineCreateRequire } from "node:module";
const require = __trendlineCreateRequire(import.meta.url);`

/**
 * Builds into `outdir` (default: dist) and resolves to esbuild's metafile: which source
 * went into which output, and what each output imports.
 */
export const build = async ({ outdir = dist } = {}) => {
  rmSync(outdir, { recursive: true, force: true })
  mkdirSync(outdir, { recursive: true })
  const check = await esbuild.build({
    entryPoints: { "node-version": join(here, "..", "..", "scripts", "node-version.mjs") },
    outdir,
    format: "esm",
    platform: "node",
    // Plain enough for Node 12: the version check must run on the Nodes it refuses.
    target: "node12",
    metafile: true,
    logLevel: "warning",
  })
  const app = await esbuild.build({
    entryPoints: { main: join(here, "src", "main.tsx") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    // Ink's devtools, loaded only with DEV=true when the package is installed: not ours.
    external: ["node:*", "react-devtools-core"],
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    banner: { js: requireShim },
    chunkNames: "chunks/[name]-[hash]",
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  })
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module" })}\n`)
  return {
    inputs: { ...check.metafile.inputs, ...app.metafile.inputs },
    outputs: { ...check.metafile.outputs, ...app.metafile.outputs },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outdir = process.argv[2]
  await build(outdir === undefined ? {} : { outdir })
}
