/**
 * Where the data is: the local SQLite file (the default) or a server (remote mode, as soon
 * as a URL or a region is given). A flag wins over its environment variable; for the
 * server's location, either flag overrides both variables, so `--region us1` is enough to
 * leave a `TRENDLINE_URL` set in the shell aside.
 *
 * Free of Effect and core, so that the parser stays small: the one check that needs core,
 * whether the time zone exists (`Calendar.isTimeZone`), is made by `Zone.check` when a
 * command or the UI starts; `timeZoneSource` says how the zone was given, for its message.
 */
import * as RegionHosts from "@trendline/client/RegionHosts"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import type * as Account from "@trendline/core/Account"
import type * as Bucket from "@trendline/core/Bucket"
import { type Checked, invalid, valid } from "./Usage.ts"

/** Local mode: this process reads and writes `filename` as the account `local`. */
export interface Local {
  readonly _tag: "Local"
  readonly filename: string
  readonly account: Account.Settings
  /** `--timezone` or `TRENDLINE_TIMEZONE`, or `undefined` for the default zone (UTC). */
  readonly timeZoneSource: string | undefined
}

/** Remote mode: a Trends API; `timeZone` only says which day is today for `--last`. */
export interface Remote {
  readonly _tag: "Remote"
  readonly config: TrendsClient.Config
  readonly timeZone: string
  /** `--timezone` or `TRENDLINE_TIMEZONE`, or `undefined` for the default zone (UTC). */
  readonly timeZoneSource: string | undefined
}

export type Target = Local | Remote

/** The flags that choose the target, as `util.parseArgs` returns them. */
export interface Flags {
  readonly db?: string | undefined
  readonly timezone?: string | undefined
  readonly "week-start"?: string | undefined
  readonly url?: string | undefined
  readonly region?: string | undefined
  readonly "account-id"?: string | undefined
  readonly passcode?: string | undefined
  readonly retries?: string | undefined
}

/** The environment, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>

/** The local database when neither `--db` nor `TRENDLINE_DB` is given (relative to the cwd). */
export const defaultDatabase = "./data/trendline.db"

/** The account id of local mode's data in the database file. */
export const localAccountId = "local"

/** The hosted regions, for the help and `--region` (from the client's Effect-free module). */
export const regions: ReadonlyArray<string> = Object.keys(RegionHosts.hosts)

// An empty variable is an unset one: `TRENDLINE_URL= trendline` is how a shell unsets it.
const fromEnv = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value === undefined || value === "" ? undefined : value
}

interface Setting {
  readonly value: string
  /** How the user gave it, for messages: `--url` or `TRENDLINE_URL`. */
  readonly source: string
}

const setting = (
  flags: Flags,
  env: Env,
  flag: keyof Flags,
  variable: string,
): Setting | undefined => {
  const given = flags[flag]
  if (given !== undefined) return { value: given, source: `--${flag}` }
  const value = fromEnv(env, variable)
  return value === undefined ? undefined : { value, source: variable }
}

const timeZoneOf = (flags: Flags, env: Env) => {
  const zone = setting(flags, env, "timezone", "TRENDLINE_TIMEZONE")
  return { timeZone: zone?.value ?? "UTC", timeZoneSource: zone?.source }
}

const weekStartOf = (flags: Flags, env: Env, problems: Array<string>): Bucket.WeekStart => {
  const weekStart = setting(flags, env, "week-start", "TRENDLINE_WEEK_START")
  if (weekStart === undefined) return "monday"
  if (weekStart.value === "monday" || weekStart.value === "sunday") return weekStart.value
  problems.push(
    `${weekStart.source}: must be monday (ISO weeks) or sunday; got ${JSON.stringify(weekStart.value)}`,
  )
  return "monday"
}

const retriesOf = (flags: Flags, problems: Array<string>): number | undefined => {
  if (flags.retries === undefined) return undefined
  const retries = /^\d{1,3}$/.test(flags.retries) ? Number(flags.retries) : Number.NaN
  if (Number.isNaN(retries)) {
    problems.push(`--retries: must be a whole number such as 0 or 4; got ${flags.retries}`)
  }
  return retries
}

// The client's own rule (`Region.baseUrlOf`) accepts exactly these.
const isHttpUrl = (text: string): boolean => {
  try {
    const { protocol } = new URL(text)
    return protocol === "http:" || protocol === "https:"
  } catch {
    return false
  }
}

const remoteLocation = (
  flags: Flags,
  env: Env,
): { readonly url?: Setting; readonly region?: Setting } => {
  const fromFlag = (flag: "url" | "region") => {
    const value = flags[flag]
    return value === undefined ? undefined : { value, source: `--${flag}` }
  }
  const fromVariable = (variable: string) => {
    const value = fromEnv(env, variable)
    return value === undefined ? undefined : { value, source: variable }
  }
  const byFlag = flags.url !== undefined || flags.region !== undefined
  const url = byFlag ? fromFlag("url") : fromVariable("TRENDLINE_URL")
  const region = byFlag ? fromFlag("region") : fromVariable("TRENDLINE_REGION")
  return { ...(url === undefined ? {} : { url }), ...(region === undefined ? {} : { region }) }
}

const remote = (
  flags: Flags,
  env: Env,
  location: { readonly url?: Setting; readonly region?: Setting },
): Checked<Target> => {
  const problems: Array<string> = []
  const { url, region } = location
  if (url !== undefined && region !== undefined) {
    problems.push(
      `${url.source} and ${region.source} are both given: use a URL (your own server) or a region (hosted), not both`,
    )
  } else if (region !== undefined && !RegionHosts.isRegion(region.value)) {
    problems.push(
      `${region.source}: unknown region ${JSON.stringify(region.value)}; use one of ${regions.join(", ")}, or --url for your own server`,
    )
  } else if (url !== undefined && !isHttpUrl(url.value)) {
    problems.push(
      `${url.source}: ${JSON.stringify(url.value)} is not an http or https URL; give your server's, e.g. http://127.0.0.1:8787`,
    )
  }
  if (flags.db !== undefined) {
    problems.push(
      `--db is for local mode, but ${(url ?? region)?.source} chooses a server; remove one of them`,
    )
  }
  const accountId = setting(flags, env, "account-id", "TRENDLINE_ACCOUNT_ID")
  if (accountId === undefined || accountId.value === "") {
    problems.push("remote mode needs the account id: give --account-id or set TRENDLINE_ACCOUNT_ID")
  }
  const passcode = setting(flags, env, "passcode", "TRENDLINE_PASSCODE")
  if (passcode === undefined || passcode.value === "") {
    problems.push("remote mode needs the passcode: set TRENDLINE_PASSCODE or give --passcode")
  }
  const weekStart = weekStartOf(flags, env, problems)
  const retries = retriesOf(flags, problems)
  if (problems.length > 0) return invalid(problems)
  return valid({
    _tag: "Remote",
    config: {
      ...(url === undefined ? {} : { baseUrl: url.value }),
      ...(region === undefined ? {} : { region: region.value }),
      accountId: accountId!.value,
      passcode: passcode!.value,
      weekStart,
      ...(retries === undefined ? {} : { maxRetries: retries }),
    },
    ...timeZoneOf(flags, env),
  })
}

const local = (flags: Flags, env: Env): Checked<Target> => {
  const problems: Array<string> = []
  for (const flag of ["account-id", "passcode", "retries"] as const) {
    if (flags[flag] !== undefined) {
      problems.push(
        `--${flag} is for remote mode: add --url (your server) or --region (hosted), or leave it out to use the local database`,
      )
    }
  }
  const filename = flags.db ?? fromEnv(env, "TRENDLINE_DB") ?? defaultDatabase
  if (filename.trim() === "") problems.push("--db: give the database file, e.g. --db ./my.db")
  const weekStart = weekStartOf(flags, env, problems)
  if (problems.length > 0) return invalid(problems)
  const { timeZone, timeZoneSource } = timeZoneOf(flags, env)
  return valid({
    _tag: "Local",
    filename,
    account: { id: localAccountId, timeZone, weekStart },
    timeZoneSource,
  })
}

/**
 * The target of the flags and environment, or every problem found (each naming the flag or
 * variable to fix); the time zone's name is checked later, by `Zone.check`.
 */
export const resolve = (flags: Flags, env: Env): Checked<Target> => {
  const location = remoteLocation(flags, env)
  return location.url !== undefined || location.region !== undefined
    ? remote(flags, env, location)
    : local(flags, env)
}

/** The time zone whose calendar says which day is today. */
export const todayZone = (target: Target): string =>
  target._tag === "Local" ? target.account.timeZone : target.timeZone
