import { assert, describe, it } from "@effect/vitest"
import type * as Aggregator from "@trendline/core/Aggregator"
import { pipelinedLoad } from "../src/Engine.ts"

const batchesOf = (sizes: ReadonlyArray<number>): Array<Array<Aggregator.Event>> => {
  let ts = 0
  return sizes.map((size) =>
    Array.from({ length: size }, () => ({
      name: "Viewed",
      profile: "identity:a",
      ts: ts++,
      properties: {},
    })),
  )
}

describe("pipelinedLoad", () => {
  it("cuts the batches into appends of the batch size, in order, at most inFlight under way", async () => {
    const calls: Array<ReadonlyArray<number>> = []
    const pending: Array<() => void> = []
    let running = 0
    let most = 0
    const append = (events: ReadonlyArray<Aggregator.Event>) => {
      calls.push(events.map((event) => event.ts))
      most = Math.max(most, ++running)
      return new Promise<void>((resolve) => {
        pending.push(() => {
          running--
          resolve()
        })
      })
    }
    let done = false
    const loading = pipelinedLoad(
      append,
      250,
      2,
    )(batchesOf([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100])).finally(() => {
      done = true
    })
    // Settles the oldest append only when the load makes no new one for a while (it waits
    // for a free place then): a load that started a third would show in `most`.
    let idle = 0
    let seen = 0
    while (!done) {
      idle = calls.length === seen ? idle + 1 : 0
      seen = calls.length
      if (idle > 50) pending.shift()?.()
      await Promise.resolve()
    }
    const loaded = await loading
    assert.strictEqual(loaded.events, 1100)
    assert.deepStrictEqual(
      calls.map((ts) => ts.length),
      [250, 250, 250, 250, 100],
    )
    assert.deepStrictEqual(
      calls.flat(),
      Array.from({ length: 1100 }, (_, i) => i),
    )
    assert.strictEqual(most, 2)
  })

  it("fails the load with the first append's failure, starting no append after it", async () => {
    let calls = 0
    const load = pipelinedLoad(
      async () => {
        if (++calls === 2) throw new Error("disk full")
      },
      100,
      1,
    )
    const outcome = await load(batchesOf([100, 100, 100, 100])).then(
      () => "loaded",
      (error: unknown) => String(error),
    )
    assert.strictEqual(outcome, "Error: disk full")
    assert.strictEqual(calls, 2)
  })
})
