import { cloudflareTest } from "@cloudflare/vitest-plugin"
import { defineConfig } from "vitest/config"

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./test-workers/wrangler.jsonc" } })],
  // A safety net: the slowest test took 1.9 s when turbo ran every task at once on 2 cores.
  test: { include: ["test-workers/**/*.test.ts"], testTimeout: 30_000 },
})
