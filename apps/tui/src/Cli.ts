/**
 * The `trendline` command line, read into what to do: the interactive UI, a subcommand for
 * scripts (`query`, `upload`), the help, or a usage error. `parse` only reads its arguments
 * (the process's streams and clock are used when a command runs), so every combination is
 * testable without a terminal.
 *
 * The entry (`main.tsx`) prints `Help` on stdout and exits 0, prints a `UsageError` on stderr
 * and exits 2, and exits with the number a `Command`'s `run` resolves to.
 *
 * This module and what it imports are free of Effect, core, Ink and React: they are all
 * `trendline --help`, `--version` and a usage error load. A command's code is imported when
 * it runs, the UI's when it opens (`commands/Interactive.tsx`).
 */
import { parseArgs } from "node:util"
import packageJson from "../package.json" with { type: "json" }
import { ExitCode, type Io } from "./commands/ExitCode.ts"
import * as QueryOptions from "./commands/QueryOptions.ts"
import * as Target from "./commands/Target.ts"
import * as Usage from "./commands/Usage.ts"

export type Invocation =
  | {
      readonly _tag: "Interactive"
      /** Where the data is; its time zone is checked when the UI opens (`Zone.check`). */
      readonly target: Target.Target
      readonly color: boolean
      /** The account's IANA zone: today there (`Calendar.today`) is what presets count from. */
      readonly timeZone: string
    }
  | { readonly _tag: "Command"; readonly run: (io: Io) => Promise<number> }
  | { readonly _tag: "Help"; readonly text: string }
  | { readonly _tag: "UsageError"; readonly message: string }

/** What `parse` may read besides its arguments; each defaults to the process's own. */
export interface Context {
  /** Whether stdout is a terminal (colour is off when it is not). */
  readonly stdoutIsTTY?: boolean
  /** Standard input as text, for `upload -`. */
  readonly readStdin?: () => Promise<string>
}

/** The version `--version` prints. */
export const version: string = packageJson.version

/** The text of `trendline --help`. */
export const help = `trendline: trends of your events, in the terminal

Usage:
  trendline [options]                 the interactive UI
  trendline query --event NAME (--from YYYYMMDD --to YYYYMMDD | --last DAYS) [query options]
  trendline upload FILE [--json]      FILE holds JSON lines or a JSON array; - reads stdin
  trendline help | --help | -h
  trendline --version

Where the data is (local mode, unless a URL or a region is given):
  --db FILE            the local SQLite file (env TRENDLINE_DB; default ./data/trendline.db);
                       the UI and query fill a new one with a year of demo data, upload does not
  --timezone ZONE      local mode's IANA time zone (env TRENDLINE_TIMEZONE; default UTC);
                       in both modes, the zone of "today" for --last and the UI's presets
  --week-start DAY     monday (ISO weeks, default) or sunday (env TRENDLINE_WEEK_START)
  --url URL            remote mode: your Trendline server (env TRENDLINE_URL)
  --region REGION      remote mode: a hosted region (env TRENDLINE_REGION), one of
                       ${Target.regions.join(", ")}
  --account-id ID      remote account (env TRENDLINE_ACCOUNT_ID)
  --passcode CODE      remote passcode (env TRENDLINE_PASSCODE; prefer it: a flag shows in ps)
  --retries N          remote: retries of 429s, 5xx and network failures (default 4)

Query options:
  --event NAME         the event to count
  --from DATE --to DATE  the range, both days included: 20250131 (or 2025-01-31)
  --last DAYS          instead of --from/--to: the DAYS days ending today
  --group NAME=TYPE    a group of buckets, TYPE hourly, daily, weekly, monthly, quarterly
                       or yearly; repeat for more; --group weekly names it after its type
                       (default: --group daily). Hourly (keys YYYYMMDDHH, HH the hour of
                       the local day: 23 or 25 hours on DST days) covers at most 31 days
  --unique             count distinct profiles instead of events
  --sum PROP           sum the integer event property PROP instead of counting
  --where 'NAME OP VALUE'  count only events whose property NAME satisfies OP VALUE; repeat:
                       all must hold. OP: equals, not_equals, contains, does_not_contain,
                       greater_than, greater_than_equals, less_than, less_than_equals, exists,
                       does_not_exist (no VALUE). VALUE is JSON when it reads as JSON (50,
                       "5", ["pro","team"] for any of them) and text otherwise; booleans are
                       True and False. e.g. --where 'Amount greater_than 50'
  --profile-where 'NAME OP VALUE'  the same on the fields of the profile that did the event
  --top NAME           instead of trends: the most frequent values of the event property
                       NAME among the events (with --where, the matching ones); repeat for more
  --top-profile NAME   the same for a field of the profile that did the event
  --top-n N            values per --top (default 10, at most 100); --asc: the least frequent
  --totals             end each group's table with the server's total: for --unique, the
                       distinct profiles of the whole range (not a sum of the buckets)
  --bucket-meta        mark buckets not over yet with * and give the days of buckets the
                       range cuts (5 of 7 days)
  --compare previous_period|previous_year  set each bucket beside its counterpart in the
                       days of equal length just before the range, or a year earlier: the
                       table's previous (its bucket and value) and change (+2 (+50%))
  --breakdown NAME     break every group down by the most frequent values of the event
                       property NAME: a column a value, and other for the rest
  --breakdown-profile NAME  the same by a field of the profile that did the event
  --breakdown-n N      values of the breakdown (1 to 20, default 5)
  --rolling N          on every daily group, each day's measure over the N days ending
                       that day (1 to 90; with --unique, 7 is weekly and 30 monthly active
                       profiles): the table's rolling Nd column
                       These are Trendline's extensions, sent only when given: a hosted API
                       ignores them (then a note on stderr, and the answer without them)
  --json | --csv       the answer's wire JSON (with them under "trendline"), or CSV
                       (group,trend_type,key,start,end,value, then group_total with
                       --totals, first,last,complete,days,whole_days with --bucket-meta,
                       previous_key,previous,change,change_ratio with --compare,
                       rolling with --rolling; with --breakdown alone,
                       group,bucket,series,value, the rest as other);
                       default: a table a group

Exit codes of query and upload:
  0  done
  1  the server or the store failed or refused (its message is printed)
  2  usage error: a bad flag, an unreadable file, or an invalid request (each problem printed)
  3  upload: some records unprocessed (each printed with its index, code and error)
  4  the server cannot be reached, or did not answer in time

Colour is off when NO_COLOR is set or stdout is not a terminal.
`

const options = {
  // where the data is
  db: { type: "string" },
  timezone: { type: "string" },
  "week-start": { type: "string" },
  url: { type: "string" },
  region: { type: "string" },
  "account-id": { type: "string" },
  passcode: { type: "string" },
  retries: { type: "string" },
  // query
  event: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  last: { type: "string" },
  group: { type: "string", multiple: true },
  unique: { type: "boolean" },
  sum: { type: "string" },
  where: { type: "string", multiple: true },
  "profile-where": { type: "string", multiple: true },
  top: { type: "string", multiple: true },
  "top-profile": { type: "string", multiple: true },
  "top-n": { type: "string" },
  asc: { type: "boolean" },
  totals: { type: "boolean" },
  "bucket-meta": { type: "boolean" },
  compare: { type: "string" },
  breakdown: { type: "string" },
  "breakdown-profile": { type: "string" },
  "breakdown-n": { type: "string" },
  rolling: { type: "string" },
  csv: { type: "boolean" },
  // query and upload
  json: { type: "boolean" },
  // anywhere
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const

const read = (argv: ReadonlyArray<string>) =>
  parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })

type Values = ReturnType<typeof read>["values"]

const commandFlags: Readonly<Record<string, ReadonlyArray<keyof Values>>> = {
  query: [
    "event",
    "from",
    "to",
    "last",
    "group",
    "unique",
    "sum",
    "totals",
    "bucket-meta",
    "compare",
    "breakdown",
    "breakdown-profile",
    "breakdown-n",
    "rolling",
    "csv",
    "json",
  ],
  upload: ["json"],
}

const usageError = (problems: ReadonlyArray<string>): Invocation => ({
  _tag: "UsageError",
  message: Usage.message(problems),
})

// Node's messages name the option but carry advice about positionals nobody asked for.
const argumentProblem = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown }).code
  const option = /'(-[^' ]+)/.exec(message)?.[1]
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
    return `unknown option ${option}`
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    if (message.includes("does not take an argument")) return `${option} takes no value`
    return message.includes("ambiguous")
      ? `${option} needs a value; write ${option}=VALUE when the value starts with -`
      : `${option} needs a value`
  }
  return message.split("\n")[0]!
}

const readProcessStdin = async (): Promise<string> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

/**
 * Reads the command line and the environment (`process.env`) into an invocation. The
 * context defaults to the process's stdout and stdin, read only when needed.
 *
 * @example parse(["query", "--event", "Charged", "--last", "30"], process.env)
 */
export const parse = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  context: Context = {},
): Invocation => {
  if (argv.includes("--help") || argv.includes("-h")) return { _tag: "Help", text: help }
  let parsed: ReturnType<typeof read>
  try {
    parsed = read(argv)
  } catch (error) {
    return usageError([argumentProblem(error)])
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (command === "help") return { _tag: "Help", text: help }
  if (values.version === true) {
    return {
      _tag: "Command",
      run: (io) => {
        io.stdout(`trendline ${version}\n`)
        return Promise.resolve(ExitCode.Success)
      },
    }
  }
  if (command !== undefined && !Object.hasOwn(commandFlags, command)) {
    return usageError([
      `unknown command ${JSON.stringify(command)}: use query, upload or help, or no command for the UI`,
    ])
  }
  const problems: Array<string> = []
  const allowed = command === undefined ? [] : commandFlags[command]!
  for (const flag of Object.values(commandFlags).flat()) {
    if (values[flag] !== undefined && !allowed.includes(flag)) {
      const owners = Object.keys(commandFlags).filter((name) => commandFlags[name]!.includes(flag))
      problems.push(
        `--${flag} is an option of ${owners.map((name) => `trendline ${name}`).join(" and ")}`,
      )
    }
  }
  const extra = command === "upload" ? rest.slice(1) : rest
  if (extra.length > 0) problems.push(`unexpected argument ${JSON.stringify(extra[0])}`)
  if (command === "upload" && rest[0] === undefined) {
    problems.push("upload needs a FILE of records (JSON lines or a JSON array), or - for stdin")
  }
  const target = Target.resolve(values, env)
  if (target._tag === "Invalid") problems.push(...target.problems)
  const query = command === "query" ? QueryOptions.options(values) : undefined
  if (query?._tag === "Invalid") problems.push(...query.problems)
  if (problems.length > 0 || target._tag === "Invalid") return usageError(problems)

  switch (command) {
    case undefined:
      return {
        _tag: "Interactive",
        target: target.value,
        color:
          (env.NO_COLOR ?? "") === "" && (context.stdoutIsTTY ?? process.stdout.isTTY === true),
        timeZone: Target.todayZone(target.value),
      }
    case "upload": {
      const options = { file: rest[0]!, format: values.json === true ? "json" : "text" } as const
      const readStdin = context.readStdin ?? readProcessStdin
      return {
        _tag: "Command",
        run: async (io) =>
          (await import("./commands/Upload.ts")).run(target.value, options, readStdin)(io),
      }
    }
    default:
      return query?._tag === "Valid"
        ? {
            _tag: "Command",
            run: async (io) =>
              (await import("./commands/Query.ts")).run(target.value, query.value)(io),
          }
        : usageError(problems)
  }
}
