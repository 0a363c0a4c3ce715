import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts a ClickHouse server for the run (or uses TRENDLINE_CLICKHOUSE_URL); first, the
    // check that fails the run if a process it started is still running after it (the
    // teardowns run in reverse, so it comes after the server's).
    globalSetup: ["../../scripts/no-leftover-processes.mjs", "test/clickhouseServer.ts"],
    // The slowest test took 2.2 s beside a CPU-bound process on 2 cores; the property tests
    // on chdb took 14 s when turbo ran every task at once. `pnpm test` runs two.
    testTimeout: 30_000,
    // The layers are built in hooks: migrations on the server, and chdb (ClickHouse in this
    // process) loading a 500 MB library on a busy machine.
    hookTimeout: 60_000,
    // Each test file in a process of its own (vitest's default, said here on purpose): chdb,
    // embedded in CurrentClickHouse.test.ts, crashes a worker thread when it exits.
    pool: "forks",
  },
})
