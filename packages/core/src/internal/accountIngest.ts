// The upload side of `AccountApi`, re-exported there: ingesting a body over the event
// store, where it may run (`Ingest`), and how a store's failure becomes the API's 503.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Account from "../Account.ts"
import * as ApiError from "../ApiError.ts"
import * as EventStore from "../EventStore.ts"
import * as Idempotency from "../Idempotency.ts"
import * as Ingestion from "../Ingestion.ts"
import type * as Limits from "../Limits.ts"
import type * as Upload from "../Upload.ts"

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
  ) => Effect.Effect<Upload.UploadResponse, ApiError.ApiError | EventStore.StoreError>
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

/** The 503 of a store that failed or cannot be opened; its details are logged, never sent. */
export const storeUnavailableError = (): ApiError.ServiceUnavailable =>
  new ApiError.ServiceUnavailable({ reason: "The event store is unavailable; try again later" })

/** The 500 of anything unforeseen; its details are logged, never sent. */
export const internalError = (): ApiError.InternalError =>
  new ApiError.InternalError({ reason: "Internal error; it has been logged" })

// A store failure is the server's problem, not the client's: log it, answer 503.
const storeUnavailable = (error: EventStore.StoreError) =>
  Effect.zipRight(
    Effect.logError("event store failed", error.message, error.cause),
    Effect.fail(storeUnavailableError()),
  )

/** A store's failure as the API reports it: logged, and a 503 without its details. */
export const logStoreFailure = <A, E>(
  effect: Effect.Effect<A, E | EventStore.StoreError>,
): Effect.Effect<A, Exclude<E, EventStore.StoreError> | ApiError.ServiceUnavailable> =>
  Effect.catchIf(
    effect,
    (error): error is EventStore.StoreError => error instanceof EventStore.StoreError,
    storeUnavailable,
  ) as Effect.Effect<A, Exclude<E, EventStore.StoreError> | ApiError.ServiceUnavailable>

/**
 * An upload from body to response, over the event store: the 400 of a bad body, the 409
 * of a reused key, or the store's own failure (for the caller to log and answer 503).
 */
export const ingest = (
  account: Account.Settings,
  body: unknown,
  receivedAt: number,
  limits: Limits.Limits,
  key?: EventStore.UploadKey,
): Effect.Effect<
  Upload.UploadResponse,
  ApiError.ApiError | EventStore.StoreError,
  EventStore.EventStore
> =>
  Ingestion.upload(account, body, receivedAt, limits, key).pipe(
    Effect.catchTag("KeyReused", (reused) => Effect.fail(Idempotency.reused(reused.key))),
  )

/** `ingest` of a body's text (a 400 if it is not JSON). */
export const ingestJson = (
  account: Account.Settings,
  text: string,
  receivedAt: number,
  limits: Limits.Limits,
  key?: EventStore.UploadKey,
): Effect.Effect<
  Upload.UploadResponse,
  ApiError.ApiError | EventStore.StoreError,
  EventStore.EventStore
> =>
  Effect.flatMap(Ingestion.parseJson(text), (body) =>
    ingest(account, body, receivedAt, limits, key),
  )
