// `trendline query --totals --bucket-meta` run as a script would run them: on a local
// database holding the commands' fixture (see commands.test.ts: Charged on 2025-01-01 by
// alice and bob, 2025-01-02 by alice, 2025-01-06 by carol), the expected figures computed
// from the fixture by core's reference aggregator; and against a stand-in for the hosted API
// on loopback, which does not know Trendline's fields and answers without `trendline`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Calendar from "@trendline/core/Calendar"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as Either from "effect/Either"
import { afterAll, beforeAll } from "vitest"
import * as Query from "../src/commands/Query.ts"
import * as QueryTable from "../src/commands/QueryTable.ts"
import * as Upload from "../src/commands/Upload.ts"
import * as Extras from "../src/Extras.ts"
import { fixtureWeek, run } from "../src/testing/Commands.ts"
import { hostedApi } from "./hostedApi.ts"

const fixture = join(import.meta.dirname, "fixtures", "events.jsonl")
const records = Either.getOrThrow(
  Upload.parseRecords(readFileSync(fixture, "utf8"), fixture),
).records
// Local mode's account: UTC, ISO weeks.
const account = Account.make("local")
const folder = mkdtempSync(join(tmpdir(), "trendline-extras-"))
const db = join(folder, "trendline.db")
afterAll(() => rmSync(folder, { recursive: true, force: true }))

beforeAll(async () => {
  assert.strictEqual((await run(["upload", fixture, "--db", db])).code, 3)
})

// The wire body of the fixture's week, for core's reference aggregator.
const weekBody = (groups: Record<string, string>, measure: Record<string, unknown> = {}) => ({
  event_name: "Charged",
  from: 20250101,
  to: 20250107,
  groups: Object.fromEntries(
    Object.entries(groups).map(([name, type]) => [name, { trend_type: type }]),
  ),
  ...measure,
})

const query = (...argv: ReadonlyArray<string>) =>
  run(["query", "--db", db, "--event", "Charged", ...argv])

describe("trendline query --totals (local)", () => {
  it("with --unique ends each table with the distinct profiles of the whole range, labelled so", async () => {
    const body = weekBody({ daily: "daily" }, { unique: true })
    const distinct = Uploads.expectedTotals(account, records, body).daily!
    const buckets = Uploads.expectedTrends(account, records, body).daily as Record<string, number>
    // A sum of the days would count alice twice: the test tells the two apart.
    assert.isBelow(
      distinct,
      Object.values(buckets).reduce((sum, value) => sum + value, 0),
    )
    const outcome = await query(...fixtureWeek, "--unique", "--totals")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(outcome.stderr, "")
    const lines = outcome.stdout.trimEnd().split("\n")
    assert.match(lines.at(-2)!, new RegExp(`^distinct {2}whole range +${distinct}$`))
    assert.strictEqual(lines.at(-1), QueryTable.distinctLegend)
    assert.notMatch(outcome.stdout, /^total/m)
    // Without --totals, still no total of distinct profiles: a sum would be wrong.
    const plain = await query(...fixtureWeek, "--unique")
    assert.notMatch(plain.stdout, /^(total|distinct) /m)
  })

  it("takes the total row of a count or a sum from the answer", async () => {
    const body = weekBody({ w: "weekly" }, { sum_event_prop: "Amount" })
    const total = Uploads.expectedTotals(account, records, body).w!
    const outcome = await query(
      ...fixtureWeek,
      "--group",
      "w=weekly",
      "--sum",
      "Amount",
      "--totals",
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.match(outcome.stdout, new RegExp(`\\ntotal +${total}\\n$`))
  })

  it("is in the wire JSON under trendline, and a CSV column with --csv", async () => {
    const body = weekBody({ w: "weekly" }, { unique: true })
    const distinct = Uploads.expectedTotals(account, records, body).w!
    const json = await query(
      ...fixtureWeek,
      "--group",
      "w=weekly",
      "--unique",
      "--totals",
      "--json",
    )
    assert.strictEqual(json.code, 0, json.stderr)
    const wire = JSON.parse(json.stdout)
    assert.deepStrictEqual(wire.trendline, { groups: { w: { total: distinct } } })
    assert.deepStrictEqual(wire.w, Uploads.expectedTrends(account, records, body).w)
    const csv = await query(...fixtureWeek, "--group", "w=weekly", "--unique", "--totals", "--csv")
    assert.strictEqual(
      csv.stdout,
      [
        "group,trend_type,key,start,end,value,group_total",
        `w,weekly,202501,2025-01-01,2025-01-05,2,${distinct}`,
        `w,weekly,202502,2025-01-06,2025-01-07,1,${distinct}`,
        "",
      ].join("\n"),
    )
  })
})

describe("trendline query --bucket-meta (local)", () => {
  it("marks exactly the buckets whose end is after now, under a legend", async () => {
    const key = (day: Calendar.Day) => String(Calendar.toDateInt(day))
    const before = Calendar.today(Date.now(), "UTC")
    const days = [before - 2, before - 1, before, before + 1]
    const outcome = await query("--from", key(days[0]!), "--to", key(days[3]!), "--bucket-meta")
    const after = Calendar.today(Date.now(), "UTC")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const rows = outcome.stdout.split("\n").filter((line) => /^\d{8} /.test(line))
    assert.strictEqual(rows.length, 4)
    const marked = rows.filter((row) => row.endsWith("*")).map((row) => row.slice(0, 8))
    // A day's bucket ends at the next midnight: those from today on had not ended. The
    // server read its clock between `before` and `after`, which a midnight may part.
    const open = (today: Calendar.Day) => days.filter((day) => day >= today).map(key)
    assert.include([String(open(before)), String(open(after))], String(marked))
    assert.isAtLeast(marked.length, 1)
    assert.include(outcome.stdout, `\n${QueryTable.incompleteLegend}\n`)
  })

  it("gives the days of the buckets the range cuts, and marks none in a past range", async () => {
    const outcome = await query(...fixtureWeek, "--group", "w=weekly", "--bucket-meta")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(
      outcome.stdout,
      [
        `w: weekly events of "Charged", 2025-01-01 to 2025-01-07`,
        "bucket  days                                  events",
        "202501  2025-01-01..2025-01-05 (5 of 7 days)       3",
        "202502  2025-01-06..2025-01-07 (2 of 7 days)       1",
        "total                                              4",
        "",
      ].join("\n"),
    )
  })

  it("adds each bucket's instants, completeness and days to the CSV", async () => {
    const outcome = await query(...fixtureWeek, "--group", "w=weekly", "--bucket-meta", "--csv")
    assert.strictEqual(
      outcome.stdout,
      [
        "group,trend_type,key,start,end,value,first,last,complete,days,whole_days",
        "w,weekly,202501,2025-01-01,2025-01-05,3,2025-01-01T00:00:00+00:00,2025-01-05T23:59:59+00:00,true,5,7",
        "w,weekly,202502,2025-01-06,2025-01-07,1,2025-01-06T00:00:00+00:00,2025-01-07T23:59:59+00:00,true,2,7",
        "",
      ].join("\n"),
    )
  })
})

describe("trendline query against a hosted API, which ignores the fields (remote)", () => {
  const remoteQuery = hostedApi(account, records).query

  it("sends totals and bucket_meta only when asked", async () => {
    const plain = await remoteQuery()
    assert.strictEqual(plain.code, 0, plain.stderr)
    assert.notProperty(plain.sent, "totals")
    assert.notProperty(plain.sent, "bucket_meta")
    const asked = await remoteQuery("--totals", "--bucket-meta")
    assert.strictEqual(asked.sent?.totals, true)
    assert.strictEqual(asked.sent?.bucket_meta, true)
  })

  it("says so once on stderr, and prints the table as without the flags: exit 0", async () => {
    const plain = await remoteQuery("--unique", "--group", "daily", "--group", "w=weekly")
    const asked = await remoteQuery(
      ...["--unique", "--group", "daily", "--group", "w=weekly", "--totals", "--bucket-meta"],
    )
    assert.strictEqual(asked.code, 0, asked.stderr)
    assert.strictEqual(asked.stdout, plain.stdout)
    assert.notMatch(asked.stdout, /^(total|distinct) |\*$/m)
    assert.strictEqual(asked.stderr, `trendline: ${Query.ignoredLine(Extras.both)}\n`)
    assert.include(asked.stderr, "--totals and --bucket-meta")
  })

  it("falls back in CSV and JSON too", async () => {
    const csv = await remoteQuery("--totals", "--csv")
    assert.strictEqual(csv.code, 0, csv.stderr)
    assert.strictEqual(csv.stdout, (await remoteQuery("--csv")).stdout)
    assert.strictEqual(
      csv.stderr,
      `trendline: ${Query.ignoredLine({ totals: true, bucketMeta: false })}\n`,
    )
    const json = await remoteQuery("--bucket-meta", "--json")
    assert.strictEqual(json.code, 0, json.stderr)
    assert.notProperty(JSON.parse(json.stdout), "trendline")
    assert.strictEqual(json.stderr.split("\n").length, 2)
  })
})
