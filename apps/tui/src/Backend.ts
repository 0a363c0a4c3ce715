/**
 * Where the terminal UI sends its queries: the embedded store in this process (local
 * mode, the default) or any Trends API through `@trendline/client` (remote mode). Both
 * answer with the client's `TrendsAnswer` and `TopAnswer`, so the screens do not care which.
 */
import * as Region from "@trendline/client/Region"
import * as Results from "@trendline/client/Results"
import * as TrendsClient from "@trendline/client/TrendsClient"
import type * as Account from "@trendline/core/Account"
import * as AccountApi from "@trendline/core/AccountApi"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as Polling from "@trendline/core/Polling"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as NodeSqlite from "@trendline/store-sqlite/NodeSqlite"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Target from "./commands/Target.ts"
import * as DemoData from "./DemoData.ts"

/** Every way a query can fail, for the screens to show. */
export type QueryError = TrendsClient.ReadError

/** The backend of the UI. */
export interface Service {
  /** Where queries go, for the status line: `local ./data/trendline.db` or a URL. */
  readonly description: string
  /** How to reach the same data with curl, when there is an HTTP endpoint (remote mode). */
  readonly endpoint: { readonly baseUrl: string; readonly accountId: string } | undefined
  /** The account's week convention, to date weekly keys. */
  readonly weekStart: Account.Settings["weekStart"]
  /** Event names to suggest (local mode knows them; a remote server offers none). */
  readonly eventNames: Effect.Effect<ReadonlyArray<string>>
  /**
   * The names of `eventName`'s properties and of the account's profile fields, to suggest
   * (local mode asks the store; a remote server offers none; a failure gives none).
   */
  readonly propertyNames: (eventName: string) => Effect.Effect<EventStore.PropertyNames>
  /** Runs a trends query given as its wire body; `onProgress` follows polling. */
  readonly trends: (
    request: unknown,
    onProgress?: (state: TrendsClient.Progress) => Effect.Effect<void>,
  ) => Effect.Effect<TrendsClient.TrendsAnswer, QueryError>
  /**
   * Runs a top counts query given as its wire body (polled): each group's values in order;
   * `onProgress` follows polling.
   */
  readonly top: (
    request: unknown,
    onProgress?: (state: TrendsClient.Progress) => Effect.Effect<void>,
  ) => Effect.Effect<TrendsClient.TopAnswer, QueryError>
  /** Uploads records (any number; batches of 1000). */
  readonly upload: (
    records: ReadonlyArray<unknown>,
  ) => Effect.Effect<TrendsClient.UploadResult, Error>
}

/** The backend's service tag. */
export class Backend extends Context.Tag("@trendline/tui/Backend")<Backend, Service>() {}

/** No property names: what a backend without them suggests. */
export const noPropertyNames: EventStore.PropertyNames = { event: [], profile: [] }

/** Local mode's settings. */
export interface LocalOptions {
  readonly filename: string
  readonly account: Account.Settings
  /** Fill an empty database with the demo data set first. */
  readonly seedDemo: boolean
}

const receivedAt = Effect.map(
  Effect.clockWith((clock) => clock.currentTimeMillis),
  (ms) => Math.floor(ms / 1000),
)

/**
 * Trends queries answered by an account's API in this process: the client's own polling
 * loop over it, for the same progress, `partial` handling and decoding as remote mode,
 * without HTTP. Hourly groups get every hour of the account's zone (23 or 25 on DST days).
 */
export const trendsOver =
  (api: AccountApi.AccountApi, account: Account.Settings): Service["trends"] =>
  (request, onProgress) =>
    Effect.gen(function* () {
      const decoded = yield* TrendsRequest.decode(request)
      const result = yield* Polling.run(
        {
          submit: api.trendsOf(decoded),
          poll: (reqId) => api.poll("trends", String(reqId)),
        },
        onProgress === undefined ? {} : { onProgress: onProgress as never },
      )
      return {
        body: TrendsResponse.toWire(result.groups, result.extras),
        groups: Results.decode(decoded, result.groups, {
          weekStart: account.weekStart,
          timeZone: account.timeZone,
        }),
        ...(result.extras === undefined ? {} : { extras: result.extras }),
      }
    })

/** Local mode: core and the SQLite store in this process, seeded with demo data if empty. */
export const layerLocal = (options: LocalOptions): Layer.Layer<Backend, EventStore.StoreError> =>
  Layer.scoped(
    Backend,
    Effect.gen(function* () {
      const store = yield* EventStore.EventStore
      const api = yield* AccountApi.make(options.account, AccountApi.defaultOptions)
      const batch = Limits.defaults.maxUploadRecords
      const upload = (records: ReadonlyArray<unknown>) =>
        Effect.gen(function* () {
          let processed = 0
          const unprocessed: Array<TrendsClient.UploadResult["unprocessed"][number]> = []
          for (let offset = 0; offset < records.length; offset += batch) {
            const response = yield* api.upload(
              { d: records.slice(offset, offset + batch) },
              yield* receivedAt,
            )
            processed += response.processed
            for (const entry of response.unprocessed)
              unprocessed.push({ ...entry, index: entry.index + offset })
          }
          return { processed, unprocessed }
        })
      if (options.seedDemo && (yield* store.eventNames(options.account)).length === 0) {
        // Our own records: a failure here is a bug, not something the user can fix.
        const today = new Date(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
        yield* Effect.orDie(upload(DemoData.records(today)))
      }
      return {
        description: `local ${options.filename}`,
        endpoint: undefined,
        weekStart: options.account.weekStart,
        eventNames: store.eventNames(options.account).pipe(Effect.orElseSucceed(() => [])),
        propertyNames: (eventName) =>
          store.propertyNames === undefined
            ? Effect.succeed(noPropertyNames)
            : store
                .propertyNames(options.account, eventName)
                .pipe(Effect.orElseSucceed(() => noPropertyNames)),
        trends: trendsOver(api, options.account),
        top: (request, onProgress) =>
          Polling.run(
            {
              submit: api.top(request),
              poll: (reqId) => api.poll("top", String(reqId)),
            },
            onProgress === undefined ? {} : { onProgress: onProgress as never },
          ),
        upload,
      }
    }),
  ).pipe(Layer.provide(NodeSqlite.layer({ filename: options.filename })))

/** Remote mode: any Trends API through `@trendline/client`. */
export const layerRemote = (
  config: TrendsClient.Config,
): Layer.Layer<Backend, Region.ConfigError> =>
  Layer.effect(
    Backend,
    Effect.gen(function* () {
      const client = yield* TrendsClient.TrendsClient
      const baseUrl = yield* Region.baseUrlOf(config)
      return {
        description: `remote ${baseUrl} (account ${config.accountId})`,
        endpoint: { baseUrl, accountId: config.accountId },
        weekStart: config.weekStart ?? "monday",
        eventNames: Effect.succeed([]),
        propertyNames: () => Effect.succeed(noPropertyNames),
        trends: (request, onProgress) =>
          client.trends(request as TrendsClient.TrendsRequest, onProgress ? { onProgress } : {}),
        top: (request, onProgress) =>
          client.top(request as TrendsClient.TopRequest, onProgress ? { onProgress } : {}),
        upload: client.upload,
      }
    }),
  ).pipe(Layer.provide(TrendsClient.layerFetch(config)))

/**
 * The backend of a command line's target; `seedDemo` fills a new local database with the
 * demo data. The target's time zone must have passed `Zone.check`.
 */
export const layerOf = (
  target: Target.Target,
  options: { readonly seedDemo: boolean },
): Layer.Layer<Backend, EventStore.StoreError | Region.ConfigError> =>
  target._tag === "Local"
    ? layerLocal({ filename: target.filename, account: target.account, seedDemo: options.seedDemo })
    : layerRemote(remoteConfig(target))

/**
 * The client's configuration of a remote target: a zone given for the account (`--timezone`,
 * `TRENDLINE_TIMEZONE`) also dates every hour of an hourly group, so that the hours a server
 * leaves out are filled (23 or 25 on DST days); without one, hourly groups have its hours.
 */
export const remoteConfig = (target: Target.Remote): TrendsClient.Config =>
  target.timeZoneSource === undefined
    ? target.config
    : { ...target.config, timeZone: target.timeZone }
