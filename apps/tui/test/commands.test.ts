// The subcommands run as a script would run them: `Cli.parse`, then `run` with captured
// output, against temporary SQLite files (local mode; remote mode, against the real Node
// server, is in packages/e2e). The fixture holds six records; record 3 (line 4) has no
// identity. Its Charged events (UTC): 2025-01-01 alice 10 and bob 5, 2025-01-02 alice 7,
// 2025-01-06 carol 3; and one App Opened on 2025-01-03.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Calendar from "@trendline/core/Calendar"
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

  it("counts only the events that --where and --profile-where let through", async () => {
    const args = ["query", "--db", db, "--event", "Charged", "--from", "20250101", "--to"]
    const filtered = await run([
      ...args,
      "20250107",
      "--where",
      "Amount greater_than_equals 7",
      "--csv",
    ])
    assert.strictEqual(filtered.code, 0, filtered.stderr)
    assert.include(filtered.stdout, "daily,daily,20250101,2025-01-01,2025-01-01,1\n")
    assert.include(filtered.stdout, "daily,daily,20250102,2025-01-02,2025-01-02,1\n")
    assert.include(filtered.stdout, "daily,daily,20250106,2025-01-06,2025-01-06,0\n")
    // No profile record was uploaded: no profile has a Plan.
    const none = await run([...args, "20250107", "--profile-where", "Plan exists", "--json"])
    assert.strictEqual(none.code, 0, none.stderr)
    assert.isTrue(
      Object.values(JSON.parse(none.stdout).daily as Record<string, number>).every((v) => v === 0),
    )
    const bad = await run([...args, "20250107", "--where", 'Amount greater_than "7"'])
    assert.strictEqual(bad.code, 2)
    assert.strictEqual(
      bad.stderr,
      'trendline: --where "Amount greater_than \\"7\\"": "greater_than" compares numbers: send 7, not the text "7"\n',
    )
  })

  it("ranks a property's values with --top, a profile field's with --top-profile", async () => {
    const args = ["query", "--db", db, "--event", "Charged", "--from", "20250101", "--to"]
    const outcome = await run([...args, "20250107", "--top", "Amount", "--top-n", "2"])
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    // Four amounts, once each: ties go by the value's JSON text, "10" before "3".
    assert.strictEqual(
      outcome.stdout,
      [
        'Amount: the most frequent values of the property "Amount" on "Charged" events, 2025-01-01 to 2025-01-07',
        "value  events",
        "10          1",
        "3           1",
        "",
      ].join("\n"),
    )
    const csv = await run([...args, "20250107", "--top", "Amount", "--asc", "--csv"])
    assert.strictEqual(
      csv.stdout,
      "group,value,count\nAmount,10,1\nAmount,3,1\nAmount,5,1\nAmount,7,1\n",
    )
    // No profile record was uploaded: no profile has a Plan.
    const plans = await run([...args, "20250107", "--top-profile", "Plan", "--json"])
    assert.strictEqual(plans.stdout, '{"status":"success","Plan":[]}\n')
    const tooMany = await run([...args, "20250107", "--top", "Amount", "--top-n", "101"])
    assert.strictEqual(tooMany.code, 2)
    assert.strictEqual(
      tooMany.stderr,
      'trendline: --top "Amount": --top-n must be between 1 and 100; it is 101\n',
    )
  })

  it("checks the request with core first and says every issue in terms of the flags: exit 2", async () => {
    const outcome = await run([
      "query",
      "--db",
      db,
      "--from",
      "20250231",
      "--to",
      "20250103",
      "--group",
      "x=minutely",
    ])
    assert.strictEqual(outcome.code, 2)
    assert.strictEqual(outcome.stdout, "")
    assert.deepStrictEqual(outcome.stderr.trimEnd().split("\n"), [
      "trendline: --event is missing: give the event to count, e.g. --event Charged",
      "trendline: --from: 20250231 is not a real calendar date: February 2025 has 28 days",
      "trendline: --group x=minutely: TYPE must be hourly, daily, weekly, monthly, quarterly or yearly",
    ])
  })

  const refusal = async (argv: ReadonlyArray<string>) => {
    const outcome = await run(["query", "--db", db, "--event", "Charged", ...argv])
    assert.strictEqual(outcome.code, 2, outcome.stderr)
    assert.strictEqual(outcome.stdout, "")
    return outcome.stderr
  }

  it("words a range too long in the flags given, with core's limit: --last and --from/--to", async () => {
    const lastLine = (today: Calendar.Day) =>
      `trendline: --last 400 reaches before the oldest allowed day, ${Calendar.toDateInt(today - 365)}: a query covers at most 366 days, today included; give --last 366 or less, or --from and --to for older days\n`
    const before = Calendar.today(Date.now(), "UTC")
    const stderr = await refusal(["--last", "400"])
    // Today is read again when the query runs, which may be after midnight.
    assert.include([lastLine(before), lastLine(Calendar.today(Date.now(), "UTC"))], stderr)
    assert.strictEqual(
      await refusal(["--from", "20240101", "--to", "2025-01-31"]),
      "trendline: --from 20240101 --to 2025-01-31 covers 397 days (both ends count) but a query covers at most 366; give --to 20241231 or earlier, or split the range into several queries\n",
    )
  })

  it("names the flags of a reversed range, missing dates, an empty --event or --sum", async () => {
    assert.strictEqual(
      await refusal(["--from", "20250107", "--to", "20250101"]),
      "trendline: --from 20250107 is after --to 20250101: the range must start on or before its last day; swap the two dates\n",
    )
    assert.strictEqual(
      await refusal(["--to", "20250101"]),
      "trendline: --from is missing: give the first day, e.g. --from 20250101, or --last DAYS for the days ending today\n",
    )
    assert.strictEqual(
      await refusal([...week, "--event", " ", "--sum", ""]),
      [
        "trendline: --event is empty: give the event to count, e.g. --event Charged",
        "trendline: --sum is empty: give the integer property to sum, e.g. --sum Amount, or leave --sum out to count events",
        "",
      ].join("\n"),
    )
  })

  it("refuses --unique with --sum, naming both flags: exit 2", async () => {
    const stderr = await refusal([...week, "--unique", "--sum", "Amount"])
    assert.strictEqual(
      stderr,
      "trendline: --sum and --unique cannot be combined: --unique counts distinct profiles, --sum adds up a property; give one of them\n",
    )
    assert.notMatch(stderr, /sum_event_prop|"unique"|event_name/)
  })

  it("refuses an unknown time zone when it runs, as a usage error: exit 2", async () => {
    const outcome = await run([
      "query",
      "--db",
      freshDatabase(),
      "--event",
      "Charged",
      "--last",
      "7",
      "--timezone",
      "Mars/Olympus",
    ])
    assert.deepStrictEqual(outcome, {
      code: 2,
      stdout: "",
      stderr:
        'trendline: --timezone: unknown time zone "Mars/Olympus"; use an IANA name such as UTC, Europe/London or America/New_York\nRun trendline --help to see every option.\n',
    })
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
