// How a failed fetch is named, for the causes no loopback test can produce: errors shaped
// as Node's fetch (undici) throws them, a `TypeError("fetch failed")` around a coded cause.
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import type { TransportFailure } from "../src/ClientError.ts"
import * as Failure from "../src/internal/transportFailure.ts"

const url = "https://eu1.api.clevertap.com/1/counts/trends.json"

const failed = (cause: unknown) =>
  Failure.fromHttpClientError(
    new HttpClientError.RequestError({
      request: HttpClientRequest.post(url),
      reason: "Transport",
      cause,
    }),
  )

const coded = (code: string, message: string) => Object.assign(new Error(message), { code })

const fetchFailed = (cause: unknown) => new TypeError("fetch failed", { cause })

describe("fromHttpClientError", () => {
  for (const [kind, cause, message] of [
    [
      "HostNotFound",
      coded("EAI_AGAIN", "getaddrinfo EAI_AGAIN eu1.api.clevertap.com"),
      /^Host not found: the DNS lookup of eu1\.api\.clevertap\.com failed \(EAI_AGAIN\)/,
    ],
    [
      "ConnectionRefused",
      // Every address of the host refused: Node reports them together.
      new AggregateError(
        [
          coded("ECONNREFUSED", "connect ECONNREFUSED ::1:443"),
          coded("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443"),
        ],
        "",
      ),
      /^Connection refused by eu1\.api\.clevertap\.com: no server listens there/,
    ],
    [
      "Tls",
      coded("CERT_HAS_EXPIRED", "certificate has expired"),
      /^TLS failed with eu1\.api\.clevertap\.com: certificate has expired \(CERT_HAS_EXPIRED\)/,
    ],
    [
      "Tls",
      coded("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames"),
      /^TLS failed with .*does not match certificate's altnames \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
    ],
    [
      "ConnectionLost",
      coded("ECONNRESET", "read ECONNRESET"),
      /^Connection lost: eu1\.api\.clevertap\.com closed the connection before answering \(ECONNRESET: read ECONNRESET\)/,
    ],
    [
      "NetworkUnreachable",
      coded("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.1:443"),
      /^Network unreachable: no route to eu1\.api\.clevertap\.com \(EHOSTUNREACH\)/,
    ],
    [
      "Timeout",
      coded("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error"),
      /^Timed out connecting to eu1\.api\.clevertap\.com \(UND_ERR_CONNECT_TIMEOUT\)/,
    ],
  ] as const) {
    it(`names ${kind} from ${(cause as { code?: string }).code ?? "the errors inside"}`, () => {
      const error = failed(fetchFailed(cause))
      assert.strictEqual(error.kind, kind satisfies TransportFailure)
      assert.match(error.message, message)
      assert.isTrue(error.message.endsWith(`(POST ${url})`), error.message)
    })
  }

  it("keeps the words of a failure without a code, as browsers and Workers give it", () => {
    const error = failed(new TypeError("Failed to fetch"))
    assert.strictEqual(error.kind, "Network")
    assert.strictEqual(
      error.message,
      `Network failure reaching eu1.api.clevertap.com: Failed to fetch (POST ${url})`,
    )
  })

  it("names a port fetch refuses to connect to", () => {
    const error = failed(fetchFailed(new Error("bad port")))
    assert.strictEqual(error.kind, "BlockedPort")
    assert.match(
      error.message,
      /^Blocked port: fetch refuses to connect to eu1\.api\.clevertap\.com/,
    )
  })

  it("names an unknown code with the words around it", () => {
    const error = failed(fetchFailed(coded("EWHATEVER", "something odd")))
    assert.strictEqual(error.kind, "Network")
    assert.strictEqual(
      error.message,
      `Network failure reaching eu1.api.clevertap.com: fetch failed: something odd (EWHATEVER) (POST ${url})`,
    )
  })
})
