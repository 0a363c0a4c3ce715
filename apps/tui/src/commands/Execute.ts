/**
 * Runs a subcommand's program to its exit code: a typed failure is explained by
 * `ExitCode.ofFailure`, a defect (a bug) is printed whole with code 1.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { complain, ExitCode, type Io, ofFailure } from "./ExitCode.ts"

/** The exit code of `program`, with its failure, if any, explained on `io`'s stderr. */
export const execute = (program: Effect.Effect<number, unknown>, io: Io): Promise<number> =>
  Effect.runPromise(
    program.pipe(
      Effect.catchAllCause((cause) =>
        Effect.sync(() => {
          const failure = Cause.failureOption(cause)
          if (Option.isSome(failure)) {
            const { code, lines } = ofFailure(failure.value)
            complain(io, lines)
            return code
          }
          complain(io, [`unexpected failure, please report it:\n${Cause.pretty(cause)}`])
          return ExitCode.Failed
        }),
      ),
    ),
  )
