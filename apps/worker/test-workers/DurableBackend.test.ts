// The account object on its own: its configuration read from its own env, its concurrency
// gate, a store it cannot open, and how the worker side answers when an object cannot take
// a call.
import { runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as Limits from "@trendline/core/Limits"
import * as Uploads from "@trendline/core/testing/Uploads"
import type * as WireAnswer from "@trendline/core/WireAnswer"
import * as DurableBackend from "../src/DurableBackend.ts"
import type { AccountObject } from "../src/worker.ts"
import { initech } from "./accounts.ts"
import { configOf, generate, hostIn, trendsBody } from "./fixtures.ts"

const unavailable: WireAnswer.WireAnswer = {
  status: 503,
  body: { status: "fail", error: "The event store is unavailable; try again later", code: 503 },
}

describe("AccountObject", () => {
  it("admits as many reads as its env's limit and answers 429 to one more in flight", async () => {
    // The test env: TRENDLINE_SYNC_BUDGET_MS=0 (every read answers `partial`), 3 reads.
    const stub = env.ACCOUNTS.getByName("gate")
    const statuses = await runInDurableObject(stub, (object: AccountObject) =>
      // Started in the same turn: no job has run when the fourth arrives.
      Promise.all(
        Array.from({ length: 4 }, () => object.trends(initech.id, trendsBody("Charged"))),
      ).then((answers) => answers.map(({ status, body }) => [status, body.status])),
    )
    assert.deepStrictEqual(statuses, [
      [200, "partial"],
      [200, "partial"],
      [200, "partial"],
      [429, "fail"],
    ])
    // The three jobs have finished since: the gate admits reads again.
    const next = await stub.trends(initech.id, trendsBody("Charged"))
    assert.strictEqual(next.body.status, "partial")
  })

  it("answers 500 to a call for an account its configuration does not list, or another than it serves", async () => {
    const stub = env.ACCOUNTS.getByName("one-account")
    const unknown = await stub.trends("nobody", trendsBody("Charged"))
    assert.deepStrictEqual(unknown, {
      status: 500,
      body: { status: "fail", error: "Internal error; it has been logged", code: 500 },
    })
    assert.strictEqual((await stub.trends(initech.id, trendsBody("Charged"))).status, 200)
    const other = await stub.trends("acme", trendsBody("Charged"))
    assert.strictEqual(other.status, 500)
  })

  it("applies the options of its configuration: a larger sync budget answers at once, more groups", async () => {
    const account = Account.make("options")
    const host = hostIn(
      env.ACCOUNTS.getByName("options"),
      configOf([account], {
        ...AccountApi.defaultOptions,
        syncBudget: 5000,
        limits: Limits.make({ maxGroups: 10 }),
      }),
    )
    const events = generate(3, 50, ["Quick"])
    const uploaded = await host.upload(account.id, { d: events }, 1_750_000_000)
    assert.strictEqual(uploaded.body.processed, events.length)
    const body = {
      ...trendsBody("Quick"),
      groups: Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [`g${i}`, { trend_type: "daily" }]),
      ),
    }
    // Six daily groups: each the reference aggregator's daily series.
    const { days } = Uploads.expectedTrends(account, events, trendsBody("Quick"))
    assert.deepStrictEqual(await host.trends(account.id, body), {
      status: 200,
      body: {
        status: "success",
        ...Object.fromEntries(Object.keys(body.groups).map((g) => [g, days])),
      },
    })
    // The test env's default limits refuse the same request: 5 groups at most.
    const refused = await env.ACCOUNTS.getByName("default-options").trends(initech.id, body)
    assert.strictEqual(refused.status, 400)
    assert.include(refused.body.error as string, "groups")
  })

  it("answers 503 while its database cannot be opened, and opens it once it can", async () => {
    const stub = env.ACCOUNTS.getByName("newer")
    // A database written by a newer Trendline: the store refuses to touch it.
    await runInDurableObject(stub, (_object, state) => {
      state.storage.sql.exec(
        "CREATE TABLE trendline_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)",
      )
      state.storage.sql.exec("INSERT INTO trendline_migrations VALUES (999, 'from the future')")
    })
    assert.deepStrictEqual(await stub.trends(initech.id, trendsBody("Charged")), unavailable)
    assert.deepStrictEqual(await stub.upload(initech.id, { d: [] }, 1_750_000_000), unavailable)
    await runInDurableObject(stub, (_object, state) => {
      state.storage.sql.exec("DROP TABLE trendline_migrations")
    })
    const opened = await stub.trends(initech.id, trendsBody("Charged"))
    assert.strictEqual(opened.body.status, "partial")
  })
})

describe("AccountObject on ClickHouse", () => {
  it("uses the ClickHouse its configuration names, not its own tables: unreachable, it answers 503", async () => {
    const account = Account.make("clickhouse-bound")
    const stub = env.ACCOUNTS.getByName("clickhouse-bound")
    const host = hostIn(
      stub,
      configOf([account], AccountApi.defaultOptions, {
        url: "http://127.0.0.1:9",
        username: "default",
        password: "",
        database: "trendline",
      }),
    )
    const upload = await host.upload(
      account.id,
      { d: [{ type: "event", identity: "a", ts: 1_700_000_000, evtName: "Charged" }] },
      1_700_000_000,
    )
    assert.deepStrictEqual(upload, unavailable)
    const stored = await runInDurableObject(stub, (_object: AccountObject, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'event_names'").toArray(),
    )
    assert.deepStrictEqual(stored, [], "the object's own event tables were never created")
  })
})

describe("DurableBackend.storeOptions", () => {
  it("gives every object of the isolate one budget for decoded day sets", () => {
    const first = DurableBackend.storeOptions(Limits.defaults)
    const second = DurableBackend.storeOptions(Limits.make({ maxGroups: 10 }))
    assert.isDefined(first.cacheBudget)
    assert.strictEqual(first.cacheBudget, second.cacheBudget)
    assert.isUndefined(first.cacheBytes)
  })
})

describe("DurableBackend.make", () => {
  const settings = Account.make("acme")
  const failing = (error: Error): DurableBackend.AccountRpc => {
    const reject = () => Promise.reject(error)
    return {
      trends: reject,
      eventCount: reject,
      profileCount: reject,
      top: reject,
      poll: reject,
      upload: reject,
      uploadJson: reject,
    }
  }

  it("answers 503 when the object is overloaded or restarting, 500 otherwise, and logs both", async () => {
    const lines: Array<Record<string, unknown>> = []
    const busy = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true })
    const broken = new Error("a bug in the object")
    const answers = [
      await DurableBackend.make(
        () => failing(busy),
        (line) => lines.push(line),
      )(settings).trends({}),
      await DurableBackend.make(
        () => failing(broken),
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

  it("sends the object the account's id and the request, nothing else", async () => {
    const calls: Array<ReadonlyArray<unknown>> = []
    const record = (...args: ReadonlyArray<unknown>): Promise<WireAnswer.WireAnswer> => {
      calls.push(args)
      return Promise.resolve({ status: 200, body: {} })
    }
    const recording: DurableBackend.AccountRpc = {
      trends: record,
      eventCount: record,
      profileCount: record,
      top: record,
      poll: record,
      upload: record,
      uploadJson: record,
    }
    const backend = DurableBackend.make(() => recording)(settings)
    await backend.trends({ event_name: "A" })
    await backend.poll("events", "42")
    await backend.uploadJson('{"d":[]}', 7)
    assert.deepStrictEqual(calls, [
      ["acme", { event_name: "A" }],
      ["acme", "events", "42"],
      ["acme", '{"d":[]}', 7, undefined],
    ])
  })
})
