/** `POST /1/upload`: up to 1000 event and profile records. */
import * as Idempotency from "@trendline/core/Idempotency"
import * as Either from "effect/Either"
import { Hono, type MiddlewareHandler } from "hono"
import type * as Accounts from "../Accounts.ts"
import type { Backend } from "../Backend.ts"
import { type AppEnv, authenticate, failBeforeBody, jsonText } from "../middleware.ts"

// A malformed `Idempotency-Key` is refused before the body is read (so the connection closes).
const checkIdempotencyKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = Idempotency.decodeKey(c.req.header(Idempotency.header))
  if (Either.isLeft(key)) return failBeforeBody(c, key.left)
  await next()
}

// What tells a repeat from another upload under the same key: the SHA-256 of the body.
const digest = async (text: string): Promise<string> => {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
}

/**
 * The upload endpoint, mounted at `/1/upload`. The body goes to the backend as text: it is
 * parsed after the account's upload gate admits it, where it is stored. With an
 * `Idempotency-Key`, a retry of the same body stores nothing and gets the first answer.
 */
export const uploadRoutes = (accounts: Accounts.Accounts, backend: Backend, maxBodyBytes: number) =>
  new Hono<AppEnv>().post(
    "/",
    authenticate(accounts),
    checkIdempotencyKey,
    ...jsonText(maxBodyBytes),
    async (c) => {
      const text = c.get("text")
      // Checked before the body was read.
      const key = Either.getOrUndefined(Idempotency.decodeKey(c.req.header(Idempotency.header)))
      const answer = await backend(c.get("account")).uploadJson(
        text,
        Math.floor(Date.now() / 1000),
        key === undefined ? undefined : { key, fingerprint: await digest(text) },
      )
      return c.json(answer.body, answer.status)
    },
  )
