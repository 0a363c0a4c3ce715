import { assert, describe, it } from "@effect/vitest"
import { InvalidRequest } from "@trendline/core/ApiError"
import * as Limits from "@trendline/core/Limits"
import * as Upload from "@trendline/core/Upload"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"

// core's tsconfig has no DOM or Node types; TextEncoder exists at runtime in Node.
declare const TextEncoder: new () => { encode(input: string): Uint8Array }
const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length

const receivedAt = 1_700_000_000
const ts = 1_600_000_000

type Fields = Record<string, unknown>

const event = (overrides: Fields = {}): Fields => ({
  type: "event",
  identity: "alice",
  ts,
  evtName: "Product Viewed",
  evtData: { price: 9.5 },
  ...overrides,
})

const profile = (overrides: Fields = {}): Fields => ({
  type: "profile",
  identity: "alice",
  ts,
  profileData: { Name: "Alice" },
  ...overrides,
})

const without = (record: Fields, ...keys: ReadonlyArray<string>): Fields =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

const props = (count: number): Fields =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, i]))

const accepted = (
  record: unknown,
  limits: Limits.Limits = Limits.defaults,
  restricted?: ReadonlyArray<string>,
): Upload.EventRecord | Upload.ProfileRecord => {
  const outcome = Upload.validateRecord(record, 0, receivedAt, limits, restricted)
  if (Either.isLeft(outcome)) return assert.fail(`rejected: ${outcome.left.error}`)
  return outcome.right
}

const acceptedEvent = (record: unknown, limits?: Limits.Limits): Upload.EventRecord => {
  const result = accepted(record, limits)
  if (result.type !== "event") return assert.fail("expected an event")
  return result
}

const rejected = (
  record: unknown,
  limits: Limits.Limits = Limits.defaults,
  restricted?: ReadonlyArray<string>,
): Upload.Unprocessed => {
  const outcome = Upload.validateRecord(record, 0, receivedAt, limits, restricted)
  if (Either.isRight(outcome)) return assert.fail("expected the record to be rejected")
  return outcome.left
}

const assertRejected = (
  record: unknown,
  code: Upload.RecordCode,
  mentions: ReadonlyArray<string>,
  limits?: Limits.Limits,
  restricted?: ReadonlyArray<string>,
): void => {
  const unprocessed = rejected(record, limits, restricted)
  assert.strictEqual(unprocessed.code, code, unprocessed.error)
  for (const text of mentions) assert.include(unprocessed.error, text)
}

const bodyError = (input: unknown, limits?: Limits.Limits): InvalidRequest => {
  const outcome = Upload.decodeBody(input, limits)
  if (Either.isRight(outcome)) return assert.fail("expected the body to be rejected")
  assert.instanceOf(outcome.left, InvalidRequest)
  return outcome.left
}

describe("decodeBody", () => {
  it("accepts 1 and exactly maxUploadRecords records, leaving entries unjudged", () => {
    const one = Upload.decodeBody({ d: [42] })
    assert.deepStrictEqual(one, Either.right({ d: [42] }))
    const full = Array.from({ length: 1000 }, () => event())
    assert.deepStrictEqual(Upload.decodeBody({ d: full }), Either.right({ d: full }))
  })

  it("rejects an empty d, naming d and the limit", () => {
    const error = bodyError({ d: [] })
    assert.strictEqual(error.issues[0].path, "d")
    assert.include(error.issues[0].message, "at least 1")
    assert.include(error.issues[0].message, "1000")
  })

  it("rejects 1001 records, naming the count and the limit", () => {
    const error = bodyError({ d: Array.from({ length: 1001 }, () => event()) })
    assert.strictEqual(error.issues[0].path, "d")
    assert.include(error.issues[0].message, "1001")
    assert.include(error.issues[0].message, "at most 1000")
    assert.include(error.issues[0].message, "split")
  })

  it("follows a custom maxUploadRecords", () => {
    const limits = Limits.make({ maxUploadRecords: 3 })
    assert.isTrue(Either.isRight(Upload.decodeBody({ d: [1, 2, 3] }, limits)))
    assert.include(bodyError({ d: [1, 2, 3, 4] }, limits).message, "at most 3")
  })

  it("rejects a d that is missing or not an array", () => {
    for (const d of [{}, "records", 3, null]) {
      const error = bodyError({ d })
      assert.strictEqual(error.issues[0].path, "d")
      assert.include(error.issues[0].message, "array")
    }
    const missing = bodyError({ records: [event()] })
    assert.strictEqual(missing.issues[0].path, "d")
    assert.include(missing.issues[0].message, "required")
  })

  it("rejects a body that is not an object", () => {
    for (const body of [null, [event()], "d", 1, undefined]) {
      const error = bodyError(body)
      assert.strictEqual(error.issues[0].path, "")
      assert.include(error.message, `{"d": [record, ...]}`)
    }
  })
})

describe("validateRecord: type", () => {
  it("accepts event and profile", () => {
    assert.strictEqual(accepted(event()).type, "event")
    assert.strictEqual(accepted(profile()).type, "profile")
  })

  it("rejects any other type with 524", () => {
    assertRejected(without(event(), "type"), Upload.RecordCode.NotEventOrProfile, [
      "type",
      "missing",
    ])
    for (const type of ["Event", "evt", 1, null]) {
      assertRejected(event({ type }), Upload.RecordCode.NotEventOrProfile, ["type", `"event"`])
    }
  })

  it("rejects a record that is not a JSON object with 512", () => {
    for (const record of [42, "event", null, [event()]]) {
      assertRejected(record, Upload.RecordCode.InvalidStructure, ["record", "JSON object"])
    }
  })
})

describe("validateRecord: identity", () => {
  it("accepts each identity field alone", () => {
    const cases = [
      ["identity", "alice"],
      ["objectId", "__g1234abcd"],
      ["FBID", "100001"],
      ["GPID", "g-42"],
    ] as const
    for (const [kind, value] of cases) {
      const record = accepted({ ...without(event(), "identity"), [kind]: value })
      assert.deepStrictEqual(record.identity, { kind, value })
    }
  })

  it("turns a numeric identity into its decimal string", () => {
    assert.deepStrictEqual(accepted(event({ identity: 42 })).identity, {
      kind: "identity",
      value: "42",
    })
    assert.strictEqual(accepted(event({ identity: -7 })).identity.value, "-7")
  })

  it("rejects a numeric identity that is not a safe integer with 523", () => {
    assertRejected(event({ identity: 1.5 }), Upload.RecordCode.IdentityMissing, [
      "identity",
      "string",
    ])
    assertRejected(event({ identity: 2 ** 53 }), Upload.RecordCode.IdentityMissing, ["identity"])
  })

  it("rejects a record without identity with 523 naming every field", () => {
    assertRejected(without(event(), "identity"), Upload.RecordCode.IdentityMissing, [
      "identity, objectId, FBID, GPID",
    ])
    assertRejected(event({ identity: null }), Upload.RecordCode.IdentityMissing, ["exactly one"])
  })

  it("treats a null identity field as absent", () => {
    const record = accepted(event({ identity: null, objectId: "abc" }))
    assert.deepStrictEqual(record.identity, { kind: "objectId", value: "abc" })
  })

  it("rejects several identity fields with 523 naming them all", () => {
    assertRejected(event({ objectId: "abc" }), Upload.RecordCode.IdentityMissing, [
      "identity, objectId:",
      "keep exactly one",
    ])
    assertRejected(
      event({ objectId: "a", FBID: "b", GPID: "c" }),
      Upload.RecordCode.IdentityMissing,
      ["identity, objectId, FBID, GPID:", "4 identity fields"],
    )
  })

  it("rejects empty or non-string identity values with 523", () => {
    assertRejected(event({ identity: "" }), Upload.RecordCode.IdentityMissing, [
      "identity",
      "non-empty",
    ])
    assertRejected(event({ identity: "  " }), Upload.RecordCode.IdentityMissing, ["identity"])
    assertRejected(event({ identity: true }), Upload.RecordCode.IdentityMissing, ["identity"])
    const fbid = { ...without(event(), "identity"), FBID: 12 }
    assertRejected(fbid, Upload.RecordCode.IdentityMissing, ["FBID", "non-empty string"])
    const gpid = { ...without(event(), "identity"), GPID: "" }
    assertRejected(gpid, Upload.RecordCode.IdentityMissing, ["GPID"])
  })

  it("accepts an objectId of 256 characters and rejects 257 with 526", () => {
    const withObjectId = (objectId: unknown) => ({ ...without(event(), "identity"), objectId })
    assert.strictEqual(accepted(withObjectId("x".repeat(256))).identity.value.length, 256)
    assertRejected(withObjectId("x".repeat(257)), Upload.RecordCode.InvalidObjectId, [
      "objectId",
      "256",
    ])
  })

  it("rejects an empty, blank-containing or non-string objectId with 526", () => {
    const withObjectId = (objectId: unknown) => ({ ...without(event(), "identity"), objectId })
    for (const objectId of ["", "a b", "ab\n", "\t", 123, {}]) {
      assertRejected(withObjectId(objectId), Upload.RecordCode.InvalidObjectId, [
        "objectId",
        "without whitespace",
      ])
    }
  })
})

describe("identityKey", () => {
  it("gives kind:value", () => {
    assert.strictEqual(Upload.identityKey({ kind: "identity", value: "alice" }), "identity:alice")
  })

  it("keeps profiles of different kinds apart", () => {
    assert.notStrictEqual(
      Upload.identityKey({ kind: "identity", value: "42" }),
      Upload.identityKey({ kind: "objectId", value: "42" }),
    )
  })

  it("is injective", () => {
    const identity = fc.record({
      kind: fc.constantFrom(...Upload.identityKinds),
      value: fc.string({ maxLength: 4 }),
    })
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        const same = a.kind === b.kind && a.value === b.value
        assert.strictEqual(Upload.identityKey(a) === Upload.identityKey(b), same)
      }),
    )
  })
})

describe("validateRecord: ts", () => {
  it("gives a record without ts the time of receipt", () => {
    assert.strictEqual(accepted(without(event(), "ts")).ts, receivedAt)
    assert.strictEqual(accepted(profile({ ts: null })).ts, receivedAt)
  })

  it("drops the fraction of a fractional receivedAt", () => {
    const outcome = Upload.validateRecord(without(event(), "ts"), 0, receivedAt + 0.75)
    assert.deepStrictEqual(
      Either.map(outcome, (record) => record.ts),
      Either.right(receivedAt),
    )
  })

  it("throws on a receivedAt that is not epoch seconds, a bug of the caller", () => {
    for (const bad of [Number.NaN, -1, 1_795_684_607_849, Number.POSITIVE_INFINITY]) {
      assert.throws(() => Upload.validateRecord(event(), 0, bad), RangeError)
      assert.throws(() => Upload.validateBatch([event()], bad), RangeError)
    }
  })

  it("keeps a valid ts, from 0 up to 10^11", () => {
    assert.strictEqual(accepted(event({ ts: 0 })).ts, 0)
    assert.strictEqual(accepted(event({ ts })).ts, ts)
    assert.strictEqual(accepted(event({ ts: 100_000_000_000 })).ts, 100_000_000_000)
  })

  it("rejects a negative, fractional or non-number ts with 525", () => {
    for (const value of [-1, 1.5, "1600000000", true, {}]) {
      assertRejected(event({ ts: value }), Upload.RecordCode.InvalidTimestamp, ["ts", "seconds"])
    }
  })

  it("rejects milliseconds with 525, saying to send seconds", () => {
    assertRejected(event({ ts: 100_000_000_001 }), Upload.RecordCode.InvalidTimestamp, [
      "milliseconds",
    ])
    assertRejected(profile({ ts: 1_700_000_000_000 }), Upload.RecordCode.InvalidTimestamp, [
      "ts: 1700000000000 looks like milliseconds",
      "send UNIX epoch seconds",
    ])
  })
})

describe("validateRecord: event name", () => {
  it("keeps the name", () => {
    assert.strictEqual(acceptedEvent(event()).name, "Product Viewed")
  })

  it("rejects a missing, empty or blank evtName with 509", () => {
    for (const record of [
      without(event(), "evtName"),
      event({ evtName: null }),
      event({ evtName: "" }),
      event({ evtName: "   " }),
    ]) {
      assertRejected(record, Upload.RecordCode.EventNameMissing, ["evtName", "required"])
    }
  })

  it("rejects a non-string evtName with 512", () => {
    assertRejected(event({ evtName: 42 }), Upload.RecordCode.InvalidStructure, [
      "evtName",
      "string",
    ])
  })

  it("accepts maxEventNameLength characters and rejects one more with 512", () => {
    assert.strictEqual(acceptedEvent(event({ evtName: "e".repeat(120) })).name.length, 120)
    assertRejected(event({ evtName: "e".repeat(121) }), Upload.RecordCode.InvalidStructure, [
      "evtName",
      "121 characters",
      "at most 120",
    ])
  })

  it("counts characters, not UTF-16 units", () => {
    assert.strictEqual(acceptedEvent(event({ evtName: "😀".repeat(120) })).name, "😀".repeat(120))
    assertRejected(event({ evtName: "😀".repeat(121) }), Upload.RecordCode.InvalidStructure, [
      "at most 120",
    ])
  })

  it("follows a custom maxEventNameLength", () => {
    const limits = Limits.make({ maxEventNameLength: 5 })
    assert.strictEqual(acceptedEvent(event({ evtName: "abcde" }), limits).name, "abcde")
    assertRejected(
      event({ evtName: "abcdef" }),
      Upload.RecordCode.InvalidStructure,
      ["at most 5"],
      limits,
    )
  })

  it("rejects every default restricted system event with 513", () => {
    assert.isAbove(Upload.restrictedEventNames.length, 0)
    for (const evtName of Upload.restrictedEventNames) {
      assertRejected(event({ evtName }), Upload.RecordCode.RestrictedEvent, [
        "evtName",
        JSON.stringify(evtName),
        "restricted",
      ])
    }
  })

  it("matches restricted names exactly", () => {
    assert.strictEqual(acceptedEvent(event({ evtName: "app launched" })).name, "app launched")
  })

  it("takes the restricted list as a parameter", () => {
    const restricted = ["Internal Sync"]
    assertRejected(
      event({ evtName: "Internal Sync" }),
      Upload.RecordCode.RestrictedEvent,
      ["Internal Sync"],
      Limits.defaults,
      restricted,
    )
    assert.strictEqual(
      accepted(event({ evtName: "App Launched" }), Limits.defaults, restricted).type,
      "event",
    )
  })
})

describe("validateRecord: properties", () => {
  it("keeps flat string, number, boolean and null values", () => {
    const evtData = { s: "blue", n: -1.25, t: true, f: false, z: null }
    assert.deepStrictEqual(acceptedEvent(event({ evtData })).properties, evtData)
  })

  it("gives an event without evtData no properties", () => {
    assert.deepStrictEqual(acceptedEvent(without(event(), "evtData")).properties, {})
    assert.deepStrictEqual(acceptedEvent(event({ evtData: null })).properties, {})
  })

  it("rejects an evtData that is not an object with 512", () => {
    for (const evtData of [[], ["a"], "price=3", 3, true]) {
      assertRejected(event({ evtData }), Upload.RecordCode.InvalidStructure, [
        "evtData",
        "JSON object",
      ])
    }
  })

  it("accepts maxPropertiesPerEvent properties and rejects one more with 522", () => {
    assert.strictEqual(
      Object.keys(acceptedEvent(event({ evtData: props(100) })).properties).length,
      100,
    )
    assertRejected(event({ evtData: props(101) }), Upload.RecordCode.TooManyProperties, [
      "evtData",
      "101 properties",
      "at most 100",
    ])
  })

  it("follows a custom maxPropertiesPerEvent", () => {
    const limits = Limits.make({ maxPropertiesPerEvent: 2 })
    assert.strictEqual(
      Object.keys(acceptedEvent(event({ evtData: props(2) }), limits).properties).length,
      2,
    )
    assertRejected(
      event({ evtData: props(3) }),
      Upload.RecordCode.TooManyProperties,
      ["at most 2"],
      limits,
    )
  })

  it("accepts a value of maxPropertyValueBytes bytes and rejects one more with 512", () => {
    assert.strictEqual(
      acceptedEvent(event({ evtData: { note: "a".repeat(512) } })).properties.note,
      "a".repeat(512),
    )
    assertRejected(
      event({ evtData: { note: "a".repeat(513) } }),
      Upload.RecordCode.InvalidStructure,
      ["evtData.note", "513 UTF-8 bytes", "at most 512"],
    )
  })

  it("measures values in UTF-8 bytes, not characters", () => {
    assert.isTrue(accepted(event({ evtData: { note: "é".repeat(256) } })).type === "event")
    assertRejected(
      event({ evtData: { note: `${"é".repeat(256)}a` } }),
      Upload.RecordCode.InvalidStructure,
      ["513 UTF-8 bytes"],
    )
    const limits = Limits.make({ maxPropertyValueBytes: 4 })
    assert.strictEqual(acceptedEvent(event({ evtData: { e: "😀" } }), limits).properties.e, "😀")
    assertRejected(
      event({ evtData: { e: "€€" } }),
      Upload.RecordCode.InvalidStructure,
      ["6 UTF-8 bytes"],
      limits,
    )
    assertRejected(
      event({ evtData: { e: "\ud800\ud800" } }),
      Upload.RecordCode.InvalidStructure,
      ["6 UTF-8 bytes"],
      limits,
    )
  })

  it("accepts a string value exactly when its UTF-8 encoding fits the limit", () => {
    const value = fc.string({ unit: "binary", maxLength: 40 })
    const max = fc.integer({ min: 1, max: 80 })
    fc.assert(
      fc.property(value, max, (v, maxPropertyValueBytes) => {
        const limits = Limits.make({ maxPropertyValueBytes })
        const outcome = Upload.validateRecord(event({ evtData: { v } }), 0, receivedAt, limits)
        assert.strictEqual(Either.isRight(outcome), utf8Bytes(v) <= maxPropertyValueBytes)
      }),
    )
  })

  it("rejects nested objects and arrays with 512 naming the property", () => {
    assertRejected(event({ evtData: { cart: { total: 3 } } }), Upload.RecordCode.InvalidStructure, [
      "evtData.cart",
      "flat",
    ])
    assertRejected(event({ evtData: { tags: ["a", "b"] } }), Upload.RecordCode.InvalidStructure, [
      "evtData.tags",
      "an array",
    ])
  })

  it("rejects values JSON cannot carry with 512", () => {
    assertRejected(event({ evtData: { n: Number.NaN } }), Upload.RecordCode.InvalidStructure, [
      "evtData.n",
      "finite",
    ])
    assertRejected(event({ evtData: { n: Infinity } }), Upload.RecordCode.InvalidStructure, [
      "evtData.n",
    ])
    assertRejected(event({ evtData: { u: undefined } }), Upload.RecordCode.InvalidStructure, [
      "evtData.u",
    ])
    assertRejected(event({ evtData: { b: 1n } }), Upload.RecordCode.InvalidStructure, ["evtData.b"])
  })

  it("rejects an empty property name with 512", () => {
    assertRejected(event({ evtData: { "": 1 } }), Upload.RecordCode.InvalidStructure, [
      "evtData",
      "empty name",
    ])
  })

  it("keeps a __proto__ property as a plain property", () => {
    const record = JSON.parse(
      `{"type":"event","identity":"a","evtName":"E","evtData":{"__proto__":{"x":1},"ok":1}}`,
    )
    assertRejected(record, Upload.RecordCode.InvalidStructure, ["evtData.__proto__"])
    const flat = JSON.parse(
      `{"type":"event","identity":"a","evtName":"E","evtData":{"__proto__":"p"}}`,
    )
    const properties = acceptedEvent(flat).properties
    assert.isTrue(Object.hasOwn(properties, "__proto__"))
    assert.strictEqual(Object.getOwnPropertyDescriptor(properties, "__proto__")?.value, "p")
  })
})

describe("validateRecord: profiles", () => {
  it("keeps identity, ts and profileData", () => {
    const record = accepted(profile({ profileData: { Name: "Alice", Age: 30 } }))
    assert.deepStrictEqual(record, {
      type: "profile",
      index: 0,
      identity: { kind: "identity", value: "alice" },
      ts,
      properties: { Name: "Alice", Age: 30 },
    })
  })

  it("gives a profile without profileData no properties, and ignores event fields", () => {
    const record = accepted(
      without(profile({ evtName: "App Launched", evtData: [] }), "profileData"),
    )
    assert.deepStrictEqual(record.properties, {})
  })

  it("applies the object, count and size rules to profileData", () => {
    assertRejected(profile({ profileData: [] }), Upload.RecordCode.InvalidStructure, [
      "profileData",
      "JSON object",
    ])
    assertRejected(profile({ profileData: props(101) }), Upload.RecordCode.TooManyProperties, [
      "profileData",
      "at most 100",
    ])
    assert.strictEqual(
      Object.keys(accepted(profile({ profileData: props(100) })).properties).length,
      100,
    )
    assertRejected(
      profile({ profileData: { Bio: "b".repeat(513) } }),
      Upload.RecordCode.InvalidStructure,
      ["profileData.Bio", "at most 512"],
    )
    assertRejected(
      profile({ profileData: { Address: { city: "Pune" } } }),
      Upload.RecordCode.InvalidStructure,
      ["profileData.Address"],
    )
  })
})

describe("validateRecord: unexpected failures", () => {
  const exploding = {
    get type(): string {
      throw new Error("boom")
    },
  }

  it("reports a throw inside validation as 555 for that record only", () => {
    const unprocessed = rejected(exploding)
    assert.strictEqual(unprocessed.code, Upload.RecordCode.Miscellaneous)
    // What cannot be read cannot be echoed: the answer carries a marker instead.
    assert.strictEqual(unprocessed.record, "…")
    const result = Upload.validateBatch([event(), exploding, profile()], receivedAt)
    assert.deepStrictEqual(
      result.unprocessed.map(({ index, code }) => ({ index, code })),
      [{ index: 1, code: 555 }],
    )
    assert.strictEqual(result.events.length + result.profiles.length, 2)
  })

  it("never throws and judges every index exactly once", () => {
    fc.assert(
      fc.property(fc.array(fc.anything()), (records) => {
        const result = Upload.validateBatch(records, receivedAt)
        const indexes = [...result.events, ...result.profiles, ...result.unprocessed].map(
          ({ index }) => index,
        )
        assert.deepStrictEqual(
          indexes.sort((a, b) => a - b),
          records.map((_, i) => i),
        )
      }),
    )
  })
})

describe("validateBatch", () => {
  const records: ReadonlyArray<unknown> = [
    event({ evtName: "Charged" }),
    profile(),
    without(event(), "evtName"),
    event({ type: "other" }),
    event({ identity: "bob", evtName: "Searched" }),
    profile({ ts: 1_700_000_000_000 }),
    42,
  ]

  it("splits a mixed batch and keeps each record's index", () => {
    const result = Upload.validateBatch(records, receivedAt)
    assert.deepStrictEqual(
      result.events.map(({ index, name }) => [index, name]),
      [
        [0, "Charged"],
        [4, "Searched"],
      ],
    )
    assert.deepStrictEqual(
      result.profiles.map(({ index }) => index),
      [1],
    )
    assert.deepStrictEqual(
      result.unprocessed.map(({ index, code }) => [index, code]),
      [
        [2, Upload.RecordCode.EventNameMissing],
        [3, Upload.RecordCode.NotEventOrProfile],
        [5, Upload.RecordCode.InvalidTimestamp],
        [6, Upload.RecordCode.InvalidStructure],
      ],
    )
    for (const unprocessed of result.unprocessed) {
      assert.deepStrictEqual(unprocessed.record, records[unprocessed.index])
    }
  })

  it("passes limits and the restricted list to every record", () => {
    const limits = Limits.make({ maxEventNameLength: 7 })
    const result = Upload.validateBatch(records, receivedAt, limits, ["Charged"])
    assert.deepStrictEqual(
      result.unprocessed.slice(0, 2).map(({ index, code }) => [index, code]),
      [
        [0, Upload.RecordCode.RestrictedEvent],
        [2, Upload.RecordCode.EventNameMissing],
      ],
    )
    assert.deepStrictEqual(
      result.unprocessed.find(({ index }) => index === 4)?.code,
      Upload.RecordCode.InvalidStructure,
    )
  })

  it("judges a hole of a sparse array as a missing record", () => {
    const sparse: Array<unknown> = [event()]
    sparse[2] = event()
    const result = Upload.validateBatch(sparse, receivedAt)
    assert.deepStrictEqual(
      result.unprocessed.map(({ index, code }) => [index, code]),
      [[1, Upload.RecordCode.InvalidStructure]],
    )
  })
})

describe("UploadResponse", () => {
  it("counts accepted records and lists the rejected ones", () => {
    const result = Upload.validateBatch(
      [event(), profile(), without(event(), "evtName")],
      receivedAt,
    )
    const response = Upload.toResponse(result)
    assert.strictEqual(response.status, "success")
    assert.strictEqual(response.processed, 2)
    assert.deepStrictEqual(
      response.unprocessed.map(({ index, code }) => [index, code]),
      [[2, 509]],
    )
  })

  it("encodes the documented shape", () => {
    const record = without(event(), "evtName")
    const result = Upload.validateBatch([event(), record], receivedAt)
    const wire = JSON.parse(
      JSON.stringify(Schema.encodeSync(Upload.UploadResponse)(Upload.toResponse(result))),
    )
    assert.deepStrictEqual(wire, {
      status: "success",
      processed: 1,
      unprocessed: [
        {
          index: 1,
          record,
          code: 509,
          error: "evtName: is required for an event; set it to the event's name",
        },
      ],
    })
    assert.deepStrictEqual(
      Schema.decodeUnknownSync(Upload.UploadResponse)(wire),
      Upload.toResponse(result),
    )
  })

  it("rejects a response that is not a success", () => {
    const decode = Schema.decodeUnknownEither(Upload.UploadResponse)
    assert.isTrue(Either.isLeft(decode({ status: "fail", processed: 0, unprocessed: [] })))
    assert.isTrue(Either.isLeft(decode({ status: "success", processed: -1, unprocessed: [] })))
  })
})

describe("echo of rejected records", () => {
  const nested = (depth: number): unknown => {
    let value: unknown = "bottom"
    for (let i = 0; i < depth; i++) value = { a: value }
    return value
  }

  it("echoes an ordinary record as it was sent", () => {
    const record = { type: "event", identity: "", evtName: "Bought", evtData: { n: 1, ok: true } }
    assert.deepStrictEqual(rejected(record).record, record)
  })

  it("cuts nesting deeper than 8 levels, so a 5000-level record serializes", () => {
    const record = { type: "event", identity: "alice", evtName: "Bought", evtData: nested(5000) }
    const { record: echoed, code } = rejected(record)
    assert.strictEqual(code, Upload.RecordCode.InvalidStructure)
    const text = JSON.stringify(echoed)
    assert.isBelow(text.length, 200)
    assert.include(text, '"…"')
  })

  it("cuts long strings and large records", () => {
    const long = "x".repeat(5000)
    const echoed = Upload.echo({ type: "event", identity: "", evtName: long }) as Record<
      string,
      string
    >
    assert.strictEqual(echoed.evtName, `${"x".repeat(1024)}…`)
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`p${i}`, long]))
    assert.isBelow(JSON.stringify(Upload.echo(wide)).length, 70_000)
  })

  it("never throws and always serializes, whatever the record", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (value) => {
        JSON.stringify(Upload.echo(value))
      }),
    )
  })
})

describe("well-formed text", () => {
  it("replaces lone surrogates in names, identities and values with U+FFFD", () => {
    const accepted = Upload.validateRecord(
      {
        type: "event",
        identity: "al\udc00ice",
        evtName: "S\ud800",
        evtData: { "k\udbff": "v\ud800" },
      },
      0,
      receivedAt,
    )
    assert.isTrue(Either.isRight(accepted))
    const record = (accepted as Either.Right<never, Upload.EventRecord>).right
    assert.strictEqual(record.name, "S\ufffd")
    assert.strictEqual(record.identity.value, "al\ufffdice")
    assert.deepStrictEqual(record.properties, { "k\ufffd": "v\ufffd" })
  })

  it("makes two names that differ only in lone surrogates one name", () => {
    const name = (evtName: string) =>
      (
        Upload.validateRecord(
          { type: "event", identity: "a", evtName },
          0,
          receivedAt,
        ) as Either.Right<never, Upload.EventRecord>
      ).right.name
    assert.strictEqual(name("S\ud800"), name("S\udbff"))
  })
})

describe("limits on identities and property names", () => {
  it("rejects an identity longer than maxIdentityLength with 523, naming the limit", () => {
    const unprocessed = rejected({ type: "event", identity: "i".repeat(1025), evtName: "Bought" })
    assert.strictEqual(unprocessed.code, Upload.RecordCode.IdentityMissing)
    assert.include(unprocessed.error, "at most 1024")
    assert.isTrue(
      Either.isRight(
        Upload.validateRecord(
          { type: "event", identity: "i".repeat(1024), evtName: "Bought" },
          0,
          receivedAt,
        ),
      ),
    )
  })

  it("rejects a property name longer than maxPropertyNameLength with 512", () => {
    const unprocessed = rejected({
      type: "profile",
      identity: "alice",
      profileData: { ["n".repeat(257)]: 1 },
    })
    assert.strictEqual(unprocessed.code, Upload.RecordCode.InvalidStructure)
    assert.include(unprocessed.error, "at most 256")
  })
})
