// Core's request issues said again in terms of the flags, for the cases the commands' tests
// (commands.test.ts, which run real queries) cannot reach with core's own limits: a server
// stating a limit of its own, and issues this module does not know.
import { assert, describe, it } from "@effect/vitest"
import * as QueryIssues from "../src/commands/QueryIssues.ts"
import type * as QueryOptions from "../src/commands/QueryOptions.ts"

describe("QueryIssues: core's issues in the words of the flags", () => {
  const options = (range: QueryOptions.Options["range"]): QueryOptions.Options => ({
    event: "Charged",
    range,
    groups: [{ name: "status", trendType: "daily" }],
    unique: false,
    sum: undefined,
    totals: false,
    bucketMeta: false,
    format: "table",
  })
  // 2025-01-01; core's default limit.
  const context = { today: 20089, maxRangeDays: 366 }

  it("takes the limit a server states over core's default", () => {
    const issue = {
      path: "to",
      message:
        'the range 20240904..20250101 covers 120 days (both ends count) but at most 90 are allowed; set "to" to 20241202 or earlier, or split the query',
    }
    assert.strictEqual(
      QueryIssues.line(issue, options({ _tag: "Last", days: 120 }), context),
      "--last 120 reaches before the oldest allowed day, 20241004: a query covers at most 90 days, today included; give --last 90 or less, or --from and --to for older days",
    )
    assert.strictEqual(
      QueryIssues.line(
        issue,
        options({ _tag: "Dates", from: "20240904", to: "20250101" }),
        context,
      ),
      "--from 20240904 --to 20250101 covers 120 days (both ends count) but a query covers at most 90; give --to 20241202 or earlier, or split the range into several queries",
    )
  })

  it("keeps an issue it does not know, with the flags for the wire fields", () => {
    assert.strictEqual(
      QueryIssues.line(
        {
          path: "groups.status",
          message: '"status" is reserved; rename the group, e.g. "status_trend"',
        },
        options({ _tag: "Last", days: 7 }),
        context,
      ),
      '--group status=daily: "status" is reserved; rename the group, e.g. "status_trend"',
    )
    assert.strictEqual(
      QueryIssues.line(
        { path: "limits", message: 'too many; remove "unique": true or "sum_event_prop"' },
        options({ _tag: "Last", days: 7 }),
        context,
      ),
      "limits: too many; remove --unique or --sum",
    )
  })

  it("names --totals and --bucket-meta in a server's own issues about them", () => {
    const last7 = options({ _tag: "Last", days: 7 })
    assert.strictEqual(
      QueryIssues.line(
        { path: "bucket_meta", message: 'is not allowed with "totals": true here' },
        last7,
        context,
      ),
      "--bucket-meta: is not allowed with --totals here",
    )
    assert.strictEqual(
      QueryIssues.line({ path: "totals", message: "must be true or false" }, last7, context),
      "--totals: must be true or false",
    )
  })
})
