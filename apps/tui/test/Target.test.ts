// Where the data is: `Target.resolve` for every mode and flag/environment combination, the
// time zone's check when a command starts (`Zone`), and the backend each target opens
// (remote mode's layer does not touch the network; local mode's test uses a temporary file).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { afterAll } from "vitest"
import * as Backend from "../src/Backend.ts"
import * as Target from "../src/commands/Target.ts"
import * as Zone from "../src/commands/Zone.ts"

type Env = Readonly<Record<string, string | undefined>>

const resolve = (flags: Target.Flags, env: Env = {}): Target.Target => {
  const target = Target.resolve(flags, env)
  if (target._tag === "Invalid") throw new Error(target.problems.join("\n"))
  return target.value
}

const folder = mkdtempSync(join(tmpdir(), "trendline-target-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const remoteEnv = {
  TRENDLINE_URL: "http://127.0.0.1:8787/",
  TRENDLINE_ACCOUNT_ID: "acme",
  TRENDLINE_PASSCODE: "acme-passcode",
}

const describeBackend = (target: Target.Target) =>
  Effect.runPromise(
    Effect.provide(
      Effect.map(Backend.Backend, ({ description, endpoint, weekStart }) => ({
        description,
        endpoint,
        weekStart,
      })),
      Backend.layerOf(target, { seedDemo: false }),
    ),
  )

describe("Target.resolve", () => {
  it("is local by default on ./data/trendline.db, UTC, ISO weeks", () => {
    assert.deepStrictEqual(resolve({}), {
      _tag: "Local",
      filename: "./data/trendline.db",
      account: { id: "local", timeZone: "UTC", weekStart: "monday" },
      timeZoneSource: undefined,
    })
  })

  it("takes the database, time zone and week start from flags over the environment", () => {
    const env = {
      TRENDLINE_DB: "/env/db.sqlite",
      TRENDLINE_TIMEZONE: "Asia/Kolkata",
      TRENDLINE_WEEK_START: "sunday",
    }
    assert.deepStrictEqual(resolve({}, env), {
      _tag: "Local",
      filename: "/env/db.sqlite",
      account: { id: "local", timeZone: "Asia/Kolkata", weekStart: "sunday" },
      timeZoneSource: "TRENDLINE_TIMEZONE",
    })
    assert.deepStrictEqual(
      resolve({ db: "flag.db", timezone: "America/New_York", "week-start": "monday" }, env),
      {
        _tag: "Local",
        filename: "flag.db",
        account: { id: "local", timeZone: "America/New_York", weekStart: "monday" },
        timeZoneSource: "--timezone",
      },
    )
  })

  it("ignores empty variables and credentials without a server", () => {
    assert.strictEqual(
      resolve({}, { TRENDLINE_DB: " ", TRENDLINE_URL: "", TRENDLINE_ACCOUNT_ID: "acme" })._tag,
      "Local",
    )
  })

  it("is remote with every setting from flags", () => {
    assert.deepStrictEqual(
      resolve({
        url: "https://trends.example.com",
        "account-id": "acme",
        passcode: "secret-code",
        retries: "0",
        timezone: "Europe/London",
      }),
      {
        _tag: "Remote",
        config: {
          baseUrl: "https://trends.example.com",
          accountId: "acme",
          passcode: "secret-code",
          weekStart: "monday",
          maxRetries: 0,
        },
        timeZone: "Europe/London",
        timeZoneSource: "--timezone",
      },
    )
    assert.deepStrictEqual(
      resolve({}, { TRENDLINE_REGION: "us1", TRENDLINE_ACCOUNT_ID: "a", TRENDLINE_PASSCODE: "p" }),
      {
        _tag: "Remote",
        config: { region: "us1", accountId: "a", passcode: "p", weekStart: "monday" },
        timeZone: "UTC",
        timeZoneSource: undefined,
      },
    )
  })
})

describe("the backend of a target", () => {
  it("opens the local database, filled with the demo data", async () => {
    const db = join(folder, "ui.db")
    const target = resolve({ db, "week-start": "sunday" })
    const names = await Effect.runPromise(
      Effect.provide(
        Effect.flatMap(Backend.Backend, (backend) =>
          Effect.map(backend.eventNames, (eventNames) => ({
            description: backend.description,
            weekStart: backend.weekStart,
            eventNames,
          })),
        ),
        Backend.layerOf(target, { seedDemo: true }),
      ),
    )
    assert.strictEqual(names.description, `local ${db}`)
    assert.strictEqual(names.weekStart, "sunday")
    assert.include(names.eventNames, "App Opened")
  })

  it("is remote with a URL from the environment", async () => {
    assert.deepStrictEqual(await describeBackend(resolve({}, remoteEnv)), {
      description: "remote http://127.0.0.1:8787 (account acme)",
      endpoint: { baseUrl: "http://127.0.0.1:8787", accountId: "acme" },
      weekStart: "monday",
    })
  })

  it("is remote with a region flag, which overrides the environment's URL", async () => {
    const target = resolve(
      { region: "in1", "account-id": "globex", "week-start": "sunday" },
      remoteEnv,
    )
    assert.deepStrictEqual(await describeBackend(target), {
      description: "remote https://in1.api.clevertap.com (account globex)",
      endpoint: { baseUrl: "https://in1.api.clevertap.com", accountId: "globex" },
      weekStart: "sunday",
    })
  })
})

describe("the client's configuration of a remote target", () => {
  it("dates hours in the account's zone when one is given, to fill those a server leaves out", () => {
    const given = resolve({ timezone: "America/New_York" }, remoteEnv)
    assert.strictEqual(given._tag, "Remote")
    if (given._tag !== "Remote") return
    assert.strictEqual(Backend.remoteConfig(given).timeZone, "America/New_York")
    assert.deepStrictEqual(Backend.remoteConfig(given), {
      ...given.config,
      timeZone: "America/New_York",
    })
    // Without one, hourly groups have the server's hours: UTC is only the default of today.
    const none = resolve({}, remoteEnv)
    if (none._tag !== "Remote") return assert.fail("expected a remote target")
    assert.notProperty(Backend.remoteConfig(none), "timeZone")
    assert.strictEqual(Backend.remoteConfig(none), none.config)
  })
})

describe("Zone: the time zone, checked when a command or the UI starts", () => {
  const check = (target: Target.Target) => {
    let stderr = ""
    const code = Zone.check(target, { stdout: () => {}, stderr: (text) => (stderr += text) })
    return { code, stderr }
  }

  it("lets a known IANA zone and the default through, saying nothing", () => {
    assert.deepStrictEqual(check(resolve({ timezone: "Pacific/Apia" })), {
      code: undefined,
      stderr: "",
    })
    assert.deepStrictEqual(check(resolve({})), { code: undefined, stderr: "" })
  })

  it("refuses an unknown zone as a usage error (exit 2), naming the flag or variable", () => {
    const flag = check(resolve({ timezone: "Mars/Olympus" }))
    assert.strictEqual(flag.code, 2)
    assert.strictEqual(
      flag.stderr,
      'trendline: --timezone: unknown time zone "Mars/Olympus"; use an IANA name such as UTC, Europe/London or America/New_York\nRun trendline --help to see every option.\n',
    )
    const variable = check(resolve({}, { ...remoteEnv, TRENDLINE_TIMEZONE: "ist" }))
    assert.strictEqual(variable.code, 2)
    assert.match(variable.stderr, /^trendline: TRENDLINE_TIMEZONE: unknown time zone "ist"/)
  })
})
