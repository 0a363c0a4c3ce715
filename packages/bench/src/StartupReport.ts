/**
 * The startup section of the report, in Markdown: each measure's median, fastest and
 * slowest run, with its target.
 *
 * @since 0.1.0
 */
import { significant, table } from "./Markdown.ts"
import * as Startup from "./Startup.ts"
import { met } from "./UnderLoadReport.ts"

/** One row a measure: runs, median, min and max in ms, the target and whether it is met. */
export const startupTable = (result: Startup.Result): string =>
  table(
    ["measure", "runs", "median ms", "min ms", "max ms", "target", "met"],
    result.measures.map((measure) => {
      const median = Startup.medianOf(measure)
      return [
        measure.what,
        String(measure.millis.length),
        significant(median),
        significant(Math.min(...measure.millis)),
        significant(Math.max(...measure.millis)),
        measure.target === undefined ? "—" : `< ${measure.target} ms`,
        met(median, measure.target, true),
      ]
    }),
  )

/** The whole section. */
export const markdown = (result: Startup.Result): string =>
  [
    "## Startup",
    "",
    "- The built `trendline` command (`apps/tui/bin/trendline.js` over a build of the current code made before the runs, untimed), a fresh process each run, wall time from spawn; cold as far as the process goes, the file cache warm after the first run",
    `- The UI runs in a pseudo-terminal of ${result.terminal} (script(1); its start, a shell's and stty's are in the times, a few ms): the first frame is the first screen it draws, the query form the first one that takes typing; each run then quits with Ctrl+Q (untimed). A new database is filled with the demo data before the first frame`,
    "",
    startupTable(result),
    "",
    `Section took ${Math.round(result.millis / 1000)} s.`,
  ].join("\n")
