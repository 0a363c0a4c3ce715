import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it.
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest tests (graceful stops, kill -9 with retries) took 7 s beside a CPU-bound
    // process on 2 cores, with or without a second task, and 24 s when turbo ran every task
    // at once: 60 s leaves room for a machine busier than either.
    testTimeout: 60_000,
    // A server took 2.6 s to start beside two CPU-bound processes (its store's threads load
    // their code too); a hook starts one or two, ClickHouse's start has a 20 s deadline.
    hookTimeout: 60_000,
  },
})
