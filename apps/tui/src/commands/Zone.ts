/**
 * The one check of the command line that needs core: whether the time zone exists. It is
 * made when a command or the UI starts, because core loads Effect and the parser must not
 * (`--help` and the other usage errors stay fast); its failure is a usage error like theirs.
 */
import * as Calendar from "@trendline/core/Calendar"
import { ExitCode, type Io } from "./ExitCode.ts"
import * as Target from "./Target.ts"
import * as Usage from "./Usage.ts"

/** What is wrong with the target's time zone, if anything. */
export const problems = (target: Target.Target): ReadonlyArray<string> => {
  const zone = Target.todayZone(target)
  return Calendar.isTimeZone(zone)
    ? []
    : [
        `${target.timeZoneSource ?? "the time zone"}: unknown time zone ${JSON.stringify(zone)}; use an IANA name such as UTC, Europe/London or America/New_York`,
      ]
}

/**
 * Writes the target's problems as a usage error; the exit code to stop with, or
 * `undefined` to go on.
 */
export const check = (target: Target.Target, io: Io): ExitCode | undefined => {
  const found = problems(target)
  if (found.length === 0) return undefined
  io.stderr(`${Usage.message(found)}\n`)
  return ExitCode.Usage
}
