import { cloudflareTest } from "@cloudflare/vitest-plugin"
import { defineConfig } from "vitest/config"

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./test-workers/wrangler.jsonc" } })],
  // The timeout is a safety net for a loaded machine, not a speed target.
  test: { include: ["test-workers/**/*.test.ts"], testTimeout: 30_000 },
})
