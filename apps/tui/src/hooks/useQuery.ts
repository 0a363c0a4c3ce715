import type * as TrendsClient from "@trendline/client/TrendsClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { useCallback, useEffect, useRef, useState } from "react"
import * as Backend from "../Backend.ts"
import type * as QueryRequest from "../QueryRequest.ts"
import { useRuntime } from "../RuntimeContext.tsx"

/** A query's answer, of the kind its request asked for. */
export type QueryResult =
  | { readonly _tag: "Trends"; readonly answer: TrendsClient.TrendsAnswer }
  | { readonly _tag: "Top"; readonly answer: TrendsClient.TopAnswer }

/** Where the current query is. */
export type QueryState =
  | { readonly _tag: "Idle" }
  | {
      readonly _tag: "Running"
      readonly request: QueryRequest.QueryRequest
      readonly progress: TrendsClient.Progress | undefined
    }
  | {
      readonly _tag: "Succeeded"
      readonly request: QueryRequest.QueryRequest
      readonly result: QueryResult
    }
  | {
      readonly _tag: "Failed"
      readonly request: QueryRequest.QueryRequest
      /** The typed error, when the backend failed with one (not a defect). */
      readonly error: Backend.QueryError | undefined
      readonly message: string
    }

const isQueryError = (error: unknown): error is Backend.QueryError =>
  typeof error === "object" && error !== null && "_tag" in error && error instanceof Error

interface Run {
  fiber: Fiber.RuntimeFiber<QueryResult, unknown> | undefined
}

const idle: QueryState = { _tag: "Idle" }

const messageOf = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) => (error instanceof Error ? error.message : String(error)),
    onNone: () => Cause.pretty(cause),
  })

// The backend call a request stands for, its answer tagged with its kind.
const ask = (
  backend: Backend.Service,
  request: QueryRequest.QueryRequest,
  onProgress: (progress: TrendsClient.Progress) => Effect.Effect<void>,
): Effect.Effect<QueryResult, Backend.QueryError> =>
  request._tag === "Top"
    ? Effect.map(backend.top(request.body, onProgress), (answer) => ({ _tag: "Top", answer }))
    : Effect.map(backend.trends(request.body, onProgress), (answer) => ({
        _tag: "Trends",
        answer,
      }))

/**
 * Runs queries (trends or top values) on the `Backend` of the runtime in context, one at a
 * time: `run` starts one (interrupting any other), `cancel` interrupts it and goes back to
 * `Idle`. A query still running when the component unmounts is interrupted.
 */
export const useQuery = (): {
  readonly state: QueryState
  readonly run: (request: QueryRequest.QueryRequest) => void
  readonly cancel: () => void
} => {
  const runtime = useRuntime()
  const [state, setState] = useState<QueryState>(idle)
  // The query in flight; a run is an object of its own so that its callbacks can tell
  // whether it is still the current one (the fiber may report before runFork returns).
  const current = useRef<Run | undefined>(undefined)

  const stop = useCallback(() => {
    const fiber = current.current?.fiber
    current.current = undefined
    if (fiber !== undefined) Effect.runFork(Fiber.interrupt(fiber))
  }, [])

  useEffect(() => stop, [stop])

  const run = useCallback(
    (request: QueryRequest.QueryRequest) => {
      stop()
      const self: Run = { fiber: undefined }
      current.current = self
      setState({ _tag: "Running", request, progress: undefined })
      const onProgress = (progress: TrendsClient.Progress) =>
        Effect.sync(() => {
          if (current.current === self) setState({ _tag: "Running", request, progress })
        })
      const fiber = runtime.runFork(
        Effect.flatMap(Backend.Backend, (backend) => ask(backend, request, onProgress)),
      )
      self.fiber = fiber
      fiber.addObserver((exit) => {
        // A cancelled or superseded query reports nothing.
        if (current.current !== self) return
        current.current = undefined
        if (Exit.isSuccess(exit)) {
          setState({ _tag: "Succeeded", request, result: exit.value })
        } else {
          const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
          setState({
            _tag: "Failed",
            request,
            error: isQueryError(error) ? error : undefined,
            message: messageOf(exit.cause),
          })
        }
      })
    },
    [runtime, stop],
  )

  const cancel = useCallback(() => {
    stop()
    setState(idle)
  }, [stop])

  return { state, run, cancel }
}
