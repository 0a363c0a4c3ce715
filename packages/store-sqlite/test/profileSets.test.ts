import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as ProfileSets from "../src/internal/profileSets.ts"

const values = fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 })
const setOf = (xs: ReadonlyArray<number>) => ProfileSets.sortedSet(Uint32Array.from(xs))

describe("profile sets", () => {
  it("sorts, deduplicates, merges and round-trips through a blob", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const expected = [...new Set([...a, ...b])].sort((x, y) => x - y)
        const merged = ProfileSets.merge(setOf(a), setOf(b))
        assert.deepStrictEqual([...merged], expected)
        assert.deepStrictEqual([...ProfileSets.fromBlob(ProfileSets.toBlob(merged))], expected)
      }),
    )
  })

  it("counts the distinct values of many sets, again and again with one counter", () => {
    const counter = new ProfileSets.UnionCounter()
    fc.assert(
      fc.property(fc.array(values, { maxLength: 8 }), (lists) => {
        const expected = new Set(lists.flat()).size
        assert.strictEqual(counter.count(lists.map(setOf)), expected)
      }),
    )
  })
})
