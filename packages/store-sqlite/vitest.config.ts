import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A safety net, not a speed target: turbo runs every package's suite at once on 2 cores.
    testTimeout: 30_000,
    // Starting a pool of store threads shares those cores too.
    hookTimeout: 60_000,
  },
})
