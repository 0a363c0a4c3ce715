import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // DuckDB loads a native module and the smoke run generates data: give it room.
    testTimeout: 60_000,
    // The end-to-end tests start the Node server, whose store threads load their code too.
    hookTimeout: 60_000,
    // Each test file in a process of its own (vitest's default, said here on purpose): chdb,
    // embedded by the harness test, crashes a worker thread when it exits.
    pool: "forks",
  },
})
