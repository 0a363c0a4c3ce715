// What the workerd tests share: requests through the worker's own `fetch` (the same path as
// production), the polling loop, and generated events with their expected answers from
// core's reference aggregator.
import { runInDurableObject } from "cloudflare:test"
import { type env, exports } from "cloudflare:workers"
import * as Account from "@trendline/core/Account"
import type * as AccountApi from "@trendline/core/AccountApi"
import * as Uploads from "@trendline/core/testing/Uploads"
import type * as WireAnswer from "@trendline/core/WireAnswer"
import * as DurableObjectSqlite from "@trendline/store-sqlite/DurableObjectSqlite"
import * as Either from "effect/Either"
import * as DurableBackend from "../src/DurableBackend.ts"
import type * as WorkerConfig from "../src/WorkerConfig.ts"
import type { AccountObject } from "../src/worker.ts"
import type { TestAccount } from "./accounts.ts"

export const settingsOf = (account: TestAccount): Account.Settings =>
  Account.make(account.id, { timeZone: account.timezone, weekStart: account.weekStart })

/** A response, its JSON body read. */
export interface Reply {
  readonly status: number
  readonly body: WireAnswer.Json
  readonly headers: Headers
}

export interface Call {
  readonly method?: string
  /** Sends the account's id and passcode headers. */
  readonly as?: { readonly id: string; readonly passcode: string }
  /** Sent as JSON with `Content-Type: application/json` unless `headers` says otherwise. */
  readonly json?: unknown
  /** Sent as is. */
  readonly raw?: string
  readonly headers?: Record<string, string>
}

export const requestOf = (path: string, call: Call = {}): Request => {
  const headers = new Headers(call.headers)
  if (call.as !== undefined) {
    headers.set("X-CleverTap-Account-Id", call.as.id)
    headers.set("X-CleverTap-Passcode", call.as.passcode)
  }
  const body = call.raw ?? (call.json === undefined ? undefined : JSON.stringify(call.json))
  if (body !== undefined && !headers.has("Content-Type"))
    headers.set("Content-Type", "application/json")
  return new Request(`https://trendline.test${path}`, {
    method: call.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  })
}

export const replyOf = async (response: Response): Promise<Reply> => ({
  status: response.status,
  body: (await response.json()) as WireAnswer.Json,
  headers: response.headers,
})

/** Calls the worker as a client would: its default export's `fetch`, with the test env. */
export const send = async (path: string, call: Call = {}): Promise<Reply> =>
  replyOf(await exports.default.fetch(requestOf(path, call)))

/** Polls `GET path?req_id=` until the answer is no longer `partial`; at most 20 polls. */
export const pollUntilDone = async (
  path: string,
  account: TestAccount,
  first: Reply,
): Promise<Reply> => {
  let reply = first
  for (let polls = 0; reply.body.status === "partial" && polls < 20; polls++) {
    reply = await send(`${path}?req_id=${String(reply.body.req_id)}`, { as: account })
  }
  return reply
}

/** POSTs a read, expects `partial` (the test env's sync budget is 0), and polls it to the end. */
export const read = async (
  path:
    | "/1/counts/trends.json"
    | "/1/counts/events.json"
    | "/1/counts/profiles.json"
    | "/1/counts/top.json",
  account: TestAccount,
  body: unknown,
): Promise<{ readonly first: Reply; readonly final: Reply }> => {
  const first = await send(path, { as: account, json: body })
  return { first, final: await pollUntilDone(path, account, first) }
}

/** An upload record of the generated events. */
export type EventRecord = Uploads.EventRecord

// From a day before January 2025 to half a day after February: some events fall outside
// the queried range in one zone and inside it in another.
const firstTs = Date.UTC(2024, 11, 31) / 1000
const lastTs = Date.UTC(2025, 2, 1, 12) / 1000

/** `count` events named among `names`, by seven profiles, around January and February 2025. */
export const generate = (
  seed: number,
  count: number,
  names: ReadonlyArray<string>,
): Array<EventRecord> =>
  Uploads.eventRecords({
    seed,
    count,
    names,
    profiles: ["alice", "bob", "carol", "dave", "erin", "frank", "grace"],
    from: firstTs,
    to: lastTs,
  })

/** The `success` body a trends request must answer over `events`. */
export const expectedTrends = (
  account: TestAccount,
  records: ReadonlyArray<unknown>,
  body: unknown,
) => Uploads.expectedTrends(settingsOf(account), records, body)

/** The count an event count request must answer over `events`. */
export const expectedCount = (
  account: TestAccount,
  events: ReadonlyArray<EventRecord>,
  body: unknown,
): number => Uploads.expectedCount(settingsOf(account), events, body)

/** The `success` body a top counts request must answer over `records`. */
export const expectedTop = (account: TestAccount, records: ReadonlyArray<unknown>, body: unknown) =>
  Uploads.expectedTop(settingsOf(account), records, body)

/** The count a profile-count request must answer over `events`. */
export const expectedProfileCount = (
  account: TestAccount,
  events: ReadonlyArray<EventRecord>,
  body: unknown,
): number => Uploads.expectedProfileCount(settingsOf(account), events, body)

/** A trends body over January and February 2025 with the three kinds of group. */
export const trendsBody = (eventName: string, measure: Record<string, unknown> = {}) => ({
  event_name: eventName,
  from: 20250101,
  to: 20250228,
  groups: {
    days: { trend_type: "daily" },
    weeks: { trend_type: "weekly" },
    months: { trend_type: "monthly" },
  },
  ...measure,
})

/** An account object of the test worker, by name. */
export type Stub = ReturnType<typeof env.ACCOUNTS.getByName>

/**
 * A configuration other than the test env's, for tests of other options: the API's options
 * (`api`, over core's defaults), one account per settings, and optionally a ClickHouse.
 */
export const configOf = (
  accounts: ReadonlyArray<Account.Settings>,
  api: AccountApi.Options,
  clickhouse?: WorkerConfig.WorkerConfig["clickhouse"],
): WorkerConfig.WorkerConfig => ({
  accounts: new Map(
    accounts.map((settings) => [settings.id, { settings, passcode: `${settings.id}-passcode` }]),
  ),
  api,
  clickhouse,
  valueSlices: true,
})

// The host each object instance got from `hostIn`: an object keeps it until it is evicted.
const hosts = new WeakMap<AccountObject, DurableBackend.AccountRpc>()

/**
 * The object behind `stub` serving `config` (instead of the test env's) over its own
 * storage: what a deployment with that configuration runs. Each call enters the object as a
 * request does, so calls interleave as RPC calls do. Built on the first call into each
 * object instance; evict the object (`evictDurableObject`) to serve another configuration.
 */
export const hostIn = (
  stub: Stub,
  config: WorkerConfig.WorkerConfig,
  options: DurableBackend.HostOptions = {},
): DurableBackend.AccountRpc => {
  const enter = (call: (host: DurableBackend.AccountRpc) => Promise<WireAnswer.WireAnswer>) =>
    runInDurableObject(stub, (object: AccountObject, state) => {
      let host = hosts.get(object)
      if (host === undefined) {
        host = DurableBackend.makeHost(
          DurableObjectSqlite.make(state.storage),
          Either.right(config),
          (line) => console.error(line),
          options,
        )
        hosts.set(object, host)
      }
      return call(host)
    })
  return {
    trends: (id, body) => enter((host) => host.trends(id, body)),
    eventCount: (id, body) => enter((host) => host.eventCount(id, body)),
    profileCount: (id, body) => enter((host) => host.profileCount(id, body)),
    top: (id, body) => enter((host) => host.top(id, body)),
    poll: (id, endpoint, reqId) => enter((host) => host.poll(id, endpoint, reqId)),
    upload: (id, body, receivedAt) => enter((host) => host.upload(id, body, receivedAt)),
    uploadJson: (id, text, receivedAt, idempotency) =>
      enter((host) => host.uploadJson(id, text, receivedAt, idempotency)),
  }
}
