/**
 * The Workers entry (`wrangler.jsonc`): the Trends API app, built once per isolate from the
 * `TRENDLINE_ACCOUNTS` secret and the `TRENDLINE_*` vars, over a backend that runs each
 * account's API in its Durable Object (`AccountObject`, SQLite-backed, one per account),
 * which reads the same configuration from its own env. A configuration that does not parse
 * answers every request 500 "misconfigured" and logs why.
 */
import { DurableObject } from "cloudflare:workers"
import type * as AccountApi from "@trendline/core/AccountApi"
import * as WireAnswer from "@trendline/core/WireAnswer"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as Either from "effect/Either"
import { makeApp } from "./app.ts"
import * as DurableBackend from "./DurableBackend.ts"
import type { Log } from "./middleware.ts"
import * as WorkerConfig from "./WorkerConfig.ts"

// Workers Logs indexes the fields of a logged object.
const log: Log = (line) => (line.level === "error" ? console.error(line) : console.log(line))

/** One account's API in its own SQLite database; the worker calls it over RPC. */
export class AccountObject extends DurableObject<Env> implements DurableBackend.AccountRpc {
  private readonly host = DurableBackend.makeHost(
    DurableObjectSqlite.make(this.ctx.storage),
    WorkerConfig.readCached(this.env),
    log,
  )

  trends(accountId: string, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.trends(accountId, body)
  }

  eventCount(accountId: string, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.eventCount(accountId, body)
  }

  profileCount(accountId: string, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.profileCount(accountId, body)
  }

  top(accountId: string, body: unknown): Promise<WireAnswer.WireAnswer> {
    return this.host.top(accountId, body)
  }

  poll(accountId: string, endpoint: AccountApi.ReadEndpoint, reqId: string) {
    return this.host.poll(accountId, endpoint, reqId)
  }

  upload(accountId: string, body: unknown, receivedAt: number): Promise<WireAnswer.WireAnswer> {
    return this.host.upload(accountId, body, receivedAt)
  }

  uploadJson(
    accountId: string,
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ): Promise<WireAnswer.WireAnswer> {
    return this.host.uploadJson(accountId, text, receivedAt, idempotency)
  }
}

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>

const misconfigured = (): Response => {
  const { status, body } = WireAnswer.failure(WorkerConfig.misconfigured())
  return Response.json(body, { status })
}

// The app of this isolate, and the variables it was built from: other values (a test's own
// env) build it again.
let current:
  | { readonly inputs: ReadonlyArray<string | undefined>; readonly fetch: Fetch }
  | undefined

const appFor = (env: Env): Fetch => {
  const inputs = WorkerConfig.inputsOf(env)
  if (current !== undefined && WorkerConfig.sameInputs(current.inputs, inputs)) return current.fetch
  const fetch = Either.match(WorkerConfig.readCached(env), {
    onLeft: (problems): Fetch => {
      log(WorkerConfig.misconfiguredLine(problems))
      return misconfigured
    },
    onRight: ({ accounts }): Fetch => {
      const backend = DurableBackend.make((id) => env.ACCOUNTS.getByName(id), log)
      return makeApp({ accounts, backend, log }).fetch
    },
  })
  current = { inputs, fetch }
  return fetch
}

export default {
  fetch: (request, env, ctx) => appFor(env)(request, env, ctx),
} satisfies ExportedHandler<Env>
