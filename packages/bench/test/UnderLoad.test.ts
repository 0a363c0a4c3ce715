import { assert, describe, it } from "@effect/vitest"
import * as UnderLoad from "../src/UnderLoad.ts"
import * as UnderLoadReport from "../src/UnderLoadReport.ts"

// A smoke run of the section at a tiny size and with tight bounds: what it measured is
// checked for shape and counts, never for time.
describe("UnderLoad", () => {
  it("probes B and /health with and without A's load, and rates uploads and queries", async () => {
    const result = await UnderLoad.run({
      events: 3000,
      probeRequests: 5,
      probeInterval: 1,
      phaseSeconds: 20,
      uploadsPerAccount: 2,
      queryRequests: 30,
    })
    assert.strictEqual(result.aEvents, 3000)
    assert.strictEqual(result.bEvents, 3000)
    assert.deepStrictEqual(
      result.phases.map((phase) => [
        phase.name,
        phase.query.latency.count,
        phase.health.latency.count,
        phase.background?.kind,
        phase.background?.clients,
      ]),
      [
        ["no load", 5, 5, undefined, undefined],
        ["A: 40 concurrent uploads of 1000 records", 5, 5, "uploads", 40],
        ["A: 3 concurrent heavy queries", 5, 5, "queries", 3],
      ],
    )
    const [, uploads, queries] = result.phases
    // Every client of A had an answer before the probes started.
    assert.isAtLeast(uploads!.background!.ok + uploads!.background!.refused, 40)
    assert.strictEqual(uploads!.background!.records, uploads!.background!.ok * 1000)
    assert.isAtLeast(queries!.background!.ok + queries!.background!.refused, 3)
    assert.deepStrictEqual(
      result.uploads.map((rate) => [
        rate.accounts,
        rate.clientsPerAccount,
        rate.requests,
        rate.unit,
      ]),
      [
        [1, 4, 2, "events/s"],
        [2, 4, 4, "events/s"],
        [4, 4, 8, "events/s"],
      ],
    )
    assert.deepStrictEqual(
      [result.queries.accounts, result.queries.clientsPerAccount, result.queries.requests],
      [3, 2, 30],
    )
    assert.include(UnderLoadReport.markdown(result), "| while ")
  }, 120_000)
})
