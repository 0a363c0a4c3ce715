// An archived answer is one row: a Durable Object refuses a string over 2 MB, so an answer
// over 1,000,000 bytes is not archived (its client asks again), on every driver alike.
import { assert, describe, it } from "@effect/vitest"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as SqliteAnswerArchive from "@trendline/store-sqlite/SqliteAnswerArchive"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"

describe("SQLite answer archive, with answers too large for a row", () => {
  it.effect("archives answers up to 1,000,000 bytes, and logs the larger ones it skips", () =>
    Effect.gen(function* () {
      const { driver, close } = NodeSqlite.open({ filename: ":memory:" })
      const archive = yield* SqliteAnswerArchive.make(driver)
      // An answer of `bytes` bytes once serialized, mostly of `char`.
      const answerOf = (bytes: number, char = "x") => {
        const room = bytes - JSON.stringify({ status: 200, body: { note: "" } }).length
        const charBytes = new TextEncoder().encode(char).byteLength
        const chars = Math.floor(room / charBytes)
        const note = char.repeat(chars) + "x".repeat(room - chars * charBytes)
        return { status: 200, body: { note } }
      }
      const logged: Array<string> = []
      const logger = Logger.make(({ message }) => logged.push(String(message)))
      const put = (reqId: number, answer: ReturnType<typeof answerOf>) =>
        archive
          .put(reqId, { endpoint: "trends", answer, expiresAt: 10_000 })
          .pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      yield* put(1, answerOf(1_000_000))
      yield* put(2, answerOf(1_000_001))
      // Counted in UTF-8: "é" is two bytes.
      yield* put(3, answerOf(1_000_000, "é"))
      yield* put(4, answerOf(1_000_002, "é"))
      assert.isTrue(Option.isSome(yield* archive.get(1, 0)))
      assert.isTrue(Option.isNone(yield* archive.get(2, 0)))
      assert.isTrue(Option.isSome(yield* archive.get(3, 0)))
      assert.isTrue(Option.isNone(yield* archive.get(4, 0)))
      assert.deepStrictEqual(logged, [
        "not archiving the answer of query 2: 1000001 bytes, more than 1000000",
        "not archiving the answer of query 4: 1000002 bytes, more than 1000000",
      ])
      close()
    }),
  )
})
