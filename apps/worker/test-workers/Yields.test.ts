// What lets other calls into a Durable Object while it works through a long job: the
// ground the object's store settings stand on (`DurableBackend.storeOptions`). The object
// runs one piece of JavaScript at a time; between two pieces it takes the next incoming call
// only if the job waits for something outside JavaScript, such as a timer.
import { runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { assert, describe, it } from "@effect/vitest"
import * as Limits from "@trendline/core/Limits"
import type * as WireAnswer from "@trendline/core/WireAnswer"
import * as Effect from "effect/Effect"
import * as DurableBackend from "../src/DurableBackend.ts"
import type { AccountObject } from "../src/worker.ts"
import { initech } from "./accounts.ts"

const slices = 50

/**
 * Runs a job of `slices` steps in the object, pausing with `pause` between them; once it has
 * begun, sends the object a poll (an RPC call) and a `runInDurableObject` call (a fetch).
 * Gives the order in which the steps and the two calls ran.
 */
const interleaving = async (name: string, pause: Effect.Effect<void>) => {
  const stub = env.ACCOUNTS.getByName(name)
  const order: Array<string> = []
  const job = runInDurableObject(stub, (_object: AccountObject) =>
    Effect.runPromise(
      Effect.forEach(
        Array.from({ length: slices }, (_, i) => i),
        (i) =>
          Effect.zipRight(
            Effect.sync(() => order.push(`slice ${i}`)),
            pause,
          ),
        { discard: true },
      ),
    ),
  )
  // The test runs in the same isolate: it gets a turn only when the job lets one go by.
  for (let turns = 0; !order.includes("slice 0") && turns < 1000; turns++) {
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  order.push("calls sent")
  await Promise.all([
    job,
    stub
      .poll(initech.id, "trends", "123456789012345")
      .then((answer: WireAnswer.WireAnswer) => order.push(`poll ${answer.status}`)),
    runInDurableObject(stub, () => order.push("fetch")),
  ])
  return order
}

/** Where `entry` ran among the job's slices: the number of slices before it. */
const slicesBefore = (order: ReadonlyArray<string>, entry: string) =>
  order.slice(0, order.indexOf(entry)).filter((step) => step.startsWith("slice")).length

describe("pauses inside a Durable Object", () => {
  it("a timer, the store's pause in the object, lets other calls in between slices", async () => {
    const pause = DurableBackend.storeOptions(Limits.defaults).yieldNow
    assert.isDefined(pause)
    const order = await interleaving("pause-timer", pause!)
    for (const entry of ["calls sent", "poll 404", "fetch"]) {
      const before = slicesBefore(order, entry)
      assert.isTrue(0 < before && before < slices, `${entry} ran between slices: ${order}`)
    }
  })

  it("a resolved promise or a message lets nothing in: the calls wait until the job is done", async () => {
    const message = Effect.async<void>((resume) => {
      const { port1, port2 } = new MessageChannel()
      port1.onmessage = () => {
        port1.close()
        resume(Effect.void)
      }
      port2.postMessage(null)
    })
    // `Effect.yieldNow()` hands over to Effect's scheduler, i.e. to the promise queue.
    for (const [name, pause] of [
      ["pause-promise", Effect.promise(() => Promise.resolve())],
      ["pause-effect", Effect.yieldNow()],
      ["pause-message", message],
    ] as const) {
      const order = await interleaving(name, pause)
      for (const entry of ["calls sent", "poll 404", "fetch"]) {
        assert.strictEqual(slicesBefore(order, entry), slices, `${name}: ${order}`)
      }
    }
  })
})
