/**
 * The whole UI under ink-testing-library on a canned backend: start it (optionally at a
 * terminal size), wait for text on screen (frames are polled, never a fixed sleep), press
 * keys. `appHarness` gives each test a fresh export directory and disposes its runtimes.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"
import * as Results from "@trendline/client/Results"
import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Account from "@trendline/core/Account"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as Extensions from "@trendline/core/Extensions"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { render } from "ink-testing-library"
import { afterEach, beforeEach, expect, vi } from "vitest"
import { App } from "../src/App.tsx"
import * as Backend from "../src/Backend.ts"
import { RuntimeProvider } from "../src/RuntimeContext.tsx"

export const today = Calendar.unsafeMakeDay(2026, 11, 26)

export const keys = {
  enter: "\r",
  escape: "\u001B",
  tab: "\t",
  up: "\u001B[A",
  down: "\u001B[B",
  right: "\u001B[C",
  left: "\u001B[D",
  end: "\u001B[F",
  ctrlC: "\u0003",
  ctrlN: "\u000E",
  ctrlQ: "\u0011",
  ctrlU: "\u0015",
} as const

/** The event names the canned backend knows. */
export const eventNames: ReadonlyArray<string> = ["App Opened", "Charged", "Signed Up"]

/** A canned answer: bucket i of every group holds `valueAt(i)`, by default 10 * (i + 1). */
export const answerFor = (
  request: unknown,
  valueAt: (index: number) => number = (index) => 10 * (index + 1),
) =>
  Effect.gen(function* () {
    const decoded = yield* TrendsRequest.decode(request)
    const byGroup = Object.fromEntries(
      Object.entries(decoded.groups).map(([name, group]) => [
        name,
        Object.fromEntries(
          (Bucket.isDayTrendType(group.trend_type)
            ? Bucket.bucketsOf(group.trend_type, decoded.from, decoded.to)
            : Bucket.hoursOf(decoded.from, decoded.to, "UTC")
          ).map((bucket, index) => [bucket.key, valueAt(index)]),
        ),
      ]),
    )
    return {
      body: TrendsResponse.toWire(byGroup),
      groups: Results.decode(decoded, byGroup),
    } satisfies TrendsClient.TrendsAnswer
  })

/** The account of answers over records: UTC, ISO weeks. */
export const account: Account.Settings = Account.make("test")

/** Noon of `today` (UTC), in epoch seconds: when answers over records are computed. */
export const noon: number = today * 86_400 + 12 * 3_600

/**
 * An answer over `records` as a Trendline server gives it at `nowSeconds` (noon of
 * `today`): the buckets by core's reference aggregator and, when the request asks for them,
 * each group's total over the range and each bucket's metadata (`Extensions`). With
 * `hosted`, the answer a hosted API gives, which ignores them.
 */
export const answerOver =
  (
    records: ReadonlyArray<unknown>,
    options: { readonly nowSeconds?: number; readonly hosted?: boolean } = {},
  ): Backend.Service["trends"] =>
  (request) =>
    Effect.gen(function* () {
      const decoded = yield* TrendsRequest.decode(request)
      const { status: _, ...groups } = Uploads.expectedTrends(account, records, request)
      const byGroup = groups as { readonly [group: string]: { readonly [key: string]: number } }
      const wanted = { totals: decoded.totals === true, bucketMeta: decoded.bucket_meta === true }
      const plan = QueryPlan.fromTrends(decoded, account)
      const totals = wanted.totals ? Uploads.expectedTotals(account, records, request) : undefined
      const meta = wanted.bucketMeta
        ? Extensions.bucketMeta(plan, options.nowSeconds ?? noon)
        : undefined
      const extras: Extensions.Extras | undefined =
        options.hosted === true || (!wanted.totals && !wanted.bucketMeta)
          ? undefined
          : {
              groups: Object.fromEntries(
                plan.groups.map((group) => [
                  group.name,
                  {
                    ...(totals === undefined ? {} : { total: totals[group.name] ?? 0 }),
                    ...(meta?.[group.name] === undefined ? {} : { buckets: meta[group.name] }),
                  },
                ]),
              ),
            }
      return {
        body: TrendsResponse.toWire(byGroup, extras),
        groups: Results.decode(decoded, byGroup),
        ...(extras === undefined ? {} : { extras }),
      } satisfies TrendsClient.TrendsAnswer
    })

/**
 * Charged in the form's default range (the 30 days to `today`) by three profiles: alice on
 * three days, bob on two, carol on the last; two of them on the 21st and on the 26th.
 */
export const chargedRecords: ReadonlyArray<Record<string, unknown>> = [
  ["alice", 20],
  ["alice", 21],
  ["bob", 21],
  ["bob", 25],
  ["alice", 26],
  ["carol", 26],
].map(([identity, day]) => ({
  type: "event",
  identity,
  ts: Date.UTC(2026, 10, day as number, 9) / 1000,
  evtName: "Charged",
  evtData: { Amount: 10 },
}))

/** The distinct profiles of `chargedRecords`, counted here: each identity once. */
export const distinctProfiles: number = new Set(chargedRecords.map((record) => record.identity))
  .size

/** A remote server's endpoint, for a canned backend in remote mode. */
export const remoteEndpoint = { baseUrl: "https://trends.example.com", accountId: "acme" }

/**
 * A canned backend: `eventNames`, and no property names unless `propertyNames` gives some;
 * local mode (no HTTP endpoint) unless `endpoint` is given.
 */
export const testBackend = (
  trends: Backend.Service["trends"] = (request) => answerFor(request),
  top: Backend.Service["top"] = () => Effect.die("not in these tests"),
  propertyNames: Backend.Service["propertyNames"] = () => Effect.succeed(Backend.noPropertyNames),
  endpoint: Backend.Service["endpoint"] = undefined,
) =>
  Layer.succeed(Backend.Backend, {
    description: "test backend",
    endpoint,
    weekStart: "monday",
    eventNames: Effect.succeed(eventNames),
    propertyNames,
    trends,
    top,
    upload: () => Effect.die("not in these tests"),
  })

/** A terminal's size: ink-testing-library's is 100 columns by whatever the test runs in. */
export interface Size {
  readonly columns: number
  readonly rows: number
}

/** The terminal the review found the problems in. */
export const small: Size = { columns: 80, rows: 24 }

/** Every line fits the terminal and the screen is no taller than it. */
export const expectFits = (frame: string, size: Size = small) => {
  const lines = frame.split("\n")
  expect(lines.length).toBeLessThanOrEqual(size.rows)
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(size.columns)
}

/** The rows of a top values table on screen: rank, value as shown, count as shown. */
export const topRows = (frame: string): ReadonlyArray<readonly [string, string, string]> =>
  frame.split("\n").flatMap((line) => {
    const row = /^(?:› | {2}) *(\d+) {2}(.+?) +([\d,]+)(?: {2}▇+)?$/.exec(line)
    return row === null ? [] : [[row[1]!, row[2]!.trimEnd(), row[3]!] as const]
  })

/** The UI `start` started: what it shows, and its keyboard. */
export interface Ui {
  readonly app: ReturnType<typeof render>
  /** The last frame without colours. */
  readonly frame: () => string
  /** Waits for the screen to show `text`. */
  readonly see: (text: string | RegExp) => Promise<void>
  readonly press: (...input: ReadonlyArray<string>) => void
  /** Waits until the app quit: it no longer reads the keyboard. */
  readonly quits: () => Promise<void>
}

/** Registers the hooks of UI tests; returns how to start the UI and its export directory. */
export const appHarness = () => {
  let dir = ""
  const runtimes: Array<ManagedRuntime.ManagedRuntime<Backend.Backend, unknown>> = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "trendline-tui-"))
  })

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  const start = (layer: Layer.Layer<Backend.Backend>, size?: Size): Ui => {
    const runtime = ManagedRuntime.make(layer)
    runtimes.push(runtime)
    const app = render(
      <RuntimeProvider runtime={runtime}>
        <App color={false} cwd={dir} today={today} />
      </RuntimeProvider>,
    )
    if (size !== undefined) {
      // Own properties over the test stdout's fixed getter; Ink and the app read them.
      Object.defineProperties(app.stdout, {
        columns: { value: size.columns },
        rows: { value: size.rows },
      })
      app.stdout.emit("resize")
    }
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
    const quits = () =>
      vi.waitFor(() => expect(app.stdin.listenerCount("readable")).toBe(0), {
        timeout: 10_000,
        interval: 5,
      })
    return { app, frame, see, press, quits }
  }

  /**
   * Starts the app, waits for the form, and types an event name. `ready` is what shows once
   * the backend is there (its description) and the form has the keyboard (a suggestion).
   */
  const startWithEvent = async (
    layer: Layer.Layer<Backend.Backend>,
    event = "Charged",
    size?: Size,
    ready: { readonly backend: string; readonly suggestion: string } = {
      backend: "test backend",
      suggestion: "App Opened",
    },
  ): Promise<Ui> => {
    const ui = start(layer, size)
    await ui.see(ready.backend)
    // The header spans the terminal: at its full width, the app has the size.
    if (size !== undefined) {
      await vi.waitFor(() => expect(ui.frame().split("\n")[0]).toHaveLength(size.columns))
    }
    await ui.see(ready.suggestion) // suggestions are there: the form has the keyboard
    ui.press(event)
    await ui.see(`Event     ${event}`)
    return ui
  }

  return { dir: () => dir, start, startWithEvent }
}

/**
 * From the event field of a started form: the "top values" measure, the property (and its
 * source, how many values and their order when given); the form is left on the Order field.
 */
export const askTop = async (
  ui: Ui,
  property: string,
  options: { readonly profile?: boolean; readonly topN?: string; readonly asc?: boolean } = {},
) => {
  ui.press(keys.down, keys.down, keys.down, keys.down) // Range, From, To, Measure
  await ui.see("› Measure")
  ui.press(keys.right, keys.right, keys.right)
  await ui.see("‹ top values of a property ›")
  ui.press(keys.down, property)
  await ui.see(`Property  ${property}`)
  ui.press(keys.down)
  await ui.see("› Source")
  if (options.profile === true) {
    ui.press(keys.right)
    await ui.see("‹ profile field ›")
  }
  ui.press(keys.down)
  await ui.see("› Show")
  if (options.topN !== undefined) {
    ui.press(keys.ctrlU, options.topN)
    await ui.see(`Show      ${options.topN}`)
  }
  ui.press(keys.down)
  await ui.see("› Order")
  if (options.asc === true) {
    ui.press(keys.right)
    await ui.see("‹ least frequent first ›")
  }
}
