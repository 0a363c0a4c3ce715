/**
 * An upload from body to store: decode the body, judge each record, store the good ones
 * in one atomic batch, and answer `{"status":"success","processed":N,"unprocessed":[…]}`.
 * The server's `POST /1/upload` and the terminal UI's `trendline upload` both run it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Account from "./Account.ts"
import * as ApiError from "./ApiError.ts"
import * as EventStore from "./EventStore.ts"
import * as Limits from "./Limits.ts"
import * as Upload from "./Upload.ts"

/**
 * The error of an event refused by the per-account event-name limit (no code is documented
 * for it; 512 is "invalid event structure"), echoing the record as it was sent.
 */
export const tooManyEventNames = (
  index: number,
  sent: unknown,
  limit: number,
): Upload.Unprocessed => ({
  index,
  record: Upload.echo(sent),
  code: Upload.RecordCode.InvalidStructure,
  error: `evtName: the account already has ${limit} distinct event names, the most it may have; send this event under one of its existing names`,
})

/**
 * Stores an upload body for an account. A body that is not `{"d": [...]}` with 1 to
 * `limits.maxUploadRecords` records fails with `InvalidRequest` and stores nothing; bad
 * records are reported in `unprocessed` with their index, code and reason, and the rest
 * are stored together. With an upload `key`, a repeat of the same body within the key's
 * retention stores nothing and answers what the first did; another body under the same key
 * fails with `KeyReused`.
 *
 * Everything the answer needs but the store's receipt is built before the batch is stored
 * (rejected records are echoed while they are judged), so the answer cannot fail once the
 * batch is committed.
 *
 * @example Ingestion.upload(account, JSON.parse(body), Math.floor(Date.now() / 1000))
 */
export const upload = (
  account: Account.Settings,
  body: unknown,
  receivedAt: number,
  limits: Limits.Limits = Limits.defaults,
  key?: EventStore.UploadKey,
): Effect.Effect<
  Upload.UploadResponse,
  ApiError.InvalidRequest | EventStore.StoreError | EventStore.KeyReused,
  EventStore.EventStore
> =>
  Effect.gen(function* () {
    const { d } = yield* Upload.decodeBody(body, limits)
    const judged = Upload.validateBatch(d, receivedAt, limits)
    const store = yield* EventStore.EventStore
    const { refused } = yield* store.append(account, EventStore.batchOf(judged), key)
    const refusedRecords = refused.flatMap((position) => {
      const index = judged.events[position]?.index
      return index === undefined
        ? []
        : [tooManyEventNames(index, d[index], limits.maxEventNamesPerAccount)]
    })
    const refusedIndexes = new Set(refusedRecords.map((entry) => entry.index))
    return Upload.toResponse({
      events: judged.events.filter((event) => !refusedIndexes.has(event.index)),
      profiles: judged.profiles,
      unprocessed: [...judged.unprocessed, ...refusedRecords].sort((a, b) => a.index - b.index),
    })
  })

/** A body's text as JSON, or the 400 that says why it is not. */
export const parseJson = (text: string): Effect.Effect<unknown, ApiError.InvalidRequest> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => ApiError.invalidJson(error instanceof Error ? error.message : String(error)),
  })
