import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { useEffect, useState } from "react"
import * as Backend from "../Backend.ts"
import { useRuntime } from "../RuntimeContext.tsx"

/** The backend service once its layer is built (the entry builds it before rendering). */
export type BackendState =
  | { readonly _tag: "Loading" }
  | { readonly _tag: "Ready"; readonly backend: Backend.Service }
  | { readonly _tag: "Failed"; readonly message: string }

/** The backend of the runtime in context, and, once it is there, the event names it knows. */
export const useBackend = (): {
  readonly state: BackendState
  readonly eventNames: ReadonlyArray<string>
} => {
  const runtime = useRuntime()
  const [state, setState] = useState<BackendState>({ _tag: "Loading" })
  const [eventNames, setEventNames] = useState<ReadonlyArray<string>>([])
  useEffect(() => {
    const fiber = runtime.runFork(
      Effect.flatMap(Backend.Backend, (backend) =>
        Effect.sync(() => setState({ _tag: "Ready", backend })).pipe(
          Effect.zipRight(backend.eventNames),
          Effect.tap((names) => Effect.sync(() => setEventNames(names))),
        ),
      ),
    )
    fiber.addObserver((exit) => {
      if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
        setState({ _tag: "Failed", message: Cause.pretty(exit.cause) })
      }
    })
    return () => {
      Effect.runFork(Fiber.interrupt(fiber))
    }
  }, [runtime])
  return { state, eventNames }
}
