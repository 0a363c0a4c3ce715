import { assert, describe, it } from "@effect/vitest"
import * as Latency from "../src/Latency.ts"

describe("Latency", () => {
  it("takes percentiles by nearest rank", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.strictEqual(Latency.percentile(hundred, 50), 50)
    assert.strictEqual(Latency.percentile(hundred, 99), 99)
    assert.strictEqual(Latency.percentile(hundred, 100), 100)
    assert.strictEqual(Latency.percentile(hundred, 0), 1)
    assert.strictEqual(Latency.percentile([1, 2, 3, 4], 50), 2)
    // 99% of 250 is 247.5: the 248th smallest is the first that 99% do not exceed.
    const many = Array.from({ length: 250 }, (_, i) => i + 1)
    assert.strictEqual(Latency.percentile(many, 99), 248)
    assert.strictEqual(Latency.percentile([7], 99), 7)
    assert.isNaN(Latency.percentile([], 50))
  })

  it("sums up latencies in any order", () => {
    assert.deepStrictEqual(Latency.summarize([30, 10, 20, 1000, 40]), {
      count: 5,
      p50: 30,
      p99: 1000,
      max: 1000,
    })
    const none = Latency.summarize([])
    assert.strictEqual(none.count, 0)
    assert.isNaN(none.p99)
  })
})
