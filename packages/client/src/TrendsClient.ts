/**
 * The Trends API client as an Effect service, over `@effect/platform`'s `HttpClient` (fetch
 * in Node, Workers and browsers) with core's schemas and errors:
 * - `status: "fail"` is an error whatever the HTTP status, decoded to core's `ApiError`;
 *   anything that is not the API's wire form is a `MalformedResponse`, never `any`;
 * - `partial` answers are polled (core's `Polling`) until done or the budget runs out
 *   (`PollTimeout` carries the `req_id` for `resume`);
 * - at most `maxConcurrent` requests in flight (3, the hosted service's limit); 429, 5xx,
 *   timeouts and network failures are retried with jittered exponential back-off, uploads
 *   too: each batch carries its own `Idempotency-Key`, the same on every retry, so a batch
 *   the server already stored is answered again instead of stored twice.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as ApiError from "@trendline/core/ApiError"
import type * as Bucket from "@trendline/core/Bucket"
import * as EventCount from "@trendline/core/EventCount"
import * as Idempotency from "@trendline/core/Idempotency"
import * as Limits from "@trendline/core/Limits"
import * as Polling from "@trendline/core/Polling"
import * as QueryJob from "@trendline/core/QueryJob"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Upload from "@trendline/core/Upload"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { MalformedResponse, TransportError, UploadIncomplete } from "./ClientError.ts"
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
  /** Retries of a call after a 429, a 5xx, a timeout or a network failure; default 4. */
  readonly maxRetries?: number
  /**
   * Whether the server honours `Idempotency-Key` on uploads, so that an upload may be
   * retried after a 5xx, a timeout or a lost answer. Default: `true` with `baseUrl` (a
   * Trendline server does), `false` with a hosted `region`, which does not document the
   * header: there an upload is retried only after a 429 (nothing was stored), never after
   * it may have been applied.
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
  /** Fill buckets the server left out with 0 (default `true`). */
  readonly zeroFill?: boolean
  /** Limits checked before sending (default: the hosted service's). */
  readonly limits?: Limits.Limits
}

/** A trends answer: the wire `success` body, and each group's decoded buckets. */
export interface TrendsAnswer {
  readonly body: { readonly status: "success"; readonly [group: string]: unknown }
  readonly groups: { readonly [group: string]: Results.GroupResult }
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
  readonly trends: (
    request: unknown,
    options?: ReadOptions,
  ) => Effect.Effect<TrendsAnswer, ReadError>
  /** Polls a trends query that timed out; pass its request to decode the buckets. */
  readonly resume: (
    reqId: number,
    request?: unknown,
    options?: ReadOptions,
  ) => Effect.Effect<TrendsAnswer, ReadError>
  /** The total count of an event in a range (`POST /1/counts/events.json`), polled. */
  readonly eventCount: (request: unknown, options?: ReadOptions) => Effect.Effect<number, ReadError>
  /**
   * Uploads records in batches of at most 1000, in order, each with a fresh
   * `Idempotency-Key` that its retries repeat, so a retried batch is stored once.
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

type CallError = ApiError.ApiError | TransportError | MalformedResponse

const snippet = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text)

const decodeFail = Schema.decodeUnknownOption(ApiError.FailBody)

// Failures a later attempt may not meet. Every call is safe to repeat: reads change nothing,
// and an upload repeats its batch's Idempotency-Key, so the server replays its first answer.
// Without keys the server honours, an upload is repeated only when it surely did nothing (429).
const retryable =
  (safe: boolean) =>
  (error: CallError): boolean =>
    error._tag === "RateLimited" ||
    (safe &&
      (error._tag === "TransportError" ||
        error._tag === "InternalError" ||
        error._tag === "ServiceUnavailable"))

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
    const semaphore = yield* Effect.makeSemaphore(maxConcurrent)
    const timeout = Duration.decode(config.requestTimeout ?? "30 seconds")
    const limits = config.limits ?? Limits.defaults
    const retrySchedule = Schedule.exponential(config.retryDelay ?? "500 millis").pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(maxRetries)),
    )
    const headers = {
      "X-CleverTap-Account-Id": config.accountId,
      "X-CleverTap-Passcode": config.passcode,
      "Content-Type": "application/json",
    }

    // One HTTP exchange: the JSON body of an answer that is not `fail`.
    const exchange = (
      request: HttpClientRequest.HttpClientRequest,
    ): Effect.Effect<unknown, CallError> =>
      http.execute(request).pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (text) => ({ status: response.status, text })),
        ),
        Effect.mapError((error) => new TransportError({ reason: error.message })),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new TransportError({ reason: `No answer within ${Duration.format(timeout)}` }),
        }),
        Effect.flatMap(({ status, text }): Effect.Effect<unknown, CallError> => {
          let body: unknown
          try {
            body = JSON.parse(text)
          } catch {
            // A proxy's HTML error page: the status says what happened.
            return status >= 400
              ? Effect.fail(
                  ApiError.fromFailBody(
                    { status: "fail", error: `HTTP ${status}: ${snippet(text)}` },
                    status,
                  ),
                )
              : Effect.fail(
                  new MalformedResponse({
                    status,
                    reason: "the body is not JSON",
                    body: snippet(text),
                  }),
                )
          }
          const fail = decodeFail(body)
          if (fail._tag === "Some") return Effect.fail(ApiError.fromFailBody(fail.value, status))
          // An HTTP error without a fail body (a gateway's own JSON): the status says what happened.
          if (status >= 400) {
            return Effect.fail(
              ApiError.fromFailBody(
                { status: "fail", error: `HTTP ${status}: ${snippet(text)}` },
                status,
              ),
            )
          }
          return Effect.succeed(body)
        }),
      )

    // A retry sends the same request: the same headers and the same body bytes.
    const call = (request: HttpClientRequest.HttpClientRequest, safe = true) =>
      semaphore
        .withPermits(1)(exchange(request))
        .pipe(Effect.retry({ schedule: retrySchedule, while: retryable(safe) }))
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
              body: snippet(JSON.stringify(body)),
            }),
        )

    // A read endpoint as core's polling transport: success, or partial with a req_id.
    const transport = <A, I extends { readonly status: "success" }>(
      path: string,
      success: Schema.Schema<A, I>,
      body: unknown,
    ): Polling.Transport<{ readonly decoded: A; readonly raw: unknown }, CallError> => {
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

    const answerOf = (
      request: TrendsRequest.TrendsRequest | undefined,
      result: { decoded: TrendsResponse.TrendsSuccess; raw: unknown },
    ): TrendsAnswer => ({
      body: result.raw as TrendsAnswer["body"],
      groups:
        request === undefined
          ? {}
          : Results.decode(request, result.decoded.groups, {
              weekStart: config.weekStart ?? "monday",
              zeroFill: config.zeroFill ?? true,
            }),
    })

    const trendsPath = "/1/counts/trends.json"

    return {
      trends: (input, options = {}) =>
        Effect.gen(function* () {
          const request = yield* TrendsRequest.decode(input, limits)
          const result = yield* Polling.run(
            transport(trendsPath, TrendsResponse.TrendsSuccess, TrendsRequest.encode(request)),
            pollOptions(options),
          )
          return answerOf(request, result)
        }),
      resume: (reqId, input, options = {}) =>
        Effect.gen(function* () {
          const request =
            input === undefined ? undefined : yield* TrendsRequest.decode(input, limits)
          const result = yield* Polling.resume(
            transport(trendsPath, TrendsResponse.TrendsSuccess, undefined),
            reqId,
            pollOptions(options),
          )
          return answerOf(request, result)
        }),
      eventCount: (input, options = {}) =>
        Effect.gen(function* () {
          const request = yield* EventCount.decode(input, limits)
          const result = yield* Polling.run(
            transport(
              "/1/counts/events.json",
              EventCount.EventCountSuccess,
              EventCount.encode(request),
            ),
            pollOptions(options),
          )
          return result.decoded.count
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
