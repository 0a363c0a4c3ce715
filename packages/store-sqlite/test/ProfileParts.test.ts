// A profile's properties past a megabyte of UTF-8 are stored in parts (a Durable Object
// refuses a string over 2 MB): cut without breaking a character, read back whole.
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteEventStore from "@trendline/store-sqlite/SqliteEventStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fc from "fast-check"
import { profilePartUnits, profileTextParts } from "../src/internal/accounts.ts"

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength

describe("profileTextParts", () => {
  it("keeps a short text whole", () => {
    assert.deepStrictEqual(profileTextParts("{}"), ["{}"])
    assert.deepStrictEqual(profileTextParts("x".repeat(profilePartUnits)).length, 1)
  })

  it("cuts a long text into well-formed parts of at most 1,000,000 bytes that join back", () => {
    // A surrogate pair straddles the first cut: it moves to the next part whole.
    const straddling = `${"x".repeat(profilePartUnits - 1)}😀${"é".repeat(profilePartUnits)}`
    const parts = profileTextParts(straddling)
    assert.strictEqual(parts.join(""), straddling)
    assert.strictEqual(parts[0]!.length, profilePartUnits - 1)
    for (const part of parts) {
      assert.isTrue(part.isWellFormed())
      assert.isAtMost(utf8Bytes(part), 1_000_000)
    }
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "é", "€", "😀"), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 400_000 }),
        (alphabet, repeat) => {
          // Up to 1.2 million units, ending on a whole character.
          const long = alphabet.join("").repeat(repeat).slice(0, 1_200_000)
          const text = long.isWellFormed() ? long : long.slice(0, -1)
          const cut = profileTextParts(text)
          return (
            cut.join("") === text &&
            cut.every((part) => part.isWellFormed() && utf8Bytes(part) <= 1_000_000)
          )
        },
      ),
      { numRuns: 30 },
    )
  })
})

describe("a profile stored in parts", () => {
  it.effect("reads back exactly as the reference merges it, growing and shrinking", () =>
    Effect.gen(function* () {
      const connection = NodeSqlite.open({ filename: ":memory:" })
      const store = yield* SqliteEventStore.make(connection.driver)
      const reference = yield* EventStore.makeMemory()
      const account = Account.make("acme")
      const records = Array.from({ length: 30 }, (_, r) => ({
        profile: "identity:big",
        ts: r % 2 === 0 ? 1000 + r : 1000 - r,
        properties: Object.fromEntries(
          Array.from({ length: 100 }, (_, i) => [`p${r % 20}.${i}`, "€".repeat(500) + r]),
        ),
      }))
      for (const batch of [records.slice(0, 10), records.slice(10, 25), records.slice(25)]) {
        yield* store.append(account, { events: [], profiles: batch })
        yield* reference.append(account, { events: [], profiles: batch })
        assert.deepStrictEqual(
          yield* store.profile(account, "identity:big"),
          yield* reference.profile(account, "identity:big"),
        )
      }
      const parts = connection.driver.all("SELECT parts FROM profiles")[0]!.parts
      assert.isAtLeast(Number(parts), 3)
      // Other profiles of the same batch keep their own, short rows.
      const small = { profile: "identity:small", ts: 5, properties: { Plan: "pro" } }
      yield* store.append(account, { events: [], profiles: [small] })
      assert.deepStrictEqual(yield* store.profile(account, "identity:small"), Option.some(small))
      connection.close()
    }),
  )
})
