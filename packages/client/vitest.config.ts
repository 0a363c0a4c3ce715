import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Fails the run if a process it started is still running after it.
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // Every test but the packaging one (its own timeout) took under 0.3 s beside a CPU-bound
    // process on 2 cores: a safety net. The end-to-end tests are in packages/e2e.
    testTimeout: 30_000,
  },
})
