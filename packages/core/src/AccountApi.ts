/**
 * The Trends API of one account, without HTTP: each endpoint takes the parsed JSON body
 * (or the polled `req_id`) and gives the wire answer, an HTTP status and a JSON body. The
 * Node server runs one per account in process; on Workers it runs inside the account's
 * Durable Object, so the query jobs and the concurrency gates hold across isolates.
 *
 * Reads (trends and event counts) share one job registry, hence one concurrency gate (the
 * hosted service allows 3 reads in flight) and one bound on answers not yet polled (100);
 * uploads have their own gate (15).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type * as Account from "./Account.ts"
import * as ApiError from "./ApiError.ts"
import * as EventCount from "./EventCount.ts"
import * as EventStore from "./EventStore.ts"
import * as Idempotency from "./Idempotency.ts"
import * as Ingestion from "./Ingestion.ts"
import * as Limits from "./Limits.ts"
import * as QueryJob from "./QueryJob.ts"
import * as QueryPlan from "./QueryPlan.ts"
import * as TrendsRequest from "./TrendsRequest.ts"
import * as TrendsResponse from "./TrendsResponse.ts"

/** A JSON object, ready for `JSON.stringify`. */
export type Json = { readonly [key: string]: unknown }

/** What an endpoint answers: the HTTP status and the body. */
export interface Answer {
  readonly status: number
  readonly body: Json
}

/**
 * Where uploads are decoded, judged and stored, when not on the calling thread: the Node
 * server's store hands them to its writer thread, which runs `ingestJson` there. Optional:
 * without it, `AccountApi` ingests in process.
 */
export interface IngestService {
  readonly ingestJson: (
    account: Account.Settings,
    text: string,
    receivedAt: number,
    limits: Limits.Limits,
    key?: EventStore.UploadKey,
  ) => Effect.Effect<Answer>
}

/** An upload's `Idempotency-Key` and the digest of its body (see `Idempotency`). */
export interface UploadIdempotency {
  readonly key: string
  readonly fingerprint: string
}

/** The tag of `IngestService`. */
export class Ingest extends Context.Tag("@trendline/core/AccountApi/Ingest")<
  Ingest,
  IngestService
>() {}

/** The endpoints whose queries can answer `partial`. */
export type ReadEndpoint = "trends" | "events"

/** Settings of an account's API. */
export interface Options {
  readonly limits: Limits.Limits
  /** How long a read waits before answering `partial`; zero answers `partial` every time. */
  readonly syncBudget: QueryJob.Options["syncBudget"]
  /** How long a finished query's answer stays pollable, and a running one lives unpolled. */
  readonly retention: QueryJob.Options["retention"]
  /** Reads (trends, event counts) in flight at once. */
  readonly maxConcurrentQueries: number
  /**
   * Reads whose answer the client has not polled yet (running, or finished and never
   * polled); above it reads answer 429. Optional so settings written before it stay valid;
   * absent means `QueryJob.defaultOptions.maxPending` (100).
   */
  readonly maxPendingQueries?: number
  /** Uploads in flight at once. */
  readonly maxConcurrentUploads: number
  /**
   * How long an upload's `Idempotency-Key` is remembered. Optional so settings written
   * before it stay valid; absent means `Idempotency.defaultRetention` (24 hours).
   */
  readonly idempotencyRetention?: Duration.DurationInput
}

/**
 * The hosted service's limits: 3 reads and 15 uploads in flight, results kept 10 minutes;
 * plus our own bound of 100 reads waiting to be polled.
 */
export const defaultOptions: Options = {
  limits: Limits.defaults,
  syncBudget: QueryJob.defaultOptions.syncBudget,
  retention: QueryJob.defaultOptions.retention,
  maxConcurrentQueries: QueryJob.defaultOptions.maxConcurrent,
  maxPendingQueries: QueryJob.defaultOptions.maxPending,
  maxConcurrentUploads: 15,
  idempotencyRetention: Idempotency.defaultRetention,
}

/** The API of one account. Every method answers; failures are `fail` answers. */
export interface AccountApi {
  /** `POST /1/counts/trends.json` */
  readonly trends: (body: unknown) => Effect.Effect<Answer>
  /** `POST /1/counts/events.json` */
  readonly eventCount: (body: unknown) => Effect.Effect<Answer>
  /** `GET <endpoint>?req_id=N`: the query's answer, `partial` while it runs. */
  readonly poll: (endpoint: ReadEndpoint, reqId: string) => Effect.Effect<Answer>
  /** `POST /1/upload`, with the time of receipt in epoch seconds. */
  readonly upload: (body: unknown, receivedAt: number) => Effect.Effect<Answer>
  /**
   * `POST /1/upload` with the body's text: gated before the text is parsed, so a refused
   * upload costs nothing, and parsed where it is stored (see `Ingest`). With
   * `idempotency`, a repeat of the key and body within the retention stores nothing and
   * answers as the first did; the key with another body answers 409.
   */
  readonly uploadJson: (
    text: string,
    receivedAt: number,
    idempotency?: UploadIdempotency,
  ) => Effect.Effect<Answer>
}

/** The `fail` answer of an error: its HTTP status and `{"status":"fail","error":…,"code":…}`. */
export const failure = (error: ApiError.ApiError): Answer => ({
  status: ApiError.httpStatus(error),
  body: ApiError.toFailBody(error),
})

const success = (body: Json): Answer => ({ status: 200, body })

/** The 503 of a store that failed or cannot be opened; its details are logged, never sent. */
export const storeUnavailableError = (): ApiError.ServiceUnavailable =>
  new ApiError.ServiceUnavailable({ reason: "The event store is unavailable; try again later" })

/** The 500 of anything unforeseen; its details are logged, never sent. */
export const internalError = (): ApiError.InternalError =>
  new ApiError.InternalError({ reason: "Internal error; it has been logged" })

// A store failure is the server's problem, not the client's: log it, answer 503.
const storeUnavailable = (error: EventStore.StoreError) =>
  Effect.as(
    Effect.logError("event store failed", error.message, error.cause),
    storeUnavailableError(),
  )

/** The answer to a store failure: logged, and 503 without its details. */
export const storeFailure = (error: EventStore.StoreError): Effect.Effect<Answer> =>
  Effect.map(storeUnavailable(error), failure)

/**
 * An upload from body to answer, over the event store: `success` with what was processed,
 * the 400 of a bad body, or 503 (logged) when the store fails.
 */
export const ingest = (
  account: Account.Settings,
  body: unknown,
  receivedAt: number,
  limits: Limits.Limits,
  key?: EventStore.UploadKey,
): Effect.Effect<Answer, never, EventStore.EventStore> =>
  Ingestion.upload(account, body, receivedAt, limits, key).pipe(
    Effect.map((response) => success({ ...response })),
    Effect.catchTag("StoreError", storeFailure),
    Effect.catchTag("KeyReused", (reused) =>
      Effect.succeed(failure(Idempotency.reused(reused.key))),
    ),
    Effect.catchAll((error) => Effect.succeed(failure(error))),
  )

/** `ingest` of a body's text (a 400 if it is not JSON). */
export const ingestJson = (
  account: Account.Settings,
  text: string,
  receivedAt: number,
  limits: Limits.Limits,
  key?: EventStore.UploadKey,
): Effect.Effect<Answer, never, EventStore.EventStore> =>
  Effect.matchEffect(Ingestion.parseJson(text), {
    onFailure: (error) => Effect.succeed(failure(error)),
    onSuccess: (body) => ingest(account, body, receivedAt, limits, key),
  })

/** A finished read: the endpoint that issued it and its answer (success or fail). */
export interface Finished {
  readonly endpoint: ReadEndpoint
  readonly answer: Answer
}

/** A finished read kept beyond the process (or object) that ran it, until `expiresAt`. */
export interface ArchivedAnswer extends Finished {
  /** Epoch milliseconds. */
  readonly expiresAt: number
}

/**
 * Where one account's finished reads are kept so a poll finds them even after the job
 * registry's memory is gone (a Durable Object evicted before its client polled).
 */
export interface AnswerArchive {
  readonly put: (reqId: number, entry: ArchivedAnswer) => Effect.Effect<void>
  /** The entry if it exists and has not expired at `now` (epoch milliseconds). */
  readonly get: (reqId: number, now: number) => Effect.Effect<Option.Option<ArchivedAnswer>>
}

/**
 * Where the APIs of a process keep finished reads, as a service: the archive of each account
 * (the Node server's store keeps them in its database, so a `req_id` outlives a restart; an
 * account never reads another's). Optional: `make` uses its `archive` argument first, then
 * this service, else keeps answers in memory only.
 */
export class Archive extends Context.Tag("@trendline/core/AccountApi/Archive")<
  Archive,
  (accountId: string) => AnswerArchive
>() {}

const reqIdPattern = /^[1-9]\d{0,15}$/

/**
 * Builds the API of an account over the event store; its query jobs live in the scope.
 *
 * @example AccountApi.make(Account.make("acme"), { ...AccountApi.defaultOptions, syncBudget: 0 })
 */
export const make = (
  account: Account.Settings,
  options: Options = defaultOptions,
  archiveArgument?: AnswerArchive,
): Effect.Effect<AccountApi, never, EventStore.EventStore | Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* EventStore.EventStore
    const archive =
      archiveArgument ??
      Option.getOrUndefined(
        Option.map(yield* Effect.serviceOption(Archive), (archiveOf) => archiveOf(account.id)),
      )
    const retentionMillis = Duration.toMillis(options.retention)
    const keyRetentionMillis = Duration.toMillis(
      options.idempotencyRetention ?? Idempotency.defaultRetention,
    )
    // The key as the store keeps it: remembered from now until the retention ends.
    const uploadKey = (idempotency: UploadIdempotency | undefined) =>
      idempotency === undefined
        ? Effect.succeed(undefined)
        : Effect.map(
            Clock.currentTimeMillis,
            (now): EventStore.UploadKey => ({
              ...idempotency,
              now,
              expiresAt: now + keyRetentionMillis,
            }),
          )
    const jobs = yield* QueryJob.make<Finished>({
      syncBudget: options.syncBudget,
      retention: options.retention,
      maxConcurrent: options.maxConcurrentQueries,
      maxPending: options.maxPendingQueries ?? QueryJob.defaultOptions.maxPending,
      ...(archive === undefined
        ? {}
        : {
            onSettled: (reqId, outcome, finishedAt) =>
              Either.isRight(outcome)
                ? archive.put(reqId, { ...outcome.right, expiresAt: finishedAt + retentionMillis })
                : Effect.void,
          }),
    })
    const uploadsInFlight = yield* Ref.make(0)
    const remote = yield* Effect.serviceOption(Ingest)
    // Uploads in flight: at most `maxConcurrentUploads`, the next one answers 429 at once.
    const gated = (upload: Effect.Effect<Answer>): Effect.Effect<Answer> =>
      Effect.acquireUseRelease(
        Ref.modify(uploadsInFlight, (n) =>
          n >= options.maxConcurrentUploads ? [false, n] : [true, n + 1],
        ),
        (admitted) =>
          admitted
            ? upload
            : Effect.succeed(
                failure(new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })),
              ),
        (admitted) => (admitted ? Ref.update(uploadsInFlight, (n) => n - 1) : Effect.void),
      )

    const partial = (reqId: number) => success({ status: "partial", req_id: reqId })

    const read = (
      endpoint: ReadEndpoint,
      plan: QueryPlan.QueryPlan,
      toBody: (result: QueryPlan.Result) => Json,
    ) =>
      jobs
        .submit(
          account.id,
          // The job never fails: its answer, success or fail, is what a poll gets.
          store.query(account, plan).pipe(
            Effect.map((result) => success(toBody(result))),
            Effect.catchTag("StoreError", (error) => Effect.map(storeUnavailable(error), failure)),
            Effect.map((answer): Finished => ({ endpoint, answer })),
          ),
        )
        .pipe(
          Effect.map((reply) =>
            reply._tag === "Pending" ? partial(reply.reqId) : reply.result.answer,
          ),
        )

    const answer = (effect: Effect.Effect<Answer, ApiError.ApiError>) =>
      Effect.catchAll(effect, (error) => Effect.succeed(failure(error)))

    return {
      trends: (body) =>
        answer(
          Effect.flatMap(TrendsRequest.decode(body, options.limits), (request) =>
            read("trends", QueryPlan.fromTrends(request, account), (result) =>
              TrendsResponse.toWire(result),
            ),
          ),
        ),
      eventCount: (body) =>
        answer(
          Effect.flatMap(EventCount.decode(body, options.limits), (request) =>
            read("events", QueryPlan.fromEventCount(request, account), (result) => ({
              status: "success",
              count: result[QueryPlan.countGroup]?.[QueryPlan.totalKey] ?? 0,
            })),
          ),
        ),
      poll: (endpoint, reqId) => {
        if (!reqIdPattern.test(reqId)) {
          return answer(
            Effect.fail(
              ApiError.InvalidRequest.field(
                "req_id",
                `must be the number a partial answer gave, e.g. ?req_id=384649162721759; got ${JSON.stringify(reqId)}`,
              ),
            ),
          )
        }
        const id = Number(reqId)
        // A req_id belongs to the endpoint that issued it.
        const ofEndpoint = (finished: Option.Option<Finished>) =>
          Option.map(
            Option.filter(finished, (f) => f.endpoint === endpoint),
            (f) => f.answer,
          )
        const archived =
          archive === undefined
            ? Effect.succeed(Option.none<Finished>())
            : Effect.flatMap(Clock.currentTimeMillis, (now) => archive.get(id, now))
        return answer(
          jobs.poll(account.id, id).pipe(
            Effect.map((reply) =>
              reply._tag === "Pending"
                ? Option.some(partial(reply.reqId))
                : ofEndpoint(Option.some(reply.result)),
            ),
            Effect.catchTag("UnknownRequestId", () => Effect.map(archived, ofEndpoint)),
            Effect.flatMap(
              Option.match({
                onSome: Effect.succeed,
                onNone: () =>
                  Effect.fail(
                    new ApiError.UnknownRequestId({ reason: `Unknown or expired req_id ${reqId}` }),
                  ),
              }),
            ),
          ),
        )
      },
      upload: (body, receivedAt) =>
        gated(
          Effect.provideService(
            ingest(account, body, receivedAt, options.limits),
            EventStore.EventStore,
            store,
          ),
        ),
      uploadJson: (text, receivedAt, idempotency) =>
        gated(
          Effect.flatMap(uploadKey(idempotency), (key) =>
            Option.match(remote, {
              onSome: (elsewhere) =>
                elsewhere.ingestJson(account, text, receivedAt, options.limits, key),
              onNone: () =>
                Effect.provideService(
                  ingestJson(account, text, receivedAt, options.limits, key),
                  EventStore.EventStore,
                  store,
                ),
            }),
          ),
        ),
    }
  })
