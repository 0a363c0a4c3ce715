import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it (the writer-lock
    // tests start processes that hold a database).
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest test (a time-zone rebuild on the pool) took 10.5 s beside a CPU-bound
    // process on 2 cores, and 24.5 s when turbo ran every task at once; `pnpm test` runs two
    // tasks, so about twice the first: 60 s leaves room for both.
    testTimeout: 60_000,
    // A pool of store threads loads its code on the same cores.
    hookTimeout: 60_000,
  },
})
