import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Fails the run if a process it started is still running after it (the tmux test).
    globalSetup: ["../../scripts/no-leftover-processes.mjs"],
    // The slowest test but the tmux one (its own timeout) took 1 s beside a CPU-bound
    // process on 2 cores, 2.7 s when turbo ran every task at once: a safety net.
    testTimeout: 30_000,
    // Hooks fill demo databases and start tmux's server.
    hookTimeout: 30_000,
  },
})
