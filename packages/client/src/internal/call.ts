// One call to the API: an HTTP exchange read as the API's envelope (a `fail` body is a
// typed error whatever the HTTP status), bounded in time, limited in concurrency, and
// retried when a later attempt may succeed.
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as ApiError from "@trendline/core/ApiError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { MalformedResponse, type TransportError, type TransportFailure } from "../ClientError.ts"
import * as Failures from "./transportFailure.ts"

/** Every failure of one call. */
export type CallError = ApiError.ApiError | TransportError | MalformedResponse

/** How calls behave. */
export interface Settings {
  readonly timeout: Duration.Duration
  readonly maxConcurrent: number
  readonly maxRetries: number
  readonly retryDelay: Duration.DurationInput
}

/** Sends a request and answers its JSON body; `safe` says whether it may be sent twice. */
export type Call = (
  request: HttpClientRequest.HttpClientRequest,
  safe?: boolean,
) => Effect.Effect<unknown, CallError>

/** The start of a body, for messages. */
export const snippet = (text: string): string =>
  text.length > 200 ? `${text.slice(0, 200)}…` : text

const decodeFail = Schema.decodeUnknownOption(ApiError.FailBody)

// Nothing reached the server: no connection was made, so any call may be repeated. A server
// that cannot be reached rarely can a moment later, so such failures get one retry, not all.
const unreachable = (error: CallError): boolean =>
  error._tag === "TransportError" &&
  (error.kind === "ConnectionRefused" ||
    error.kind === "HostNotFound" ||
    error.kind === "NetworkUnreachable")

const unreachableRetries = 1

// Failures a later attempt may not meet. Reads change nothing, and an upload repeats its
// batch's Idempotency-Key, so the server replays its first answer: every call is `safe` to
// repeat but an upload to a server without keys, repeated only when it surely did nothing
// (429, or no connection). A TLS failure, a blocked port or a closed client does not heal.
const lasting = new Set<TransportFailure>(["Tls", "BlockedPort", "ClientClosed"])

const retryable =
  (safe: boolean) =>
  (error: CallError): boolean =>
    error._tag === "RateLimited" ||
    unreachable(error) ||
    (safe &&
      ((error._tag === "TransportError" && !lasting.has(error.kind)) ||
        error._tag === "InternalError" ||
        error._tag === "ServiceUnavailable"))

// `reduce` outputs the count of unreachable failures before the current one.
const unreachableBudget = Schedule.identity<CallError>().pipe(
  Schedule.reduce(0, (count, error) => (unreachable(error) ? count + 1 : count)),
  Schedule.check((error, before) => !unreachable(error) || before < unreachableRetries),
)

const failOfStatus = (status: number, text: string): ApiError.ApiError =>
  ApiError.fromFailBody({ status: "fail", error: `HTTP ${status}: ${snippet(text)}` }, status)

// An answer's JSON body, or the error it stands for.
const readAnswer = (status: number, text: string): Effect.Effect<unknown, CallError> => {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    // A proxy's HTML error page: the status says what happened.
    return status >= 400
      ? Effect.fail(failOfStatus(status, text))
      : Effect.fail(
          new MalformedResponse({ status, reason: "the body is not JSON", body: snippet(text) }),
        )
  }
  const fail = decodeFail(body)
  if (fail._tag === "Some") return Effect.fail(ApiError.fromFailBody(fail.value, status))
  // An HTTP error without a fail body (a gateway's own JSON): the status says what happened.
  return status >= 400 ? Effect.fail(failOfStatus(status, text)) : Effect.succeed(body)
}

/** Makes the `Call` of a client: its semaphore is shared by every call it sends. */
export const make = (http: HttpClient.HttpClient, settings: Settings): Effect.Effect<Call> =>
  Effect.map(Effect.makeSemaphore(settings.maxConcurrent), (semaphore) => {
    const retrySchedule = Schedule.exponential(settings.retryDelay).pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(settings.maxRetries)),
      Schedule.intersect(unreachableBudget),
    )
    const exchange = (request: HttpClientRequest.HttpClientRequest) =>
      http.execute(request).pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (text) => ({ status: response.status, text })),
        ),
        Effect.mapError(Failures.fromHttpClientError),
        Effect.timeoutFail({
          duration: settings.timeout,
          onTimeout: () => Failures.timedOut(request, settings.timeout),
        }),
        Effect.flatMap(({ status, text }) => readAnswer(status, text)),
      )
    // A retry sends the same request: the same headers and the same body bytes.
    return (request, safe = true) =>
      semaphore
        .withPermits(1)(exchange(request))
        .pipe(Effect.retry({ schedule: retrySchedule, while: retryable(safe) }))
  })
