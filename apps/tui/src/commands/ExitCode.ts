/**
 * What a subcommand's exit status says happened, for scripts: the same numbers in the help
 * text, the README and the tests. Free of Effect, so that the parser can load it (`Execute`
 * runs a command's program).
 */

/** The exit statuses of `trendline query` and `trendline upload`. */
export const ExitCode = {
  /** Done. */
  Success: 0,
  /** The server or the store refused or failed (wrong credentials, 429 after retries, 5xx). */
  Failed: 1,
  /** A bad flag, an unreadable file, or an invalid request; nothing was sent. */
  Usage: 2,
  /** An upload stored some records and refused others. */
  Partial: 3,
  /** The server could not be reached, or did not answer in time. */
  Unreachable: 4,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Where a subcommand writes: the process's streams in `main`, strings in tests. */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

const messageOf = (error: unknown): string =>
  error instanceof Error || (typeof error === "object" && error !== null && "message" in error)
    ? String((error as { message: unknown }).message)
    : String(error)

/**
 * The exit code of a failure and the lines that explain it: the API's, the client's and the
 * store's errors, by tag.
 */
export const ofFailure = (
  error: unknown,
): { readonly code: ExitCode; readonly lines: ReadonlyArray<string> } => {
  switch (tagOf(error)) {
    case "InvalidRequest": {
      const { issues } = error as { issues: ReadonlyArray<{ path: string; message: string }> }
      return {
        code: ExitCode.Usage,
        lines: issues.map((issue) =>
          issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`,
        ),
      }
    }
    case "ConfigError":
      return { code: ExitCode.Usage, lines: [messageOf(error)] }
    case "TransportError":
    case "PollTimeout":
      return { code: ExitCode.Unreachable, lines: [messageOf(error)] }
    case "UploadIncomplete":
      return {
        code:
          (error as { causeTag: string }).causeTag === "TransportError"
            ? ExitCode.Unreachable
            : ExitCode.Failed,
        lines: [messageOf(error)],
      }
    case "InvalidCredentials":
      return {
        code: ExitCode.Failed,
        lines: [
          messageOf(error),
          "check --account-id (TRENDLINE_ACCOUNT_ID), --passcode (TRENDLINE_PASSCODE), and that --url or --region is the account's",
        ],
      }
    default:
      return { code: ExitCode.Failed, lines: [messageOf(error)] }
  }
}

/** Writes each line on stderr as `trendline: line`. */
export const complain = (io: Io, lines: ReadonlyArray<string>): void => {
  for (const line of lines) io.stderr(`trendline: ${line}\n`)
}
