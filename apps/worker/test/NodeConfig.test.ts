import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
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
    assert.strictEqual(Duration.toMillis(config.api.idempotencyRetention ?? 0), 24 * 3_600_000)
    assert.strictEqual(config.maxBodyBytes, 10 * 1024 * 1024)
    assert.strictEqual(config.maxBodyBytesInFlight, 64 * 1024 * 1024)
    assert.strictEqual(config.shutdownGraceMs, 10_000)
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
          TRENDLINE_MAX_BODY_BYTES: "2048",
          TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT: "4096",
          TRENDLINE_SHUTDOWN_GRACE_MS: "250",
          TRENDLINE_IDEMPOTENCY_RETENTION_HOURS: "48",
          TRENDLINE_VALUE_SLICES: "OFF",
        },
        passcode,
      ),
    )
    assert.deepInclude(config, { port: 9000, host: "0.0.0.0", database: "/var/lib/trendline.db" })
    assert.isFalse(config.valueSlices)
    assert.deepInclude(config.api, {
      syncBudget: 0,
      maxConcurrentQueries: 5,
      maxConcurrentUploads: 20,
      maxPendingQueries: 7,
    })
    assert.strictEqual(Duration.toMillis(config.api.idempotencyRetention ?? 0), 48 * 3_600_000)
    assert.deepStrictEqual(config.slowReadsMs, { acme: 1500 })
    assert.deepInclude(config, {
      maxBodyBytes: 2048,
      maxBodyBytesInFlight: 4096,
      shutdownGraceMs: 250,
    })
  })

  it("slices values unless TRENDLINE_VALUE_SLICES is off, and names a bad value", () => {
    const on = (env: Record<string, string>) =>
      Either.getOrThrow(NodeConfig.fromEnv({ TRENDLINE_ACCOUNTS: accounts, ...env }, passcode))
        .valueSlices
    assert.isTrue(on({}))
    assert.isTrue(on({ TRENDLINE_VALUE_SLICES: " on " }))
    assert.isFalse(on({ TRENDLINE_VALUE_SLICES: "off" }))
    assert.include(
      problems({ TRENDLINE_ACCOUNTS: accounts, TRENDLINE_VALUE_SLICES: "no" }),
      'TRENDLINE_VALUE_SLICES="no": must be on or off (default on)',
    )
  })

  it("takes whole numbers in plain decimal digits only, naming the variable", () => {
    for (const value of ["1e3", "0x10", "1.0", "+5", "5ms", "1 000", "Infinity"]) {
      assert.include(
        problems({ TRENDLINE_ACCOUNTS: accounts, TRENDLINE_SYNC_BUDGET_MS: value }),
        `TRENDLINE_SYNC_BUDGET_MS=${JSON.stringify(value)}: must be a whole number from 0 to 600000, in plain digits`,
      )
    }
    const message = problems({
      TRENDLINE_ACCOUNTS: accounts,
      PORT: "8e3",
      TRENDLINE_MAX_QUERIES: "3.0",
      TRENDLINE_MAX_UPLOADS: "-0",
      TRENDLINE_MAX_PENDING_QUERIES: "1_000",
      TRENDLINE_MAX_BODY_BYTES: "10MiB",
      TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT: "6.4e7",
      TRENDLINE_SHUTDOWN_GRACE_MS: "10s",
      TRENDLINE_IDEMPOTENCY_RETENTION_HOURS: "1d",
    })
    for (const name of [
      "PORT",
      "TRENDLINE_MAX_QUERIES",
      "TRENDLINE_MAX_UPLOADS",
      "TRENDLINE_MAX_PENDING_QUERIES",
      "TRENDLINE_MAX_BODY_BYTES",
      "TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT",
      "TRENDLINE_SHUTDOWN_GRACE_MS",
      "TRENDLINE_IDEMPOTENCY_RETENTION_HOURS",
    ]) {
      assert.match(message, new RegExp(`^${name}=".*": must be a whole number`, "m"))
    }
    // Digits with spaces around them are still digits.
    const config = Either.getOrThrow(
      NodeConfig.fromEnv(
        { TRENDLINE_ACCOUNTS: accounts, TRENDLINE_SYNC_BUDGET_MS: " 1000 " },
        passcode,
      ),
    )
    assert.strictEqual(config.api.syncBudget, 1000)
  })

  it("sizes the bodies held at once from the largest body, and refuses less than one", () => {
    const large = Either.getOrThrow(
      NodeConfig.fromEnv(
        { TRENDLINE_ACCOUNTS: accounts, TRENDLINE_MAX_BODY_BYTES: String(50 * 1024 * 1024) },
        passcode,
      ),
    )
    assert.strictEqual(large.maxBodyBytesInFlight, 100 * 1024 * 1024)
    assert.include(
      problems({
        TRENDLINE_ACCOUNTS: accounts,
        TRENDLINE_MAX_BODY_BYTES: "8192",
        TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT: "4096",
      }),
      "TRENDLINE_MAX_BODY_BYTES_IN_FLIGHT=4096 is below TRENDLINE_MAX_BODY_BYTES=8192",
    )
  })

  it("refuses account ids and passcodes with spaces around them, naming the account and the fix", () => {
    const message = problems({
      TRENDLINE_ACCOUNTS: JSON.stringify([
        { id: " acme", passcode: "acme-passcode" },
        { id: "globex", passcode: "globex-passcode\t" },
        { id: "initech ", passcode: " initech-passcode" },
      ]),
    })
    assert.include(
      message,
      'TRENDLINE_ACCOUNTS[0].id: " acme" has spaces around it, which a client\'s header cannot carry: write "acme"',
    )
    assert.include(
      message,
      'TRENDLINE_ACCOUNTS[1].passcode: the passcode of account "globex" has spaces around it, which a client\'s header cannot carry: remove them',
    )
    assert.include(message, 'TRENDLINE_ACCOUNTS[2].id: "initech " has spaces around it')
    assert.include(message, 'TRENDLINE_ACCOUNTS[2].passcode: the passcode of account "initech "')
    assert.notInclude(message, "passcode\t", "the message does not show passcodes")
    assert.notInclude(message, "initech-passcode")
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
    const clustered = Either.getOrThrow(
      NodeConfig.fromEnv(
        {
          TRENDLINE_ACCOUNTS: accounts,
          TRENDLINE_CLICKHOUSE_URL: "http://127.0.0.1:8123",
          TRENDLINE_CLICKHOUSE_CLUSTER: "events-eu",
        },
        passcode,
      ),
    )
    assert.strictEqual(clustered.clickhouse?.cluster, "events-eu")
    const message = problems({
      TRENDLINE_ACCOUNTS: accounts,
      TRENDLINE_CLICKHOUSE_URL: "clickhouse:9000",
      TRENDLINE_CLICKHOUSE_DATABASE: "events; DROP",
      TRENDLINE_CLICKHOUSE_CLUSTER: "two shards",
    })
    assert.include(
      message,
      'TRENDLINE_CLICKHOUSE_URL="clickhouse:9000": must be ClickHouse\'s HTTP interface',
    )
    assert.include(message, 'TRENDLINE_CLICKHOUSE_DATABASE="events; DROP": must be a plain name')
    assert.include(
      message,
      'TRENDLINE_CLICKHOUSE_CLUSTER="two shards": must be the name of a cluster',
    )
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
