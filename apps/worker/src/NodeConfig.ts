/**
 * The Node server's configuration, all from the environment. Every problem is reported at
 * once, each naming the variable and the fix; the server does not start with any.
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as Limits from "@trendline/core/Limits"
import * as Either from "effect/Either"
import * as Accounts from "./Accounts.ts"

/** A complete configuration. */
export interface NodeConfig {
  readonly port: number
  readonly host: string
  readonly database: string
  readonly accounts: Accounts.Accounts
  /** Set when no accounts were configured: a demo account for local use. */
  readonly demo: { readonly id: string; readonly passcode: string } | undefined
  readonly api: AccountApi.Options
  readonly maxBodyBytes: number
}

/** Whether a host name or address only listens on this machine. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

const integer = (
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: Array<string>,
): number => {
  const raw = env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`)
    return fallback
  }
  return value
}

/**
 * Reads the configuration; `makePasscode` makes the demo account's passcode when no
 * accounts are configured.
 */
export const fromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  makePasscode: () => string,
): Either.Either<NodeConfig, string> => {
  const problems: Array<string> = []
  const port = integer(env, "PORT", 8787, 0, 65_535, problems)
  const host = env.HOST?.trim() || "127.0.0.1"
  const syncBudgetMs = integer(env, "TRENDLINE_SYNC_BUDGET_MS", 5000, 0, 600_000, problems)
  const maxQueries = integer(env, "TRENDLINE_MAX_QUERIES", 3, 1, 1000, problems)
  const maxUploads = integer(env, "TRENDLINE_MAX_UPLOADS", 15, 1, 1000, problems)
  const maxBodyBytes = integer(
    env,
    "TRENDLINE_MAX_BODY_BYTES",
    10 * 1024 * 1024,
    1024,
    1024 ** 3,
    problems,
  )
  const database = env.TRENDLINE_DB?.trim() || "./data/trendline.db"
  let accounts: Accounts.Accounts = new Map()
  let demo: NodeConfig["demo"]
  const accountsJson = env.TRENDLINE_ACCOUNTS
  if (accountsJson !== undefined && accountsJson.trim() !== "") {
    Either.match(Accounts.parse(accountsJson), {
      onLeft: (message) => problems.push(message),
      onRight: (parsed) => {
        if (parsed.size === 0)
          problems.push("TRENDLINE_ACCOUNTS: lists no account; add one or unset it")
        accounts = parsed
      },
    })
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
    accounts,
    demo,
    maxBodyBytes,
    api: {
      ...AccountApi.defaultOptions,
      limits: Limits.defaults,
      syncBudget: syncBudgetMs,
      maxConcurrentQueries: maxQueries,
      maxConcurrentUploads: maxUploads,
    },
  })
}
