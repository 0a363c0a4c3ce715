import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it.
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest tests (a command's retries against a closed port, a vitest run of suites
    // that fail on purpose) took 7-9 s beside a CPU-bound process on 2 cores.
    testTimeout: 60_000,
    // A server took 2.6 s to start beside two CPU-bound processes.
    hookTimeout: 60_000,
  },
})
