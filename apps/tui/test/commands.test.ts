// The subcommands run as a script would run them: `Cli.parse`, then `run` with captured
// output, against temporary SQLite files (local mode; remote mode, against the real Node
// server, is in packages/e2e). The fixture holds six records; record 3 (line 4) has no
// identity. Its Charged events (UTC): 2025-01-01 alice 10 and bob 5, 2025-01-02 alice 7,
// 2025-01-06 carol 3; and one App Opened on 2025-01-03.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { afterAll, beforeAll } from "vitest"
import * as Cli from "../src/Cli.ts"
import * as Upload from "../src/commands/Upload.ts"
import { fixtureDailyCharged, fixtureWeek, run } from "../src/testing/Commands.ts"

const fixture = join(import.meta.dirname, "fixtures", "events.jsonl")
const folder = mkdtempSync(join(tmpdir(), "trendline-cli-"))
let databases = 0
const freshDatabase = () => join(folder, `db-${++databases}`, "trendline.db")

const week = fixtureWeek
const dailyCharged = fixtureDailyCharged

afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe("trendline upload (local)", () => {
  it("stores the good records of a JSON-lines file and reports the bad one by index and line: exit 3", async () => {
    const db = freshDatabase()
    const outcome = await run(["upload", fixture, "--db", db])
    assert.strictEqual(outcome.code, 3)
    assert.strictEqual(outcome.stdout, `5 records processed, 1 unprocessed (of 6 in ${fixture})\n`)
    assert.match(outcome.stderr, /^trendline: record 3 \(line 4\) unprocessed, code 523: identity/)
    assert.strictEqual(outcome.stderr.split("\n").length, 2, outcome.stderr)
  })

  it("does not fill a new database with the demo data: only the uploaded events are there", async () => {
    const db = freshDatabase()
    assert.strictEqual((await run(["upload", fixture, "--db", db])).code, 3)
    const outcome = await run(["query", "--db", db, "--event", "App Opened", ...week, "--json"])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(JSON.parse(outcome.stdout).daily, {
      ...Object.fromEntries(Object.keys(dailyCharged).map((key) => [key, 0])),
      "20250103": 1,
    })
  })

  it("reads a JSON array from stdin with -, and prints the result as JSON with --json: exit 0", async () => {
    const records = [
      { type: "event", identity: "dave", ts: 1735725600, evtName: "Charged", evtData: {} },
      { type: "event", identity: "erin", ts: 1735725600, evtName: "Charged", evtData: {} },
    ]
    const outcome = await run(
      ["upload", "-", "--json", "--db", freshDatabase()],
      {},
      JSON.stringify(records, null, 2),
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(JSON.parse(outcome.stdout), { processed: 2, unprocessed: [] })
    assert.strictEqual(outcome.stderr, "")
  })

  it("refuses a file that is not JSON lines, naming the first bad line: exit 2", async () => {
    const file = join(folder, "broken.jsonl")
    writeFileSync(file, '{"type":"event"}\n\n{"type": "event",\n')
    const outcome = await run(["upload", file, "--db", freshDatabase()])
    assert.strictEqual(outcome.code, 2)
    assert.match(outcome.stderr, /^trendline: .*broken\.jsonl line 3 is not JSON/)
    assert.strictEqual(outcome.stdout, "")
  })

  it("refuses a file it cannot read: exit 2", async () => {
    const outcome = await run(["upload", join(folder, "missing.jsonl"), "--db", freshDatabase()])
    assert.strictEqual(outcome.code, 2)
    assert.match(outcome.stderr, /cannot read .*missing\.jsonl: ENOENT/)
  })
})

describe("Upload.parseRecords", () => {
  it("reads JSON lines, skipping blank lines, with each record's line number", () => {
    assert.deepStrictEqual(
      Upload.parseRecords('{"a":1}\n\n{"a":2}\r\n', "f"),
      Either.right({ records: [{ a: 1 }, { a: 2 }], lines: [1, 3] }),
    )
  })

  it("reads a JSON array, the wire body {d: [...]}, and a single record", () => {
    assert.deepStrictEqual(
      Upload.parseRecords('[\n {"a":1},\n {"a":2}\n]', "f"),
      Either.right({ records: [{ a: 1 }, { a: 2 }], lines: undefined }),
    )
    assert.deepStrictEqual(
      Upload.parseRecords('{"d":[{"a":1}]}', "f"),
      Either.right({ records: [{ a: 1 }], lines: undefined }),
    )
    assert.deepStrictEqual(
      Upload.parseRecords('{"a":1}', "f"),
      Either.right({ records: [{ a: 1 }], lines: undefined }),
    )
  })

  it("explains a broken array, a bad line and an empty file", () => {
    const broken = Upload.parseRecords('[\n {"a":1}\n {"a":2}\n]', "f")
    assert.isTrue(
      Either.isLeft(broken) && broken.left.startsWith("f is not a JSON array of records: "),
    )
    assert.deepStrictEqual(
      Upload.parseRecords('{"a":1}\nnope\n', "f").pipe(Either.mapLeft((m) => m.split(" (")[0])),
      Either.left("f line 2 is not JSON"),
    )
    assert.deepStrictEqual(Upload.parseRecords(" \n", "f"), Either.left("f holds no records"))
  })
})

describe("trendline query (local)", () => {
  const db = freshDatabase()
  beforeAll(async () => {
    assert.strictEqual((await run(["upload", fixture, "--db", db])).code, 3)
  })

  it("prints a table a group, with each bucket's days and the total", async () => {
    const outcome = await run([
      "query",
      "--db",
      db,
      "--event",
      "Charged",
      "--from",
      "20250101",
      "--to",
      "2025-01-07",
      "--group",
      "daily",
      "--group",
      "w=weekly",
    ])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(
      outcome.stdout,
      [
        `daily: daily events of "Charged", 2025-01-01 to 2025-01-07`,
        "bucket    days        events",
        "20250101  2025-01-01       2",
        "20250102  2025-01-02       1",
        "20250103  2025-01-03       0",
        "20250104  2025-01-04       0",
        "20250105  2025-01-05       0",
        "20250106  2025-01-06       1",
        "20250107  2025-01-07       0",
        "total                      4",
        "",
        `w: weekly events of "Charged", 2025-01-01 to 2025-01-07`,
        "bucket  days                    events",
        "202501  2025-01-01..2025-01-05       3",
        "202502  2025-01-06..2025-01-07       1",
        "total                                4",
        "",
      ].join("\n"),
    )
    assert.strictEqual(outcome.stderr, "")
  })

  it("prints the wire body with --json (default group: daily)", async () => {
    const outcome = await run(["query", "--db", db, "--event", "Charged", ...week, "--json"])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(JSON.parse(outcome.stdout), { status: "success", daily: dailyCharged })
  })

  it("prints one CSV row a bucket with --csv, distinct profiles with --unique", async () => {
    const outcome = await run([
      "query",
      "--db",
      db,
      "--event",
      "Charged",
      "--from",
      "20250101",
      "--to",
      "20250103",
      "--group",
      "m=monthly",
      "--group",
      "d=daily",
      "--unique",
      "--csv",
    ])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(
      outcome.stdout,
      [
        "group,trend_type,key,start,end,value",
        "m,monthly,202501,2025-01-01,2025-01-03,2",
        "d,daily,20250101,2025-01-01,2025-01-01,2",
        "d,daily,20250102,2025-01-02,2025-01-02,1",
        "d,daily,20250103,2025-01-03,2025-01-03,0",
        "",
      ].join("\n"),
    )
  })

  it("sums a property with --sum, and leaves the total out of --unique tables", async () => {
    const sum = await run(["query", "--db", db, "--event", "Charged", ...week, "--sum", "Amount"])
    assert.strictEqual(sum.code, 0, sum.stderr)
    assert.match(sum.stdout, /^daily: daily sum of Amount of "Charged"/)
    assert.match(sum.stdout, /^20250101\s+2025-01-01\s+15$/m)
    assert.match(sum.stdout, /\ntotal\s+25\n$/)
    const unique = await run([
      "query",
      "--db",
      db,
      "--event",
      "Charged",
      ...week,
      "--group",
      "weekly",
      "--unique",
    ])
    assert.strictEqual(unique.code, 0, unique.stderr)
    assert.include(unique.stdout, "202501  2025-01-01..2025-01-05         2\n")
    assert.notInclude(unique.stdout, "total")
  })

  it("checks the request with core first and prints every issue with its field and flag: exit 2", async () => {
    const outcome = await run([
      "query",
      "--db",
      db,
      "--from",
      "20250231",
      "--to",
      "20250103",
      "--group",
      "x=hourly",
    ])
    assert.strictEqual(outcome.code, 2)
    assert.strictEqual(outcome.stdout, "")
    const lines = outcome.stderr.trimEnd().split("\n")
    assert.match(lines[0]!, /^trendline: event_name \(--event\): is missing/)
    assert.match(lines[1]!, /^trendline: from \(--from\): 20250231 is not a real calendar date/)
    assert.match(lines[2]!, /^trendline: groups\.x\.trend_type \(--group\): must be "daily"/)
    assert.strictEqual(lines.length, 3, outcome.stderr)
  })

  it("refuses --unique with --sum, naming the field: exit 2", async () => {
    const outcome = await run([
      "query",
      "--db",
      db,
      "--event",
      "Charged",
      ...week,
      "--unique",
      "--sum",
      "Amount",
    ])
    assert.strictEqual(outcome.code, 2)
    assert.match(
      outcome.stderr,
      /^trendline: sum_event_prop \(--sum\): cannot be combined with "unique": true/,
    )
  })

  it("fills a new database with the demo data, and --last counts the days ending today", async () => {
    const outcome = await run([
      "query",
      "--db",
      freshDatabase(),
      "--event",
      "App Opened",
      "--last",
      "7",
      "--timezone",
      "Asia/Kolkata",
      "--json",
    ])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const { status, daily } = JSON.parse(outcome.stdout) as {
      status: string
      daily: Record<string, number>
    }
    assert.strictEqual(status, "success")
    assert.strictEqual(Object.keys(daily).length, 7)
    assert.isAbove(
      Object.values(daily).reduce((sum, value) => sum + value, 0),
      0,
    )
  })

  it("prints the version", async () => {
    assert.deepStrictEqual(await run(["--version"]), {
      code: 0,
      stdout: `trendline ${Cli.version}\n`,
      stderr: "",
    })
  })
})
