// `trendline query --group NAME=hourly` and `--rolling N` run as a script would run them: on a
// local database holding the commands' fixture (events.jsonl: Charged on 2025-01-01 at 10:00
// and 12:00 UTC, on 01-02 and on 01-06), the expected figures computed from the fixture by
// core's reference aggregator (a day's window as the total over its days); and against a
// stand-in for the hosted API on loopback, which answers without `trendline`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import * as Bucket from "@trendline/core/Bucket"
import * as Calendar from "@trendline/core/Calendar"
import * as Limits from "@trendline/core/Limits"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as Uploads from "@trendline/core/testing/Uploads"
import * as Either from "effect/Either"
import { afterAll, beforeAll } from "vitest"
import * as Cli from "../src/Cli.ts"
import * as Query from "../src/commands/Query.ts"
import * as QueryIssues from "../src/commands/QueryIssues.ts"
import * as QueryOptions from "../src/commands/QueryOptions.ts"
import * as QueryTable from "../src/commands/QueryTable.ts"
import * as Upload from "../src/commands/Upload.ts"
import { fixtureWeek, run } from "../src/testing/Commands.ts"
import { hostedApi } from "./hostedApi.ts"

const fixture = join(import.meta.dirname, "fixtures", "events.jsonl")
const records = Either.getOrThrow(
  Upload.parseRecords(readFileSync(fixture, "utf8"), fixture),
).records
// Local mode's account: UTC, ISO weeks.
const account = Account.make("local")
const folder = mkdtempSync(join(tmpdir(), "trendline-hourly-"))
const db = join(folder, "trendline.db")
afterAll(() => rmSync(folder, { recursive: true, force: true }))

beforeAll(async () => {
  assert.strictEqual((await run(["upload", fixture, "--db", db])).code, 3)
})

const query = (...argv: ReadonlyArray<string>) =>
  run(["query", "--db", db, "--event", "Charged", ...argv])

// A table's rows after its title: its cells, split where two spaces or more part them.
const cells = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((line) => line.split(/ {2,}/))

describe("trendline query --group NAME=hourly (local)", () => {
  it("gives every hour of the day, each its day and hour, as the reference aggregator counts", async () => {
    const body = {
      event_name: "Charged",
      from: 20250101,
      to: 20250101,
      groups: { h: { trend_type: "hourly" } },
    }
    const expected = Uploads.expectedTrends(account, records, body).h as Record<string, number>
    // The fixture puts events in two hours of the day: the test tells hours apart.
    assert.deepStrictEqual(
      Object.entries(expected).filter(([, value]) => value > 0),
      [
        ["2025010110", 1],
        ["2025010112", 1],
      ],
    )
    const outcome = await query("--from", "20250101", "--to", "20250101", "--group", "h=hourly")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(outcome.stderr, "")
    assert.strictEqual(
      outcome.stdout.split("\n")[0],
      `h: hourly events of "Charged", 2025-01-01 to 2025-01-01`,
    )
    const rows = cells(outcome.stdout)
    assert.deepStrictEqual(rows[0], ["bucket", "days", "events"])
    assert.deepStrictEqual(
      rows.slice(1, -1),
      Array.from({ length: 24 }, (_, hour) => {
        const hh = String(hour).padStart(2, "0")
        return [`20250101${hh}`, `2025-01-01 ${hh}h`, String(expected[`20250101${hh}`])]
      }),
    )
    assert.deepStrictEqual(rows.at(-1), ["total", "2"])
  })

  it("keeps the raw key in the CSV, and has 25 or 23 hours on the DST days of the zone", async () => {
    const csv = await query("--from", "20250101", "--to", "20250101", "--group", "hourly", "--csv")
    assert.strictEqual(csv.code, 0, csv.stderr)
    const rows = csv.stdout.trimEnd().split("\n")
    assert.strictEqual(rows.length, 1 + 24)
    assert.strictEqual(rows[11], "hourly,hourly,2025010110,2025-01-01,2025-01-01,1")

    const zone = ["--timezone", "America/New_York", "--group", "h=hourly", "--csv"]
    const fall = await query("--from", "20251102", "--to", "20251102", ...zone)
    assert.strictEqual(fall.code, 0, fall.stderr)
    const fallKeys = fall.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((row) => row.split(",")[2])
    assert.strictEqual(fallKeys.length, 25)
    assert.strictEqual(fallKeys.at(-1), "2025110224")
    const spring = await query("--from", "20250309", "--to", "20250309", ...zone)
    assert.strictEqual(spring.code, 0, spring.stderr)
    assert.strictEqual(spring.stdout.trimEnd().split("\n").length, 1 + 23)
  })

  it("refuses a range past core's limit for hours, in the words of the flags: exit 2", async () => {
    const limit = Limits.defaults.maxHourlyDays
    const from = Calendar.unsafeMakeDay(2025, 1, 1)
    const to = from + limit // one day too many
    const dates = await query(
      ...["--from", "20250101", "--to", String(Calendar.toDateInt(to))],
      ...["--group", "d=daily", "--group", "h=hourly"],
    )
    assert.strictEqual(dates.code, 2)
    assert.strictEqual(dates.stdout, "")
    assert.strictEqual(
      dates.stderr,
      `trendline: --from 20250101 --to ${Calendar.toDateInt(to)} covers ${limit + 1} days but a range with --group h=hourly covers at most ${limit}; give --to ${Calendar.toDateInt(to - 1)} or earlier, or make the group daily\n`,
    )
    const last = await query("--last", String(limit + 1), "--group", "hourly")
    assert.strictEqual(last.code, 2)
    assert.strictEqual(
      last.stderr,
      `trendline: --last ${limit + 1} with --group hourly=hourly: a range with an hourly group covers at most ${limit} days; give --last ${limit} or less, or make the group daily\n`,
    )
    // The limit itself is taken.
    const longest = await query("--last", String(limit), "--group", "hourly", "--csv")
    assert.strictEqual(longest.code, 0, longest.stderr)
  })
})

describe("trendline query --rolling N (local)", () => {
  // Each day's window as core's reference counts it: the total over its N days.
  const windowsOf = (days: number, measure: Record<string, unknown> = {}) =>
    Array.from({ length: 7 }, (_, offset) => {
      const last = Calendar.unsafeMakeDay(2025, 1, 1) + offset
      return Uploads.expectedTotals(account, records, {
        event_name: "Charged",
        from: Calendar.toDateInt(last - days + 1),
        to: Calendar.toDateInt(last),
        groups: { window: { trend_type: "daily" } },
        ...measure,
      }).window!
    })

  it("adds a column of each day's window, without a total, under a legend", async () => {
    const windows = windowsOf(3)
    const daily = Uploads.expectedTrends(account, records, {
      event_name: "Charged",
      from: 20250101,
      to: 20250107,
      groups: { daily: { trend_type: "daily" } },
    }).daily as Record<string, number>
    // Windows are not the days: the test tells them apart.
    assert.notDeepEqual(windows, Object.values(daily))

    const outcome = await query(...fixtureWeek, "--rolling", "3")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const rows = cells(outcome.stdout)
    assert.deepStrictEqual(rows[0], ["bucket", "days", "events", "rolling 3d"])
    assert.deepStrictEqual(
      rows.slice(1, 8).map((row) => [row[0], row[2], row[3]]),
      Object.entries(daily).map(([key, value], d) => [key, String(value), String(windows[d])]),
    )
    assert.deepStrictEqual(rows[8], ["total", "4"])
    assert.strictEqual(
      outcome.stdout.trimEnd().split("\n").at(-1),
      QueryTable.rollingLegend(3, "events"),
    )
  })

  it("counts each profile once a window with --unique, on daily groups only", async () => {
    const windows = windowsOf(7, { unique: true })
    // alice on two days of a window counts once: less than the sum of the days.
    assert.strictEqual(windows[1], 2)
    const outcome = await query(...fixtureWeek, "--unique", "--rolling", "7")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.deepStrictEqual(
      cells(outcome.stdout)
        .slice(1, 8)
        .map((row) => Number(row.at(-1))),
      windows,
    )
    assert.include(outcome.stdout, "rolling 7d: each day's distinct profiles over the 7 days")

    const mixed = await query(...fixtureWeek, "--group", "daily", "--group", "w=weekly")
    const withRolling = await query(
      ...[...fixtureWeek, "--group", "daily", "--group", "w=weekly", "--rolling", "7"],
    )
    assert.strictEqual(withRolling.code, 0, withRolling.stderr)
    // The weekly table is the same as without --rolling.
    const weekly = (text: string) => text.slice(text.indexOf("\nw: "))
    assert.strictEqual(weekly(withRolling.stdout), weekly(mixed.stdout))
  })

  it("adds rolling to the CSV only when asked, and the windows to the JSON", async () => {
    const windows = windowsOf(2, { sum_event_prop: "Amount" })
    const csv = await query(...fixtureWeek, "--sum", "Amount", "--rolling", "2", "--csv")
    assert.strictEqual(csv.code, 0, csv.stderr)
    const rows = csv.stdout.trimEnd().split("\n")
    assert.strictEqual(rows[0], "group,trend_type,key,start,end,value,rolling")
    assert.deepStrictEqual(
      rows.slice(1).map((row) => Number(row.split(",").at(-1))),
      windows,
    )
    const plain = await query(...fixtureWeek, "--csv")
    assert.strictEqual(plain.stdout.split("\n")[0], "group,trend_type,key,start,end,value")

    const json = await query(...fixtureWeek, "--rolling", "2", "--group", "daily", "--json")
    assert.strictEqual(json.code, 0, json.stderr)
    const rolling = JSON.parse(json.stdout).trendline.groups.daily.rolling
    assert.strictEqual(rolling.days, 2)
    assert.deepStrictEqual(Object.values(rolling.buckets), windowsOf(2))
  })
})

describe("trendline query --rolling: usage errors", () => {
  const usage = (...argv: ReadonlyArray<string>): string => {
    const invocation = Cli.parse(["query", "--event", "Charged", "--last", "7", ...argv], {})
    assert.strictEqual(invocation._tag, "UsageError")
    return invocation._tag === "UsageError" ? invocation.message : ""
  }

  it("takes --group with every one of core's trend types, and no other", () => {
    // The option parser keeps its own list (it loads no core module, for --help's speed).
    assert.strictEqual(
      QueryOptions.trendTypeWords,
      `${Bucket.TrendType.literals.slice(0, -1).join(", ")} or ${Bucket.TrendType.literals.at(-1)}`,
    )
    for (const trendType of Bucket.TrendType.literals) {
      const parsed = Cli.parse(
        ["query", "--event", "Charged", "--last", "7", "--group", trendType],
        {},
      )
      assert.strictEqual(parsed._tag, "Command", trendType)
    }
    assert.include(usage("--group", "minutely"), "minutely")
  })

  it("takes a whole number of days from 1 to core's longest window", () => {
    assert.strictEqual(QueryOptions.maxRollingDays, TrendsRequest.maxRollingDays)
    for (const days of ["0", String(TrendsRequest.maxRollingDays + 1), "seven", "7.5", "-7"])
      assert.include(
        usage(`--rolling=${days}`),
        `--rolling: give a number of days from 1 to ${TrendsRequest.maxRollingDays}`,
      )
    const longest = Cli.parse(["query", "--event", "Charged", "--last", "7", "--rolling", "90"], {})
    assert.strictEqual(longest._tag, "Command")
  })

  it("needs a daily group, and no --top; leaves no room in the breakdown's CSV", () => {
    assert.strictEqual(
      usage("--group", "w=weekly", "--group", "hourly", "--rolling", "7"),
      "trendline: --rolling 7 needs a daily group (a window ends on each day): add --group daily, or leave --rolling out\nRun trendline --help to see every option.",
    )
    assert.include(
      usage("--top", "Item", "--rolling", "7"),
      "--compare, --breakdown and --rolling extend a trends answer",
    )
    assert.include(
      usage("--breakdown", "Platform", "--rolling", "7", "--csv"),
      "with no room for --totals, --bucket-meta, --compare or --rolling",
    )
  })

  it("sends rolling on the daily groups only", () => {
    const options = QueryOptions.options({
      event: "Charged",
      last: "7",
      group: ["daily", "w=weekly", "h=hourly", "d2=daily"],
      rolling: "30",
    })
    assert.strictEqual(options._tag, "Valid")
    if (options._tag !== "Valid") return
    assert.deepStrictEqual(Query.requestOf(options.value, 20089).groups, {
      daily: { trend_type: "daily", rolling: 30 },
      w: { trend_type: "weekly" },
      h: { trend_type: "hourly" },
      d2: { trend_type: "daily", rolling: 30 },
    })
  })

  it("says a server's issue of a window in the words of the flags", () => {
    const options = QueryOptions.options({ event: "Charged", last: "7", rolling: "30" })
    assert.strictEqual(options._tag, "Valid")
    if (options._tag !== "Valid") return
    assert.strictEqual(
      QueryIssues.line(
        { path: "groups.daily.rolling", message: `"rolling" reaches too far back here` },
        options.value,
        { today: 20000, maxRangeDays: 366 },
      ),
      "--rolling 30: --rolling reaches too far back here",
    )
  })
})

describe("trendline query --rolling against a hosted API (remote)", () => {
  const remoteQuery = hostedApi(account, records).query

  it("sends rolling, and says once on stderr that the answer came without it: exit 0", async () => {
    const plain = await remoteQuery()
    const asked = await remoteQuery("--rolling", "7")
    assert.deepStrictEqual(asked.sent?.groups, { daily: { trend_type: "daily", rolling: 7 } })
    assert.strictEqual(asked.code, 0, asked.stderr)
    assert.strictEqual(asked.stdout, plain.stdout)
    assert.strictEqual(
      asked.stderr,
      `trendline: ${Query.ignoredLine({ totals: false, bucketMeta: false, rolling: true })}\n`,
    )
    assert.include(asked.stderr, "what --rolling asked for")
    const csv = await remoteQuery("--rolling", "7", "--csv")
    assert.strictEqual(csv.stdout, (await remoteQuery("--csv")).stdout)
  })
})
