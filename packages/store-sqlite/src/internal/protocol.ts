// The messages between `NodeSqlitePool` and its worker threads, as schemas: the writer
// opens (checks and migrates), appends, rebuilds and keeps the answer archive; readers
// query.
import * as ApiError from "@trendline/core/ApiError"
import * as Bucket from "@trendline/core/Bucket"
import * as EventStore from "@trendline/core/EventStore"
import * as Limits from "@trendline/core/Limits"
import * as QueryPlan from "@trendline/core/QueryPlan"
import * as TopCounts from "@trendline/core/TopCounts"
import * as UploadWire from "@trendline/core/Upload"
import * as Schema from "effect/Schema"
import type * as ValueSlices from "./valueSlices.ts"

/** What a worker's store failed with; the pool turns it back into a `StoreError`. */
export class StoreFailure extends Schema.TaggedError<StoreFailure>()("StoreFailure", {
  message: Schema.String,
}) {}

const Account = Schema.Struct({
  id: Schema.String,
  timeZone: Schema.String,
  weekStart: Bucket.WeekStart,
})

/**
 * Opens the database for writing (refusing a corrupt or read-only file) and migrates it:
 * the writer answers once it is ready for readers.
 */
export class Open extends Schema.TaggedRequest<Open>()("Open", {
  failure: StoreFailure,
  success: Schema.Void,
  payload: {},
}) {}

export class Append extends Schema.TaggedRequest<Append>()("Append", {
  failure: Schema.Union(StoreFailure, EventStore.KeyReused),
  success: Schema.Struct({
    refused: Schema.Array(Schema.Number),
    replayed: Schema.optionalWith(Schema.Boolean, { exact: true }),
  }),
  payload: {
    account: Account,
    batch: EventStore.BatchSchema,
    key: Schema.optionalWith(EventStore.UploadKeySchema, { exact: true }),
  },
}) {}

/**
 * An upload's body, decoded, judged and stored in the writer: its response, the API's error
 * (400, 409), or the store's failure.
 */
export class Upload extends Schema.TaggedRequest<Upload>()("Upload", {
  failure: Schema.Union(StoreFailure, ApiError.ApiError),
  success: UploadWire.UploadResponse,
  payload: {
    account: Account,
    text: Schema.String,
    receivedAt: Schema.Number,
    limits: Limits.Limits,
    key: Schema.optionalWith(EventStore.UploadKeySchema, { exact: true }),
  },
}) {}

const ArchivedAnswer = Schema.Struct({
  endpoint: Schema.Literal("trends", "events", "profiles", "top"),
  answer: Schema.Struct({
    status: Schema.Number,
    body: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  }),
  expiresAt: Schema.Number,
})

/** Keeps a finished read's answer in the database (`AccountApi.AnswerArchive.put`). */
export class ArchivePut extends Schema.TaggedRequest<ArchivePut>()("ArchivePut", {
  failure: StoreFailure,
  success: Schema.Void,
  payload: { account: Schema.String, reqId: Schema.Number, entry: ArchivedAnswer },
}) {}

/** A kept answer, unless missing or expired at `now` (`AccountApi.AnswerArchive.get`). */
export class ArchiveGet extends Schema.TaggedRequest<ArchiveGet>()("ArchiveGet", {
  failure: StoreFailure,
  success: Schema.OptionFromNullOr(ArchivedAnswer),
  payload: { account: Schema.String, reqId: Schema.Number, now: Schema.Number },
}) {}

/** Brings the account's rollups to its zone; answers when they are. */
export class Rebuild extends Schema.TaggedRequest<Rebuild>()("Rebuild", {
  failure: StoreFailure,
  success: Schema.Void,
  payload: { account: Account },
}) {}

export const QueryOutcome = Schema.Union(
  Schema.TaggedStruct("Result", { result: QueryPlan.ResultSchema }),
  Schema.TaggedStruct("Rebuilding", {}),
)

export class Query extends Schema.TaggedRequest<Query>()("Query", {
  failure: StoreFailure,
  success: QueryOutcome,
  payload: { account: Account, plan: QueryPlan.QueryPlanSchema },
}) {}

/** A top counts plan, answered from the event log (no rebuild to wait for). */
export class Top extends Schema.TaggedRequest<Top>()("Top", {
  failure: StoreFailure,
  success: TopCounts.TopResultSchema,
  payload: { account: Account, plan: TopCounts.TopPlanSchema },
}) {}

export class EventNames extends Schema.TaggedRequest<EventNames>()("EventNames", {
  failure: StoreFailure,
  success: Schema.Array(Schema.String),
  payload: { account: Account },
}) {}

export class Profile extends Schema.TaggedRequest<Profile>()("Profile", {
  failure: StoreFailure,
  success: Schema.OptionFromNullOr(EventStore.ProfileSchema),
  payload: { account: Account, key: Schema.String },
}) {}

export const WriterRequest = Schema.Union(Open, Append, Upload, Rebuild, ArchivePut, ArchiveGet)
export type WriterRequest = typeof WriterRequest.Type

export const ReaderRequest = Schema.Union(Query, Top, EventNames, Profile)
export type ReaderRequest = typeof ReaderRequest.Type

/** What each worker thread is told when it starts (`workerData`). */
export interface WorkerConfig {
  readonly role: "writer" | "reader"
  readonly filename: string
  readonly cacheBytes: number | undefined
  readonly limits: Limits.Limits | undefined
  /** See `Engine.EngineOptions.slices` (plain data: it crosses to the thread as is). */
  readonly slices: ValueSlices.SliceLimits | "off" | undefined
  readonly sliceMillis: number
  readonly slowReadsMs: Readonly<Record<string, number>> | undefined
}
