/**
 * What the HTTP app needs from the platform: the API of an account (core's `AccountApi`),
 * run in process on Node and inside the account's Durable Object on Workers.
 */
import type * as Account from "@trendline/core/Account"
import type * as AccountApi from "@trendline/core/AccountApi"
import type * as WireAnswer from "@trendline/core/WireAnswer"

/** An account's endpoints, as promises of wire answers. */
export interface AccountBackend {
  readonly trends: (body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly eventCount: (body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly profileCount: (body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly top: (body: unknown) => Promise<WireAnswer.WireAnswer>
  readonly poll: (
    endpoint: AccountApi.ReadEndpoint,
    reqId: string,
  ) => Promise<WireAnswer.WireAnswer>
  readonly upload: (body: unknown, receivedAt: number) => Promise<WireAnswer.WireAnswer>
  /**
   * An upload's body as text, parsed where it is stored once the gate admits it; with its
   * `Idempotency-Key` and body digest when the client sent a key.
   */
  readonly uploadJson: (
    text: string,
    receivedAt: number,
    idempotency?: AccountApi.UploadIdempotency,
  ) => Promise<WireAnswer.WireAnswer>
}

/** The backend of each account the server knows. */
export type Backend = (account: Account.Settings) => AccountBackend
