import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts a ClickHouse server for the run (or uses TRENDLINE_CLICKHOUSE_URL).
    globalSetup: ["test/clickhouseServer.ts"],
    // A safety net, not a speed target: turbo runs every package's suite at once on 2 cores.
    testTimeout: 30_000,
    // Each test file in a process of its own (vitest's default, said here on purpose): chdb,
    // embedded in CurrentClickHouse.test.ts, crashes a worker thread when it exits.
    pool: "forks",
  },
})
