/**
 * What the command line got wrong, found before anything is opened or sent. Free of Effect
 * and core (like everything `Cli.ts` loads), so that a usage error is as fast as `--help`.
 */

/** A value read from flags and the environment, or every problem that stops it. */
export type Checked<A> =
  | { readonly _tag: "Valid"; readonly value: A }
  | { readonly _tag: "Invalid"; readonly problems: ReadonlyArray<string> }

/** A value without problems. */
export const valid = <A>(value: A): Checked<A> => ({ _tag: "Valid", value })

/** The problems found, each a line for the user naming the flag or variable to fix. */
export const invalid = <A = never>(problems: ReadonlyArray<string>): Checked<A> => ({
  _tag: "Invalid",
  problems,
})

/** The text of a usage error: each problem as `trendline: problem`, then where to look. */
export const message = (problems: ReadonlyArray<string>): string =>
  `${problems.map((problem) => `trendline: ${problem}`).join("\n")}\nRun trendline --help to see every option.`
