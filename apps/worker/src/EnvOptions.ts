/**
 * The settings Node and Workers both read from their environment (`TRENDLINE_*` variables
 * on Node, vars and secrets on Workers), each problem named with the variable and the fix.
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as Limits from "@trendline/core/Limits"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Accounts from "./Accounts.ts"

/** Variables by name, as strings (unset ones are `undefined`). */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * A whole number in `[min, max]` written in plain decimal digits, or `fallback` when unset;
 * a bad value adds a problem. `Number` alone would take `1e3`, `0x10` or `1.0`.
 */
export const integer = (
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: Array<string>,
): number => {
  const raw = env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(
      `${name}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}, in plain digits`,
    )
    return fallback
  }
  return value
}

/**
 * `TRENDLINE_SYNC_BUDGET_MS`, `TRENDLINE_MAX_QUERIES`, `TRENDLINE_MAX_UPLOADS`,
 * `TRENDLINE_MAX_PENDING_QUERIES` and `TRENDLINE_IDEMPOTENCY_RETENTION_HOURS`.
 */
export const apiOptions = (env: Env, problems: Array<string>): AccountApi.Options => {
  const defaults = AccountApi.defaultOptions
  return {
    ...defaults,
    limits: Limits.defaults,
    syncBudget: integer(
      env,
      "TRENDLINE_SYNC_BUDGET_MS",
      Duration.toMillis(defaults.syncBudget),
      0,
      600_000,
      problems,
    ),
    maxConcurrentQueries: integer(
      env,
      "TRENDLINE_MAX_QUERIES",
      defaults.maxConcurrentQueries,
      1,
      1000,
      problems,
    ),
    maxConcurrentUploads: integer(
      env,
      "TRENDLINE_MAX_UPLOADS",
      defaults.maxConcurrentUploads,
      1,
      1000,
      problems,
    ),
    maxPendingQueries: integer(
      env,
      "TRENDLINE_MAX_PENDING_QUERIES",
      defaults.maxPendingQueries ?? 100,
      1,
      100_000,
      problems,
    ),
    idempotencyRetention: Duration.hours(
      integer(env, "TRENDLINE_IDEMPOTENCY_RETENTION_HOURS", 24, 1, 24 * 90, problems),
    ),
  }
}

/** `TRENDLINE_ACCOUNTS`, which is set (the caller decides what unset means). */
export const accounts = (json: string, problems: Array<string>): Accounts.Accounts =>
  Either.match(Accounts.parse(json), {
    onLeft: (message) => {
      problems.push(message)
      return new Map()
    },
    onRight: (parsed) => {
      if (parsed.size === 0) problems.push("TRENDLINE_ACCOUNTS: lists no account; add one")
      return parsed
    },
  })

/** Where ClickHouse is, when events are stored there instead of the embedded store. */
export interface ClickHouse {
  readonly url: string
  readonly username: string
  readonly password: string
  readonly database: string
}

/**
 * `TRENDLINE_CLICKHOUSE_URL` (with `_USER`, `_PASSWORD`, `_DATABASE`); `undefined` when the
 * URL is unset, which keeps the embedded store.
 */
export const clickhouse = (env: Env, problems: Array<string>): ClickHouse | undefined => {
  const url = env.TRENDLINE_CLICKHOUSE_URL?.trim()
  if (url === undefined || url === "") return undefined
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    problems.push(
      `TRENDLINE_CLICKHOUSE_URL=${JSON.stringify(url)}: must be ClickHouse's HTTP interface, e.g. http://127.0.0.1:8123`,
    )
  }
  const database = env.TRENDLINE_CLICKHOUSE_DATABASE?.trim() || "trendline"
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    problems.push(
      `TRENDLINE_CLICKHOUSE_DATABASE=${JSON.stringify(database)}: must be a plain name (letters, digits, _)`,
    )
  }
  return {
    url,
    username: env.TRENDLINE_CLICKHOUSE_USER?.trim() || "default",
    password: env.TRENDLINE_CLICKHOUSE_PASSWORD ?? "",
    database,
  }
}
