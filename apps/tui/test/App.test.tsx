import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"
import * as Results from "@trendline/client/Results"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { render } from "ink-testing-library"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { App } from "../src/App.tsx"
import * as Backend from "../src/Backend.ts"
import * as Export from "../src/Export.ts"
import { RuntimeProvider } from "../src/RuntimeContext.tsx"

const today = Calendar.unsafeMakeDay(2026, 11, 26)

const keys = {
  enter: "\r",
  escape: "\u001B",
  tab: "\t",
  up: "\u001B[A",
  down: "\u001B[B",
  ctrlN: "\u000E",
  ctrlU: "\u0015",
} as const

/** A canned answer: bucket i of every group holds 10 * (i + 1). */
const answerFor = (request: unknown) =>
  Effect.gen(function* () {
    const decoded = yield* TrendsRequest.decode(request)
    const byGroup = Object.fromEntries(
      Object.entries(decoded.groups).map(([name, group]) => [
        name,
        Object.fromEntries(
          Bucket.bucketsOf(group.trend_type, decoded.from, decoded.to).map((bucket, index) => [
            bucket.key,
            10 * (index + 1),
          ]),
        ),
      ]),
    )
    return {
      body: { status: "success" as const, ...byGroup },
      groups: Results.decode(decoded, byGroup),
    } satisfies TrendsClient.TrendsAnswer
  })

const testBackend = (trends: Backend.Service["trends"] = answerFor) =>
  Layer.succeed(Backend.Backend, {
    description: "test backend",
    endpoint: undefined,
    weekStart: "monday",
    eventNames: Effect.succeed(["App Opened", "Charged", "Signed Up"]),
    trends,
    upload: () => Effect.die("not in these tests"),
  })

let dir: string
const runtimes: Array<ManagedRuntime.ManagedRuntime<Backend.Backend, unknown>> = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "trendline-tui-"))
})

afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
})

const start = (layer: Layer.Layer<Backend.Backend>) => {
  const runtime = ManagedRuntime.make(layer)
  runtimes.push(runtime)
  const app = render(
    <RuntimeProvider runtime={runtime}>
      <App color={false} cwd={dir} today={today} />
    </RuntimeProvider>,
  )
  const frame = () => stripVTControlCharacters(app.lastFrame() ?? "")
  // Waits for the screen to show `text`; polls frames, never a fixed sleep.
  const see = async (text: string | RegExp) => {
    await vi.waitFor(
      () => {
        if (typeof text === "string") expect(frame()).toContain(text)
        else expect(frame()).toMatch(text)
      },
      { timeout: 10_000, interval: 5 },
    )
    // Let React run the effects of that frame (key handlers are attached in effects).
    await new Promise((resolve) => setImmediate(resolve))
  }
  const press = (...input: ReadonlyArray<string>) => {
    for (const text of input) app.stdin.write(text)
  }
  return { app, frame, see, press }
}

/** Starts the app, waits for the form, and types an event name. */
const startWithEvent = async (layer: Layer.Layer<Backend.Backend>, event = "Charged") => {
  const ui = start(layer)
  await ui.see("test backend")
  await ui.see("App Opened") // suggestions are there: the form has the keyboard
  ui.press(event)
  await ui.see(`Event     ${event}`)
  return ui
}

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

  it("types q into a text field, and quits on q once Esc stopped the typing", async () => {
    const ui = await startWithEvent(testBackend(), "Charq")
    expect(ui.app.stdin.listenerCount("readable")).toBeGreaterThan(0)
    ui.press(keys.escape)
    await ui.see("type edit")
    ui.press("q")
    await vi.waitFor(() => expect(ui.app.stdin.listenerCount("readable")).toBe(0))
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
    const path = join(dir, "trends-Charged-20261028-20261126.csv")
    await ui.see(`Wrote 30 buckets as CSV to ${path}`)
    const csv = readFileSync(path, "utf8")
    expect(csv).toBe(Export.toCsv(answer!))
    const lines = csv.trimEnd().split("\n")
    expect(lines).toHaveLength(31)
    expect(lines[0]).toBe("group,trend_type,key,start,end,value")
    expect(lines[1]).toBe("daily,daily,20261028,2026-10-28,2026-10-28,10")
    expect(lines[30]).toBe("daily,daily,20261126,2026-11-26,2026-11-26,300")
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
