import { assert, describe, it } from "@effect/vitest"
import * as Dataset from "../src/Dataset.ts"
import type * as Harness from "../src/Harness.ts"
import * as Report from "../src/Report.ts"
import * as Shape from "../src/Shape.ts"
import type * as SpreadUploads from "../src/SpreadUploads.ts"
import * as WorkersReport from "../src/WorkersReport.ts"

const machine = {
  cpu: "Test CPU",
  cores: 2,
  memoryGiB: 8,
  node: "v24.0.0",
  platform: "linux x64",
  loadAverage: 0.5,
}

const timed = (medians: Record<string, number>): Harness.Timed => ({
  runs: Object.fromEntries(Object.entries(medians).map(([engine, m]) => [engine, [m]])),
  medians,
})

const [first, second] = Shape.all
const load = (engine: string, events: number, millis: number): Harness.Load => ({
  engine,
  version: engine,
  loadPath: "POST /1/upload, 1000 records a call",
  events,
  millis,
})

// Workers uploads 60k events/s against Node's 100k (0.6×: met); cold, its first shape
// takes 1.2× Node's and its combined request 2× (one query above 1.5×); warm, 1.5× at most.
const size = (events: number, withWorkers = true): Harness.SizeReport => ({
  dataset: Dataset.make({ events }),
  loads: [
    load("http", events, (events / 100_000) * 1000),
    ...(withWorkers ? [load("workers", events, (events / 60_000) * 1000)] : []),
  ],
  checkedAgainstReference: true,
  timings: [
    {
      shape: first!,
      cold: timed({ http: 10, ...(withWorkers ? { workers: 12 } : {}) }),
      warm: timed({ http: 2, ...(withWorkers ? { workers: 3 } : {}) }),
    },
    {
      shape: second!,
      cold: timed({ http: 10, ...(withWorkers ? { workers: 9 } : {}) }),
      warm: timed({ http: 4, ...(withWorkers ? { workers: 5 } : {}) }),
    },
  ],
  combined: [
    {
      request: Shape.combined[0]!,
      cold: timed({ http: 20, ...(withWorkers ? { workers: 40 } : {}) }),
      warm: timed({ http: 5, ...(withWorkers ? { workers: 6 } : {}) }),
    },
  ],
  cold: { http: "a new server process", ...(withWorkers ? { workers: "a new workerd" } : {}) },
  millis: 1000,
})

// Spread over 17 years, 100k events: Node uploads 80k events/s (1.25 s), Workers 32k
// (3.125 s, 0.4×: not met).
const spread = (workersRate = 32_000): SpreadUploads.Result => ({
  years: 17,
  dataset: Dataset.make({ events: 100_000 }),
  spreadSeed: 99,
  loads: [
    load("http", 100_000, (100_000 / 80_000) * 1000),
    load("workers", 100_000, (100_000 / workersRate) * 1000),
  ],
})

const row = (text: string, start: string) =>
  text.split("\n").find((line) => line.startsWith(`| ${start}`))

describe("WorkersReport", () => {
  it("sets the Workers entry's upload rate and medians beside the Node entry's, with the targets met or not", () => {
    const section = WorkersReport.section(size(20_000))!
    assert.match(
      row(section, "upload, events/s")!,
      /\| +100,000 \| +60,000 \| +0\.600× \| +≥ 0\.5× \| +yes \|$/,
    )
    // Cold ratios 1.2, 0.9 and 2: one of three above 1.5×.
    assert.match(
      row(section, "every query, cold")!,
      /\| +0\.900–2\.00× \(median 1\.20×\) \| +≤ 1\.5× each \| +no: 1 of 3 above \|$/,
    )
    // Warm ratios 1.5, 1.25 and 1.2: at most 1.5× is met.
    assert.match(row(section, "every query, warm")!, /\| +≤ 1\.5× each \| +yes \|$/)
    assert.match(
      row(section, Shape.label(first!))!,
      /\| +10\.0 \| +12\.0 \| +1\.20× \| +2\.00 \| +3\.00 \| +1\.50× \|$/,
    )
    assert.match(
      row(section, Shape.combinedLabel(Shape.combined[0]!))!,
      /\| +20\.0 \| +40\.0 \| +2\.00× \|/,
    )
  })

  it("leaves the section out where the Workers entry did not run, and says n/a for a missing figure", () => {
    assert.isUndefined(WorkersReport.section(size(20_000, false)))
    assert.isNaN(WorkersReport.queryRatio(timed({ http: 1 })))
    assert.isUndefined(
      WorkersReport.ratioSpread(WorkersReport.queriesOf(size(20_000, false)), "cold"),
    )
  })

  it("puts the section in the report, and scales only the engines that ran at both sizes", () => {
    const report: Harness.Report = {
      engines: ["http", "workers"],
      repetitions: 1,
      sizes: [size(20_000), size(40_000, false)],
    }
    const text = Report.markdown(report, machine, new Date("2026-01-02T03:04:00Z"))
    assert.include(text, "- workers: the Workers entry in workerd")
    assert.include(text, "  - workers: a new workerd")
    // Once: the second size ran without workers.
    assert.strictEqual(text.split("### Workers beside the Node server").length, 2)
    const scaling = Report.scalingTable(report, "warm")
    assert.include(scaling.split("\n")[0]!, "| http 20k | http 40k | http 20k→40k |")
    assert.notInclude(scaling, "workers")
  })

  it("adds the spread uploads' row beside the one-year upload row, judged on the same target", () => {
    const section = WorkersReport.section(size(20_000), spread())!
    const lines = section.split("\n")
    const oneYear = lines.findIndex((line) => line.startsWith("| upload, events/s "))
    assert.match(
      lines[oneYear + 1]!,
      /^\| upload, events\/s, spread over 17 years \| +80,000 \| +32,000 \| +0\.400× \| +≥ 0\.5× \| +no \|$/,
    )
    assert.match(lines[oneYear]!, /\| +100,000 \| +60,000 \| +0\.600× \| +≥ 0\.5× \| +yes \|$/)
    assert.include(
      section,
      "The spread row, once per run: 100,000 events of the same data set (seed 20250101), each moved back a whole number of years drawn uniformly from 0–16",
    )
    assert.include(section, "http 1.3 s, workers 3.1 s.")
    const met = WorkersReport.section(size(20_000), spread(45_000))!
    assert.match(
      row(met, "upload, events/s, spread over 17 years")!,
      /\| +80,000 \| +45,000 \| +0\.563× \| +≥ 0\.5× \| +yes \|$/,
    )
    assert.strictEqual(
      WorkersReport.spreadLabel(spread()),
      "upload, events/s, spread over 17 years",
    )
  })

  it("says nothing of spread data when the spread uploads did not run", () => {
    const section = WorkersReport.section(size(20_000))!
    assert.notInclude(section, "spread over")
    assert.notInclude(section, "The spread row")
    assert.strictEqual(
      section.split("\n").filter((line) => line.startsWith("| upload, events/s")).length,
      1,
    )
    const text = Report.markdown(
      { engines: ["http", "workers"], repetitions: 1, sizes: [size(20_000)] },
      machine,
      new Date("2026-01-02T03:04:00Z"),
    )
    assert.notInclude(text, "spread")
  })

  it("puts the spread row once in the report, in the first size's Workers comparison", () => {
    const report: Harness.Report = {
      engines: ["http", "workers"],
      repetitions: 1,
      sizes: [size(40_000, false), size(20_000), size(30_000)],
      spread: spread(),
    }
    const text = Report.markdown(report, machine, new Date("2026-01-02T03:04:00Z"))
    assert.strictEqual(text.split("| upload, events/s, spread over 17 years").length, 2)
    assert.strictEqual(text.split("The spread row, once per run").length, 2)
    const at20k = text.slice(text.indexOf("## 20,000 events"), text.indexOf("## 30,000 events"))
    assert.include(at20k, "| upload, events/s, spread over 17 years")
  })

  it("says what starting the account's object cost, which the cold figures leave out", () => {
    const starts = [
      { first: 9, again: 4 },
      { first: 8, again: 5 },
      { first: 30, again: 4 },
    ]
    const section = WorkersReport.section({ ...size(20_000), coldStarts: { workers: starts } })!
    assert.include(
      section,
      "took 9.00 ms on the evicted object and 4.00 ms once it had started (medians of 3), so an account's first request after its object was evicted pays about 5.00 ms more.",
    )
    assert.notInclude(WorkersReport.section(size(20_000))!, "Starting an account's object")
  })
})
