/**
 * The event store port: where events are kept and plans are answered. Adapters (SQLite,
 * Durable Objects, ClickHouse) implement it in their own packages; `layerMemory` is the
 * reference implementation, and `@trendline/core/testing/EventStoreContract` is the suite
 * that every adapter must pass.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Account from "./Account.ts"
import * as Aggregator from "./Aggregator.ts"
import * as Limits from "./Limits.ts"
import type * as QueryPlan from "./QueryPlan.ts"
import * as TopCounts from "./TopCounts.ts"
import * as Upload from "./Upload.ts"

/** A profile's properties, merged over every upsert. */
export interface Profile {
  /** One stable string per profile (see `Upload.identityKey`). */
  readonly profile: string
  /** Epoch seconds of the latest upsert. */
  readonly ts: number
  readonly properties: { readonly [name: string]: unknown }
}

/** What one upload call stores: committed whole or not at all. */
export interface Batch {
  readonly events: ReadonlyArray<Aggregator.Event>
  readonly profiles: ReadonlyArray<Profile>
}

const Properties = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** A profile as data, for a store that runs elsewhere (a worker thread). */
export const ProfileSchema: Schema.Schema<Profile> = Schema.Struct({
  profile: Schema.String,
  ts: Schema.Number,
  properties: Properties,
})

/** A batch as data, for a store that runs elsewhere (a worker thread). */
export const BatchSchema: Schema.Schema<Batch> = Schema.Struct({
  events: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      profile: Schema.String,
      ts: Schema.Number,
      properties: Properties,
    }),
  ),
  profiles: Schema.Array(ProfileSchema),
})

/** What an upload stores: its accepted events and profile updates, profiles keyed by identity. */
export const batchOf = (accepted: Pick<Upload.BatchResult, "events" | "profiles">): Batch => ({
  events: accepted.events.map((record) => ({
    name: record.name,
    profile: Upload.identityKey(record.identity),
    ts: record.ts,
    properties: record.properties,
  })),
  profiles: accepted.profiles.map((record) => ({
    profile: Upload.identityKey(record.identity),
    ts: record.ts,
    properties: record.properties,
  })),
})

/**
 * What `append` did with a batch: the positions (in `batch.events`) of events it refused
 * because their name would take the account past `Limits.maxEventNamesPerAccount`.
 * `replayed` is true when the batch's key had been stored already: nothing was stored
 * this time, and `refused` is what the first append refused.
 */
export interface AppendReceipt {
  readonly refused: ReadonlyArray<number>
  readonly replayed?: boolean
}

/**
 * An upload's idempotency key, stored atomically with its batch: an append with a key the
 * account already stored (and that has not expired at `now`) stores nothing and returns the
 * first receipt; with another `fingerprint` it fails with `KeyReused`.
 */
export interface UploadKey {
  /** The client's `Idempotency-Key` (see `Idempotency.decodeKey`). */
  readonly key: string
  /** What identifies the request's content, e.g. a digest of the body. */
  readonly fingerprint: string
  /** Epoch milliseconds of this append. */
  readonly now: number
  /** Epoch milliseconds after which the key may be forgotten. */
  readonly expiresAt: number
}

/** An upload key as data, for a store that runs elsewhere (a worker thread). */
export const UploadKeySchema: Schema.Schema<UploadKey> = Schema.Struct({
  key: Schema.String,
  fingerprint: Schema.String,
  now: Schema.Number,
  expiresAt: Schema.Number,
})

/** The key was stored with another request's content: the client reused it (409). */
export class KeyReused extends Schema.TaggedError<KeyReused>()("KeyReused", {
  key: Schema.String,
}) {}

/**
 * The event-name limit, applied in batch order: events whose name the account already has
 * are kept; a new name is admitted while the account has fewer than `limit` names; every
 * event of a name that does not fit is refused. Stores call it inside their transaction.
 *
 * @example admitEventNames(new Set(["Charged"]), ["Charged", "Viewed", "Viewed"], 1) // { admitted: [], refused: [1, 2] }
 */
export const admitEventNames = (
  known: ReadonlySet<string>,
  names: ReadonlyArray<string>,
  limit: number,
): { readonly admitted: ReadonlyArray<string>; readonly refused: ReadonlyArray<number> } => {
  const admitted: Array<string> = []
  const refused: Array<number> = []
  const accepted = new Set<string>()
  names.forEach((name, position) => {
    if (known.has(name) || accepted.has(name)) return
    if (known.size + accepted.size < limit) {
      accepted.add(name)
      admitted.push(name)
    } else refused.push(position)
  })
  // Names only ever fill up the limit, so a refused name stays refused for the whole batch.
  return { admitted, refused }
}

/** The store failed or cannot be reached; the server answers 503 and logs `cause`. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** The port. Every method is scoped to one account; accounts never see each other's data. */
export interface Service {
  /**
   * Stores a batch atomically: after a failure none of it is visible. Events over the
   * account's event-name limit are refused (see `admitEventNames`), the rest stored.
   */
  readonly append: (
    account: Account.Settings,
    batch: Batch,
    key?: UploadKey,
  ) => Effect.Effect<AppendReceipt, StoreError | KeyReused>
  /** Answers a plan exactly as `Aggregator.aggregate` would, every bucket present. */
  readonly query: (
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
  ) => Effect.Effect<QueryPlan.Result, StoreError>
  /**
   * The most (or least) frequent values of event properties or profile fields among the
   * events that match a top counts plan, exactly as `TopCounts.reference` ranks them.
   */
  readonly top: (
    account: Account.Settings,
    plan: TopCounts.TopPlan,
  ) => Effect.Effect<TopCounts.TopResult, StoreError>
  /** The distinct event names the account has stored, sorted. */
  readonly eventNames: (
    account: Account.Settings,
  ) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /**
   * Rolling distinct profiles, for a store with a way faster than core's (window groups
   * through `query`, `Extensions.rollingPlan`): for each day of `plan.from`..`plan.to` in
   * order, the distinct profiles among the plan's event's events that match its filters
   * over the `days` days ending that day (the plan's groups and measure are not read).
   * Optional: without it, core asks `query`.
   */
  readonly rollingProfiles?: (
    account: Account.Settings,
    plan: QueryPlan.QueryPlan,
    days: number,
  ) => Effect.Effect<ReadonlyArray<number>, StoreError>
  /**
   * The names of the properties `eventName`'s events have had and of the fields the
   * account's profiles have had (`sortedNames`), for a UI to suggest in filters and top
   * values. Optional: a store without it (ClickHouse) offers no suggestions.
   */
  readonly propertyNames?: (
    account: Account.Settings,
    eventName: string,
  ) => Effect.Effect<PropertyNames, StoreError>
  /** A profile's merged properties, if it was ever upserted. */
  readonly profile: (
    account: Account.Settings,
    profile: string,
  ) => Effect.Effect<Option.Option<Profile>, StoreError>
  /**
   * Checks that the store can be read and written now (for `/health`); fails with the
   * reason (disk full, read-only, file replaced or deleted, unreachable) when it cannot.
   */
  readonly health: () => Effect.Effect<void, StoreError>
}

/** The names of an event's properties and of the account's profile fields. */
export interface PropertyNames {
  readonly event: ReadonlyArray<string>
  readonly profile: ReadonlyArray<string>
}

/** Names as every store lists them: each once, sorted by UTF-16 code units. */
export const sortedNames = (names: Iterable<string>): ReadonlyArray<string> =>
  [...new Set(names)].sort()

/** The property names of `eventName`'s `events` and of `profiles`: what stores answer. */
export const propertyNamesOf = (
  events: Iterable<Aggregator.Event>,
  profiles: Iterable<Profile>,
  eventName: string,
): PropertyNames => {
  const event: Array<string> = []
  for (const stored of events)
    if (stored.name === eventName) event.push(...Object.keys(stored.properties))
  const profile: Array<string> = []
  for (const stored of profiles) profile.push(...Object.keys(stored.properties))
  return { event: sortedNames(event), profile: sortedNames(profile) }
}

/** The service tag of the event store. */
export class EventStore extends Context.Tag("@trendline/core/EventStore")<EventStore, Service>() {}

/**
 * Merges an upsert into a profile. The newer `ts` wins property by property, whatever the
 * order of arrival (an equal `ts` lets the later arrival win); `ts` becomes the newest seen.
 */
export const mergeProfile = (existing: Option.Option<Profile>, update: Profile): Profile =>
  Option.match(existing, {
    onNone: () => update,
    onSome: (previous) => ({
      profile: update.profile,
      ts: Math.max(previous.ts, update.ts),
      properties:
        update.ts >= previous.ts
          ? { ...previous.properties, ...update.properties }
          : { ...update.properties, ...previous.properties },
    }),
  })

interface StoredKey {
  readonly fingerprint: string
  readonly expiresAt: number
  readonly refused: ReadonlyArray<number>
}

interface AccountData {
  readonly events: ReadonlyArray<Aggregator.Event>
  readonly profiles: ReadonlyMap<string, Profile>
  readonly keys: ReadonlyMap<string, StoredKey>
}

const emptyAccount: AccountData = { events: [], profiles: new Map(), keys: new Map() }

/**
 * What a store does with an upload key it finds stored: `undefined` when the key is new or
 * expired (store the batch), the first receipt when it repeats, `KeyReused` when its
 * content differs. Stores call it inside their transaction.
 */
export const replayOf = (
  key: UploadKey,
  stored:
    | {
        readonly fingerprint: string
        readonly expiresAt: number
        readonly refused: ReadonlyArray<number>
      }
    | undefined,
): AppendReceipt | KeyReused | undefined => {
  if (stored === undefined || stored.expiresAt <= key.now) return undefined
  if (stored.fingerprint !== key.fingerprint) return new KeyReused({ key: key.key })
  return { refused: stored.refused, replayed: true }
}

/** An in-memory store built on the reference aggregator: for tests and demos. */
export const makeMemory = (limits: Limits.Limits = Limits.defaults): Effect.Effect<Service> =>
  Effect.gen(function* () {
    const accounts = yield* Ref.make(new Map<string, AccountData>())
    const dataOf = (account: Account.Settings) =>
      Effect.map(Ref.get(accounts), (all) => all.get(account.id) ?? emptyAccount)
    return {
      append: (account, batch, key) =>
        Effect.flatMap(
          Ref.modify(
            accounts,
            (all): readonly [AppendReceipt | KeyReused, Map<string, AccountData>] => {
              const data = all.get(account.id) ?? emptyAccount
              if (key !== undefined) {
                const replay = replayOf(key, data.keys.get(key.key))
                if (replay !== undefined) return [replay, all]
              }
              const { refused } = admitEventNames(
                new Set(data.events.map((event) => event.name)),
                batch.events.map((event) => event.name),
                limits.maxEventNamesPerAccount,
              )
              const refusedPositions = new Set(refused)
              const kept = batch.events.filter((_, position) => !refusedPositions.has(position))
              const profiles = new Map(data.profiles)
              for (const update of batch.profiles) {
                profiles.set(
                  update.profile,
                  mergeProfile(Option.fromNullable(profiles.get(update.profile)), update),
                )
              }
              const keys = new Map(data.keys)
              if (key !== undefined) {
                for (const [stored, { expiresAt }] of keys)
                  if (expiresAt <= key.now) keys.delete(stored)
              }
              if (key !== undefined)
                keys.set(key.key, {
                  fingerprint: key.fingerprint,
                  expiresAt: key.expiresAt,
                  refused,
                })
              const next = { events: [...data.events, ...kept], profiles, keys }
              return [{ refused }, new Map(all).set(account.id, next)]
            },
          ),
          (outcome) =>
            outcome instanceof KeyReused ? Effect.fail(outcome) : Effect.succeed(outcome),
        ),
      query: (account, plan) =>
        Effect.map(dataOf(account), (data) =>
          Aggregator.aggregate(plan, data.events, (key) => data.profiles.get(key)?.properties),
        ),
      top: (account, plan) =>
        Effect.map(dataOf(account), (data) =>
          TopCounts.reference(plan, data.events, (key) => data.profiles.get(key)?.properties),
        ),
      eventNames: (account) =>
        Effect.map(dataOf(account), (data) => [...new Set(data.events.map((e) => e.name))].sort()),
      propertyNames: (account, eventName) =>
        Effect.map(dataOf(account), (data) =>
          propertyNamesOf(data.events, data.profiles.values(), eventName),
        ),
      profile: (account, profile) =>
        Effect.map(dataOf(account), (data) => Option.fromNullable(data.profiles.get(profile))),
      health: () => Effect.void,
    }
  })

/** The in-memory store as a layer, with the default limits. */
export const layerMemory: Layer.Layer<EventStore> = Layer.effect(EventStore, makeMemory())
