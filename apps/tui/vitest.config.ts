import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // A safety net, not a speed target: turbo runs every package's suite at once on 2 cores.
    testTimeout: 30_000,
    // The remote commands' tests start the Node server, whose store threads load their code too.
    hookTimeout: 60_000,
  },
})
