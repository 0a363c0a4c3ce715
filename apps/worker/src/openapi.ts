/**
 * The OpenAPI 3.1 document of the server, generated from core's wire schemas: a field
 * renamed in core changes the document with it. Served at `GET /openapi.json`.
 */
import * as ApiError from "@trendline/core/ApiError"
import * as EventCount from "@trendline/core/EventCount"
import * as Idempotency from "@trendline/core/Idempotency"
import * as TrendsRequest from "@trendline/core/TrendsRequest"
import * as TrendsResponse from "@trendline/core/TrendsResponse"
import * as Upload from "@trendline/core/Upload"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"

type JsonSchema = JSONSchema.JsonSchema7

const wireSchemas = {
  TrendsRequest: TrendsRequest.TrendsRequest,
  TrendsSuccess: TrendsResponse.TrendsSuccess,
  Partial: TrendsResponse.Partial,
  Fail: ApiError.FailBody,
  EventCountRequest: EventCount.EventCountRequest,
  EventCountSuccess: EventCount.EventCountSuccess,
  UploadBody: Upload.UploadBody,
  UploadResponse: Upload.UploadResponse,
} as const

const ref = (name: keyof typeof wireSchemas) => ({ $ref: `#/components/schemas/${name}` })

const components = (): Record<string, JsonSchema> => {
  const definitions: Record<string, JsonSchema> = {}
  const schemas: Record<string, JsonSchema> = {}
  for (const [name, schema] of Object.entries(wireSchemas)) {
    // The wire (encoded) side: `from` is an integer like 20161224, not a day number.
    schemas[name] = JSONSchema.fromAST(Schema.encodedSchema(schema as Schema.Schema.Any).ast, {
      definitions,
      definitionPath: "#/components/schemas/",
      target: "openApi3.1",
      additionalPropertiesStrategy: "allow",
    })
  }
  return { ...definitions, ...schemas }
}

const json = (schema: object) => ({ content: { "application/json": { schema } } })

const failures = {
  "400": {
    description: "Invalid request: `error` names each field and the fix",
    ...json(ref("Fail")),
  },
  "401": { description: "Missing or wrong account id or passcode", ...json(ref("Fail")) },
  "404": { description: "Unknown path, or unknown or expired `req_id`", ...json(ref("Fail")) },
  "413": { description: "Body over the size limit", ...json(ref("Fail")) },
  "415": { description: "Body not sent as application/json", ...json(ref("Fail")) },
  "429": { description: "Too many concurrent requests for the account", ...json(ref("Fail")) },
  "503": { description: "The event store is unavailable; try again later", ...json(ref("Fail")) },
}

const reqIdParameter = {
  name: "req_id",
  in: "query",
  required: true,
  description: "The `req_id` of a `partial` answer",
  schema: { type: "integer", minimum: 1, example: 384649162721759 },
}

const read = (
  summary: string,
  request: keyof typeof wireSchemas,
  success: keyof typeof wireSchemas,
) => ({
  post: {
    summary,
    requestBody: { required: true, ...json(ref(request)) },
    responses: {
      "200": {
        description: "`success`, or `partial` with a `req_id` to poll",
        ...json({ oneOf: [ref(success), ref("Partial")] }),
      },
      ...failures,
    },
  },
  get: {
    summary: `Poll: ${summary.toLowerCase()}`,
    parameters: [reqIdParameter],
    responses: {
      "200": {
        description: "`success`, or still `partial`",
        ...json({ oneOf: [ref(success), ref("Partial")] }),
      },
      ...failures,
    },
  },
})

/** The document, built once per process. */
export const document = (): object => ({
  openapi: "3.1.0",
  info: {
    title: "Trendline Trends API",
    version: "1",
    description:
      'Event trends per day, week and month, wire-compatible with the hosted Trends API. Failures answer `{"status":"fail","error":…,"code":…}` with the same HTTP status.',
  },
  security: [{ accountId: [], passcode: [] }],
  paths: {
    "/1/counts/trends.json": read(
      "Trends per daily, weekly or monthly group",
      "TrendsRequest",
      "TrendsSuccess",
    ),
    "/1/counts/events.json": read(
      "Total count of an event in a date range",
      "EventCountRequest",
      "EventCountSuccess",
    ),
    "/1/upload": {
      post: {
        summary: "Upload up to 1000 event and profile records",
        parameters: [
          {
            name: Idempotency.header,
            in: "header",
            required: false,
            description:
              "Makes the upload safe to retry: a repeat of the key with the same body within 24 hours stores nothing and answers as the first did; the key with another body answers 409",
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
        responses: {
          "200": {
            description: "What was processed, and each unprocessed record with its code",
            ...json(ref("UploadResponse")),
          },
          "409": {
            description: "The Idempotency-Key was already used with another body",
            ...json(ref("Fail")),
          },
          ...failures,
        },
      },
    },
    "/health": {
      get: {
        summary: "Health of the server and its event store; no credentials needed",
        security: [],
        responses: {
          "200": {
            description: "The server is up and its store can read and write",
            ...json({ type: "object" }),
          },
          "503": {
            description: "The event store cannot read or write now; `reason` says why",
            ...json({ type: "object" }),
          },
        },
      },
    },
  },
  components: {
    schemas: components(),
    securitySchemes: {
      accountId: { type: "apiKey", in: "header", name: "X-CleverTap-Account-Id" },
      passcode: { type: "apiKey", in: "header", name: "X-CleverTap-Passcode" },
    },
  },
})
