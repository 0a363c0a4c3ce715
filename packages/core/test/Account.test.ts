import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

describe("Account", () => {
  const decode = Schema.decodeUnknownEither(Account.Settings)

  it("defaults to UTC and ISO weeks", () => {
    assert.deepStrictEqual(
      decode({ id: "acme" }),
      Either.right({ id: "acme", timeZone: "UTC", weekStart: "monday" }),
    )
    assert.deepStrictEqual(Account.make("acme", { weekStart: "sunday" }), {
      id: "acme",
      timeZone: "UTC",
      weekStart: "sunday",
    })
  })

  it("rejects unknown time zones with a message that shows valid ones", () => {
    const result = decode({ id: "acme", timeZone: "Europe/Atlantis" })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result))
      assert.include(result.left.message, 'unknown time zone "Europe/Atlantis"')
  })

  it("rejects an empty id and an unknown week start", () => {
    assert.isTrue(Either.isLeft(decode({ id: "" })))
    assert.isTrue(Either.isLeft(decode({ id: "acme", weekStart: "saturday" })))
  })
})
