import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // DuckDB loads a native module and the smoke run generates data: give it room.
    testTimeout: 60_000,
  },
})
