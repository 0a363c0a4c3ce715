/**
 * The accounts a server knows: who may call it and with which calendar. Read from JSON
 * (`TRENDLINE_ACCOUNTS` on Node, the secret of the same name on Workers):
 * `[{"id": "acme", "passcode": "…", "timezone": "Asia/Kolkata", "weekStart": "sunday"}]`.
 */
import * as Account from "@trendline/core/Account"
import * as Bucket from "@trendline/core/Bucket"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const AccountEntry = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" })),
  passcode: Schema.String.pipe(
    Schema.minLength(8, { message: () => "must have at least 8 characters" }),
  ),
  timezone: Schema.optionalWith(Account.TimeZone, { default: () => Account.defaultTimeZone }),
  weekStart: Schema.optionalWith(Bucket.WeekStart, { default: () => Bucket.defaultWeekStart }),
}).pipe(
  // HTTP drops the spaces around a header's value: such an id or passcode never matches.
  Schema.filter((entry) => [
    entry.id === entry.id.trim() || {
      path: ["id"],
      message: `${JSON.stringify(entry.id)} has spaces around it, which a client's header cannot carry: write ${JSON.stringify(entry.id.trim())}`,
    },
    entry.passcode === entry.passcode.trim() || {
      path: ["passcode"],
      message: `the passcode of account ${JSON.stringify(entry.id)} has spaces around it, which a client's header cannot carry: remove them`,
    },
  ]),
)

const AccountList = Schema.Array(AccountEntry).pipe(
  Schema.filter((entries) => {
    const seen = new Set<string>()
    for (const [index, entry] of entries.entries()) {
      if (seen.has(entry.id)) return { path: [index, "id"], message: `"${entry.id}" appears twice` }
      seen.add(entry.id)
    }
    return true
  }),
)

/** An account the server serves: its settings and its passcode. */
export interface Known {
  readonly settings: Account.Settings
  readonly passcode: string
}

/** The accounts by id. */
export type Accounts = ReadonlyMap<string, Known>

/**
 * Reads the accounts JSON; `Left` carries a message that says what to fix, e.g.
 * `TRENDLINE_ACCOUNTS[0].timezone: unknown time zone "Mars/Base": use an IANA name …`.
 */
export const parse = (
  json: string,
  source = "TRENDLINE_ACCOUNTS",
): Either.Either<Accounts, string> => {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    // Not the parser's message: it quotes the input, and the input holds passcodes.
    return Either.left(
      `${source} is not valid JSON; expected [{"id": "acme", "passcode": "…", "timezone": "UTC", "weekStart": "monday"}]`,
    )
  }
  return Schema.decodeUnknownEither(AccountList, { errors: "all" })(value).pipe(
    Either.mapLeft((error) =>
      ParseResult.ArrayFormatter.formatErrorSync(error)
        .map(
          (issue) =>
            `${source}${issue.path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("")}: ${issue.message}`,
        )
        .join("\n"),
    ),
    Either.map(
      (entries): Accounts =>
        new Map(
          entries.map((entry) => [
            entry.id,
            {
              settings: Account.make(entry.id, {
                timeZone: entry.timezone,
                weekStart: entry.weekStart,
              }),
              passcode: entry.passcode,
            },
          ]),
        ),
    ),
  )
}

const sha256 = (text: string): Promise<ArrayBuffer> =>
  crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))

// The digest of each account's passcode, computed once: a request hashes only what it brings.
const knownDigests = new WeakMap<Known, Promise<ArrayBuffer>>()

// Passcodes that matched, per account: a client's next request skips the digest. A set
// lookup hashes the presented string and compares only on an equal hash, so it tells an
// attacker no more than the answer does; a wrong passcode always takes the digest path.
const matched = new WeakMap<Known, Set<string>>()
const maxMatchedPerAccount = 16

/**
 * Compares a presented passcode with the account's in constant time: both are hashed
 * (SHA-256, so lengths do not show) and the digests compared byte by byte without an
 * early exit. A passcode that matched before is recognised without hashing.
 */
export const passcodeMatches = async (known: Known, presented: string): Promise<boolean> => {
  if (matched.get(known)?.has(presented) === true) return true
  let expected = knownDigests.get(known)
  if (expected === undefined) {
    expected = sha256(known.passcode)
    knownDigests.set(known, expected)
  }
  const [a, b] = await Promise.all([expected, sha256(presented)])
  const left = new Uint8Array(a)
  const right = new Uint8Array(b)
  let difference = 0
  for (let i = 0; i < left.length; i++) difference |= left[i]! ^ right[i]!
  if (difference !== 0) return false
  let seen = matched.get(known)
  if (seen === undefined) {
    seen = new Set()
    matched.set(known, seen)
  }
  if (seen.size < maxMatchedPerAccount) seen.add(presented)
  return true
}
