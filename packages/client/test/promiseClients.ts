// What the Promise API's tests share: a scripted server started before each test, and
// clients of it (account acme) that are closed after the test, with the server.
import { afterEach, beforeEach } from "vitest"
import { type Client, type ClientOptions, createClient } from "../src/index.ts"
import * as Fake from "./fakeServer.ts"

export interface PromiseClients {
  /** This test's scripted server. */
  readonly fake: Fake.FakeServer
  /** A client of it with `defaults`, then `options`. */
  readonly clientOf: (options?: Partial<ClientOptions>) => Client
}

/** Registers the hooks; call once at the top of a test file. */
export const setup = (defaults: Partial<ClientOptions>): PromiseClients => {
  let fake: Fake.FakeServer | undefined
  const clients: Array<Client> = []
  beforeEach(async () => {
    fake = await Fake.start()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()))
    await fake?.close()
  })
  const current = () => {
    if (fake === undefined) throw new Error("the scripted server starts before each test")
    return fake
  }
  return {
    get fake() {
      return current()
    },
    clientOf: (options = {}) => {
      const client = createClient({
        baseUrl: current().url,
        accountId: "acme",
        passcode: "acme-passcode",
        ...defaults,
        ...options,
      })
      clients.push(client)
      return client
    },
  }
}
