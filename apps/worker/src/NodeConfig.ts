/**
 * The Node server's configuration, all from the environment. Every problem is reported at
 * once, each naming the variable and the fix; the server does not start with any.
 */
import type * as AccountApi from "@trendline/core/AccountApi"
import * as Either from "effect/Either"
import * as Accounts from "./Accounts.ts"
import { defaultMaxBodyBytes } from "./app.ts"
import * as BodyBudget from "./BodyBudget.ts"
import * as EnvOptions from "./EnvOptions.ts"
import { integer } from "./EnvOptions.ts"

/** A complete configuration. */
export interface NodeConfig {
  readonly port: number
  readonly host: string
  readonly database: string
  /** Set when `TRENDLINE_CLICKHOUSE_URL` is: events go to ClickHouse instead of SQLite. */
  readonly clickhouse: EnvOptions.ClickHouse | undefined
  readonly accounts: Accounts.Accounts
  /** Set when no accounts were configured: a demo account for local use. */
  readonly demo: { readonly id: string; readonly passcode: string } | undefined
  readonly api: AccountApi.Options
  readonly maxBodyBytes: number
  /** Request-body bytes held at once, all requests together (`…_MAX_BODY_BYTES_IN_FLIGHT`). */
  readonly maxBodyBytesInFlight: number
  /**
   * How long a shutdown waits for clients still sending their request
   * (`TRENDLINE_SHUTDOWN_GRACE_MS`); requests already received are answered regardless.
   */
  readonly shutdownGraceMs: number
  /** `TRENDLINE_TEST_SLOW_READS`, for tests of the serving side only (see `slowReads`). */
  readonly slowReadsMs: Readonly<Record<string, number>> | undefined
}

/**
 * `TRENDLINE_TEST_SLOW_READS`, e.g. `{"acme": 2000}`: for tests of the serving side only,
 * each query of those accounts holds its reader thread that long first, as a heavy query
 * would. Unset in production.
 */
export const slowReads = (
  env: EnvOptions.Env,
  problems: Array<string>,
): Readonly<Record<string, number>> | undefined => {
  const raw = env.TRENDLINE_TEST_SLOW_READS?.trim()
  if (raw === undefined || raw === "") return undefined
  const fix = 'must be a JSON object of account ids to milliseconds, e.g. {"acme": 2000}'
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    problems.push(`TRENDLINE_TEST_SLOW_READS=${JSON.stringify(raw)}: ${fix}`)
    return undefined
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 600_000)
  ) {
    problems.push(`TRENDLINE_TEST_SLOW_READS=${JSON.stringify(raw)}: ${fix} (0 to 600000)`)
    return undefined
  }
  return parsed as Record<string, number>
}

/** Whether a host name or address only listens on this machine. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/**
 * Reads the configuration; `makePasscode` makes the demo account's passcode when no
 * accounts are configured.
 */
export const fromEnv = (
  env: EnvOptions.Env,
  makePasscode: () => string,
): Either.Either<NodeConfig, string> => {
  const problems: Array<string> = []
  const port = integer(env, "PORT", 8787, 0, 65_535, problems)
  const host = env.HOST?.trim() || "127.0.0.1"
  const api = EnvOptions.apiOptions(env, problems)
  const maxBodyBytes = integer(
    env,
    "TRENDLINE_MAX_BODY_BYTES",
    defaultMaxBodyBytes,
    1024,
    1024 ** 3,
    problems,
  )
  const maxBodyBytesInFlight = integer(
    env,
    "TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT",
    BodyBudget.defaultMaxBytes(maxBodyBytes),
    1024,
    64 * 1024 ** 3,
    problems,
  )
  if (maxBodyBytesInFlight < maxBodyBytes) {
    problems.push(
      `TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT=${maxBodyBytesInFlight} is below TRENDLINE_MAX_BODY_BYTES=${maxBodyBytes}: the largest body could never be read; raise it to at least ${maxBodyBytes}`,
    )
  }
  const shutdownGraceMs = integer(env, "TRENDLINE_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000, problems)
  const database = env.TRENDLINE_DB?.trim() || "./data/trendline.db"
  const clickhouse = EnvOptions.clickhouse(env, problems)
  const slowReadsMs = slowReads(env, problems)
  let accounts: Accounts.Accounts = new Map()
  let demo: NodeConfig["demo"]
  const accountsJson = env.TRENDLINE_ACCOUNTS
  if (accountsJson !== undefined && accountsJson.trim() !== "") {
    accounts = EnvOptions.accounts(accountsJson, problems)
  } else if (!isLoopback(host)) {
    problems.push(
      `HOST=${host} listens beyond this machine but TRENDLINE_ACCOUNTS is not set: configure accounts, or listen on 127.0.0.1`,
    )
  } else {
    demo = { id: "demo", passcode: makePasscode() }
    accounts = Either.getOrThrow(Accounts.parse(JSON.stringify([demo])))
  }
  if (problems.length > 0) return Either.left(problems.join("\n"))
  return Either.right({
    port,
    host,
    database,
    clickhouse,
    accounts,
    demo,
    maxBodyBytes,
    maxBodyBytesInFlight,
    shutdownGraceMs,
    api,
    slowReadsMs,
  })
}
