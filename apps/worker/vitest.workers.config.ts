import { cloudflareTest } from "@cloudflare/vitest-plugin"
import { defineConfig } from "vitest/config"
import { accounts } from "./test-workers/accounts.ts"

const secret = JSON.stringify(accounts)
// Wrangler looks for the required secret in .dev.vars, .env and process.env, and warns when
// none has it; the binding below is what the worker gets.
process.env.TRENDLINE_ACCOUNTS = secret

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      // The test accounts, and a zero sync budget so every read answers `partial` and is polled.
      miniflare: {
        bindings: { TRENDLINE_ACCOUNTS: secret, TRENDLINE_SYNC_BUDGET_MS: "0" },
      },
    }),
  ],
  test: {
    include: ["test-workers/**/*.test.ts"],
    // A safety net: the slowest test (a rebuild while serving) took 4.7 s beside a CPU-bound
    // process and a second task on 2 cores.
    testTimeout: 30_000,
    // The worker logs a line per request: shown for failed tests only.
    silent: "passed-only",
  },
})
