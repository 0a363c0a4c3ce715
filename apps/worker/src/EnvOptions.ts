/**
 * The settings Node and Workers both read from their environment (`TRENDLINE_*` variables
 * on Node, vars and secrets on Workers), as Effect `Config`s with core's defaults. `read`
 * runs one over a set of variables and reports every problem at once, each naming the
 * variable and the fix.
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as Limits from "@trendline/core/Limits"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Accounts from "./Accounts.ts"

/** Variables by name, as strings (unset ones are `undefined`). */
export type Env = Readonly<Record<string, string | undefined>>

/** A problem with one variable: its message names the variable and the fix. */
export const problem = (message: string): ConfigError.ConfigError =>
  ConfigError.InvalidData([], message)

// A variable's text, blank when unset: blank means "use the default" for every setting.
const text = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.withDefault(""),
    Config.map((raw) => raw.trim()),
  )

/**
 * A whole number in `[min, max]` written in plain decimal digits, or `fallback` when unset
 * or blank. `Number` alone would take `1e3`, `0x10` or `1.0`.
 */
export const wholeNumber = <const F extends number | undefined>(
  name: string,
  fallback: F,
  min: number,
  max: number,
): Config.Config<number | F> =>
  Config.string(name).pipe(
    Config.withDefault(""),
    Config.mapOrFail((raw) => {
      if (raw.trim() === "") return Either.right<number | F>(fallback)
      const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
      return Number.isSafeInteger(value) && value >= min && value <= max
        ? Either.right(value)
        : Either.left(
            problem(
              `${name}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}, in plain digits`,
            ),
          )
    }),
  )

/** A variable's text, or `fallback` when unset or blank. */
export const textOr = (name: string, fallback: string): Config.Config<string> =>
  Config.map(text(name), (value) => value || fallback)

/**
 * `TRENDLINE_SYNC_BUDGET_MS`, `TRENDLINE_MAX_QUERIES`, `TRENDLINE_MAX_UPLOADS`,
 * `TRENDLINE_MAX_PENDING_QUERIES` and `TRENDLINE_IDEMPOTENCY_RETENTION_HOURS`, each
 * defaulting to core's.
 */
export const apiOptions: Config.Config<AccountApi.Options> = Config.map(
  Config.all({
    syncBudget: wholeNumber(
      "TRENDLINE_SYNC_BUDGET_MS",
      Duration.toMillis(AccountApi.defaultOptions.syncBudget),
      0,
      600_000,
    ),
    maxConcurrentQueries: wholeNumber(
      "TRENDLINE_MAX_QUERIES",
      AccountApi.defaultOptions.maxConcurrentQueries,
      1,
      1000,
    ),
    maxConcurrentUploads: wholeNumber(
      "TRENDLINE_MAX_UPLOADS",
      AccountApi.defaultOptions.maxConcurrentUploads,
      1,
      1000,
    ),
    maxPendingQueries: wholeNumber(
      "TRENDLINE_MAX_PENDING_QUERIES",
      AccountApi.defaultOptions.maxPendingQueries ?? 100,
      1,
      100_000,
    ),
    idempotencyRetentionHours: wholeNumber(
      "TRENDLINE_IDEMPOTENCY_RETENTION_HOURS",
      Duration.toHours(AccountApi.defaultOptions.idempotencyRetention ?? "24 hours"),
      1,
      24 * 90,
    ),
  }),
  ({ idempotencyRetentionHours, ...options }): AccountApi.Options => ({
    ...AccountApi.defaultOptions,
    limits: Limits.defaults,
    ...options,
    idempotencyRetention: Duration.hours(idempotencyRetentionHours),
  }),
)

/**
 * `TRENDLINE_VALUE_SLICES`: `on` (the default) or `off`. The SQLite store rolls up each
 * value of each event property with few values, so that filters on one property and top
 * values answer from rollups; `off` makes uploads faster (the store appends about twice as
 * fast; through the Node server 80–89k events/s against 51–53k in the bench) and such
 * filters read the event log. Turning it on again rebuilds each account's
 * rollups at its next upload.
 */
export const valueSlices: Config.Config<boolean> = Config.mapOrFail(
  text("TRENDLINE_VALUE_SLICES"),
  (raw) => {
    const value = raw.toLowerCase()
    if (value === "" || value === "on") return Either.right(true)
    if (value === "off") return Either.right(false)
    return Either.left(
      problem(`TRENDLINE_VALUE_SLICES=${JSON.stringify(raw)}: must be on or off (default on)`),
    )
  },
)

/** `TRENDLINE_ACCOUNTS`: the accounts, or `undefined` when it is unset or blank. */
export const accounts: Config.Config<Accounts.Accounts | undefined> = Config.mapOrFail(
  text("TRENDLINE_ACCOUNTS"),
  (json) =>
    json === ""
      ? Either.right(undefined)
      : Either.match(Accounts.parse(json), {
          onLeft: (message) => Either.left(problem(message)),
          onRight: (parsed) =>
            parsed.size === 0
              ? Either.left(problem("TRENDLINE_ACCOUNTS: lists no account; add one"))
              : Either.right(parsed),
        }),
)

/** Where ClickHouse is, when events are stored there instead of the embedded store. */
export interface ClickHouse {
  readonly url: string
  readonly username: string
  readonly password: string
  readonly database: string
  /** A cluster of the server's config to spread the data over (see the store's `Config`). */
  readonly cluster?: string
}

const clickhouseUrl = Config.mapOrFail(text("TRENDLINE_CLICKHOUSE_URL"), (url) => {
  if (url === "") return Either.right(undefined)
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  return parsed !== undefined && (parsed.protocol === "http:" || parsed.protocol === "https:")
    ? Either.right(url)
    : Either.left(
        problem(
          `TRENDLINE_CLICKHOUSE_URL=${JSON.stringify(url)}: must be ClickHouse's HTTP interface, e.g. http://127.0.0.1:8123`,
        ),
      )
})

const clickhouseDatabase = Config.mapOrFail(
  textOr("TRENDLINE_CLICKHOUSE_DATABASE", "trendline"),
  (database) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(database)
      ? Either.right(database)
      : Either.left(
          problem(
            `TRENDLINE_CLICKHOUSE_DATABASE=${JSON.stringify(database)}: must be a plain name (letters, digits, _)`,
          ),
        ),
)

const clickhouseCluster = Config.mapOrFail(textOr("TRENDLINE_CLICKHOUSE_CLUSTER", ""), (cluster) =>
  cluster === "" || /^[A-Za-z_][A-Za-z0-9_-]*$/.test(cluster)
    ? Either.right(cluster === "" ? undefined : cluster)
    : Either.left(
        problem(
          `TRENDLINE_CLICKHOUSE_CLUSTER=${JSON.stringify(cluster)}: must be the name of a cluster in the servers' <remote_servers> (letters, digits, _ and -)`,
        ),
      ),
)

/**
 * `TRENDLINE_CLICKHOUSE_URL` (with `_USER`, `_PASSWORD`, `_DATABASE`, `_CLUSTER`);
 * `undefined` when the URL is unset, which keeps the embedded store.
 */
export const clickhouse: Config.Config<ClickHouse | undefined> = Config.map(
  Config.all({
    url: clickhouseUrl,
    username: textOr("TRENDLINE_CLICKHOUSE_USER", "default"),
    // A password is taken as it is, spaces included.
    password: Config.string("TRENDLINE_CLICKHOUSE_PASSWORD").pipe(Config.withDefault("")),
    database: clickhouseDatabase,
    cluster: clickhouseCluster,
  }),
  ({ url, cluster, ...rest }) =>
    url === undefined ? undefined : { url, ...rest, ...(cluster === undefined ? {} : { cluster }) },
)

// Every message of an error, in order.
const messagesOf = (error: ConfigError.ConfigError): ReadonlyArray<string> =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    orCase: (_, left: ReadonlyArray<string>, right: ReadonlyArray<string>) => [...left, ...right],
    invalidDataCase: (_, path, message) => [
      path.length === 0 ? message : `${path.join(".")}: ${message}`,
    ],
    missingDataCase: (_, path, message) => [`${path.join(".")}: ${message}`],
    sourceUnavailableCase: (_, path, message) => [`${path.join(".")}: ${message}`],
    unsupportedCase: (_, path, message) => [`${path.join(".")}: ${message}`],
  })

/**
 * Reads `config` from `env`: the value, or every problem, one a line.
 *
 * @example EnvOptions.read(EnvOptions.apiOptions, process.env)
 */
export const read = <A>(config: Config.Config<A>, env: Env): Either.Either<A, string> => {
  const variables = new Map<string, string>()
  for (const [name, value] of Object.entries(env))
    if (value !== undefined) variables.set(name, value)
  return Effect.runSync(
    Effect.withConfigProvider(Effect.either(config), ConfigProvider.fromMap(variables)),
  ).pipe(Either.mapLeft((error) => messagesOf(error).join("\n")))
}
