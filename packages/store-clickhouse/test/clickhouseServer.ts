// Vitest global setup: a real ClickHouse server for the test run, handed to the tests as
// `inject("clickhouseUrl")`. With TRENDLINE_CLICKHOUSE_URL set, that server is used instead.
import type { TestProject } from "vitest/node"
import * as ClickHouseServer from "../src/testing/ClickHouseServer.ts"

declare module "vitest" {
  export interface ProvidedContext {
    clickhouseUrl: string
  }
}

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TRENDLINE_CLICKHOUSE_URL
  if (external !== undefined && external !== "") {
    project.provide("clickhouseUrl", external.replace(/\/+$/, ""))
    return undefined
  }
  const server = await ClickHouseServer.start()
  project.provide("clickhouseUrl", server.url)
  return server.stop
}
