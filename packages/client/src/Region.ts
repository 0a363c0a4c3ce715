/**
 * Where the Trends API lives: a hosted region, or any base URL (your own Trendline server).
 * There is no default region: a client without one is a configuration error, because a
 * wrong region answers 401 for valid credentials, which is hard to diagnose.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

import { hosts, isRegion, type Region } from "./RegionHosts.ts"

export { hosts, isRegion, type Region }

/** The client's configuration is wrong; `message` says what to fix. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  reason: Schema.String,
}) {
  override get message(): string {
    return this.reason
  }
}

/**
 * The base URL to call: `https://<region host>` or the given `baseUrl` (trailing slash
 * removed), e.g. `baseUrlOf({ region: "in1" })` is `https://in1.api.clevertap.com`.
 */
export const baseUrlOf = (options: {
  readonly region?: string | undefined
  readonly baseUrl?: string | undefined
}): Either.Either<string, ConfigError> => {
  const { region, baseUrl } = options
  if (region !== undefined && baseUrl !== undefined) {
    return Either.left(new ConfigError({ reason: "Give either region or baseUrl, not both" }))
  }
  if (region !== undefined) {
    return isRegion(region)
      ? Either.right(`https://${hosts[region]}`)
      : Either.left(
          new ConfigError({
            reason: `Unknown region ${JSON.stringify(region)}: use one of ${Object.keys(hosts).join(", ")}, or baseUrl for your own server`,
          }),
        )
  }
  if (baseUrl !== undefined) {
    let url: URL
    try {
      url = new URL(baseUrl)
    } catch {
      return Either.left(
        new ConfigError({
          reason: `baseUrl ${JSON.stringify(baseUrl)} is not a URL, e.g. http://127.0.0.1:8787`,
        }),
      )
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return Either.left(
        new ConfigError({ reason: `baseUrl must be http or https, got ${url.protocol}` }),
      )
    }
    return Either.right(url.href.replace(/\/+$/, ""))
  }
  return Either.left(
    new ConfigError({
      reason: `No region or baseUrl: set region to your account's (${Object.keys(hosts).join(", ")}) or baseUrl to your server`,
    }),
  )
}
