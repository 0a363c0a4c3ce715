/**
 * The Trends API client as an Effect service, over `@effect/platform`'s `HttpClient` (fetch
 * in Node, Workers and browsers) with core's schemas and errors:
 * - `status: "fail"` is an error whatever the HTTP status, decoded to core's `ApiError`;
 *   anything that is not the API's wire form is a `MalformedResponse`, never `any`;
 * - `partial` answers are polled (core's `Polling`) until done or the budget runs out
 *   (`PollTimeout` carries the `req_id` for `resume`);
 * - at most `maxConcurrent` requests in flight (3, the hosted service's limit); 429, 5xx,
 *   timeouts and dropped connections are retried with jittered exponential back-off,
 *   uploads too: each batch carries its own `Idempotency-Key`, the same on every retry, so
 *   a batch the server already stored is answered again instead of stored twice;
 * - a server that cannot be reached (connection refused, unknown host, no route) gets one
 *   retry, and a TLS failure none: the `TransportError` names the cause at once;
 * - requests and answers are typed from core's schemas: `TrendsRequest` is the wire body.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as ApiError from "@trendline/core/ApiError"
import type * as Bucket from "@trendline/core/Bucket"
import * as EventCount from "@trendline/core/EventCount"
import type * as Extensions from "@trendline/core/Extensions"
import * as Idempotency from "@trendline/core/Idempotency"
import * as Limits from "@trendline/core/Limits"
import * as Polling from "@trendline/core/Polling"
import * as QueryJob from "@trendline/core/QueryJob"
import * as TopCounts from "@trendline/core/TopCounts"
import * as CoreTrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Upload from "@trendline/core/Upload"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { MalformedResponse, type TransportError, UploadIncomplete } from "./ClientError.ts"
import * as Call from "./internal/call.ts"
import * as Region from "./Region.ts"
import * as Results from "./Results.ts"

/** How to reach the API and how to behave. */
export interface Config {
  /** A hosted region (`eu1`, `in1`, `sg1`, `us1`, `aps3`, `mec1`); or give `baseUrl`. */
  readonly region?: string | undefined
  /** Any server, e.g. `http://127.0.0.1:8787`; or give `region`. */
  readonly baseUrl?: string | undefined
  readonly accountId: string
  readonly passcode: string
  /** Requests in flight at once (default 3, the hosted service's concurrency limit). */
  readonly maxConcurrent?: number
  /** Time limit of one HTTP request (default 30 seconds). */
  readonly requestTimeout?: Duration.DurationInput
  /**
   * Retries of a call after a 429, a 5xx, a timeout or a lost connection; default 4. A
   * server that cannot be reached (refused, unknown host, no route) gets at most 1.
   */
  readonly maxRetries?: number
  /**
   * Whether the server honours `Idempotency-Key` on uploads, so that an upload may be
   * retried after a 5xx, a timeout or a lost answer. Default: `true` with `baseUrl` (a
   * Trendline server does), `false` with a hosted `region`, which does not document the
   * header: there an upload is retried only after a 429 or a connection never made
   * (nothing was stored), never after it may have been applied.
   */
  readonly idempotentUploads?: boolean
  /** First delay between retries, doubled each time with jitter (default 500 ms). */
  readonly retryDelay?: Duration.DurationInput
  /** Delays between polls of a `partial` answer (default: 1 s doubling to 10 s). */
  readonly pollSchedule?: Schedule.Schedule<unknown>
  /** How long to poll before failing with `PollTimeout` (default 5 minutes). */
  readonly pollBudget?: Duration.DurationInput
  /** The account's week convention, to date `YYYYWW` keys (default `"monday"`, ISO). */
  readonly weekStart?: Bucket.WeekStart
  /**
   * The account's time zone, to know every hour of an hourly group (23 or 25 on DST days)
   * and fill those the server left out; without it, an hourly group has the answer's hours.
   */
  readonly timeZone?: string
  /** Fill buckets the server left out with 0 (default `true`). */
  readonly zeroFill?: boolean
  /** Limits checked before sending (default: the hosted service's). */
  readonly limits?: Limits.Limits
}

/**
 * A trends request as you send it: the Encoded (wire) side of core's `TrendsRequest`
 * schema, e.g. `{ event_name: "Charged", from: 20161224, to: 20170103, groups: { days:
 * { trend_type: "daily" } } }`. `Group` names its groups, so an answer knows them.
 */
export type TrendsRequest<Group extends string = string> = Omit<
  CoreTrendsRequest.Encoded,
  "groups"
> & {
  readonly groups: {
    readonly [Name in Group]: Schema.Schema.Encoded<typeof CoreTrendsRequest.Group>
  }
}

/** An event count request as you send it: `{ event_name: "Charged", from: 20161224, to: 20170103 }`. */
export type EventCountRequest = EventCount.Encoded

/**
 * A top counts request as you send it, e.g. `{ event_name: "Charged", from: 20240101, to:
 * 20240131, groups: { plans: { property_type: "profile_fields", name: "Plan", top_n: 3 } } }`.
 */
export type TopRequest<Group extends string = string> = Omit<TopCounts.Encoded, "groups"> & {
  readonly groups: { readonly [Name in Group]: TopCounts.TopGroup }
}

/** A top counts answer: per group, its values and their event counts, in order. */
export type TopAnswer<Group extends string = string> = {
  readonly [Name in Group]: ReadonlyArray<TopCounts.Entry>
}

/** The wire `success` body of trends: `{"status":"success","days":{"20161224":10,…}}`. */
export type TrendsBody = Schema.Schema.Encoded<typeof TrendsResponse.TrendsSuccess>

/**
 * A trends answer: the wire `success` body as the server sent it, and every requested
 * group's buckets decoded, by the request's group names (none when resumed without it).
 * Any answer is a `TrendsAnswer` (of `string`), whose groups a string can look up.
 */
export interface TrendsAnswer<Group extends string = string> {
  readonly body: TrendsBody
  readonly groups: { readonly [Name in Group]: Results.GroupResult }
  /**
   * Trendline's extensions (`"totals"`, `"bucket_meta"`, `"compare"`, breakdowns, rolling
   * windows), when the request asked for any
   * (the body's `trendline` key; see `@trendline/core/Extensions`).
   */
  readonly extras?: Extensions.Extras
}

/** What an upload did: records stored, and the refused ones with their index in your array. */
export interface UploadResult {
  readonly processed: number
  readonly unprocessed: ReadonlyArray<Upload.Unprocessed>
}

/** Progress of a polled query, for a UI: submitting, pending (with `req_id` and polls), done. */
export type Progress = Polling.PollState<
  unknown,
  ApiError.ApiError | TransportError | MalformedResponse
>

/** Per-call options of the polled reads. */
export interface ReadOptions {
  readonly onProgress?: (state: Progress) => Effect.Effect<void>
  readonly pollBudget?: Duration.DurationInput
}

/** Every failure of a read. */
export type ReadError = ApiError.ApiError | TransportError | MalformedResponse | Polling.PollTimeout

/** The client. */
export interface Service {
  /**
   * Runs a trends query, polling `partial` answers; the request is the wire body
   * (`{"event_name":"Charged","from":20161224,…}`), checked before it is sent.
   */
  readonly trends: <Group extends string>(
    request: TrendsRequest<Group>,
    options?: ReadOptions,
  ) => Effect.Effect<TrendsAnswer<Group>, ReadError>
  /**
   * Polls a trends query that timed out (`PollTimeout.reqId`); pass its request to decode
   * the buckets, e.g. `client.resume(timeout.reqId, request)`.
   */
  readonly resume: <Group extends string = never>(
    reqId: number,
    request?: TrendsRequest<Group>,
    options?: ReadOptions,
  ) => Effect.Effect<TrendsAnswer<Group>, ReadError>
  /** The total count of an event in a range (`POST /1/counts/events.json`), polled. */
  readonly eventCount: (
    request: EventCountRequest,
    options?: ReadOptions,
  ) => Effect.Effect<number, ReadError>
  /**
   * The number of distinct profiles that did an event in a range
   * (`POST /1/counts/profiles.json`, the same request as `eventCount`), polled.
   */
  readonly profileCount: (
    request: EventCountRequest,
    options?: ReadOptions,
  ) => Effect.Effect<number, ReadError>
  /**
   * The most (or least) frequent values of event properties or profile fields
   * (`POST /1/counts/top.json`), polled: per group, `[{ value, count }, …]` in order.
   */
  readonly top: <Group extends string = string>(
    request: TopRequest<Group>,
    options?: ReadOptions,
  ) => Effect.Effect<TopAnswer<Group>, ReadError>
  /**
   * Uploads records (`{ type: "event", identity, ts, evtName, evtData }` or profiles) in
   * batches of at most 1000, in order, each with a fresh `Idempotency-Key` that its retries
   * repeat, so a retried batch is stored once. Records stay `unknown`, as in core's
   * `Upload.UploadBody`: the server judges each one and reports the bad ones in `unprocessed`.
   */
  readonly upload: (
    records: ReadonlyArray<unknown>,
  ) => Effect.Effect<UploadResult, UploadIncomplete | ApiError.InvalidRequest>
}

/** The client's service tag. */
export class TrendsClient extends Context.Tag("@trendline/client/TrendsClient")<
  TrendsClient,
  Service
>() {}

/**
 * Builds the client; fails with `Region.ConfigError` when neither region nor baseUrl (or
 * both, or an unknown region) is given.
 */
export const make = (
  config: Config,
): Effect.Effect<Service, Region.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const baseUrl = yield* Region.baseUrlOf(config)
    if (config.accountId === "" || config.passcode === "") {
      return yield* new Region.ConfigError({ reason: "accountId and passcode are required" })
    }
    const maxConcurrent = config.maxConcurrent ?? 3
    const maxRetries = config.maxRetries ?? 4
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      return yield* new Region.ConfigError({
        reason: `maxConcurrent must be a whole number of at least 1, got ${maxConcurrent}`,
      })
    }
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      return yield* new Region.ConfigError({
        reason: `maxRetries must be a whole number of at least 0, got ${maxRetries}`,
      })
    }
    const http = yield* HttpClient.HttpClient
    const call = yield* Call.make(http, {
      timeout: Duration.decode(config.requestTimeout ?? "30 seconds"),
      maxConcurrent,
      maxRetries,
      retryDelay: config.retryDelay ?? "500 millis",
    })
    const limits = config.limits ?? Limits.defaults
    const headers = {
      "X-CleverTap-Account-Id": config.accountId,
      "X-CleverTap-Passcode": config.passcode,
      "Content-Type": "application/json",
    }
    const idempotentUploads = config.idempotentUploads ?? config.baseUrl !== undefined

    const decodeWith =
      <A, I>(schema: Schema.Schema<A, I>) =>
      (body: unknown): Effect.Effect<A, MalformedResponse> =>
        Effect.mapError(
          Schema.decodeUnknown(schema)(body),
          (error) =>
            new MalformedResponse({
              status: 200,
              reason: error.message,
              body: Call.snippet(JSON.stringify(body)),
            }),
        )

    // A read endpoint as core's polling transport: success, or partial with a req_id.
    const transport = <A, I extends { readonly status: "success" }>(
      path: string,
      success: Schema.Schema<A, I>,
      body: unknown,
    ): Polling.Transport<{ readonly decoded: A; readonly raw: unknown }, Call.CallError> => {
      const reply = (raw: unknown) =>
        Effect.map(
          decodeWith(Schema.Union(success, TrendsResponse.Partial))(raw),
          (answer): QueryJob.Reply<{ readonly decoded: A; readonly raw: unknown }> =>
            typeof answer === "object" && answer !== null && "req_id" in answer
              ? QueryJob.Reply.Pending({ reqId: (answer as TrendsResponse.Partial).req_id })
              : QueryJob.Reply.Completed({ result: { decoded: answer as A, raw } }),
        )
      return {
        submit: Effect.flatMap(
          call(
            HttpClientRequest.post(`${baseUrl}${path}`, { headers }).pipe(
              HttpClientRequest.bodyUnsafeJson(body),
            ),
          ),
          reply,
        ),
        poll: (reqId) =>
          Effect.flatMap(
            call(
              HttpClientRequest.get(`${baseUrl}${path}`, {
                headers,
                urlParams: { req_id: String(reqId) },
              }),
            ),
            reply,
          ),
      }
    }

    const pollOptions = (options: ReadOptions) => ({
      schedule: config.pollSchedule ?? Polling.defaultSchedule,
      budget: options.pollBudget ?? config.pollBudget ?? Polling.defaultBudget,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress as never }),
    })

    // The raw body passed the success schema, so it is the wire success; `Results.decode`
    // answers every group of the request, so the names are the request's.
    const answerOf = <Group extends string>(
      request: CoreTrendsRequest.TrendsRequest | undefined,
      result: { decoded: TrendsResponse.TrendsSuccess; raw: unknown },
    ): TrendsAnswer<Group> => ({
      body: result.raw as TrendsBody,
      groups: (request === undefined
        ? {}
        : Results.decode(request, result.decoded.groups, {
            weekStart: config.weekStart ?? "monday",
            zeroFill: config.zeroFill ?? true,
            ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
          })) as TrendsAnswer<Group>["groups"],
      ...(result.decoded.extras === undefined ? {} : { extras: result.decoded.extras }),
    })

    const trendsPath = "/1/counts/trends.json"

    // An event or profile count: the same request and answer on two paths.
    const count = (
      path: "/1/counts/events.json" | "/1/counts/profiles.json",
      input: EventCountRequest,
      options: ReadOptions,
    ) =>
      Effect.gen(function* () {
        const request = yield* EventCount.decode(input, limits)
        const result = yield* Polling.run(
          transport(path, EventCount.EventCountSuccess, EventCount.encode(request)),
          pollOptions(options),
        )
        return result.decoded.count
      })

    return {
      trends: <Group extends string>(input: TrendsRequest<Group>, options: ReadOptions = {}) =>
        Effect.gen(function* () {
          const request = yield* CoreTrendsRequest.decode(input, limits)
          const result = yield* Polling.run(
            transport(trendsPath, TrendsResponse.TrendsSuccess, CoreTrendsRequest.encode(request)),
            pollOptions(options),
          )
          return answerOf<Group>(request, result)
        }),
      resume: <Group extends string = never>(
        reqId: number,
        input?: TrendsRequest<Group>,
        options: ReadOptions = {},
      ) =>
        Effect.gen(function* () {
          const request =
            input === undefined ? undefined : yield* CoreTrendsRequest.decode(input, limits)
          const result = yield* Polling.resume(
            transport(trendsPath, TrendsResponse.TrendsSuccess, undefined),
            reqId,
            pollOptions(options),
          )
          return answerOf<Group>(request, result)
        }),
      eventCount: (input, options = {}) => count("/1/counts/events.json", input, options),
      profileCount: (input, options = {}) => count("/1/counts/profiles.json", input, options),
      top: <Group extends string = string>(input: TopRequest<Group>, options: ReadOptions = {}) =>
        Effect.gen(function* () {
          const request = yield* TopCounts.decode(input, limits)
          const result = yield* Polling.run(
            transport("/1/counts/top.json", TopCounts.TopSuccess, TopCounts.encode(request)),
            pollOptions(options),
          )
          const { status: _, ...groups } = result.decoded
          return groups as TopAnswer<Group>
        }),
      upload: (records) =>
        Effect.gen(function* () {
          let processed = 0
          const unprocessed: Array<Upload.Unprocessed> = []
          for (let offset = 0; offset < records.length; offset += limits.maxUploadRecords) {
            const batch = records.slice(offset, offset + limits.maxUploadRecords)
            const key = yield* Effect.sync(() => crypto.randomUUID())
            const response = yield* call(
              HttpClientRequest.post(`${baseUrl}/1/upload`, {
                headers: { ...headers, [Idempotency.header]: key },
              }).pipe(HttpClientRequest.bodyUnsafeJson({ d: batch })),
              idempotentUploads,
            ).pipe(
              Effect.flatMap(decodeWith(Upload.UploadResponse)),
              Effect.mapError(
                (error) =>
                  new UploadIncomplete({
                    failedAt: offset,
                    processed,
                    reason: error.message,
                    causeTag: error._tag,
                  }),
              ),
            )
            processed += response.processed
            for (const entry of response.unprocessed)
              unprocessed.push({ ...entry, index: entry.index + offset })
          }
          return { processed, unprocessed }
        }),
    }
  })

/** The client as a layer; provide an `HttpClient` (see `layerFetch`). */
export const layer = (
  config: Config,
): Layer.Layer<TrendsClient, Region.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(TrendsClient, make(config))

/** The client over the platform's `fetch` (Node 22+, Workers, browsers). */
export const layerFetch = (config: Config): Layer.Layer<TrendsClient, Region.ConfigError> =>
  layer(config).pipe(Layer.provide(FetchHttpClient.layer))
