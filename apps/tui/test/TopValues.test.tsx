/**
 * The top values view end to end on the local store, at 80x24: the form asks for a
 * property's top values, the store answers (the demo data set, or a fixture uploaded here),
 * and the ranked table shows what core's reference ranking (`TopCounts.reference`) or our
 * own count of the fixture says; then going back to the form, and the export.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type * as Account from "@trendline/core/Account"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Backend from "../src/Backend.ts"
import * as DemoData from "../src/DemoData.ts"
import * as Format from "../src/view/Format.ts"
import * as TopView from "../src/view/TopView.ts"
import { appHarness, askTop, expectFits, keys, small, topRows } from "./AppHarness.tsx"

const { dir: exportDir, startWithEvent } = appHarness()

const account: Account.Settings = { id: "local", timeZone: "UTC", weekStart: "monday" }
const folder = mkdtempSync(join(tmpdir(), "trendline-top-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/**
 * The local backend on `filename` (after uploading `records`), keeping every top values
 * request it is sent in `sent`.
 */
const localBackend = (
  filename: string,
  sent: Array<unknown>,
  records: ReadonlyArray<unknown> = [],
): Layer.Layer<Backend.Backend> =>
  Layer.effect(
    Backend.Backend,
    Effect.gen(function* () {
      const backend = yield* Backend.Backend
      if (records.length > 0) yield* backend.upload(records)
      return {
        ...backend,
        top: (request: unknown, onProgress?: Parameters<Backend.Service["top"]>[1]) =>
          Effect.andThen(
            Effect.sync(() => sent.push(request)),
            backend.top(request, onProgress),
          ),
      }
    }),
  ).pipe(Layer.provide(Backend.layerLocal({ filename, account, seedDemo: false })), Layer.orDie)

/** The rows a ranking should show: its values as the screen says them (cut to fit, maybe). */
const expectRanked = (frame: string, ranking: ReadonlyArray<TopCounts.Entry>) => {
  const rows = topRows(frame)
  expect(rows).toHaveLength(ranking.length)
  ranking.forEach((entry, index) => {
    const [rank, value, count] = rows[index]!
    expect(rank).toBe(String(index + 1))
    expect(count).toBe(Format.number(entry.count))
    const full = TopView.displayValue(entry.value)
    if (value.endsWith("…")) expect(full.startsWith(value.slice(0, -1))).toBe(true)
    else expect(value).toBe(full)
  })
}

// ---------------------------------------------------------------------------------------
// The demo data set, checked against core's reference ranking

const demoDay = new Date(Date.UTC(2026, 10, 26)) // the harness's today
const demoRecords = DemoData.records(demoDay)
const demoDb = join(folder, "demo.db")

beforeAll(async () => {
  const result = await Effect.runPromise(
    Effect.provide(
      Effect.flatMap(Backend.Backend, (backend) => backend.upload(demoRecords)),
      Backend.layerLocal({ filename: demoDb, account, seedDemo: false }),
    ),
  )
  expect(result.processed).toBe(demoRecords.length)
})

/** Core's reference answer to `body` over the demo records, profiles by identity. */
const demoReference = (body: unknown): TopCounts.TopResult => {
  const request = Effect.runSync(TopCounts.decode(body))
  const events = demoRecords
    .filter((record) => record.type === "event")
    .map((record) => ({
      name: String(record.evtName),
      profile: String(record.identity),
      ts: Number(record.ts),
      properties: record.evtData as Record<string, unknown>,
    }))
  const fields = new Map(
    demoRecords
      .filter((record) => record.type === "profile")
      .map((record) => [String(record.identity), record.profileData as Record<string, unknown>]),
  )
  return TopCounts.reference(TopCounts.plan(request, account), events, (profile) =>
    fields.get(profile),
  )
}

const demoReady = { backend: "local ", suggestion: "App Opened" }

describe("top values of the demo data at 80x24", () => {
  it("rank an event property's values as core's reference does, a bar each", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(localBackend(demoDb, sent), "Charged", small, demoReady)
    await askTop(ui, "Category")
    ui.press(keys.enter)
    await ui.see("EVENTS")
    const frame = ui.frame()
    expect(sent).toEqual([
      {
        event_name: "Charged",
        from: 20261028,
        to: 20261126,
        groups: { Category: { property_type: "event_properties", name: "Category", top_n: 10 } },
      },
    ])
    const ranking = demoReference(sent[0]).Category!
    expect(ranking.length).toBeGreaterThan(1)
    expectRanked(frame, ranking)
    expect(frame).toContain(
      '"Charged" · 10 most frequent values of Category · 2026-10-28 → 2026-11-26',
    )
    expect(frame).toContain(`${ranking.length} values, all there are · event property`)
    // The most frequent value's bar is the longest.
    const bars = frame.split("\n").flatMap((line) => /▇+/.exec(line)?.[0].length ?? [])
    expect(bars).toHaveLength(ranking.length)
    expect(Math.max(...bars)).toBe(bars[0])
    expectFits(frame)
  })

  it("rank a profile field's values least frequent first, with the filters", async () => {
    const sent: Array<unknown> = []
    const ui = await startWithEvent(localBackend(demoDb, sent), "Charged", small, demoReady)
    await askTop(ui, "Country", { profile: true, topN: "3", asc: true })
    ui.press(keys.down) // Where
    await ui.see("› Where")
    ui.press("Category equals books")
    await ui.see("Where     Category equals books")
    ui.press(keys.enter)
    await ui.see("EVENTS")
    const frame = ui.frame()
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      event_properties: [{ name: "Category", operator: "equals", value: "books" }],
      groups: {
        Country: { property_type: "profile_fields", name: "Country", top_n: 3, order: "asc" },
      },
    })
    const ranking = demoReference(sent[0]).Country!
    expect(ranking).toHaveLength(3)
    // Least first: counts never go down the table.
    expect(ranking.map((entry) => entry.count)).toEqual(
      [...ranking.map((entry) => entry.count)].sort((a, b) => a - b),
    )
    expectRanked(frame, ranking)
    expect(frame).toContain("3 least frequent values of profile field Country")
    expect(frame).toContain("3 values · profile field · least frequent first")
    expectFits(frame)
  })
})

// ---------------------------------------------------------------------------------------
// A fixture with text that looks like numbers, counted here

const day = (d: number, hour = 12) => Date.UTC(2026, 10, d, hour) / 1000
const longText =
  "a very long review text that goes on and on, far past what any column of the table holds"
const rated = (score: TopCounts.Value | undefined, ts: number, event = "Rated") => ({
  type: "event",
  identity: "rater",
  ts,
  evtName: event,
  evtData: score === undefined ? { Comment: "none" } : { Score: score },
})
const fixture = [
  ...[1, 2, 3, 4].map((d) => rated("5", day(d))),
  ...[5, 6].map((d) => rated(5, day(d))),
  ...[7, 8, 9].map((d) => rated(true, day(d))),
  rated("true", day(10)),
  ...[11, 12, 13].map((d) => rated("five", day(d))),
  rated(longText, day(14)),
  rated(4.5, day(15)),
  ...[16, 17].map((d) => rated(undefined, day(d))),
  // Outside the range or another event: not counted.
  ...[1, 2, 3].map((d) => rated("5", Date.UTC(2026, 9, d) / 1000)),
  ...[1, 2, 3, 4, 5].map((d) => rated(5, day(d), "Viewed")),
]

/** The fixture's ranking of Score over the form's default range, counted here. */
const fixtureRanking = (order: "desc" | "asc"): ReadonlyArray<TopCounts.Entry> => {
  const start = Date.UTC(2026, 9, 28) / 1000
  const end = Date.UTC(2026, 10, 27) / 1000
  const counts = new Map<string, number>()
  for (const record of fixture) {
    const score = (record.evtData as { Score?: TopCounts.Value }).Score
    if (record.evtName !== "Rated" || record.ts < start || record.ts >= end) continue
    if (score === undefined) continue
    counts.set(JSON.stringify(score), (counts.get(JSON.stringify(score)) ?? 0) + 1)
  }
  // Ties by the value's JSON text: the fixture is ASCII, so code units order as bytes do.
  return [...counts]
    .sort(([a, x], [b, y]) => (order === "desc" ? y - x : x - y) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([json, count]) => ({ value: JSON.parse(json) as TopCounts.Value, count }))
}

const fixtureReady = { backend: "local ", suggestion: "Rated" }

describe("top values of a fixture at 80x24", () => {
  it('tell the text "5" from the number 5, and "true" from true, most frequent first', async () => {
    const sent: Array<unknown> = []
    const db = join(folder, "five.db")
    const ui = await startWithEvent(localBackend(db, sent, fixture), "Rated", small, fixtureReady)
    await askTop(ui, "Score")
    ui.press(keys.enter)
    await ui.see("EVENTS")
    const frame = ui.frame()
    const ranking = fixtureRanking("desc")
    expectRanked(frame, ranking)
    const shown = new Map(topRows(frame).map(([, value, count]) => [value, count]))
    expect(shown.get('"5"')).toBe(String(ranking.find((e) => e.value === "5")!.count))
    expect(shown.get("5")).toBe(String(ranking.find((e) => e.value === 5)!.count))
    expect(shown.get("true")).toBe(String(ranking.find((e) => e.value === true)!.count))
    expect(shown.get('"true"')).toBe(String(ranking.find((e) => e.value === "true")!.count))
    expect(shown.get("five")).toBe(String(ranking.find((e) => e.value === "five")!.count))
    expect(
      [...shown.keys()].some((value) => value.startsWith("a very long") && value.endsWith("…")),
    ).toBe(true)
    expectFits(frame)
  })

  it("go back to the form as it was, and ask again least frequent first", async () => {
    const sent: Array<unknown> = []
    const db = join(folder, "asc.db")
    const ui = await startWithEvent(localBackend(db, sent, fixture), "Rated", small, fixtureReady)
    await askTop(ui, "Score", { topN: "4" })
    ui.press(keys.enter)
    await ui.see("4 values · event property · most frequent first")
    expectRanked(ui.frame(), fixtureRanking("desc").slice(0, 4))
    ui.press("n")
    await ui.see("› Order")
    const form = ui.frame()
    expect(form).toContain("Measure   top values of a property")
    expect(form).toContain("Property  Score")
    expect(form).toContain("Show      4")
    ui.press(keys.right)
    await ui.see("‹ least frequent first ›")
    ui.press(keys.enter)
    await ui.see("4 values · event property · least frequent first")
    expectRanked(ui.frame(), fixtureRanking("asc").slice(0, 4))
    expect(sent).toHaveLength(2)
    expect(sent[1]).toMatchObject({ groups: { Score: { top_n: 4, order: "asc" } } })
  })

  it("export every value as CSV group,value,count and as the wire JSON", async () => {
    const db = join(folder, "export.db")
    const ui = await startWithEvent(localBackend(db, [], fixture), "Rated", small, fixtureReady)
    await askTop(ui, "Score")
    ui.press(keys.enter)
    await ui.see("EVENTS")
    const ranking = fixtureRanking("desc")
    ui.press("e")
    await ui.see("File   top-Rated-20261028-20261126.csv")
    expectFits(ui.frame())
    ui.press(keys.enter)
    const csvPath = join(exportDir(), "top-Rated-20261028-20261126.csv")
    await ui.see(`Wrote ${ranking.length} values as CSV to`)
    expect(readFileSync(csvPath, "utf8").trimEnd().split("\n")).toEqual([
      "group,value,count",
      // A field with a comma or a quote is quoted, its quotes doubled (RFC 4180).
      ...ranking.map((entry) => {
        const text = String(entry.value)
        const field = /[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
        return `Score,${field},${entry.count}`
      }),
    ])
    ui.press("e", keys.tab)
    await ui.see("File   top-Rated-20261028-20261126.json")
    ui.press(keys.enter)
    await ui.see(`Wrote ${ranking.length} values as JSON to`)
    const json = readFileSync(join(exportDir(), "top-Rated-20261028-20261126.json"), "utf8")
    expect(JSON.parse(json)).toEqual({ status: "success", Score: ranking })
  })
})
