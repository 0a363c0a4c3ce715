import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Region from "../src/Region.ts"

const urlOf = (options: Parameters<typeof Region.baseUrlOf>[0]): string =>
  Either.getOrThrowWith(Region.baseUrlOf(options), (error) => error)

const errorOf = (options: Parameters<typeof Region.baseUrlOf>[0]): Region.ConfigError =>
  Either.match(Region.baseUrlOf(options), {
    onLeft: (error) => error,
    onRight: (url) => assert.fail(`expected a ConfigError, got ${url}`),
  })

// The hosts of API-FACTS, written out rather than read from `Region.hosts`.
const documented = [
  ["eu1", "https://eu1.api.clevertap.com"],
  ["in1", "https://in1.api.clevertap.com"],
  ["sg1", "https://sg1.api.clevertap.com"],
  ["us1", "https://us1.api.clevertap.com"],
  ["aps3", "https://aps3.api.clevertap.com"],
  ["mec1", "https://mec1.api.clevertap.com"],
] as const

describe("Region.baseUrlOf", () => {
  for (const [region, url] of documented) {
    it(`calls ${url} for ${region}`, () => {
      assert.strictEqual(urlOf({ region }), url)
      assert.isTrue(Region.isRegion(region))
    })
  }

  it("knows exactly the documented regions", () => {
    assert.deepStrictEqual(
      Object.keys(Region.hosts).sort(),
      documented.map(([region]) => region).sort(),
    )
    for (const other of ["EU1", "eu2", "", "toString", "__proto__"]) {
      assert.isFalse(Region.isRegion(other), other)
    }
  })

  it("takes a custom baseUrl without its trailing slashes", () => {
    assert.strictEqual(urlOf({ baseUrl: "http://127.0.0.1:8787" }), "http://127.0.0.1:8787")
    assert.strictEqual(urlOf({ baseUrl: "http://127.0.0.1:8787/" }), "http://127.0.0.1:8787")
    assert.strictEqual(
      urlOf({ baseUrl: "https://trends.example.com/api//" }),
      "https://trends.example.com/api",
    )
  })

  it("refuses region and baseUrl together", () => {
    const error = errorOf({ region: "eu1", baseUrl: "http://127.0.0.1:8787" })
    assert.strictEqual(error._tag, "ConfigError")
    assert.strictEqual(error.message, "Give either region or baseUrl, not both")
  })

  it("refuses neither, naming every region and baseUrl", () => {
    const error = errorOf({})
    assert.match(error.message, /^No region or baseUrl/)
    for (const [region] of documented) assert.include(error.message, region)
    assert.include(error.message, "baseUrl")
  })

  it("refuses an unknown region, naming it and the known ones", () => {
    const error = errorOf({ region: "EU1" })
    assert.match(error.message, /^Unknown region "EU1": use one of eu1, in1, sg1, us1, aps3, mec1/)
    assert.include(error.message, "baseUrl")
  })

  it("refuses a baseUrl that is not an http(s) URL", () => {
    assert.match(
      errorOf({ baseUrl: "localhost:8787" }).message,
      /must be http or https, got localhost:/,
    )
    assert.match(errorOf({ baseUrl: "not a url" }).message, /is not a URL/)
    assert.match(errorOf({ baseUrl: "ftp://example.com" }).message, /must be http or https/)
  })

  it("makes ConfigError an Error whose message is its reason", () => {
    const error = errorOf({})
    assert.instanceOf(error, Error)
    assert.strictEqual(error.message, error.reason)
  })
})
