import { assert, describe, it } from "@effect/vitest"
import {
  identifier,
  integerLiteral,
  stringLiteral,
  wellFormed,
} from "@trendline/store-clickhouse/ClickHouseSql"
import * as fc from "fast-check"
import { select } from "./support/server.ts"

// What the server reads a literal as: `SELECT <literal>`, through the HTTP interface.
const readBack = async (literal: string): Promise<string> =>
  (await select<{ s: string }>(`SELECT ${literal} AS s`))[0]!.s

const awkward = [
  "",
  "plain",
  "it's",
  "''",
  "\\",
  "\\'",
  "ends with a backslash \\",
  "line\nbreak\r\ttab",
  "nul \0 inside",
  "\x01\x1f\x7f",
  "ünïcødé, 日本語, emoji 🎉👩‍👩‍👧",
  "\\x41 is not A",
  "\\0 is not NUL",
  "') OR 1 = 1 --",
  "`backquote`",
  "{name:String}",
]

describe("stringLiteral", () => {
  it("escapes backslashes and quotes, and writes control characters as \\xHH", () => {
    assert.strictEqual(stringLiteral("plain"), "'plain'")
    assert.strictEqual(stringLiteral("it's"), "'it\\'s'")
    assert.strictEqual(stringLiteral("a\\b"), "'a\\\\b'")
    assert.strictEqual(stringLiteral("\\'"), "'\\\\\\''")
    assert.strictEqual(stringLiteral("a\nb\0c\x7f"), "'a\\x0Ab\\x00c\\x7F'")
    assert.strictEqual(stringLiteral("日本🎉"), "'日本🎉'")
    assert.strictEqual(stringLiteral(""), "''")
  })

  it("replaces lone surrogates with U+FFFD, as UTF-8 must", () => {
    assert.strictEqual(stringLiteral("a\uD800b\uDC00"), "'a\uFFFDb\uFFFD'")
    assert.strictEqual(wellFormed("🎉\uD83C"), "🎉\uFFFD")
  })

  it("reads back as the same string on the server, for awkward strings", async () => {
    for (const value of awkward) assert.strictEqual(await readBack(stringLiteral(value)), value)
    assert.strictEqual(await readBack(stringLiteral("\uD800")), "\uFFFD")
  })

  it("reads back as the same string on the server, for any string", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.string({ unit: fc.constantFrom("'", "\\", "\0", "\n", "x", "`", "é"), maxLength: 20 }),
        ),
        async (value) => {
          assert.strictEqual(await readBack(stringLiteral(value)), value)
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe("identifier", () => {
  it("quotes a name so that the server reads it back unchanged", async () => {
    assert.strictEqual(identifier("my db"), "`my db`")
    assert.strictEqual(identifier("a`b\\c"), "`a\\`b\\\\c`")
    assert.throws(() => identifier(""), /empty/)
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", minLength: 1, maxLength: 20 }), async (name) => {
        const [row] = await select(`SELECT 1 AS ${identifier(name)}`)
        assert.deepStrictEqual(Object.keys(row!), [name])
      }),
      { numRuns: 50 },
    )
  })
})

describe("integerLiteral", () => {
  it("writes safe integers and refuses anything else", () => {
    assert.strictEqual(integerLiteral(-42), "-42")
    assert.strictEqual(integerLiteral(Number.MAX_SAFE_INTEGER), "9007199254740991")
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => integerLiteral(value), /not a safe integer/)
    }
  })
})
