/**
 * Core's `AccountApi.AnswerArchive` in the same SQLite database as the events: finished
 * reads stay pollable for their retention even when the process or the Durable Object
 * that ran them is gone. One database per account (a Durable Object), or one archive per
 * account over a shared file (`account` set): an account never reads another's answers.
 *
 * @since 0.1.0
 */
import type * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { SqlDriver } from "./SqlDriver.ts"
import { migrate } from "./SqliteEventStore.ts"

// An answer is one row's string, and a Durable Object refuses one over 2 MB. A trends answer
// holds at most maxGroups × maxRangeDays buckets (5 × 366 by default: about 50 KB), but
// limits are configuration: an answer over this size is not archived (a poll after the job
// registry forgot it is told the req_id is unknown, and its client asks again).
const maxArchivedBytes = 1_000_000

const utf8Bytes = (text: string): number =>
  text.length * 3 <= maxArchivedBytes ? text.length : new TextEncoder().encode(text).byteLength

/** The archive of `account` (none: the database's only one) over an open database (migrated first). */
export const make = (
  driver: SqlDriver,
  account = "",
): Effect.Effect<AccountApi.AnswerArchive, EventStore.StoreError> =>
  Effect.try({
    try: () => migrate(driver),
    catch: (cause) =>
      new EventStore.StoreError({
        message: `SQLite answer archive: opening failed: ${String(cause)}`,
        cause,
      }),
  }).pipe(
    Effect.as<AccountApi.AnswerArchive>({
      // Losing an archived answer only costs the client a resubmit: log, never fail the query.
      put: (reqId, entry) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.try(() => {
            const answer = JSON.stringify(entry.answer)
            const bytes = utf8Bytes(answer)
            if (bytes > maxArchivedBytes) return bytes
            driver.run("DELETE FROM query_answers WHERE expires_at < ?", [now])
            driver.run(
              "INSERT OR REPLACE INTO query_answers (req_id, account, endpoint, answer, expires_at) VALUES (?, ?, ?, ?, ?)",
              [reqId, account, entry.endpoint, answer, entry.expiresAt],
            )
            return undefined
          }),
        ).pipe(
          Effect.flatMap((tooLarge) =>
            tooLarge === undefined
              ? Effect.void
              : Effect.logWarning(
                  `not archiving the answer of query ${reqId}: ${tooLarge} bytes, more than ${maxArchivedBytes}`,
                ),
          ),
          Effect.catchAll((error) => Effect.logWarning("could not archive a query answer", error)),
        ),
      get: (reqId, now) =>
        Effect.try(() => {
          const row = driver.all(
            "SELECT endpoint, answer, expires_at FROM query_answers WHERE req_id = ? AND account = ? AND expires_at >= ?",
            [reqId, account, now],
          )[0]
          return row === undefined
            ? Option.none()
            : Option.some({
                endpoint: String(row.endpoint) as AccountApi.ReadEndpoint,
                answer: JSON.parse(String(row.answer)) as AccountApi.ArchivedAnswer["answer"],
                expiresAt: Number(row.expires_at),
              })
        }).pipe(
          Effect.catchAll((error) =>
            Effect.as(
              Effect.logWarning("could not read an archived query answer", error),
              Option.none(),
            ),
          ),
        ),
    }),
  )
