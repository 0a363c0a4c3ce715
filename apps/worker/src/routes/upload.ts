/** `POST /1/upload`: up to 1000 event and profile records. */
import { Hono } from "hono"
import type * as Accounts from "../Accounts.ts"
import type { Backend } from "../Backend.ts"
import { type AppEnv, authenticate, jsonText } from "../middleware.ts"

/**
 * The upload endpoint, mounted at `/1/upload`. The body goes to the backend as text: it is
 * parsed after the account's upload gate admits it, where it is stored.
 */
export const uploadRoutes = (accounts: Accounts.Accounts, backend: Backend, maxBodyBytes: number) =>
  new Hono<AppEnv>().post("/", authenticate(accounts), ...jsonText(maxBodyBytes), async (c) => {
    const answer = await backend(c.get("account")).uploadJson(
      c.get("text"),
      Math.floor(Date.now() / 1000),
    )
    return c.json(answer.body, answer.status as 200)
  })
