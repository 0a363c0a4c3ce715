// `trendline query --compare` and `--breakdown` run as a script would run them: on a local
// database holding the commands' fixture (events.jsonl: Charged on 2025-01-01, 01-02 and 01-06)
// and platforms.jsonl (Viewed, by Platform: "ios", "android", the text "5", the number 5, and
// an event without it), the expected figures computed from the fixtures by core's reference
// aggregator, a breakdown's series over the records with exactly that value; and against a
// stand-in for the hosted API on loopback, which answers without `trendline`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Account from "@trendline/core/Account"
import type * as TopCounts from "@trendline/core/TopCounts"
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
import { displayValue } from "../src/view/TopView.ts"
import { hostedApi } from "./hostedApi.ts"

const recordsOf = (name: string) => {
  const file = join(import.meta.dirname, "fixtures", name)
  return {
    file,
    records: Either.getOrThrow(Upload.parseRecords(readFileSync(file, "utf8"), file)).records,
  }
}
const charged = recordsOf("events.jsonl")
const viewed = recordsOf("platforms.jsonl")
// Local mode's account: UTC, ISO weeks.
const account = Account.make("local")
const folder = mkdtempSync(join(tmpdir(), "trendline-compare-"))
const db = join(folder, "trendline.db")
afterAll(() => rmSync(folder, { recursive: true, force: true }))

beforeAll(async () => {
  // events.jsonl holds one record without an identity: 3, some unprocessed.
  assert.strictEqual((await run(["upload", charged.file, "--db", db])).code, 3)
  assert.strictEqual((await run(["upload", viewed.file, "--db", db])).code, 0)
})

const query = (...argv: ReadonlyArray<string>) => run(["query", "--db", db, ...argv])

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

// One group's buckets of the reference answer, in key order.
const bucketsOf = (
  records: ReadonlyArray<unknown>,
  body: Record<string, unknown>,
  group: string,
): Array<readonly [key: string, value: number]> =>
  Object.entries(
    Uploads.expectedTrends(account, records, body)[group] as Record<string, number>,
  ).sort(([a], [b]) => a.localeCompare(b))

// A bucket beside the earlier period's in the same position, as core defines the change.
const changeOf = (value: number, previous: number) => ({
  change: value - previous,
  change_ratio: previous === 0 ? null : (value - previous) / Math.abs(previous),
})

describe("trendline query --compare (local)", () => {
  // Days 01-04..01-07 beside the four days before, 2024-12-31..2025-01-03: both hold events.
  const range = { from: 20250104, to: 20250107 }
  const previousRange = { from: 20241231, to: 20250103 }
  const flags = ["--event", "Charged", "--from", "20250104", "--to", "20250107"]
  const bodyOf = (dates: typeof range, measure: Record<string, unknown> = {}) => ({
    event_name: "Charged",
    ...dates,
    groups: { daily: { trend_type: "daily" } },
    ...measure,
  })

  it("gives each bucket the previous period's bucket, its value and the change", async () => {
    const now = bucketsOf(charged.records, bodyOf(range), "daily")
    const before = bucketsOf(charged.records, bodyOf(previousRange), "daily")
    assert.strictEqual(now.length, before.length)
    // The fixture gives the test something to compare: events in both periods, a ratio.
    assert.isAbove(
      before.reduce((sum, [, value]) => sum + value, 0),
      0,
    )
    assert.isAbove(
      now.reduce((sum, [, value]) => sum + value, 0),
      0,
    )
    const totalNow = Uploads.expectedTotals(account, charged.records, bodyOf(range)).daily!
    const totalBefore = Uploads.expectedTotals(account, charged.records, bodyOf(previousRange))
      .daily!

    const outcome = await query(...flags, "--compare", "previous_period", "--totals")
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(outcome.stderr, "")
    const lines = outcome.stdout.trimEnd().split("\n")
    assert.strictEqual(
      lines[0],
      `daily: daily events of "Charged", 2025-01-04 to 2025-01-07; previous: the period before, 2024-12-31 to 2025-01-03`,
    )
    assert.match(lines[1]!, /^bucket +days +events +previous +change$/)
    now.forEach(([key, value], b) => {
      const [previousKey, previous] = before[b]!
      const change = QueryTable.changeText(changeOf(value, previous))
      assert.match(
        lines[2 + b]!,
        new RegExp(`^${key} +\\S+ +${value} +${previousKey} +${previous} +${literal(change)}$`),
      )
    })
    assert.match(
      lines.at(-1)!,
      new RegExp(
        `^total +${totalNow} +${totalBefore} +${literal(QueryTable.changeText(changeOf(totalNow, totalBefore)))}$`,
      ),
    )
  })

  it("says a change with its ratio as a percentage, and — without one", () => {
    assert.strictEqual(QueryTable.changeText(changeOf(3, 2)), "+1 (+50%)")
    assert.strictEqual(QueryTable.changeText(changeOf(1, 3)), "-2 (-66.7%)")
    assert.strictEqual(QueryTable.changeText(changeOf(2, 2)), "0 (0%)")
    assert.strictEqual(QueryTable.changeText(changeOf(2, 0)), "+2 (—)")
    assert.strictEqual(QueryTable.changeText({ change: null, change_ratio: null }), "—")
  })

  it("adds previous_key,previous,change,change_ratio to the CSV, and the comparison to the JSON", async () => {
    const measure = { sum_event_prop: "Amount" }
    const now = bucketsOf(charged.records, bodyOf(range, measure), "daily")
    const before = bucketsOf(charged.records, bodyOf(previousRange, measure), "daily")
    const csv = await query(...flags, "--sum", "Amount", "--compare", "previous_period", "--csv")
    assert.strictEqual(csv.code, 0, csv.stderr)
    const rows = csv.stdout.trimEnd().split("\n")
    assert.strictEqual(
      rows[0],
      "group,trend_type,key,start,end,value,previous_key,previous,change,change_ratio",
    )
    assert.deepStrictEqual(
      rows.slice(1).map((row) => row.split(",").slice(5)),
      now.map(([, value], b) => {
        const [previousKey, previous] = before[b]!
        const { change, change_ratio } = changeOf(value, previous)
        return [
          String(value),
          previousKey,
          String(previous),
          String(change),
          change_ratio === null ? "" : String(change_ratio),
        ]
      }),
    )
    const json = await query(...flags, "--compare", "previous_year", "--json")
    assert.strictEqual(json.code, 0, json.stderr)
    const comparison = JSON.parse(json.stdout).trendline.groups.daily.compare
    assert.deepStrictEqual(
      { kind: comparison.kind, from: comparison.from, to: comparison.to },
      { kind: "previous_year", from: 20240104, to: 20240107 },
    )
  })
})

describe("trendline query --breakdown (local)", () => {
  const week = { event_name: "Viewed", from: 20250101, to: 20250107 }
  const dailyBody = { ...week, groups: { daily: { trend_type: "daily" } } }
  // The most frequent Platform values, by core's reference top counts.
  const topValues = (topN: number): ReadonlyArray<TopCounts.Value> =>
    (
      Uploads.expectedTop(account, viewed.records, {
        ...week,
        groups: { p: { property_type: "event_properties", name: "Platform", top_n: topN } },
      }).p as ReadonlyArray<{ readonly value: TopCounts.Value }>
    ).map((entry) => entry.value)
  // The records whose Platform is exactly `keep`'s (`"5"` and `5` apart).
  const platformOf = (record: unknown): unknown =>
    (record as { evtData?: { Platform?: unknown } }).evtData?.Platform
  const seriesOf = (keep: (platform: unknown) => boolean) =>
    bucketsOf(
      viewed.records.filter((record) => keep(platformOf(record))),
      dailyBody,
      "daily",
    ).map(([, value]) => value)
  const table = (outcome: { readonly stdout: string }) =>
    outcome.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/ {2,}/))

  it("gives a column a top value and other, adding up to the group's count", async () => {
    const top = topValues(2)
    assert.strictEqual(top.length, 2)
    const group = bucketsOf(viewed.records, dailyBody, "daily")
    const series = top.map((value) => seriesOf((platform) => platform === value))
    const other = seriesOf((platform) => !top.includes(platform as TopCounts.Value))
    group.forEach(([, value], b) => {
      assert.strictEqual(
        series.reduce((sum, each) => sum + each[b]!, other[b]!),
        value,
      )
    })

    const outcome = await query(
      ...["--event", "Viewed", ...fixtureWeek, "--breakdown", "Platform", "--breakdown-n", "2"],
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.include(outcome.stdout.split("\n")[0]!, `, by the property "Platform"`)
    const rows = table(outcome)
    assert.deepStrictEqual(rows[0], ["bucket", "days", "events", ...top.map(displayValue), "other"])
    assert.deepStrictEqual(
      rows.slice(1, -1),
      group.map(([key, value], b) => [
        key,
        rows[b + 1]![1]!,
        String(value),
        ...series.map((each) => String(each[b])),
        String(other[b]),
      ]),
    )
    const sum = (values: ReadonlyArray<number>) => String(values.reduce((a, b) => a + b, 0))
    assert.deepStrictEqual(rows.at(-1), [
      "total",
      sum(group.map(([, value]) => value)),
      ...series.map(sum),
      sum(other),
    ])
  })

  it("quotes a text that reads as a number, apart from the number; distinct profiles have no other", async () => {
    const top = topValues(20)
    assert.includeMembers([...top], ["5", 5])
    const outcome = await query(
      ...["--event", "Viewed", ...fixtureWeek, "--breakdown", "Platform", "--breakdown-n", "20"],
      "--unique",
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const header = table(outcome)[0]!
    assert.deepStrictEqual(header, ["bucket", "days", "profiles", ...top.map(displayValue)])
    assert.include(header, `"5"`)
    assert.include(header, "5")
  })

  it("writes the long form group,bucket,series,value with --csv", async () => {
    const top = topValues(2)
    const group = bucketsOf(viewed.records, dailyBody, "daily")
    const series = [
      ...top.map(
        (value) => [displayValue(value), seriesOf((platform) => platform === value)] as const,
      ),
      ["other", seriesOf((platform) => !top.includes(platform as TopCounts.Value))] as const,
    ]
    const outcome = await query(
      ...["--event", "Viewed", ...fixtureWeek, "--breakdown", "Platform", "--breakdown-n", "2"],
      "--csv",
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.strictEqual(
      outcome.stdout,
      [
        "group,bucket,series,value",
        ...group.flatMap(([key], b) =>
          series.map(([name, values]) => `daily,${key},${name},${values[b]}`),
        ),
        "",
      ].join("\n"),
    )
  })

  it("combines with --compare, --totals, --bucket-meta and --where", async () => {
    const outcome = await query(
      ...["--event", "Viewed", ...fixtureWeek, "--breakdown", "Platform", "--breakdown-n", "2"],
      ...[
        "--compare",
        "previous_period",
        "--totals",
        "--bucket-meta",
        "--where",
        "Platform exists",
      ],
    )
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const header = table(outcome)[0]!
    assert.deepStrictEqual(header.slice(2), [
      "events",
      "previous",
      "change",
      ...topValues(2).map(displayValue),
      "other",
    ])
    // With the filter, the event without a Platform is in no series, nor in other.
    const other = table(outcome)
      .slice(1, -1)
      .map((row) => Number(row.at(-1)))
    assert.deepStrictEqual(
      other,
      seriesOf(
        (platform) => platform !== undefined && !topValues(2).includes(platform as TopCounts.Value),
      ),
    )
  })
})

describe("trendline query --compare and --breakdown: usage errors", () => {
  const usage = (...argv: ReadonlyArray<string>): string => {
    const invocation = Cli.parse(["query", "--event", "Charged", "--last", "7", ...argv], {})
    assert.strictEqual(invocation._tag, "UsageError")
    return invocation._tag === "UsageError" ? invocation.message : ""
  }

  it("names the two choices of a bad --compare", () => {
    const message = usage("--compare", "last_week")
    assert.include(message, `--compare "last_week"`)
    assert.include(message, "previous_period")
    assert.include(message, "previous_year")
  })

  it("takes --breakdown-n from 1 to core's most series, with a property to break down by", () => {
    assert.strictEqual(QueryOptions.maxBreakdownValues, TrendsRequest.maxBreakdownValues)
    for (const n of ["0", String(TrendsRequest.maxBreakdownValues + 1), "five"])
      assert.include(
        usage("--breakdown", "Platform", "--breakdown-n", n),
        `--breakdown-n: give a number of values from 1 to ${TrendsRequest.maxBreakdownValues}`,
      )
    assert.include(usage("--breakdown-n", "3"), "--breakdown-n goes with --breakdown")
    assert.include(
      usage("--breakdown", "Platform", "--breakdown-profile", "Plan"),
      "--breakdown and --breakdown-profile: pick one",
    )
    assert.include(
      usage("--breakdown", "Platform", "--compare", "previous_year", "--csv"),
      "--csv with --breakdown is the long form",
    )
  })

  it("refuses them with --top, like the other extensions", () => {
    for (const flags of [
      ["--compare", "previous_period"],
      ["--breakdown", "Platform"],
      ["--breakdown-profile", "Plan"],
      ["--rolling", "7"],
    ])
      assert.include(
        usage("--top", "Item", ...flags),
        "--compare, --breakdown and --rolling extend a trends answer: a top values query (--top, --top-profile) takes none of them",
      )
  })

  it("says a server's issue of a breakdown or a comparison in the words of the flags", () => {
    const options = QueryOptions.options({
      event: "Charged",
      last: "7",
      breakdown: "Platform",
      "breakdown-n": "3",
      compare: "previous_year",
    })
    assert.strictEqual(options._tag, "Valid")
    if (options._tag !== "Valid") return
    const context = { today: 20000, maxRangeDays: 365 }
    assert.strictEqual(
      QueryIssues.line(
        { path: "groups.daily.breakdown.top_n", message: "must be at most 2 here" },
        options.value,
        context,
      ),
      "--breakdown-n 3: must be at most 2 here",
    )
    assert.strictEqual(
      QueryIssues.line({ path: "compare", message: `leave "compare" out` }, options.value, context),
      "--compare previous_year: leave --compare out",
    )
  })
})

describe("trendline query --compare and --breakdown against a hosted API (remote)", () => {
  const remoteQuery = hostedApi(account, charged.records).query
  const groups = ["--group", "daily", "--group", "w=weekly"]

  it("sends compare, and the breakdown on every group, only when asked", async () => {
    const plain = await remoteQuery(...groups)
    assert.notProperty(plain.sent, "compare")
    assert.deepStrictEqual(plain.sent?.groups, {
      daily: { trend_type: "daily" },
      w: { trend_type: "weekly" },
    })
    const asked = await remoteQuery(
      ...groups,
      ...["--compare", "previous_year", "--breakdown-profile", "Plan", "--breakdown-n", "3"],
    )
    assert.strictEqual(asked.sent?.compare, "previous_year")
    const breakdown = { property_type: "profile_fields", name: "Plan", top_n: 3 }
    assert.deepStrictEqual(asked.sent?.groups, {
      daily: { trend_type: "daily", breakdown },
      w: { trend_type: "weekly", breakdown },
    })
  })

  it("says so once on stderr, and prints the plain table: exit 0", async () => {
    const plain = await remoteQuery(...groups, "--totals")
    const asked = await remoteQuery(
      ...groups,
      ...["--totals", "--compare", "previous_period", "--breakdown", "Amount"],
    )
    assert.strictEqual(asked.code, 0, asked.stderr)
    assert.strictEqual(asked.stdout, plain.stdout)
    assert.notMatch(asked.stdout, /previous|change|other/)
    assert.strictEqual(
      asked.stderr,
      `trendline: ${Query.ignoredLine({ totals: true, bucketMeta: false, compare: "previous_period", breakdown: true })}\n`,
    )
    assert.include(asked.stderr, "--totals, --compare and --breakdown asked for")
    // The CSV falls back to the plain one too.
    const csv = await remoteQuery("--breakdown", "Amount", "--csv")
    assert.strictEqual(csv.code, 0, csv.stderr)
    assert.strictEqual(csv.stdout, (await remoteQuery("--csv")).stdout)
    assert.strictEqual(csv.stderr.split("\n").length, 2)
  })
})
