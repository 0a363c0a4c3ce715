/**
 * The Trends API of one account, without HTTP: each endpoint takes the parsed JSON body
 * (or the polled `req_id`) and answers in types: a read's result or the `req_id` of a
 * `partial` reply (`QueryJob.Reply`), an upload's response, or an `ApiError`. The edge
 * turns those into HTTP with `WireAnswer`. The Node server runs one per account in process;
 * on Workers it runs inside the account's Durable Object, so the query jobs and the
 * concurrency gates hold across isolates.
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
import * as Extensions from "./Extensions.ts"
import * as Idempotency from "./Idempotency.ts"
import {
  Ingest,
  ingest,
  ingestJson,
  logStoreFailure,
  type UploadIdempotency,
} from "./internal/accountIngest.ts"
import * as Limits from "./Limits.ts"
import * as ProfileCount from "./ProfileCount.ts"
import * as QueryJob from "./QueryJob.ts"
import * as QueryPlan from "./QueryPlan.ts"
import * as TopCounts from "./TopCounts.ts"
import * as TrendsRequest from "./TrendsRequest.ts"
import type * as Upload from "./Upload.ts"
import * as WireAnswer from "./WireAnswer.ts"

export {
  Ingest,
  type IngestService,
  ingest,
  ingestJson,
  internalError,
  logStoreFailure,
  storeUnavailableError,
  type UploadIdempotency,
} from "./internal/accountIngest.ts"

/** The endpoints whose queries can answer `partial`. */
export type ReadEndpoint = WireAnswer.ReadEndpoint

/** A read's reply: its result (`Completed`), or the `req_id` to poll (`Pending`). */
export type ReadReply<E extends ReadEndpoint> = QueryJob.Reply<WireAnswer.ReadResults[E]>

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

/** The API of one account; failures are `ApiError`s (a store's failure is logged, 503). */
export interface AccountApi {
  /** `POST /1/counts/trends.json` */
  readonly trends: (body: unknown) => Effect.Effect<ReadReply<"trends">, ApiError.ApiError>
  /** `trends` of a request already decoded (`TrendsRequest.decode`), e.g. by a local UI. */
  readonly trendsOf: (
    request: TrendsRequest.TrendsRequest,
  ) => Effect.Effect<ReadReply<"trends">, ApiError.ApiError>
  /** `POST /1/counts/events.json` */
  readonly eventCount: (body: unknown) => Effect.Effect<ReadReply<"events">, ApiError.ApiError>
  /** `POST /1/counts/profiles.json` */
  readonly profileCount: (body: unknown) => Effect.Effect<ReadReply<"profiles">, ApiError.ApiError>
  /** `POST /1/counts/top.json` */
  readonly top: (body: unknown) => Effect.Effect<ReadReply<"top">, ApiError.ApiError>
  /** `GET <endpoint>?req_id=N`: the query's result, `Pending` while it runs. */
  readonly poll: <E extends ReadEndpoint>(
    endpoint: E,
    reqId: string,
  ) => Effect.Effect<ReadReply<E>, ApiError.ApiError>
  /** `POST /1/upload`, with the time of receipt in epoch seconds. */
  readonly upload: (
    body: unknown,
    receivedAt: number,
  ) => Effect.Effect<Upload.UploadResponse, ApiError.ApiError>
  /**
   * `POST /1/upload` with the body's text: gated before the text is parsed, so a refused
   * upload costs nothing, and parsed where it is stored (see `Ingest`). With
   * `idempotency`, a repeat of the key and body within the retention stores nothing and
   * answers as the first did; the key with another body fails with a 409 `Conflict`.
   */
  readonly uploadJson: (
    text: string,
    receivedAt: number,
    idempotency?: UploadIdempotency,
  ) => Effect.Effect<Upload.UploadResponse, ApiError.ApiError>
}

// A finished read: the endpoint that issued it and its outcome. The job itself never fails,
// so that the endpoint travels with an error too.
interface Finished {
  readonly endpoint: ReadEndpoint
  readonly outcome: Either.Either<WireAnswer.ReadResults[ReadEndpoint], ApiError.ApiError>
}

/**
 * A finished read kept beyond the process (or object) that ran it, until `expiresAt`, in
 * wire form (`WireAnswer`): what a poll answers, success or fail.
 */
export interface ArchivedAnswer {
  readonly endpoint: ReadEndpoint
  readonly answer: { readonly status: number; readonly body: WireAnswer.Json }
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

// A trends answer with the extensions `wanted`: the plan's groups; totals from a plan of one
// bucket a group; bucket metadata at the time the answer is computed; a comparison from the
// plan over the earlier period; a breakdown from the group's top values, then the group a
// value; rolling windows from a plan of window groups (`Extensions`). The store's queries
// do not depend on one another (but a breakdown's on its top values) and run a few at a
// time: a store that answers queries in parallel (ClickHouse, SQLite's pool of readers)
// answers a comparison in about the time of one query.
const extensionQueries = 4

const extendedAnswer = (
  store: EventStore.Service,
  account: Account.Settings,
  plan: QueryPlan.QueryPlan,
  wanted: Extensions.Wanted,
) =>
  Effect.gen(function* () {
    const query = (of: QueryPlan.QueryPlan) => store.query(account, of)
    const none = Effect.succeed(undefined)
    const earlier =
      wanted.compare === undefined
        ? undefined
        : QueryPlan.withRange(plan, ...Extensions.previousRange(wanted.compare, plan.from, plan.to))
    const breakdown = ([name, spec]: readonly [string, Extensions.BreakdownSpec]) =>
      Effect.flatMap(store.top(account, Extensions.topPlanOf(plan, name, spec)), (top) =>
        Effect.forEach(
          top[name] ?? [],
          ({ value }) =>
            Effect.map(
              query(Extensions.seriesPlan(plan, name, spec, value)),
              (answer): Extensions.Series => ({ value, buckets: answer[name] ?? {} }),
            ),
          { concurrency: extensionQueries },
        ),
      )
    // Counts and sums add up over days; distinct profiles need the store's windows.
    const rollingOf = ([name, days]: readonly [string, number]) =>
      plan.measure._tag !== "Profiles"
        ? Effect.map(query(Extensions.daysBefore(plan, days)), (daily) =>
            Extensions.windowSums(plan, days, daily),
          )
        : store.rollingProfiles !== undefined
          ? Effect.map(store.rollingProfiles(account, plan, days), (values) =>
              Extensions.rollingFromDays(plan, days, values),
            )
          : Effect.map(query(Extensions.rollingPlan(plan, name, days)), (windows) =>
              Extensions.rollingOf(plan, name, days, windows),
            )
    const [groups, totals, previousResult, previousTotals, seriesOf, windows] = yield* Effect.all(
      [
        query(plan),
        wanted.totals ? query(QueryPlan.totalsOf(plan)) : none,
        earlier === undefined ? none : query(earlier),
        earlier === undefined || !wanted.totals ? none : query(QueryPlan.totalsOf(earlier)),
        Effect.forEach(wanted.breakdowns, breakdown, { concurrency: extensionQueries }),
        Effect.forEach(wanted.rolling, rollingOf, { concurrency: extensionQueries }),
      ] as const,
      { concurrency: extensionQueries },
    )
    const nowSeconds = wanted.bucketMeta
      ? Math.floor((yield* Clock.currentTimeMillis) / 1000)
      : undefined
    const previous: Extensions.Previous | undefined =
      earlier === undefined || wanted.compare === undefined
        ? undefined
        : { kind: wanted.compare, plan: earlier, result: previousResult!, totals: previousTotals }
    const breakdowns = Object.fromEntries(
      wanted.breakdowns.map(([name, spec], i) => [
        name,
        Extensions.breakdownOf(
          spec,
          groups[name] ?? {},
          seriesOf[i]!,
          plan.measure._tag !== "Profiles",
        ),
      ]),
    )
    const rolling = Object.fromEntries(wanted.rolling.map(([name], i) => [name, windows[i]!]))
    const extras = Extensions.make(plan, {
      result: groups,
      totals,
      nowSeconds,
      previous,
      breakdowns,
      rolling,
    })
    return { groups, extras }
  })

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
            // Kept as a poll would answer it, success or fail.
            onSettled: (reqId, outcome, finishedAt) =>
              Either.isRight(outcome)
                ? archive.put(reqId, {
                    endpoint: outcome.right.endpoint,
                    answer: Either.match(outcome.right.outcome, {
                      onLeft: WireAnswer.failure,
                      onRight: (result) =>
                        WireAnswer.read(
                          outcome.right.endpoint,
                          QueryJob.Reply.Completed({ result }),
                        ),
                    }),
                    expiresAt: finishedAt + retentionMillis,
                  })
                : Effect.void,
          }),
    })
    const uploadsInFlight = yield* Ref.make(0)
    const remote = yield* Effect.serviceOption(Ingest)
    // Uploads in flight: at most `maxConcurrentUploads`, the next one answers 429 at once.
    const gated = <A>(
      upload: Effect.Effect<A, ApiError.ApiError | EventStore.StoreError>,
    ): Effect.Effect<A, ApiError.ApiError> =>
      Effect.acquireUseRelease(
        Ref.modify(uploadsInFlight, (n) =>
          n >= options.maxConcurrentUploads ? [false, n] : [true, n + 1],
        ),
        (admitted) =>
          admitted
            ? logStoreFailure(upload)
            : Effect.fail(new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests })),
        (admitted) => (admitted ? Ref.update(uploadsInFlight, (n) => n - 1) : Effect.void),
      )

    // The result of a finished read of `endpoint`, or its error.
    const settled = <E extends ReadEndpoint>(
      reply: QueryJob.Reply<Finished>,
    ): Effect.Effect<ReadReply<E>, ApiError.ApiError> =>
      reply._tag === "Pending"
        ? Effect.succeed(QueryJob.Reply.Pending({ reqId: reply.reqId }))
        : Either.match(reply.result.outcome, {
            onLeft: Effect.fail,
            onRight: (result) =>
              Effect.succeed(
                QueryJob.Reply.Completed({ result: result as WireAnswer.ReadResults[E] }),
              ),
          })

    // A read of `endpoint` as a query job: answered within the sync budget, or `partial`.
    const job = <E extends ReadEndpoint>(
      endpoint: E,
      work: Effect.Effect<WireAnswer.ReadResults[E], EventStore.StoreError>,
    ): Effect.Effect<ReadReply<E>, ApiError.ApiError> =>
      jobs
        .submit(
          account.id,
          // The job never fails: its outcome, success or error, is what a poll gets.
          logStoreFailure(work).pipe(
            Effect.either,
            Effect.map((outcome): Finished => ({ endpoint, outcome })),
          ),
        )
        .pipe(Effect.flatMap((reply) => settled<E>(reply)))

    const read = <E extends ReadEndpoint>(
      endpoint: E,
      plan: QueryPlan.QueryPlan,
      resultOf: (result: QueryPlan.Result) => WireAnswer.ReadResults[E],
    ): Effect.Effect<ReadReply<E>, ApiError.ApiError> =>
      job(endpoint, Effect.map(store.query(account, plan), resultOf))

    const unknownRequestId = (reqId: string) =>
      new ApiError.UnknownRequestId({ reason: `Unknown or expired req_id ${reqId}` })

    // The groups, and the extensions asked for: totals from a second plan of one bucket a
    // group, bucket metadata at the time the answer is computed, a comparison from the same
    // plan over the earlier period.
    const trendsOf = (request: TrendsRequest.TrendsRequest) => {
      const plan = QueryPlan.fromTrends(request, account)
      const wanted = Extensions.wanted(request)
      if (!Extensions.any(wanted)) return read("trends", plan, (groups) => ({ groups }))
      return job("trends", extendedAnswer(store, account, plan, wanted))
    }

    return {
      trends: (body) => Effect.flatMap(TrendsRequest.decode(body, options.limits), trendsOf),
      trendsOf,
      eventCount: (body) =>
        Effect.flatMap(EventCount.decode(body, options.limits), (request) =>
          read(
            "events",
            QueryPlan.fromEventCount(request, account),
            (result) => result[QueryPlan.countGroup]?.[QueryPlan.totalKey] ?? 0,
          ),
        ),
      profileCount: (body) =>
        Effect.flatMap(ProfileCount.decode(body, options.limits), (request) =>
          read(
            "profiles",
            QueryPlan.fromProfileCount(request, account),
            (result) => result[QueryPlan.countGroup]?.[QueryPlan.totalKey] ?? 0,
          ),
        ),
      top: (body) =>
        Effect.flatMap(TopCounts.decode(body, options.limits), (request) =>
          job("top", store.top(account, TopCounts.plan(request, account))),
        ),
      poll: <E extends ReadEndpoint>(
        endpoint: E,
        reqId: string,
      ): Effect.Effect<ReadReply<E>, ApiError.ApiError> => {
        if (!reqIdPattern.test(reqId)) {
          return Effect.fail(
            ApiError.InvalidRequest.field(
              "req_id",
              `must be the number a partial answer gave, e.g. ?req_id=384649162721759; got ${JSON.stringify(reqId)}`,
            ),
          )
        }
        const id = Number(reqId)
        // Gone from memory: the archive's answer, if it is this endpoint's.
        const archived: Effect.Effect<ReadReply<E>, ApiError.ApiError> = archive === undefined
          ? Effect.fail(unknownRequestId(reqId))
          : Effect.flatMap(Clock.currentTimeMillis, (now) => archive.get(id, now)).pipe(
              Effect.flatMap((kept) => {
                const outcome =
                  Option.isSome(kept) && kept.value.endpoint === endpoint
                    ? WireAnswer.decodeRead(endpoint, kept.value.answer)
                    : undefined
                return outcome === undefined
                  ? Effect.fail(unknownRequestId(reqId))
                  : Either.match(outcome, {
                      onLeft: Effect.fail,
                      onRight: (result) => Effect.succeed(QueryJob.Reply.Completed({ result })),
                    })
              }),
            )
        return jobs.poll(account.id, id).pipe(
          // A req_id belongs to the endpoint that issued it.
          Effect.filterOrFail(
            (reply) => reply._tag === "Pending" || reply.result.endpoint === endpoint,
            () => unknownRequestId(reqId),
          ),
          Effect.flatMap((reply) => settled<E>(reply)),
          Effect.catchTag("UnknownRequestId", () => archived),
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
