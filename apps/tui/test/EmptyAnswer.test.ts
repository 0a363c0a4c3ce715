import * as Results from "@trendline/client/Results"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import * as EmptyAnswer from "../src/view/EmptyAnswer.ts"

const request = {
  event_name: "Chargd",
  from: 20261120,
  to: 20261126,
  groups: { days: { trend_type: "daily" }, weeks: { trend_type: "weekly" } },
}

const answerOf = (days: Record<string, number>, weeks: Record<string, number>) => {
  const decoded = Effect.runSync(TrendsRequest.decode(request))
  const groups = { days, weeks }
  return {
    body: TrendsResponse.toWire(groups),
    groups: Results.decode(decoded, groups),
  } satisfies TrendsClient.TrendsAnswer
}

const names = ["App Opened", "Charged", "Signed Up"]

describe("EmptyAnswer.isEmpty", () => {
  it("holds when every bucket of every group is 0, left out ones included", () => {
    expect(EmptyAnswer.isEmpty(answerOf({}, {}))).toBe(true)
    expect(EmptyAnswer.isEmpty(answerOf({ "20261121": 0 }, {}))).toBe(true)
    expect(EmptyAnswer.isEmpty(answerOf({}, { "202647": 3 }))).toBe(false)
    expect(EmptyAnswer.isEmpty(answerOf({ "20261126": -2 }, {}))).toBe(false)
  })
})

describe("EmptyAnswer.closestName", () => {
  it("finds a name typed in another case or with a typo or two", () => {
    expect(EmptyAnswer.closestName("charged", names)).toBe("Charged")
    expect(EmptyAnswer.closestName("Chargd", names)).toBe("Charged")
    expect(EmptyAnswer.closestName("Signed-up", names)).toBe("Signed Up")
  })

  it("finds nothing for a name unlike any", () => {
    expect(EmptyAnswer.closestName("Refund", names)).toBeUndefined()
    expect(EmptyAnswer.closestName("X", names)).toBeUndefined()
    expect(EmptyAnswer.closestName("Charged", [])).toBeUndefined()
  })
})

describe("EmptyAnswer.hint", () => {
  const range = "(2026-11-20 → 2026-11-26)"

  it("names the unknown event and suggests the known one it looks like", () => {
    expect(EmptyAnswer.hint(request, names)).toEqual([
      `No "Chargd" events in this range ${range}.`,
      'The data has no event named "Chargd": did you mean "Charged"?',
    ])
    expect(EmptyAnswer.hint({ ...request, event_name: "Refund" }, names)[1]).toBe(
      'The data has no event named "Refund": check the name.',
    )
  })

  it("says a known event has data at other dates", () => {
    expect(EmptyAnswer.hint({ ...request, event_name: "Charged" }, names)).toEqual([
      `No "Charged" events in this range ${range}.`,
      'There are "Charged" events at other dates: try a wider range.',
    ])
  })

  it("points at the property for a sum", () => {
    expect(
      EmptyAnswer.hint({ ...request, event_name: "Charged", sum_event_prop: "Amount" }, names),
    ).toEqual([
      `No "Charged" events with a nonzero Amount in this range ${range}.`,
      "Check the property name, or try a wider range.",
    ])
  })

  it("says what to check when the backend knows no names (remote)", () => {
    expect(EmptyAnswer.hint(request, [])).toEqual([
      `No "Chargd" events in this range ${range}.`,
      "Check the event name, or try a wider range.",
    ])
  })
})
