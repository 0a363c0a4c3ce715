/**
 * The Workers entry (`wrangler.jsonc`): the Trends API app, built once per isolate from the
 * `TRENDLINE_ACCOUNTS` secret and the `TRENDLINE_*` vars, over a backend that runs each
 * account's API in its Durable Object (`AccountObject`, SQLite-backed, one per account).
 * A configuration that does not parse answers every request 500 "misconfigured" and logs why.
 */
import { DurableObject } from "cloudflare:workers"
import type * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as ConfigOf from "effect/Config"
import * as Either from "effect/Either"
import type * as Accounts from "./Accounts.ts"
import { makeApp } from "./app.ts"
import * as DurableBackend from "./DurableBackend.ts"
import * as EnvOptions from "./EnvOptions.ts"
import type { Log } from "./middleware.ts"

/** One account's API in its own SQLite database; the worker calls it over RPC. */
export class AccountObject extends DurableObject<Env> implements DurableBackend.AccountRpc {
  private readonly host = DurableBackend.makeHost(DurableObjectSqlite.make(this.ctx.storage))

  trends(setup: DurableBackend.Setup, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.trends(setup, body)
  }

  eventCount(setup: DurableBackend.Setup, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.eventCount(setup, body)
  }

  poll(
    setup: DurableBackend.Setup,
    endpoint: AccountApi.ReadEndpoint,
    reqId: string,
  ): Promise<WireAnswer.WireAnswer> {
    return this.host.poll(setup, endpoint, reqId)
  }

  upload(
    setup: DurableBackend.Setup,
    body: unknown,
    receivedAt: number,
  ): Promise<WireAnswer.WireAnswer> {
    return this.host.upload(setup, body, receivedAt)
  }

  uploadJson(
    setup: DurableBackend.Setup,
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ): Promise<WireAnswer.WireAnswer> {
    return this.host.uploadJson(setup, text, receivedAt, idempotency)
  }
}

// Workers Logs indexes the fields of a logged object.
const log: Log = (line) => (line.level === "error" ? console.error(line) : console.log(line))

interface Config {
  readonly accounts: Accounts.Accounts
  readonly api: AccountApi.Options
  readonly clickhouse: EnvOptions.ClickHouse | undefined
}

// Every string binding by name: the vars, and the secrets (optional ones, ClickHouse's,
// have no generated binding type).
const variablesOf = (env: Env): EnvOptions.Env =>
  Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  )

const workerConfig: ConfigOf.Config<Config> = ConfigOf.mapOrFail(
  ConfigOf.all({
    api: EnvOptions.apiOptions,
    accounts: EnvOptions.accounts,
    clickhouse: EnvOptions.clickhouse,
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

const misconfigured = (): Response => {
  const { status, body } = WireAnswer.failure(
    new ApiError.InternalError({
      reason: "The server is misconfigured; its operator must fix it (see the worker's logs)",
    }),
  )
  return Response.json(body, { status })
}

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>

// The app of this isolate, and what it was built from: a new secret or var value (a new
// deployment, or a test's own env) builds it again.
let current:
  | { readonly inputs: ReadonlyArray<string | undefined>; readonly fetch: Fetch }
  | undefined

const inputsOf = (env: Env): ReadonlyArray<string | undefined> =>
  Object.entries(variablesOf(env)).flat()

const appFor = (env: Env): Fetch => {
  const inputs = inputsOf(env)
  if (
    current?.inputs.length === inputs.length &&
    current.inputs.every((input, i) => input === inputs[i])
  )
    return current.fetch
  const fetch = Either.match(EnvOptions.read(workerConfig, variablesOf(env)), {
    onLeft: (problems): Fetch => {
      log({
        time: new Date().toISOString(),
        level: "error",
        message: `trendline: misconfigured, every request answers 500 until this is fixed:\n${problems}`,
      })
      return misconfigured
    },
    onRight: ({ accounts, api, clickhouse }): Fetch => {
      const backend = DurableBackend.make((id) => env.ACCOUNTS.getByName(id), api, log, clickhouse)
      return makeApp({ accounts, backend, log }).fetch
    },
  })
  current = { inputs, fetch }
  return fetch
}

export default {
  fetch: (request, env, ctx) => appFor(env)(request, env, ctx),
} satisfies ExportedHandler<Env>
