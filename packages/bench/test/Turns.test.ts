import { assert, describe, it } from "@effect/vitest"
import { timeColdInTurns, timeInTurns } from "../src/Turns.ts"

describe("Turns", () => {
  it("times warm calls after one warm-up each, the calls taking turns", async () => {
    const seen: Array<string> = []
    const call = (name: string) => async () => {
      seen.push(name)
    }
    const runs = await timeInTurns([call("a"), call("b")], 2)
    assert.deepStrictEqual(seen, ["a", "b", "a", "b", "a", "b"])
    assert.deepStrictEqual(
      runs.map((r) => r.length),
      [2, 2],
    )
  })

  it("reopens before every cold call and never warms up, the calls taking turns", async () => {
    const seen: Array<string> = []
    const cold = (name: string) => ({
      reopen: async () => {
        seen.push(`reopen ${name}`)
      },
      call: async () => {
        seen.push(name)
      },
    })
    const runs = await timeColdInTurns([cold("a"), cold("b")], 2)
    assert.deepStrictEqual(seen, [
      "reopen a",
      "a",
      "reopen b",
      "b",
      "reopen a",
      "a",
      "reopen b",
      "b",
    ])
    assert.deepStrictEqual(
      runs.map((r) => r.length),
      [2, 2],
    )
    for (const ms of runs.flat()) assert.isAtLeast(ms, 0)
  })
})
