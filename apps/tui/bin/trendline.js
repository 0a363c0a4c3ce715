#!/usr/bin/env node
// The `trendline` command: the build in ../dist (see ../build.mjs; `pnpm start` builds it
// first). Plain JavaScript that any Node parses: the version check runs before anything
// loads node:sqlite, and a missing build is said as such.
const missingBuild = (error) => {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error
  process.stderr.write(
    "trendline: the command is not built; run pnpm start from the repository, or pnpm --filter @trendline/tui build\n",
  )
  process.exit(1)
}

const { check } = await import("../dist/node-version.js").catch(missingBuild)
check("trendline")
await import("../dist/main.js").catch(missingBuild)
