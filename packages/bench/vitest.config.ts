import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it.
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest test with no timeout of its own (the under-load smoke run) took 10.5 s
    // beside a CPU-bound process and a second task on 2 cores. The harness smoke run has its
    // own (104-125 s there).
    testTimeout: 60_000,
    // The end-to-end tests start the Node server, whose store threads load their code too.
    hookTimeout: 60_000,
    // Each test file in a process of its own (vitest's default, said here on purpose): chdb,
    // embedded by the harness test, crashes a worker thread when it exits.
    pool: "forks",
  },
})
