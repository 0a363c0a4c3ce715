import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it.
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest test (Upload's UTF-8 property, 100 runs) took 2.1 s beside a CPU-bound
    // process on 2 cores, 7.5 s when turbo ran every task at once; `pnpm test` runs two.
    testTimeout: 30_000,
    benchmark: { include: ["bench/**/*.bench.ts"] },
  },
})
