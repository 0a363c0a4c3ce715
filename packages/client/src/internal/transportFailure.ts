// A failed fetch as a `TransportError` that names its cause. Node's fetch (undici) throws
// `TypeError("fetch failed")` whose `cause` carries a system code (`ECONNREFUSED`,
// `ENOTFOUND`, …), sometimes inside an `AggregateError` (one per address tried); browsers
// and Workers give no code, and their failures stay `Network` with the words they give.
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Duration from "effect/Duration"
import { TransportError, type TransportFailure } from "../ClientError.ts"

interface Found {
  readonly code: string
  readonly message: string
}

const isObject = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === "object" && u !== null

// Errors reachable through `cause` and `errors`, breadth first, outermost first.
const chainOf = (error: unknown): ReadonlyArray<{ readonly [key: string]: unknown }> => {
  const seen: Array<{ readonly [key: string]: unknown }> = []
  let level: ReadonlyArray<unknown> = [error]
  for (let depth = 0; depth < 8 && level.length > 0; depth++) {
    const next: Array<unknown> = []
    for (const item of level) {
      if (!isObject(item) || seen.includes(item)) continue
      seen.push(item)
      next.push(item.cause)
      if (Array.isArray(item.errors)) next.push(...item.errors)
    }
    level = next
  }
  return seen
}

const tlsCode = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/

// The kinds a system code names; the others have none.
type CodedFailure = Exclude<TransportFailure, "Network" | "ClientClosed" | "BlockedPort">

const kindOfCode = (code: string): CodedFailure | undefined => {
  switch (code) {
    case "ECONNREFUSED":
      return "ConnectionRefused"
    case "ENOTFOUND":
    case "EAI_NONAME":
    case "EAI_NODATA":
    case "EAI_AGAIN":
    case "EAI_FAIL":
      return "HostNotFound"
    case "ENETUNREACH":
    case "ENETDOWN":
    case "EHOSTUNREACH":
    case "EHOSTDOWN":
      return "NetworkUnreachable"
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return "Timeout"
    case "ECONNRESET":
    case "ECONNABORTED":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return "ConnectionLost"
    default:
      return tlsCode.test(code) ? "Tls" : undefined
  }
}

// The first error of the chain with a code we know, else the innermost with any code.
const findCode = (chain: ReadonlyArray<{ readonly [key: string]: unknown }>): Found | undefined => {
  const coded = chain.flatMap((error) =>
    typeof error.code === "string"
      ? [{ code: error.code, message: typeof error.message === "string" ? error.message : "" }]
      : [],
  )
  return coded.find((found) => kindOfCode(found.code) !== undefined) ?? coded.at(-1)
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

const hostname = (host: string): string => host.replace(/:\d+$/, "")

// OpenSSL's own message is a line of internals; its code says the same in words.
const tlsDetail = ({ code, message }: Found): string =>
  code.startsWith("ERR_SSL_")
    ? `${code.slice("ERR_SSL_".length).toLowerCase().replaceAll("_", " ")} (${code})`
    : `${message} (${code})`

const describe = (kind: CodedFailure, found: Found, host: string): string => {
  switch (kind) {
    case "ConnectionRefused":
      return `Connection refused by ${host}: no server listens there; is it running, and is the URL right?`
    case "HostNotFound":
      return found.code === "EAI_AGAIN" || found.code === "EAI_FAIL"
        ? `Host not found: the DNS lookup of ${hostname(host)} failed (${found.code}); check the network and the host name`
        : `Host not found: the DNS has no address for ${hostname(host)} (${found.code}); check the host name or the region`
    case "NetworkUnreachable":
      return `Network unreachable: no route to ${host} (${found.code}); check the network`
    case "Tls":
      return `TLS failed with ${host}: ${tlsDetail(found)}${
        found.code === "ERR_SSL_WRONG_VERSION_NUMBER"
          ? "; does the server speak plain http rather than https?"
          : ""
      }`
    case "Timeout":
      return `Timed out connecting to ${host} (${found.code})`
    case "ConnectionLost":
      return `Connection lost: ${host} closed the connection before answering (${found.code}${found.message === "" ? "" : `: ${found.message}`})`
  }
}

// The words of a failure without a code: "fetch failed: bad port", "Failed to fetch".
const wordsOf = (chain: ReadonlyArray<{ readonly [key: string]: unknown }>): string =>
  chain
    .map((error) => (typeof error.message === "string" ? error.message : ""))
    .filter((message, i, all) => message !== "" && all.indexOf(message) === i)
    .join(": ")

/** The `TransportError` of an HTTP client failure, its cause named in `kind` and `message`. */
export const fromHttpClientError = (error: HttpClientError.HttpClientError): TransportError => {
  const call = `${error.request.method} ${error.request.url}`
  const host = hostOf(error.request.url)
  const chain = chainOf(error.cause)
  const found = findCode(chain)
  const kind = found === undefined ? undefined : kindOfCode(found.code)
  // The Fetch standard's port blocklist: no request leaves, and none ever will.
  if (found === undefined && chain.some((cause) => cause.message === "bad port")) {
    return new TransportError({
      kind: "BlockedPort",
      reason: `Blocked port: fetch refuses to connect to ${host}, a port the Fetch standard blocks; serve on another port (${call})`,
    })
  }
  if (found === undefined || kind === undefined) {
    const words = wordsOf(chain)
    const detail = words === "" ? error.message : `${words}${found ? ` (${found.code})` : ""}`
    return new TransportError({
      kind: "Network",
      reason: `Network failure reaching ${host}: ${detail} (${call})`,
    })
  }
  return new TransportError({ kind, reason: `${describe(kind, found, host)} (${call})` })
}

/** The `TransportError` of a request that got no complete answer within `timeout`. */
export const timedOut = (
  request: { readonly method: string; readonly url: string },
  timeout: Duration.Duration,
): TransportError =>
  new TransportError({
    kind: "Timeout",
    reason: `Timed out: no answer from ${hostOf(request.url)} within ${Duration.format(timeout)} (${request.method} ${request.url})`,
  })
