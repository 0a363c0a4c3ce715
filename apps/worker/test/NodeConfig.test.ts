import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as NodeConfig from "../src/NodeConfig.ts"

const passcode = () => "generated-passcode"
const accounts = JSON.stringify([
  { id: "acme", passcode: "acme-passcode", timezone: "Europe/London", weekStart: "sunday" },
])

const problems = (env: Record<string, string>): string => {
  const result = NodeConfig.fromEnv(env, passcode)
  assert.isTrue(Either.isLeft(result), "expected the configuration to be refused")
  return Either.isLeft(result) ? result.left : ""
}

describe("NodeConfig", () => {
  it("uses the documented defaults", () => {
    const config = Either.getOrThrow(NodeConfig.fromEnv({ TRENDLINE_ACCOUNTS: accounts }, passcode))
    assert.strictEqual(config.port, 8787)
    assert.strictEqual(config.host, "127.0.0.1")
    assert.strictEqual(config.database, "./data/trendline.db")
    assert.strictEqual(config.api.syncBudget, 5000)
    assert.strictEqual(config.api.maxConcurrentQueries, 3)
    assert.strictEqual(config.api.maxConcurrentUploads, 15)
    assert.strictEqual(config.api.maxPendingQueries, 100)
    assert.isUndefined(config.slowReadsMs)
    assert.deepStrictEqual(config.accounts.get("acme")?.settings, {
      id: "acme",
      timeZone: "Europe/London",
      weekStart: "sunday",
    })
    assert.isUndefined(config.demo)
  })

  it("reads every variable", () => {
    const config = Either.getOrThrow(
      NodeConfig.fromEnv(
        {
          PORT: "9000",
          HOST: "0.0.0.0",
          TRENDLINE_DB: "/var/lib/trendline.db",
          TRENDLINE_ACCOUNTS: accounts,
          TRENDLINE_SYNC_BUDGET_MS: "0",
          TRENDLINE_MAX_QUERIES: "5",
          TRENDLINE_MAX_UPLOADS: "20",
          TRENDLINE_MAX_PENDING_QUERIES: "7",
          TRENDLINE_TEST_SLOW_READS: '{"acme": 1500}',
        },
        passcode,
      ),
    )
    assert.deepInclude(config, { port: 9000, host: "0.0.0.0", database: "/var/lib/trendline.db" })
    assert.deepInclude(config.api, {
      syncBudget: 0,
      maxConcurrentQueries: 5,
      maxConcurrentUploads: 20,
      maxPendingQueries: 7,
    })
    assert.deepStrictEqual(config.slowReadsMs, { acme: 1500 })
  })

  it("starts a demo account on loopback only when no accounts are configured", () => {
    const config = Either.getOrThrow(NodeConfig.fromEnv({}, passcode))
    assert.deepStrictEqual(config.demo, { id: "demo", passcode: "generated-passcode" })
    assert.strictEqual(config.accounts.get("demo")?.passcode, "generated-passcode")
    assert.include(
      problems({ HOST: "0.0.0.0" }),
      "HOST=0.0.0.0 listens beyond this machine but TRENDLINE_ACCOUNTS is not set",
    )
    assert.isTrue(
      NodeConfig.isLoopback("127.0.0.2") &&
        NodeConfig.isLoopback("::1") &&
        !NodeConfig.isLoopback("10.0.0.1"),
    )
  })

  it("reports every problem at once, naming the variable and the fix", () => {
    const message = problems({
      PORT: "eighty",
      TRENDLINE_SYNC_BUDGET_MS: "-1",
      TRENDLINE_ACCOUNTS: JSON.stringify([
        { id: "acme", passcode: "short", timezone: "Mars/Base" },
        { id: "acme", passcode: "long-enough", weekStart: "friday" },
      ]),
    })
    assert.include(message, 'PORT="eighty": must be a whole number from 0 to 65535')
    assert.include(
      problems({ TRENDLINE_ACCOUNTS: accounts, TRENDLINE_TEST_SLOW_READS: '{"acme": "slow"}' }),
      'TRENDLINE_TEST_SLOW_READS="{\\"acme\\": \\"slow\\"}": must be a JSON object of account ids to milliseconds',
    )
    assert.include(
      problems({ TRENDLINE_ACCOUNTS: accounts, TRENDLINE_TEST_SLOW_READS: "[1" }),
      "TRENDLINE_TEST_SLOW_READS=",
    )
    assert.include(
      message,
      'TRENDLINE_SYNC_BUDGET_MS="-1": must be a whole number from 0 to 600000',
    )
    assert.include(message, "TRENDLINE_ACCOUNTS[0].passcode: must have at least 8 characters")
    assert.include(message, 'TRENDLINE_ACCOUNTS[0].timezone: unknown time zone "Mars/Base"')
    assert.include(message, "TRENDLINE_ACCOUNTS[1].weekStart")
    assert.include(problems({ TRENDLINE_ACCOUNTS: "[{" }), "TRENDLINE_ACCOUNTS is not valid JSON")
    assert.include(problems({ TRENDLINE_ACCOUNTS: "[]" }), "TRENDLINE_ACCOUNTS: lists no account")
  })

  it("selects ClickHouse when TRENDLINE_CLICKHOUSE_URL is set, and checks it", () => {
    const embedded = Either.getOrThrow(
      NodeConfig.fromEnv({ TRENDLINE_ACCOUNTS: accounts }, passcode),
    )
    assert.isUndefined(embedded.clickhouse)
    const clickhouse = Either.getOrThrow(
      NodeConfig.fromEnv(
        {
          TRENDLINE_ACCOUNTS: accounts,
          TRENDLINE_CLICKHOUSE_URL: "http://127.0.0.1:8123",
          TRENDLINE_CLICKHOUSE_PASSWORD: "pw",
        },
        passcode,
      ),
    )
    assert.deepStrictEqual(clickhouse.clickhouse, {
      url: "http://127.0.0.1:8123",
      username: "default",
      password: "pw",
      database: "trendline",
    })
    const message = problems({
      TRENDLINE_ACCOUNTS: accounts,
      TRENDLINE_CLICKHOUSE_URL: "clickhouse:9000",
      TRENDLINE_CLICKHOUSE_DATABASE: "events; DROP",
    })
    assert.include(
      message,
      'TRENDLINE_CLICKHOUSE_URL="clickhouse:9000": must be ClickHouse\'s HTTP interface',
    )
    assert.include(message, 'TRENDLINE_CLICKHOUSE_DATABASE="events; DROP": must be a plain name')
  })

  it("refuses an account id listed twice", () => {
    const twice = JSON.stringify([
      { id: "acme", passcode: "acme-passcode" },
      { id: "acme", passcode: "other-passcode" },
    ])
    assert.include(
      problems({ TRENDLINE_ACCOUNTS: twice }),
      'TRENDLINE_ACCOUNTS[1].id: "acme" appears twice',
    )
  })
})
