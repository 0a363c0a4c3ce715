/**
 * What the Workers entry reads from its env: the `TRENDLINE_ACCOUNTS` secret, the
 * `TRENDLINE_*` vars and the optional ClickHouse secrets. The worker and each account's
 * Durable Object read it from their own env (a deployment gives both the same), so nothing
 * of it travels over RPC. No Workers API is imported: this module typechecks with Node.
 */
import type * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as Config from "effect/Config"
import * as Either from "effect/Either"
import type * as Accounts from "./Accounts.ts"
import * as EnvOptions from "./EnvOptions.ts"

export interface WorkerConfig {
  readonly accounts: Accounts.Accounts
  readonly api: AccountApi.Options
  /** Where events go instead of each object's own SQLite, when set. */
  readonly clickhouse: EnvOptions.ClickHouse | undefined
  /** `TRENDLINE_VALUE_SLICES` (see `EnvOptions.valueSlices`). */
  readonly valueSlices: boolean
}

const config: Config.Config<WorkerConfig> = Config.mapOrFail(
  Config.all({
    api: EnvOptions.apiOptions,
    accounts: EnvOptions.accounts,
    clickhouse: EnvOptions.clickhouse,
    valueSlices: EnvOptions.valueSlices,
  }),
  ({ accounts, ...rest }) =>
    accounts === undefined
      ? Either.left(
          EnvOptions.problem(
            "TRENDLINE_ACCOUNTS is not set: `wrangler secret put TRENDLINE_ACCOUNTS` (locally: .dev.vars)",
          ),
        )
      : Either.right({ ...rest, accounts }),
)

/**
 * Every string binding of `env` by name: the vars, and the secrets (the optional ones,
 * ClickHouse's, have no generated binding type). Other bindings (objects) are left out.
 */
export const variablesOf = (env: object): EnvOptions.Env =>
  Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  )

/** The string bindings of `env` as one list, to tell whether two envs configure alike. */
export const inputsOf = (env: object): ReadonlyArray<string | undefined> =>
  Object.entries(variablesOf(env)).flat()

/** Whether two lists of `inputsOf` are the same. */
export const sameInputs = (
  a: ReadonlyArray<string | undefined>,
  b: ReadonlyArray<string | undefined>,
): boolean => a.length === b.length && a.every((input, i) => input === b[i])

/**
 * The configuration in `env`, or every problem with it, one a line.
 *
 * @example WorkerConfig.read(this.env)
 */
export const read = (env: object): Either.Either<WorkerConfig, string> =>
  EnvOptions.read(config, variablesOf(env))

// The configuration this isolate read last, and its inputs.
let lastRead:
  | {
      readonly inputs: ReadonlyArray<string | undefined>
      readonly config: Either.Either<WorkerConfig, string>
    }
  | undefined

/**
 * `read`, remembered for the isolate: every object it hosts reads the same env, and an
 * object's first call waits for it (about half a millisecond to parse and check). Another
 * env (a test's own) is read again.
 */
export const readCached = (env: object): Either.Either<WorkerConfig, string> => {
  const inputs = inputsOf(env)
  if (lastRead === undefined || !sameInputs(lastRead.inputs, inputs))
    lastRead = { inputs, config: read(env) }
  return lastRead.config
}

/** What every request is answered while the configuration does not parse (logged at once). */
export const misconfigured = (): ApiError.InternalError =>
  new ApiError.InternalError({
    reason: "The server is misconfigured; its operator must fix it (see the worker's logs)",
  })

/** The log line that says why the configuration does not parse. */
export const misconfiguredLine = (problems: string) => ({
  time: new Date().toISOString(),
  level: "error" as const,
  message: `trendline: misconfigured, every request answers 500 until this is fixed:\n${problems}`,
})
