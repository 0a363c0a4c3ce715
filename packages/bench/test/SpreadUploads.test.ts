import { assert, describe, it } from "@effect/vitest"
import type * as Aggregator from "@trendline/core/Aggregator"
import * as Dataset from "../src/Dataset.ts"
import { type Engine, timedLoad } from "../src/Engine.ts"
import type * as Harness from "../src/Harness.ts"
import * as SpreadUploads from "../src/SpreadUploads.ts"

// Engines that keep what they are given, and say what happened to them, in order.
const stubs = (failLoadOf?: string) => {
  const steps: Array<string> = []
  const received = new Map<string, Array<ReadonlyArray<Aggregator.Event>>>()
  const spec = (name: string): Harness.EngineSpec => ({
    name,
    make: async (): Promise<Engine> => {
      steps.push(`make ${name}`)
      const batches: Array<ReadonlyArray<Aggregator.Event>> = []
      received.set(name, batches)
      return {
        name,
        version: `${name} 1.0`,
        loadPath: "POST /1/upload, 1000 records a call",
        load: (input) =>
          timedLoad(input, (batch) => {
            if (name === failLoadOf) throw new Error(`${name} refused a batch`)
            batches.push(batch)
          }),
        run: async () => ({}),
        close: async () => {
          steps.push(`close ${name}`)
        },
      }
    },
  })
  return { steps, received, engines: [spec("http"), spec("workers")] }
}

describe("SpreadUploads", () => {
  it("loads the same spread data into a fresh engine of each, in turn, closing each after", async () => {
    const { steps, received, engines } = stubs()
    const lines: Array<string> = []
    const result = await SpreadUploads.run({
      events: 3500,
      years: 17,
      engines,
      log: (line) => lines.push(line),
    })
    assert.deepStrictEqual(steps, ["make http", "close http", "make workers", "close workers"])
    const dataset = Dataset.make({ events: 3500 })
    const expected = [...Dataset.spreadBatches(dataset, 17)]
    assert.deepStrictEqual(received.get("http"), expected)
    assert.deepStrictEqual(received.get("workers"), expected)
    assert.strictEqual(result.years, 17)
    assert.deepStrictEqual(result.dataset, dataset)
    assert.strictEqual(result.spreadSeed, Dataset.spreadSeed(dataset))
    assert.deepStrictEqual(
      result.loads.map((load) => [load.engine, load.version, load.events]),
      [
        ["http", "http 1.0", 3500],
        ["workers", "workers 1.0", 3500],
      ],
    )
    for (const load of result.loads) assert.isTrue(load.millis >= 0)
    assert.isTrue(
      lines.some((line) => line.startsWith("[spread 3,500 over 17 years] workers loaded in")),
    )
  })

  it("takes the data set's seed", async () => {
    const { received, engines } = stubs()
    const result = await SpreadUploads.run({ events: 1200, years: 3, seed: 7, engines })
    const dataset = Dataset.make({ events: 1200, seed: 7 })
    assert.deepStrictEqual(result.dataset, dataset)
    assert.deepStrictEqual(received.get("workers"), [...Dataset.spreadBatches(dataset, 3)])
  })

  it("closes the engine whose load fails, and starts no other", async () => {
    const { steps, engines } = stubs("http")
    let failure: unknown
    await SpreadUploads.run({ events: 2000, years: 17, engines }).catch((error: unknown) => {
      failure = error
    })
    assert.match(String(failure), /http refused a batch/)
    assert.deepStrictEqual(steps, ["make http", "close http"])
  })

  it("refuses years out of range before starting any engine", async () => {
    const { steps, engines } = stubs()
    let failure: unknown
    await SpreadUploads.run({ events: 2000, years: 0, engines }).catch((error: unknown) => {
      failure = error
    })
    assert.match(String(failure), /spread years/)
    assert.deepStrictEqual(steps, [])
  })
})
