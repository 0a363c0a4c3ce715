/**
 * Property-name suggestions end to end, at 80x24: on the local store with a fixture
 * uploaded here, Where suggests the names of the event's properties, Profile the account's
 * profile fields, top values' Property either as Source says, each list what core's
 * `EventStore.propertyNamesOf` finds in the fixture; taking one completes the condition and
 * the query runs. Suggestions follow the event typed, and an answer about an event left
 * behind never shows.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"
import type * as Account from "@trendline/core/Account"
import * as EventStore from "@trendline/core/EventStore"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import * as Backend from "../src/Backend.ts"
import * as QueryForm from "../src/form/QueryForm.ts"
import { appHarness, expectFits, keys, small, testBackend, type Ui } from "./AppHarness.tsx"

const { startWithEvent } = appHarness()

const account: Account.Settings = { id: "local", timeZone: "UTC", weekStart: "monday" }
const folder = mkdtempSync(join(tmpdir(), "trendline-names-"))
const db = join(folder, "names.db")
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------
// The fixture: purchases and visits in the form's default range, two profiles

const day = (d: number) => Date.UTC(2026, 10, d, 12) / 1000
const event = (name: string, identity: string, d: number, properties: Record<string, unknown>) => ({
  type: "event",
  identity,
  ts: day(d),
  evtName: name,
  evtData: properties,
})
const purchases = [
  ...[2, 3, 4, 5, 6].map((d) => ["ana", d, d % 2 === 0 ? 42 : 38] as const),
  ...[7, 8, 9].map((d) => ["ben", d, 42] as const),
].map(([identity, d, size]) =>
  event("Purchased", identity, d, {
    Amount: 10 * d,
    "Shoe size": size,
    Store: "north",
    ...(d % 3 === 0 ? { Coupon: "FALL" } : {}),
  }),
)
const visits = [2, 3].map((d) =>
  event("Visited", "ben", d, { Page: "/home", Referrer: "search", "Session length": 5 }),
)
const profiles = [
  { identity: "ana", fields: { Plan: "pro", "Signup source": "ad", Country: "IN" } },
  { identity: "ben", fields: { Plan: "free", Segment: "b2b" } },
].map(({ identity, fields }) => ({ type: "profile", identity, ts: day(1), profileData: fields }))
const fixture = [...profiles, ...purchases, ...visits]

/** The names a store should answer about `eventName`, from the fixture (core's reference). */
const namesOf = (eventName: string): EventStore.PropertyNames =>
  EventStore.propertyNamesOf(
    [...purchases, ...visits].map((record) => ({
      name: record.evtName,
      profile: record.identity,
      ts: record.ts,
      properties: record.evtData,
    })),
    profiles.map((record) => ({
      profile: record.identity,
      ts: record.ts,
      properties: record.profileData,
    })),
    eventName,
  )

beforeAll(async () => {
  const answers = await Effect.runPromise(
    Effect.provide(
      Effect.gen(function* () {
        const backend = yield* Backend.Backend
        const result = yield* backend.upload(fixture)
        expect(result.processed).toBe(fixture.length)
        return [yield* backend.propertyNames("Purchased"), yield* backend.propertyNames("Visited")]
      }),
      Backend.layerLocal({ filename: db, account, seedDemo: false }),
    ),
  )
  // The store lists what the fixture has.
  expect(answers).toEqual([namesOf("Purchased"), namesOf("Visited")])
  expect(namesOf("Purchased").event).toContain("Shoe size")
})

/** The local backend on the fixture's database, keeping every request it runs in `sent`. */
const localBackend = (sent: Array<unknown>): Layer.Layer<Backend.Backend> =>
  Layer.effect(
    Backend.Backend,
    Effect.map(Backend.Backend, (backend) => ({
      ...backend,
      trends: (request: unknown, onProgress?: Parameters<Backend.Service["trends"]>[1]) =>
        Effect.andThen(
          Effect.sync(() => sent.push(request)),
          backend.trends(request, onProgress),
        ),
      top: (request: unknown, onProgress?: Parameters<Backend.Service["top"]>[1]) =>
        Effect.andThen(
          Effect.sync(() => sent.push(request)),
          backend.top(request, onProgress),
        ),
    })),
  ).pipe(Layer.provide(Backend.layerLocal({ filename: db, account, seedDemo: false })), Layer.orDie)

const ready = { backend: "local ", suggestion: "Purchased" }

// ---------------------------------------------------------------------------------------
// Reading the list off the screen

/** The suggestions listed under a field: each name, and whether it is highlighted. */
const listed = (frame: string) =>
  frame.split("\n").flatMap((line) => {
    const match = /^ {12}(?:(›) | {2})(\S.*?) *$/.exec(line)
    return match === null || match[2]!.startsWith("… ")
      ? []
      : [{ name: match[2]!, highlighted: match[1] !== undefined }]
  })

/** The list on screen is the start of `expected`, the first highlighted, and says how many more. */
const expectListed = (frame: string, expected: ReadonlyArray<string>) => {
  const shown = listed(frame)
  expect(shown.length).toBeGreaterThan(0)
  expect(shown.map((line) => line.name)).toEqual(expected.slice(0, shown.length))
  expect(shown[0]!.highlighted).toBe(true)
  const more = Number(/^ {14}… (\d+) more$/m.exec(frame)?.[1] ?? 0)
  expect(shown.length + more).toBe(expected.length)
  expectFits(frame)
}

/** Waits for the list of what typing `typed` in a condition or property field should suggest. */
const seeSuggested = async (ui: Ui, typed: string, names: ReadonlyArray<string>) => {
  const expected = QueryForm.suggestionsFor(typed, names)
  expect(expected.length).toBeGreaterThan(0)
  await ui.see(`› ${expected[0]}`)
  expectListed(ui.frame(), expected)
  return expected
}

describe("Where at 80x24", () => {
  it("suggests the event's property names as typed, completes one quoted, and the query runs", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(localBackend(sent), "Purchased", small, ready)
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Where")
    // Inside matches too, more than fit: the list says how many more.
    ui.press("o")
    await seeSuggested(ui, "o", namesOf("Purchased").event)
    ui.press(keys.ctrlU, "s")
    const suggested = await seeSuggested(ui, "s", namesOf("Purchased").event)
    expect(suggested).toEqual(["Shoe size", "Store"])
    expect(ui.frame()).toContain("Tab/→ complete · ↑↓ choose · Enter take it")
    ui.press(keys.down)
    await ui.see("› Store")
    ui.press(keys.up)
    await ui.see("› Shoe size")
    ui.press(keys.tab)
    // The name quoted, a space after it: the operators are suggested, with their values.
    await ui.see(/^ {12}› equals +text or number$/m)
    expect(ui.frame()).toMatch(/^› Where {5}"Shoe size" equals$/m) // "equals" dim, Tab takes it
    ui.press("eq")
    await ui.see(/^ {14}not_equals +text or number$/m)
    ui.press(keys.tab)
    await ui.see('Where     "Shoe size" equals')
    await vi.waitFor(() => expect(listed(ui.frame())).toEqual([]))
    ui.press("42")
    await ui.see('Where     "Shoe size" equals 42')
    expect(ui.frame()).toContain("Enter run")
    ui.press(keys.enter)
    await ui.see("total ")
    expect(sent).toEqual([
      expect.objectContaining({
        event_name: "Purchased",
        event_properties: [{ name: "Shoe size", operator: "equals", value: 42 }],
      }),
    ])
    const count = purchases.filter((record) => record.evtData["Shoe size"] === 42).length
    expect(ui.frame()).toContain(`total ${count} ·`)
  })
})

describe("Profile at 80x24", () => {
  it("suggests the account's profile fields, and a field taken runs as a condition", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(localBackend(sent), "Purchased", small, ready)
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Profile")
    ui.press("s")
    const suggested = await seeSuggested(ui, "s", namesOf("Purchased").profile)
    expect(suggested).toEqual(["Segment", "Signup source"])
    ui.press(keys.down, keys.enter)
    await ui.see('Profile   "Signup source" ')
    ui.press("equals ad")
    await ui.see('Profile   "Signup source" equals ad')
    ui.press(keys.enter)
    await ui.see("total ")
    expect(sent).toEqual([
      expect.objectContaining({
        common_profile_properties: [{ name: "Signup source", operator: "equals", value: "ad" }],
      }),
    ])
    const count = purchases.filter((record) => record.identity === "ana").length
    expect(ui.frame()).toContain(`total ${count} ·`)
  })
})

describe("top values' Property at 80x24", () => {
  it("suggests event property names or profile field names as Source says", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(localBackend(sent), "Purchased", small, ready)
    ui.press(keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Measure")
    ui.press(keys.right, keys.right, keys.right)
    await ui.see("‹ top values of a property ›")
    ui.press(keys.down)
    // Empty, like the event field: every name of the event's properties.
    await ui.see(`› ${namesOf("Purchased").event[0]}`)
    expectListed(ui.frame(), namesOf("Purchased").event)
    ui.press("s")
    await seeSuggested(ui, "s", namesOf("Purchased").event)
    // Esc hides the list (alone: Esc then ↓ at once would read as Alt+↓).
    ui.press(keys.escape)
    await vi.waitFor(() => expect(listed(ui.frame())).toEqual([]))
    ui.press(keys.down)
    await ui.see("› Source")
    ui.press(keys.right)
    await ui.see("‹ profile field ›")
    ui.press(keys.up)
    await ui.see("› Property")
    const fields = await seeSuggested(ui, "s", namesOf("Purchased").profile)
    ui.press(keys.enter)
    await ui.see(`Property  ${fields[0]}`)
    ui.press(keys.enter)
    await ui.see("EVENTS")
    expect(sent).toEqual([
      expect.objectContaining({
        groups: { [fields[0]!]: { property_type: "profile_fields", name: fields[0], top_n: 10 } },
      }),
    ])
  })
})

describe("suggestions that follow the event", () => {
  it("show the new event's names once the event changes, never the old one's", async () => {
    const ui = await startWithEvent(localBackend([]), "Purchased", small, ready)
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Where")
    ui.press("s")
    await seeSuggested(ui, "s", namesOf("Purchased").event)
    ui.press(keys.up, keys.up, keys.up, keys.up, keys.up)
    await ui.see("› Event")
    const changed = ui.app.frames.length
    ui.press(keys.ctrlU, "Visited")
    await ui.see("Event     Visited")
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Where")
    const suggested = await seeSuggested(ui, "s", namesOf("Visited").event)
    expect(suggested).toEqual(["Session length"])
    const since = ui.app.frames.slice(changed).map(stripVTControlCharacters)
    expect(since.filter((frame) => /Shoe size|Store/.test(frame))).toEqual([])
  })

  const names: Record<string, EventStore.PropertyNames> = {
    Charged: { event: ["Card", "Coupon"], profile: ["Country"] },
    "Signed Up": { event: ["Campaign", "Channel"], profile: ["Country"] },
  }

  it("hide the event before's names while the new event's are on their way", async () => {
    const answer = Effect.runSync(Deferred.make<void>())
    const backend = testBackend(undefined, undefined, (eventName) =>
      eventName === "Signed Up"
        ? Effect.as(Deferred.await(answer), names[eventName]!)
        : Effect.succeed(names[eventName] ?? Backend.noPropertyNames),
    )
    const ui = await startWithEvent(backend, "Charged", small)
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down, "c")
    await ui.see("› Card")
    ui.press(keys.up, keys.up, keys.up, keys.up, keys.up)
    await ui.see("› Event")
    const changed = ui.app.frames.length
    ui.press(keys.ctrlU, "Signed Up")
    await ui.see("Event     Signed Up")
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see(/^› Where {5}c$/m)
    expect(listed(ui.frame())).toEqual([])
    await Effect.runPromise(Deferred.succeed(answer, undefined))
    await ui.see("› Campaign")
    expectListed(ui.frame(), ["Campaign", "Channel"])
    const since = ui.app.frames.slice(changed).map(stripVTControlCharacters)
    expect(since.filter((frame) => /Card|Coupon/.test(frame))).toEqual([])
  })

  it("drop an answer about an event left behind, however late it comes", async () => {
    const late = Effect.runSync(Deferred.make<void>())
    let interrupted = false
    const backend = testBackend(undefined, undefined, (eventName) =>
      eventName === "Charged" && !Effect.runSync(Deferred.isDone(late))
        ? Deferred.await(late).pipe(
            Effect.as(names.Charged!),
            Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
          )
        : Effect.succeed(names[eventName] ?? Backend.noPropertyNames),
    )
    const ui = await startWithEvent(backend, "Charged", small)
    // Charged's answer is still on its way when the event changes.
    const changed = ui.app.frames.length
    ui.press(keys.ctrlU, "Signed Up")
    await ui.see("Event     Signed Up")
    await vi.waitFor(() => expect(interrupted).toBe(true))
    await Effect.runPromise(Deferred.succeed(late, undefined))
    ui.press(keys.down, keys.down, keys.down, keys.down, keys.down, "c")
    await ui.see("› Campaign")
    expectListed(ui.frame(), ["Campaign", "Channel"])
    const since = ui.app.frames.slice(changed).map(stripVTControlCharacters)
    expect(since.filter((frame) => /Card|Coupon/.test(frame))).toEqual([])
    // Back to Charged: its names, asked again.
    ui.press(keys.up, keys.up, keys.up, keys.up, keys.up)
    await ui.see("› Event")
    ui.press(keys.ctrlU, "Charged", keys.down, keys.down, keys.down, keys.down, keys.down)
    await ui.see("› Where")
    await ui.see("› Card")
    expectListed(ui.frame(), ["Card", "Coupon"])
  })
})
