/**
 * What can go wrong between the client and the server, beyond the API's own errors
 * (`@trendline/core/ApiError`, decoded from `fail` bodies whatever their HTTP status).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Why a request did not complete, from the network's point of view:
 * - `ConnectionRefused`: the host answered, but nothing listens on the port;
 * - `HostNotFound`: the DNS has no address for the host (or could not be asked);
 * - `NetworkUnreachable`: no route to the host;
 * - `Tls`: the TLS handshake failed (a certificate, or `https` to a plain-HTTP server);
 * - `BlockedPort`: `fetch` refuses the port (the Fetch standard blocks some, e.g. 9 or 6000);
 * - `Timeout`: no answer within `requestTimeout`, or the connection attempt timed out;
 * - `ConnectionLost`: the connection closed before the answer was complete;
 * - `ClientClosed`: the Promise client was closed;
 * - `Network`: any other network failure (browsers and Workers do not say more).
 */
export const TransportFailure = Schema.Literal(
  "ConnectionRefused",
  "HostNotFound",
  "NetworkUnreachable",
  "Tls",
  "BlockedPort",
  "Timeout",
  "ConnectionLost",
  "ClientClosed",
  "Network",
)
export type TransportFailure = typeof TransportFailure.Type

/**
 * The request did not complete; `kind` says why and `message` names the cause and the call,
 * e.g. `Connection refused by 127.0.0.1:8787: … (POST http://127.0.0.1:8787/1/counts/trends.json)`.
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  kind: TransportFailure,
  reason: Schema.String,
}) {
  override get message(): string {
    return this.reason
  }
}

/** The server answered something that is not the API's wire form. */
export class MalformedResponse extends Schema.TaggedError<MalformedResponse>()(
  "MalformedResponse",
  {
    status: Schema.Number,
    reason: Schema.String,
    /** The start of the body, for diagnosis. */
    body: Schema.String,
  },
) {
  override get message(): string {
    return `Malformed response (HTTP ${this.status}): ${this.reason}`
  }
}

/**
 * An upload stopped at a batch that retries could not get through: `maxRetries` ran out
 * (429, 5xx, timeouts, network failures), or the answer was a 4xx other than 429 (e.g. a
 * 409 `Conflict` on its `Idempotency-Key`, `causeTag` says which) or not the API's wire
 * form. Records before `failedAt` were stored (their batches were acknowledged) and
 * `processed` counts them; later batches were not sent. The failed batch itself was not
 * confirmed: when an attempt's answer was lost it may have been stored, and sending its
 * records again goes with a new key.
 */
export class UploadIncomplete extends Schema.TaggedError<UploadIncomplete>()("UploadIncomplete", {
  failedAt: Schema.Number,
  processed: Schema.Number,
  reason: Schema.String,
  /** The `_tag` of the failure that stopped it, e.g. `"TransportError"` or `"RateLimited"`. */
  causeTag: Schema.String,
}) {
  override get message(): string {
    return `Upload stopped at record ${this.failedAt} (${this.processed} processed before it): ${this.reason}`
  }
}
