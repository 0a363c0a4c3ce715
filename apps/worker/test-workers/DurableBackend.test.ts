// The account object on its own: its concurrency gate, rebuilding on a new setup, and how
// the worker side answers when an object cannot take a call.
import { runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as Limits from "@trendline/core/Limits"
import * as DurableBackend from "../src/DurableBackend.ts"
import type { AccountObject } from "../src/worker.ts"
import { trendsBody } from "./fixtures.ts"

const zeroBudget = (account: Account.Settings, limits = Limits.defaults) =>
  DurableBackend.setupOf(account, { ...AccountApi.defaultOptions, limits, syncBudget: 0 })

describe("AccountObject", () => {
  it("admits as many reads as the limit and answers 429 to one more in flight", async () => {
    // Objects of their own: the worker's calls bring another setup.
    const setup = zeroBudget(Account.make("gate"))
    const statuses = await runInDurableObject(
      env.ACCOUNTS.getByName("gate"),
      (object: AccountObject) =>
        // Started in the same turn: no job has run when the fourth arrives.
        Promise.all(
          Array.from({ length: 4 }, () => object.trends(setup, trendsBody("Charged"))),
        ).then((answers) => answers.map(({ status, body }) => [status, body.status])),
    )
    assert.deepStrictEqual(statuses, [
      [200, "partial"],
      [200, "partial"],
      [200, "partial"],
      [429, "fail"],
    ])
    // The three jobs have finished since: the gate admits reads again.
    const next = await env.ACCOUNTS.getByName("gate").trends(setup, trendsBody("Charged"))
    assert.strictEqual(next.body.status, "partial")
  })

  it("builds the account's API again when a call brings another setup", async () => {
    const stub = env.ACCOUNTS.getByName("setup")
    const account = Account.make("setup")
    const body = {
      ...trendsBody("Charged"),
      groups: Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [`g${i}`, { trend_type: "daily" }]),
      ),
    }
    const refused = await stub.trends(zeroBudget(account), body)
    assert.strictEqual(refused.status, 400)
    assert.include(refused.body.error as string, "groups")
    const admitted = await stub.trends(zeroBudget(account, Limits.make({ maxGroups: 10 })), body)
    assert.strictEqual(admitted.body.status, "partial")
  })

  it("answers 503 while its database cannot be opened, and opens it once it can", async () => {
    const stub = env.ACCOUNTS.getByName("newer")
    const setup = zeroBudget(Account.make("newer"))
    // A database written by a newer Trendline: the store refuses to touch it.
    await runInDurableObject(stub, (_object, state) => {
      state.storage.sql.exec(
        "CREATE TABLE trendline_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)",
      )
      state.storage.sql.exec("INSERT INTO trendline_migrations VALUES (999, 'from the future')")
    })
    const refused = await stub.trends(setup, trendsBody("Charged"))
    assert.deepStrictEqual(refused, {
      status: 503,
      body: {
        status: "fail",
        error: "The event store is unavailable; try again later",
        code: 503,
      },
    })
    await runInDurableObject(stub, (_object, state) => {
      state.storage.sql.exec("DROP TABLE trendline_migrations")
    })
    const opened = await stub.trends(setup, trendsBody("Charged"))
    assert.strictEqual(opened.body.status, "partial")
  })
})

describe("AccountObject on ClickHouse", () => {
  it("uses the ClickHouse the setup names, not its own tables: unreachable, it answers 503", async () => {
    const account = Account.make("clickhouse-bound")
    const setup = DurableBackend.setupOf(account, AccountApi.defaultOptions, {
      url: "http://127.0.0.1:9",
      username: "default",
      password: "",
      database: "trendline",
    })
    const stub = env.ACCOUNTS.getByName("clickhouse-bound")
    const upload = await stub.upload(
      setup,
      { d: [{ type: "event", identity: "a", ts: 1_700_000_000, evtName: "Charged" }] },
      1_700_000_000,
    )
    assert.deepStrictEqual(upload, {
      status: 503,
      body: { status: "fail", error: "The event store is unavailable; try again later", code: 503 },
    })
    const stored = await runInDurableObject(stub, (_object: AccountObject, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'event_names'").toArray(),
    )
    assert.deepStrictEqual(stored, [], "the object's own event tables were never created")
  })
})

describe("DurableBackend.make", () => {
  const settings = Account.make("acme")
  const failing = (error: Error): DurableBackend.AccountRpc => {
    const reject = () => Promise.reject(error)
    return { trends: reject, eventCount: reject, poll: reject, upload: reject, uploadJson: reject }
  }

  it("answers 503 when the object is overloaded or restarting, 500 otherwise, and logs both", async () => {
    const lines: Array<Record<string, unknown>> = []
    const busy = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true })
    const broken = new Error("a bug in the object")
    const answers = [
      await DurableBackend.make(
        () => failing(busy),
        AccountApi.defaultOptions,
        (line) => lines.push(line),
      )(settings).trends({}),
      await DurableBackend.make(
        () => failing(broken),
        AccountApi.defaultOptions,
        (line) => lines.push(line),
      )(settings).upload({}, 0),
    ]
    assert.deepStrictEqual(
      answers.map(({ status, body }) => [status, body.error]),
      [
        [503, "The account is busy or restarting; try again later"],
        [500, "Internal error; it has been logged"],
      ],
    )
    assert.deepStrictEqual(
      lines.map(({ level, message, account, error }) => ({ level, message, account, error })),
      [
        {
          level: "error",
          message: "account object: trends failed",
          account: "acme",
          error: "Durable Object is overloaded",
        },
        {
          level: "error",
          message: "account object: upload failed",
          account: "acme",
          error: "a bug in the object",
        },
      ],
    )
  })

  it("sends the object plain data only", () => {
    const setup = DurableBackend.setupOf(settings, AccountApi.defaultOptions)
    const prototypes = (value: unknown): Array<unknown> =>
      typeof value === "object" && value !== null
        ? [Object.getPrototypeOf(value), ...Object.values(value).flatMap(prototypes)]
        : []
    for (const prototype of prototypes(setup)) assert.strictEqual(prototype, Object.prototype)
    assert.deepStrictEqual(setup.api.syncBudget, 5000)
    assert.deepStrictEqual(setup.api.retention, 600_000)
  })
})
