import { readFileSync } from "node:fs"
import { join } from "node:path"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import { describe, expect, it, vi } from "vitest"
import * as Export from "../src/Export.ts"
import { answerFor, appHarness, keys, testBackend } from "./AppHarness.tsx"

const { dir: exportDir, start, startWithEvent } = appHarness()

describe("query form", () => {
  it("shows core's message under a bad date, and sends nothing", async () => {
    let calls = 0
    const ui = await startWithEvent(
      testBackend((request) =>
        Effect.suspend(() => {
          calls++
          return answerFor(request)
        }),
      ),
    )
    ui.press(keys.down, keys.down) // Range, From
    await ui.see("› From")
    ui.press(keys.ctrlU, "20261341", keys.enter)
    await ui.see("20261341 is not a real calendar date")
    expect(ui.frame()).toContain("Range     custom")
    expect(calls).toBe(0)
  })

  it("completes the event name with Tab", async () => {
    const ui = start(testBackend())
    await ui.see("App Opened")
    ui.press("sig")
    await ui.see("› Signed Up")
    ui.press(keys.tab)
    await ui.see("Event     Signed Up")
  })

  it("types q into a text field, typing or not, where the header says Ctrl+Q quits", async () => {
    const ui = await startWithEvent(testBackend(), "Charq")
    expect(ui.frame()).toContain("? help · Ctrl+Q quit")
    expect(ui.frame()).toContain("Ctrl+Q quit") // the key hints too
    ui.press(keys.escape)
    await ui.see("type edit")
    ui.press("q")
    await ui.see("Event     Charqq")
    expect(ui.app.stdin.listenerCount("readable")).toBeGreaterThan(0)
    ui.press(keys.ctrlQ)
    await ui.quits()
  })

  it("quits on q where no text field has the keyboard, as the header says", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.down) // Range, a choice
    await ui.see("› Range")
    await ui.see("? help · q quit")
    expect(ui.frame()).toMatch(/q quit\s*$/) // the key hints end with it
    ui.press("q")
    await ui.quits()
  })

  it("quits on Ctrl+C from a text field", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.ctrlC)
    await ui.quits()
  })

  it("shows the key bindings on ? and closes them with Esc", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press("?")
    await ui.see("Esc/? close help")
    expect(ui.frame()).toContain("export to a CSV or JSON file")
    ui.press(keys.escape)
    await ui.see("Event     Charged")
    expect(ui.frame()).not.toContain("close help")
  })
})

describe("running a query", () => {
  it("shows a spinner with the req_id while pending, then the chart and the table", async () => {
    const gate = Effect.runSync(Deferred.make<void>())
    const ui = await startWithEvent(
      testBackend((request, onProgress) =>
        Effect.gen(function* () {
          if (onProgress !== undefined) {
            yield* onProgress({
              _tag: "Pending",
              reqId: 384649162721759,
              polls: 2,
              elapsedMillis: 2000,
            })
          }
          yield* Deferred.await(gate)
          return yield* answerFor(request)
        }),
      ),
    )
    ui.press(keys.enter)
    await ui.see(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Running "Charged" · events · 2026-10-28 → 2026-11-26 · \d+\.\d s/)
    await ui.see("req_id 384649162721759, polled 2 times")
    Effect.runSync(Deferred.succeed(gate, undefined))
    await ui.see("total 4,650 · min 10 · max 300 · average 155")
    const frame = ui.frame()
    expect(frame).toContain("300 ┤")
    expect(frame).toContain("█")
    expect(frame).toMatch(/› 20261028 {2}2026-10-28 +10/)
    expect(frame).toContain("1–")
    expect(frame).toContain("of 30")
  })

  it("scrolls the table with ↓", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.enter)
    await ui.see("› 20261028")
    ui.press(keys.down, keys.down)
    await ui.see("› 20261030")
  })

  it("switches groups with Tab", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.ctrlN) // a second group: weekly
    await ui.see("#2")
    ui.press(keys.enter)
    await ui.see("daily · 30 buckets")
    ui.press(keys.tab)
    await ui.see("weekly · 5 buckets")
    expect(ui.frame()).toMatch(/› 202644 {2}2026-10-28 – 2026-11-01 +10/)
    ui.press(keys.tab)
    await ui.see("daily · 30 buckets")
  })

  it("cancels a query that never ends with Esc, back to the form as it was", async () => {
    let interrupted = false
    const ui = await startWithEvent(
      testBackend(() =>
        Effect.never.pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              interrupted = true
            }),
          ),
        ),
      ),
    )
    ui.press(keys.enter)
    await ui.see("Running")
    ui.press(keys.escape)
    await ui.see("Event     Charged")
    await vi.waitFor(() => expect(interrupted).toBe(true))
  })

  it("goes back to the form with its values on n", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.enter)
    await ui.see("total")
    ui.press("n")
    await ui.see("Event     Charged")
    expect(ui.frame()).toContain("20261028")
  })
})

describe("exporting", () => {
  it("writes the answer as CSV to the proposed file and says where", async () => {
    let answer: TrendsClient.TrendsAnswer | undefined
    const ui = await startWithEvent(
      testBackend((request) =>
        answerFor(request).pipe(Effect.tap((a) => Effect.sync(() => (answer = a)))),
      ),
    )
    ui.press(keys.enter)
    await ui.see("total")
    ui.press("e")
    await ui.see("File   trends-Charged-20261028-20261126.csv")
    ui.press(keys.enter)
    const path = join(exportDir(), "trends-Charged-20261028-20261126.csv")
    await ui.see(`Wrote 30 buckets as CSV to ${path}`)
    const csv = readFileSync(path, "utf8")
    expect(csv).toBe(Export.toCsv(answer!))
    const lines = csv.trimEnd().split("\n")
    expect(lines).toHaveLength(31)
    expect(lines[0]).toBe("group,trend_type,key,start,end,value")
    expect(lines[1]).toBe("daily,daily,20261028,2026-10-28,2026-10-28,10")
    expect(lines[30]).toBe("daily,daily,20261126,2026-11-26,2026-11-26,300")
  })

  it("takes q as a letter of the file name, and quits on Ctrl+Q there", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.enter)
    await ui.see("total")
    expect(ui.frame()).toContain("? help · q quit")
    ui.press("e")
    await ui.see("? help · Ctrl+Q quit")
    ui.press("q")
    await ui.see("trends-Charged-20261028-20261126.csvq")
    expect(ui.frame()).toContain("Ctrl+Q quit")
    ui.press(keys.escape)
    await ui.see("? help · q quit")
    ui.press("e")
    await ui.see("? help · Ctrl+Q quit")
    ui.press(keys.ctrlQ)
    await ui.quits()
  })

  it("shows the query as a curl command on c", async () => {
    const ui = await startWithEvent(testBackend())
    ui.press(keys.enter)
    await ui.see("total")
    ui.press("c")
    await ui.see("curl -s -X POST")
    expect(ui.frame()).toContain(`"event_name":"Charged"`)
  })
})
