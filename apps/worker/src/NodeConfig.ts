/**
 * The Node server's configuration, all from the environment, as an Effect `Config` with
 * core's defaults. Every problem is reported at once, each naming the variable and the fix;
 * the server does not start with any.
 */
import type * as AccountApi from "@trendline/core/AccountApi"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as Accounts from "./Accounts.ts"
import { defaultMaxBodyBytes } from "./app.ts"
import * as BodyBudget from "./BodyBudget.ts"
import * as EnvOptions from "./EnvOptions.ts"

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
  /** `TRENDLINE_VALUE_SLICES` (see `EnvOptions.valueSlices`). */
  readonly valueSlices: boolean
  /** `TRENDLINE_TEST_SLOW_READS`, for tests of the serving side only (see `slowReads`). */
  readonly slowReadsMs: Readonly<Record<string, number>> | undefined
}

/**
 * `TRENDLINE_TEST_SLOW_READS`, e.g. `{"acme": 2000}`: for tests of the serving side only,
 * each query of those accounts holds its reader thread that long first, as a heavy query
 * would. Unset in production.
 */
export const slowReads: Config.Config<Readonly<Record<string, number>> | undefined> =
  Config.mapOrFail(EnvOptions.textOr("TRENDLINE_TEST_SLOW_READS", ""), (raw) => {
    if (raw === "") return Either.right(undefined)
    const fix = 'must be a JSON object of account ids to milliseconds, e.g. {"acme": 2000}'
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return Either.left(
        EnvOptions.problem(`TRENDLINE_TEST_SLOW_READS=${JSON.stringify(raw)}: ${fix}`),
      )
    }
    return typeof parsed === "object" &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.values(parsed).every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 600_000)
      ? Either.right(parsed as Record<string, number>)
      : Either.left(
          EnvOptions.problem(
            `TRENDLINE_TEST_SLOW_READS=${JSON.stringify(raw)}: ${fix} (0 to 600000)`,
          ),
        )
  })

/** Whether a host name or address only listens on this machine. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

// The bodies held at once default to a multiple of the largest body, and never hold less.
const bodies = Config.mapOrFail(
  Config.all({
    maxBodyBytes: EnvOptions.wholeNumber(
      "TRENDLINE_MAX_BODY_BYTES",
      defaultMaxBodyBytes,
      1024,
      1024 ** 3,
    ),
    inFlight: EnvOptions.wholeNumber(
      "TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT",
      undefined,
      1024,
      64 * 1024 ** 3,
    ),
  }),
  ({ maxBodyBytes, inFlight }) => {
    const maxBodyBytesInFlight = inFlight ?? BodyBudget.defaultMaxBytes(maxBodyBytes)
    return maxBodyBytesInFlight >= maxBodyBytes
      ? Either.right({ maxBodyBytes, maxBodyBytesInFlight })
      : Either.left(
          EnvOptions.problem(
            `TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT=${maxBodyBytesInFlight} is below TRENDLINE_MAX_BODY_BYTES=${maxBodyBytes}: the largest body could never be read; raise it to at least ${maxBodyBytes}`,
          ),
        )
  },
)

/**
 * The configuration as an Effect `Config`; `makePasscode` makes the demo account's passcode
 * when no accounts are configured (on loopback only).
 */
export const config = (makePasscode: () => string): Config.Config<NodeConfig> =>
  Config.mapOrFail(
    Config.all({
      port: EnvOptions.wholeNumber("PORT", 8787, 0, 65_535),
      host: EnvOptions.textOr("HOST", "127.0.0.1"),
      api: EnvOptions.apiOptions,
      bodies,
      shutdownGraceMs: EnvOptions.wholeNumber("TRENDLINE_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
      database: EnvOptions.textOr("TRENDLINE_DB", "./data/trendline.db"),
      clickhouse: EnvOptions.clickhouse,
      valueSlices: EnvOptions.valueSlices,
      slowReadsMs: slowReads,
      accounts: EnvOptions.accounts,
    }),
    ({ bodies, accounts, ...rest }): Either.Either<NodeConfig, ConfigError.ConfigError> => {
      if (accounts !== undefined)
        return Either.right({ ...rest, ...bodies, accounts, demo: undefined })
      if (!isLoopback(rest.host)) {
        return Either.left(
          EnvOptions.problem(
            `HOST=${rest.host} listens beyond this machine but TRENDLINE_ACCOUNTS is not set: configure accounts, or listen on 127.0.0.1`,
          ),
        )
      }
      const demo = { id: "demo", passcode: makePasscode() }
      return Either.right({
        ...rest,
        ...bodies,
        demo,
        accounts: Either.getOrThrow(Accounts.parse(JSON.stringify([demo]))),
      })
    },
  )

/** Reads the configuration from `env`: every problem at once, one a line. */
export const fromEnv = (
  env: EnvOptions.Env,
  makePasscode: () => string,
): Either.Either<NodeConfig, string> => EnvOptions.read(config(makePasscode), env)
