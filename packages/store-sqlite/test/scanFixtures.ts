// Events, profile records and engines shared by the tests of the event-log scan (filters
// and top counts: `Filters.test.ts`, `Top.test.ts`).
import type * as Aggregator from "@trendline/core/Aggregator"
import type * as EventStore from "@trendline/core/EventStore"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import { afterAll } from "vitest"
import * as Engine from "../src/internal/engine.ts"

/** A second of 2024 (UTC): month, day, hour, minute. */
export const at = (m: number, d: number, hour: number, minute = 0) =>
  Date.UTC(2024, m - 1, d, hour, minute) / 1000

/** A `Charged` event of `identity:<profile>`. */
export const charged = (
  profile: string,
  ts: number,
  properties: Aggregator.Event["properties"],
): Aggregator.Event => ({ name: "Charged", profile: `identity:${profile}`, ts, properties })

/** A profile record of `identity:<profile>`. */
export const record = (
  profile: string,
  ts: number,
  properties: EventStore.Profile["properties"],
): EventStore.Profile => ({ profile: `identity:${profile}`, ts, properties })

/** Engine options that slice nothing: every filter and top count reads the event log. */
export const logOnly: Engine.EngineOptions = { slices: { maxValues: 0, maxProperties: 0 } }

/** A maker of engines on fresh in-memory databases, closed after the file's tests. */
export const engines = (options: Engine.EngineOptions = {}) => {
  const connections: Array<NodeSqlite.Connection> = []
  afterAll(() => {
    for (const connection of connections) connection.close()
  })
  return () => {
    const connection = NodeSqlite.open({ filename: ":memory:" })
    connections.push(connection)
    Engine.migrate(connection.driver)
    return Engine.make(connection.driver, "single", options)
  }
}
