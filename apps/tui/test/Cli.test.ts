// `Cli.parse` for every mode and flag/environment combination: which invocation, and the
// message of every usage error (where the data is, `Target.resolve`, is in Target.test.ts;
// the built command, in bin.test.ts).
import { assert, describe, it } from "@effect/vitest"
import * as Cli from "../src/Cli.ts"
import * as Query from "../src/commands/Query.ts"
import * as QueryOptions from "../src/commands/QueryOptions.ts"

type Env = Readonly<Record<string, string | undefined>>

const parse = (argv: ReadonlyArray<string>, env: Env = {}, stdoutIsTTY = true) =>
  Cli.parse(argv, env, { stdoutIsTTY })

const usageError = (argv: ReadonlyArray<string>, env: Env = {}): string => {
  const invocation = parse(argv, env)
  assert.strictEqual(invocation._tag, "UsageError", `expected a usage error for ${argv.join(" ")}`)
  return invocation._tag === "UsageError" ? invocation.message : ""
}

const interactive = (argv: ReadonlyArray<string>, env: Env = {}, stdoutIsTTY = true) => {
  const invocation = parse(argv, env, stdoutIsTTY)
  assert.strictEqual(
    invocation._tag,
    "Interactive",
    invocation._tag === "UsageError" ? invocation.message : invocation._tag,
  )
  if (invocation._tag !== "Interactive") throw new Error("unreachable")
  return invocation
}

const queryOptions = (flags: QueryOptions.Flags): QueryOptions.Options => {
  const options = QueryOptions.options(flags)
  if (options._tag === "Invalid") throw new Error(options.problems.join("\n"))
  return options.value
}

const remoteEnv = {
  TRENDLINE_URL: "http://127.0.0.1:8787/",
  TRENDLINE_ACCOUNT_ID: "acme",
  TRENDLINE_PASSCODE: "acme-passcode",
}

describe("help and version", () => {
  for (const argv of [
    ["help"],
    ["--help"],
    ["-h"],
    ["query", "--event", "x", "--help"],
    ["-h", "--nope"],
  ]) {
    it(`${argv.join(" ")} is the help, with the exit codes`, () => {
      const invocation = parse(argv)
      assert.strictEqual(invocation._tag, "Help")
      if (invocation._tag === "Help") {
        assert.include(invocation.text, "trendline query --event NAME")
        assert.include(invocation.text, "4  the server cannot be reached")
        assert.include(invocation.text, "TRENDLINE_PASSCODE")
      }
    })
  }

  it("--version is a command that prints the package's version", async () => {
    const invocation = parse(["--version"])
    assert.strictEqual(invocation._tag, "Command")
    let out = ""
    if (invocation._tag === "Command") {
      const code = await invocation.run({ stdout: (text) => (out += text), stderr: () => {} })
      assert.strictEqual(code, 0)
    }
    assert.match(out, /^trendline \d+\.\d+\.\d+\n$/)
  })
})

describe("the interactive UI (no command)", () => {
  it("has colour on a terminal, off without one or with NO_COLOR set", () => {
    assert.isTrue(interactive([], {}, true).color)
    assert.isFalse(interactive([], {}, false).color)
    assert.isFalse(interactive([], { NO_COLOR: "1" }, true).color)
    // no-color.org: an empty NO_COLOR does not count.
    assert.isTrue(interactive([], { NO_COLOR: "" }, true).color)
  })

  it("gives the UI the account's zone, whose today its presets count from", () => {
    assert.strictEqual(interactive([]).timeZone, "UTC")
    assert.strictEqual(
      interactive([], { TRENDLINE_TIMEZONE: "Asia/Kolkata" }).timeZone,
      "Asia/Kolkata",
    )
    assert.strictEqual(
      interactive(["--timezone", "Pacific/Apia"], { TRENDLINE_TIMEZONE: "Asia/Kolkata" }).timeZone,
      "Pacific/Apia",
    )
    const remote = ["--url", "http://127.0.0.1:1", "--account-id", "a", "--passcode", "p"]
    assert.strictEqual(
      interactive([...remote, "--timezone", "America/New_York"]).timeZone,
      "America/New_York",
    )
  })

  it("carries the target, whose backend opens when the UI does", () => {
    const { target } = interactive(["--db", "ui.db", "--week-start", "sunday"])
    assert.deepStrictEqual(target, {
      _tag: "Local",
      filename: "ui.db",
      account: { id: "local", timeZone: "UTC", weekStart: "sunday" },
      timeZoneSource: undefined,
    })
    assert.strictEqual(interactive([], remoteEnv).target._tag, "Remote")
  })

  it("leaves the time zone's name to be checked when the UI opens", () => {
    assert.strictEqual(interactive(["--timezone", "Mars/Olympus"]).timeZone, "Mars/Olympus")
  })
})

describe("subcommands", () => {
  it("query and upload are commands", () => {
    assert.strictEqual(parse(["query", "--event", "Charged", "--last", "30"])._tag, "Command")
    assert.strictEqual(parse(["upload", "records.jsonl", "--json"])._tag, "Command")
    assert.strictEqual(parse(["--db", "x.db", "upload", "-"])._tag, "Command")
    assert.strictEqual(
      parse(["upload", "-", "--url", "http://h", ...["--account-id", "a", "--passcode", "p"]])._tag,
      "Command",
    )
  })

  it("query flags become the wire body: dates, groups, measure", () => {
    const options = queryOptions({
      event: "Charged",
      from: "2025-01-01",
      to: "20250131",
      group: ["days=daily", "weekly"],
      sum: "Amount",
      csv: true,
    })
    assert.strictEqual(options.format, "csv")
    assert.deepStrictEqual(Query.requestOf(options, 0), {
      event_name: "Charged",
      from: 20250101,
      to: 20250131,
      groups: { days: { trend_type: "daily" }, weekly: { trend_type: "weekly" } },
      sum_event_prop: "Amount",
    })
  })

  it("--totals and --bucket-meta ask for Trendline's extensions, and nothing asks without them", () => {
    const asked = queryOptions({ event: "Charged", last: "7", totals: true, "bucket-meta": true })
    assert.deepStrictEqual(Query.requestOf(asked, 20089), {
      event_name: "Charged",
      from: 20241226,
      to: 20250101,
      groups: { daily: { trend_type: "daily" } },
      totals: true,
      bucket_meta: true,
    })
    const plain = Query.requestOf(queryOptions({ event: "Charged", last: "7" }), 20089)
    assert.notProperty(plain, "totals")
    assert.notProperty(plain, "bucket_meta")
    assert.strictEqual(parse(["query", "--event", "x", "--last", "7", "--totals"])._tag, "Command")
  })

  it("--where and --profile-where become the request's filters, values read as JSON or text", () => {
    const options = queryOptions({
      event: "Charged",
      from: "20250101",
      to: "20250131",
      where: ["Amount greater_than 50", 'Item contains "pizza, large"', "Coupon does_not_exist"],
      "profile-where": ['"Customer Type" equals ["Gold","Silver"]', "Beta equals True"],
    })
    assert.deepStrictEqual(Query.requestOf(options, 0), {
      event_name: "Charged",
      from: 20250101,
      to: 20250131,
      groups: { daily: { trend_type: "daily" } },
      event_properties: [
        { name: "Amount", operator: "greater_than", value: 50 },
        { name: "Item", operator: "contains", value: "pizza, large" },
        { name: "Coupon", operator: "does_not_exist" },
      ],
      common_profile_properties: [
        { name: "Customer Type", operator: "equals", value: ["Gold", "Silver"] },
        { name: "Beta", operator: "equals", value: "True" },
      ],
    })
  })

  it("--last DAYS ends today; the default group is daily; --unique is unique: true", () => {
    const options = queryOptions({ event: "Charged", last: "30", unique: true })
    // Day 20089 is 2025-01-01.
    assert.deepStrictEqual(Query.requestOf(options, 20089), {
      event_name: "Charged",
      from: 20241203,
      to: 20250101,
      groups: { daily: { trend_type: "daily" } },
      unique: true,
    })
    assert.strictEqual(options.format, "table")
  })

  it("leaves values core must judge as typed", () => {
    const options = queryOptions({ from: "jan", to: "2025-02-30", group: ["x=minutely"] })
    assert.deepStrictEqual(Query.requestOf(options, 0), {
      from: "jan",
      to: "2025-02-30",
      groups: { x: { trend_type: "minutely" } },
    })
  })

  it("takes hourly groups, named or by their type alone", () => {
    const options = queryOptions({
      event: "Charged",
      from: "20251102",
      to: "20251102",
      group: ["hourly", "h=hourly", "d=daily"],
    })
    assert.deepStrictEqual(Query.requestOf(options, 0), {
      event_name: "Charged",
      from: 20251102,
      to: 20251102,
      groups: {
        hourly: { trend_type: "hourly" },
        h: { trend_type: "hourly" },
        d: { trend_type: "daily" },
      },
    })
  })

  it("--last counts core's days ending today across month and year ends", () => {
    const options = queryOptions({ event: "Charged", last: "2" })
    // 2024-03-01: the day before is the leap day.
    assert.deepStrictEqual(Query.requestOf(options, 19783), {
      event_name: "Charged",
      from: 20240229,
      to: 20240301,
      groups: { daily: { trend_type: "daily" } },
    })
  })
})

describe("usage errors", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, Env, RegExp]> = [
    ["an unknown option", ["--frobnicate"], {}, /^trendline: unknown option --frobnicate$/m],
    ["a flag without its value", ["query", "--event"], {}, /^trendline: --event needs a value$/m],
    [
      "a value that looks like a flag",
      ["query", "--sum", "--json"],
      {},
      /--sum needs a value; write --sum=VALUE/,
    ],
    ["a value for a switch", ["query", "--unique=yes"], {}, /--unique takes no value/],
    [
      "--top with trends' flags",
      ["query", "--event", "Charged", "--last", "7", "--top", "Item", "--unique"],
      {},
      /--top and --top-profile rank a property's values: they take no --group, --unique or --sum/,
    ],
    [
      "--totals with --top",
      ["query", "--event", "Charged", "--last", "7", "--top", "Item", "--bucket-meta"],
      {},
      /--totals and --bucket-meta extend a trends answer: a top values query \(--top, --top-profile\) takes neither/,
    ],
    [
      "--bucket-meta on upload",
      ["upload", "f", "--bucket-meta"],
      {},
      /--bucket-meta is an option of trendline query$/m,
    ],
    [
      "--top-n without --top",
      ["query", "--event", "Charged", "--last", "7", "--top-n", "3"],
      {},
      /--top-n goes with --top or --top-profile/,
    ],
    [
      "a --where without an operator",
      ["query", "--where", "Amount"],
      {},
      /--where "Amount": give NAME OPERATOR VALUE, e\.g\. --where 'Amount greater_than 50'/,
    ],
    ["an unknown command", ["report"], {}, /unknown command "report": use query, upload or help/],
    [
      "a query flag without query",
      ["--event", "Charged"],
      {},
      /--event is an option of trendline query$/m,
    ],
    [
      "--json on the UI",
      ["--json"],
      {},
      /--json is an option of trendline query and trendline upload/,
    ],
    ["--csv on upload", ["upload", "f", "--csv"], {}, /--csv is an option of trendline query$/m],
    ["upload without a file", ["upload"], {}, /upload needs a FILE of records .* or - for stdin/],
    ["upload with two files", ["upload", "a", "b"], {}, /unexpected argument "b"/],
    ["a stray argument to query", ["query", "Charged"], {}, /unexpected argument "Charged"/],
    ["--json with --csv", ["query", "--json", "--csv"], {}, /--json and --csv: pick one/],
    [
      "--last with --from",
      ["query", "--last", "7", "--from", "20250101"],
      {},
      /--last replaces --from and --to/,
    ],
    [
      "--last that is not a count",
      ["query", "--last", "0"],
      {},
      /--last: give a number of days such as 7 or 30; got 0/,
    ],
    [
      "a group that is neither NAME=TYPE nor a type",
      ["query", "--group", "days"],
      {},
      /--group "days": give NAME=TYPE/,
    ],
    [
      "two groups with one name",
      ["query", "--group", "d=daily", "--group", "d=weekly"],
      {},
      /two groups are named "d"/,
    ],
    [
      "a wrong week start",
      ["--week-start", "tuesday"],
      {},
      /--week-start: must be monday \(ISO weeks\) or sunday; got "tuesday"/,
    ],
    [
      "a wrong week start variable",
      [],
      { TRENDLINE_WEEK_START: "Sun" },
      /TRENDLINE_WEEK_START: must be monday/,
    ],
    [
      "credentials without a server",
      ["--account-id", "acme"],
      {},
      /--account-id is for remote mode: add --url .* or --region/,
    ],
    ["--retries without a server", ["--retries", "2"], {}, /--retries is for remote mode/],
    [
      "--retries that is not a count",
      ["--retries", "many", "--region", "eu1"],
      remoteEnv,
      /--retries: must be a whole number/,
    ],
    [
      "--db with a server",
      ["--db", "x.db"],
      remoteEnv,
      /--db is for local mode, but TRENDLINE_URL chooses a server/,
    ],
    ["an empty --db", ["--db", ""], {}, /--db: give the database file/],
    [
      "an unknown region",
      ["--region", "eu2"],
      remoteEnv,
      /--region: unknown region "eu2"; use one of eu1, in1, sg1, us1, aps3, mec1/,
    ],
    [
      "a URL and a region",
      [],
      { ...remoteEnv, TRENDLINE_REGION: "eu1" },
      /TRENDLINE_URL and TRENDLINE_REGION are both given/,
    ],
    [
      "a URL that is not http",
      ["--url", "ftp://host"],
      remoteEnv,
      /--url: "ftp:\/\/host" is not an http or https URL/,
    ],
    [
      "a URL that is not a URL",
      [],
      { ...remoteEnv, TRENDLINE_URL: "localhost:8787" },
      /TRENDLINE_URL: "localhost:8787" is not an http or https URL/,
    ],
  ]
  for (const [name, argv, env, expected] of cases) {
    it(`explains ${name}`, () => {
      const message = usageError(argv, env)
      assert.match(message, expected)
      assert.match(message, /\nRun trendline --help to see every option\.$/)
    })
  }

  it("names the flag and the variable of each missing credential, all at once", () => {
    const message = usageError(["--url", "http://127.0.0.1:8787"])
    assert.include(
      message,
      "remote mode needs the account id: give --account-id or set TRENDLINE_ACCOUNT_ID",
    )
    assert.include(
      message,
      "remote mode needs the passcode: set TRENDLINE_PASSCODE or give --passcode",
    )
    assert.include(
      usageError(["--region", "us1"], { TRENDLINE_ACCOUNT_ID: "acme" }),
      "TRENDLINE_PASSCODE",
    )
    assert.notInclude(
      usageError(["--region", "us1"], { TRENDLINE_ACCOUNT_ID: "acme" }),
      "TRENDLINE_ACCOUNT_ID",
    )
  })

  it("reports every problem of one command line, one a line", () => {
    const message = usageError([
      "query",
      "--json",
      "--csv",
      "--week-start",
      "tue",
      "--last",
      "x",
      "--retries",
      "1",
    ])
    assert.deepStrictEqual(
      message.split("\n").map((line) => line.split(":")[1]?.trim()),
      ["--retries is for remote mode", "--week-start", "--last", "--json and --csv", undefined],
    )
  })
})
