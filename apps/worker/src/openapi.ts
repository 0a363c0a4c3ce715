/**
 * The OpenAPI 3.1 document of the server, generated from core's wire schemas and errors: a
 * field renamed in core changes the document with it. Served at `GET /openapi.json`;
 * `pnpm lint:openapi` checks what is served with Redocly's recommended rules (`redocly.yaml`),
 * and `test/openapi.test.ts` that it lists every answer each route gives.
 */
import * as AccountApi from "@trendline/core/AccountApi"
import * as ApiError from "@trendline/core/ApiError"
import * as EventCount from "@trendline/core/EventCount"
import * as Idempotency from "@trendline/core/Idempotency"
import * as TopCounts from "@trendline/core/TopCounts"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Upload from "@trendline/core/Upload"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as WorkerConfig from "./WorkerConfig.ts"

type JsonSchema = JSONSchema.JsonSchema7

const wireSchemas = {
  TrendsRequest: TrendsRequest.TrendsRequest,
  TrendsSuccess: TrendsResponse.TrendsSuccess,
  Partial: TrendsResponse.Partial,
  Fail: ApiError.FailBody,
  EventCountRequest: EventCount.EventCountRequest,
  EventCountSuccess: EventCount.EventCountSuccess,
  TopRequest: TopCounts.TopRequest,
  TopSuccess: TopCounts.TopSuccess,
  UploadBody: Upload.UploadBody,
  UploadResponse: Upload.UploadResponse,
} as const

// What `/health` answers: the app's own shape, not a core wire schema.
const healthSchemas = {
  Healthy: { type: "object", required: ["status"], properties: { status: { const: "ok" } } },
  Unhealthy: {
    type: "object",
    required: ["status", "reason"],
    properties: { status: { const: "unavailable" }, reason: { type: "string" } },
  },
} as const

type SchemaName = keyof typeof wireSchemas | keyof typeof healthSchemas

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` })

/**
 * Effect writes the groups of `TrendsSuccess` (every key but `status`, a refined key) as
 * `patternProperties: {"": …}`, which JSON Schema applies to `status` too: no success would
 * match. `additionalProperties` means what the refinement does, every key not declared.
 */
const groupsBesideStatus = (schema: JsonSchema): JsonSchema => {
  const { patternProperties, ...rest } = schema as { patternProperties?: Record<string, unknown> }
  const groups = patternProperties?.[""]
  return groups === undefined ? schema : ({ ...rest, additionalProperties: groups } as JsonSchema)
}

const schemas = (): Record<string, object> => {
  const definitions: Record<string, JsonSchema> = {}
  const wire: Record<string, JsonSchema> = {}
  for (const [name, schema] of Object.entries(wireSchemas)) {
    // The wire (encoded) side: `from` is an integer like 20161224, not a day number.
    wire[name] = JSONSchema.fromAST(Schema.encodedSchema(schema as Schema.Schema.Any).ast, {
      definitions,
      definitionPath: "#/components/schemas/",
      target: "openApi3.1",
      additionalPropertiesStrategy: "allow",
    })
  }
  wire.TrendsSuccess = groupsBesideStatus(wire.TrendsSuccess!)
  wire.TopSuccess = groupsBesideStatus(wire.TopSuccess!)
  return { ...definitions, ...wire, ...healthSchemas }
}

type Examples = Record<string, { readonly summary?: string; readonly value: unknown }>

const json = (schema: object, examples?: Examples) => ({
  content: { "application/json": { schema, ...(examples === undefined ? {} : { examples }) } },
})

/** A `fail` answer: its status (that of its examples' errors) and its response object. */
const failure = (
  description: string,
  examples: Readonly<Record<string, ApiError.ApiError>>,
  headers?: object,
) => ({
  status: String(ApiError.httpStatus(Object.values(examples)[0]!)),
  response: {
    description,
    ...(headers === undefined ? {} : { headers }),
    ...json(
      ref("Fail"),
      Object.fromEntries(
        Object.entries(examples).map(([name, error]) => [
          name,
          { value: ApiError.toFailBody(error) },
        ]),
      ),
    ),
  },
})

// Every `fail` answer, by the name operations refer to it with (`#/components/responses/…`).
const failures = {
  InvalidRequest: failure(
    "Invalid request: `error` says what to fix, and `issues` names each field (`path`) with its fix",
    {
      field: ApiError.InvalidRequest.field(
        "from",
        "20230230 is not a real calendar date; give an existing date in YYYYMMDD form, e.g. 20230228",
      ),
      notJson: ApiError.invalidJson("Unexpected end of JSON input"),
    },
  ),
  InvalidCredentials: failure(
    "The account id or passcode header is missing, or they do not match an account",
    { wrong: new ApiError.InvalidCredentials({ reason: "Invalid account id or passcode" }) },
  ),
  UnknownRequestId: failure(
    "The `req_id` is unknown, expired (answers are kept 10 minutes), or another endpoint's or account's",
    {
      expired: new ApiError.UnknownRequestId({
        reason: "Unknown or expired req_id 384649162721759",
      }),
    },
  ),
  KeyReused: failure(`The \`${Idempotency.header}\` was already used with another body`, {
    reused: Idempotency.reused("3f0c9a2e-6d1b-4c3e-9a51-7c2f0e8d4b61"),
  }),
  PayloadTooLarge: failure(
    "The body is larger than the server accepts (10 MiB unless configured): refused before it is read when its `Content-Length` says so, else as soon as it has grown past the limit",
    {
      tooLarge: new ApiError.PayloadTooLarge({
        reason: "Request body exceeds 10485760 bytes: send fewer records per call",
      }),
    },
  ),
  UnsupportedMediaType: failure(
    "The body is not sent with `Content-Type: application/json` (a `charset` may follow)",
    {
      textPlain: new ApiError.UnsupportedMediaType({
        reason: "Expected Content-Type application/json, got Content-Type text/plain",
      }),
    },
  ),
  RateLimited: failure(
    "The account already has as many requests of this kind in flight as it may (3 reads, 15 uploads by default), or as many query answers waiting for their first poll (100); no `Retry-After`: retry with back-off",
    { concurrent: new ApiError.RateLimited({ reason: ApiError.tooManyConcurrentRequests }) },
  ),
  InternalError: failure(
    "A bug or an unexpected failure, whose details are only in the server's log; on Workers also every request while the server's configuration does not parse",
    { internal: AccountApi.internalError(), misconfigured: WorkerConfig.misconfigured() },
  ),
  ServiceUnavailable: failure(
    "The server cannot answer now; try again later. Its event store cannot read or write, the account's Durable Object is busy or restarting (Workers), or the server already holds as many request bodies as it may at once (refused before the body is read, with `Retry-After`)",
    {
      storeUnavailable: AccountApi.storeUnavailableError(),
      tooManyBodies: new ApiError.ServiceUnavailable({
        reason:
          "The server is reading as many request bodies as it holds at once (67108864 bytes); retry in a second",
      }),
    },
    {
      "Retry-After": {
        description: "Seconds to wait; sent when the body was refused for lack of room",
        schema: { type: "integer", minimum: 1 },
        example: 1,
      },
    },
  ),
} as const

type Failure = keyof typeof failures

// The `fail` answers of a request whose JSON body is read after authentication.
const bodyFailures: ReadonlyArray<Failure> = [
  "InvalidRequest",
  "InvalidCredentials",
  "PayloadTooLarge",
  "UnsupportedMediaType",
  "RateLimited",
  "InternalError",
  "ServiceUnavailable",
]

/** The `responses` of an operation: its own answers, then the `fail` answers it can give. */
const responses = (answers: Record<string, object>, ...failed: ReadonlyArray<Failure>) => ({
  ...answers,
  ...Object.fromEntries(
    failed.map((name) => [failures[name].status, { $ref: `#/components/responses/${name}` }]),
  ),
})

const reqIdParameter = {
  name: "req_id",
  in: "query",
  required: true,
  description: "The `req_id` of a `partial` answer",
  schema: { type: "integer", minimum: 1, example: 384649162721759 },
}

const read = (
  operationIds: { readonly ask: string; readonly poll: string },
  summary: string,
  request: SchemaName,
  success: SchemaName,
  successExample: object,
) => {
  const answer = (description: string) => ({
    description,
    ...json(
      { oneOf: [ref(success), ref("Partial")] },
      {
        success: { summary: "The answer", value: successExample },
        partial: {
          summary: "Still running: poll its `req_id`",
          value: { status: "partial", req_id: 384649162721759 },
        },
      },
    ),
  })
  return {
    post: {
      operationId: operationIds.ask,
      summary,
      description:
        "Answers `success` when the query finishes within the server's sync budget (5 s by default), else `partial` with a `req_id`: the query keeps running, and `GET` on the same path with `?req_id=` polls it.",
      requestBody: { required: true, ...json(ref(request)) },
      responses: responses(
        { "200": answer("`success`, or `partial` with a `req_id` to poll") },
        ...bodyFailures,
      ),
    },
    get: {
      operationId: operationIds.poll,
      summary: `Poll: ${summary.charAt(0).toLowerCase()}${summary.slice(1)}`,
      description:
        "The answer of a query that answered `partial`: `success`, still `partial`, or the failure the query ended with. A finished answer can be polled again for 10 minutes.",
      parameters: [reqIdParameter],
      responses: responses(
        { "200": answer("`success`, or still `partial`") },
        "InvalidRequest",
        "InvalidCredentials",
        "UnknownRequestId",
        "InternalError",
        "ServiceUnavailable",
      ),
    },
  }
}

const paths = {
  "/1/counts/trends.json": read(
    { ask: "trends", poll: "pollTrends" },
    "Trends per hourly, daily, weekly, monthly, quarterly or yearly group",
    "TrendsRequest",
    "TrendsSuccess",
    {
      status: "success",
      weeks: { "201651": 1, "201652": 1, "201701": 0 },
      months: { "201612": 1, "201701": 1 },
    },
  ),
  "/1/counts/events.json": read(
    { ask: "eventCount", poll: "pollEventCount" },
    "Total count of an event in a date range",
    "EventCountRequest",
    "EventCountSuccess",
    { status: "success", count: 2 },
  ),
  "/1/counts/top.json": read(
    { ask: "topCounts", poll: "pollTopCounts" },
    "The most (or least) frequent values of a property among an event's events",
    "TopRequest",
    "TopSuccess",
    {
      status: "success",
      plans: [
        { value: "pro", count: 12 },
        { value: "team", count: 4 },
      ],
    },
  ),
  // The same request and answer as an event count: another number.
  "/1/counts/profiles.json": read(
    { ask: "profileCount", poll: "pollProfileCount" },
    "Distinct profiles that did an event in a date range",
    "EventCountRequest",
    "EventCountSuccess",
    { status: "success", count: 1 },
  ),
  "/1/upload": {
    post: {
      operationId: "upload",
      summary: "Upload up to 1000 event and profile records",
      description:
        "A batch with some records refused still answers 200: `unprocessed` lists each refused record with its `code` and `error`.",
      parameters: [
        {
          name: Idempotency.header,
          in: "header",
          required: false,
          description:
            "Makes the upload safe to retry: a repeat of the key with the same body within 24 hours stores nothing and answers as the first did; the key with another body answers 409. A malformed key answers 400 before the body is read.",
          schema: {
            type: "string",
            minLength: 1,
            maxLength: Idempotency.maxKeyLength,
            pattern: "^[\\x21-\\x7e]+$",
            example: "3f0c9a2e-6d1b-4c3e-9a51-7c2f0e8d4b61",
          },
        },
      ],
      requestBody: { required: true, ...json(ref("UploadBody")) },
      responses: responses(
        {
          "200": {
            description: "What was processed, and each unprocessed record with its code",
            ...json(ref("UploadResponse")),
          },
        },
        ...bodyFailures,
        "KeyReused",
      ),
    },
  },
  "/health": {
    get: {
      operationId: "health",
      summary: "Health of the server and its event store; no credentials needed",
      security: [],
      responses: responses(
        {
          "200": {
            description: "The server is up and its store can read and write",
            ...json(ref("Healthy")),
          },
          "503": {
            description: "The event store cannot read or write now; `reason` says why",
            ...json(ref("Unhealthy")),
          },
        },
        "InternalError",
      ),
    },
  },
  "/openapi.json": {
    get: {
      operationId: "openapi",
      summary: "This document; no credentials needed",
      security: [],
      responses: responses(
        {
          "200": {
            description: "The OpenAPI 3.1 document of the server",
            ...json({ type: "object", properties: { openapi: { const: "3.1.0" } } }),
          },
        },
        "InternalError",
      ),
    },
  },
}

// The methods of a path, as its `Allow` header lists them: `GET, POST`.
const allowOf = (item: object): string =>
  Object.keys(item)
    .map((method) => method.toUpperCase())
    .sort()
    .join(", ")

const description = `Event trends per day, week and month, wire-compatible with the hosted Trends API.

Every call but \`/health\` and \`/openapi.json\` carries the headers \`X-CleverTap-Account-Id\` and \`X-CleverTap-Passcode\`; a body is sent as \`Content-Type: application/json\`.

Each answer's \`status\` is \`success\`, \`partial\` (a read still running: poll its \`req_id\`) or \`fail\`. A failure answers \`{"status":"fail","error":…,"code":…}\` with the same HTTP status as \`code\`, never 200.

Besides the answers listed for each operation, an unknown path answers 404, and a method a path does not list answers 405 with an \`Allow\` header naming those it does, both with a \`fail\` body: \`{"status":"fail","error":"GET is not allowed on /1/upload; use POST","code":405}\`.`

/** The document, built once per process. */
export const document = (): object => ({
  openapi: "3.1.0",
  info: {
    title: "Trendline Trends API",
    version: "1",
    description,
    license: { name: "MIT", identifier: "MIT" },
  },
  // The server that served this document: the same paths run on Node and on Workers, at
  // whatever host and port each is deployed (the hosted service's regions are not ours).
  servers: [{ url: "/", description: "The server that serves this document" }],
  security: [{ accountId: [], passcode: [] }],
  paths: Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      {
        description: `Other methods answer 405 with \`Allow: ${allowOf(item)}\`.`,
        ...item,
      },
    ]),
  ),
  components: {
    schemas: schemas(),
    responses: Object.fromEntries(
      Object.entries(failures).map(([name, { response }]) => [name, response]),
    ),
    securitySchemes: {
      accountId: { type: "apiKey", in: "header", name: "X-CleverTap-Account-Id" },
      passcode: { type: "apiKey", in: "header", name: "X-CleverTap-Passcode" },
    },
  },
})
