import type * as EventStore from "@trendline/core/EventStore"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { useCallback, useEffect, useRef, useState } from "react"
import * as QueryForm from "../form/QueryForm.ts"
import { useRuntime } from "../RuntimeContext.tsx"

/** How to ask for an event's property names (the backend's `propertyNames`). */
export type PropertyNamesOf = (eventName: string) => Effect.Effect<EventStore.PropertyNames>

interface Question {
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly answer: { dropped: boolean }
}

const drop = (question: Question | undefined) => {
  if (question === undefined) return
  question.answer.dropped = true
  Effect.runFork(Fiber.interrupt(question.fiber))
}

/**
 * The property names of the event in the form's Event field, asked for in the background
 * when that field comes to hold a known event name, and when a field that suggests them
 * gains focus (then whatever the event: profile fields are the account's). A question
 * replaces the one before: that one is interrupted and its answer dropped. The form shows
 * an answer's event property names for that event only (`QueryForm.openSuggestions`).
 */
export const usePropertyNames = (
  propertyNamesOf: PropertyNamesOf | undefined,
  eventName: string,
  eventNames: ReadonlyArray<string>,
  focus: QueryForm.FieldId,
): QueryForm.PropertyNamesOf | undefined => {
  const runtime = useRuntime()
  const [answer, setAnswer] = useState<QueryForm.PropertyNamesOf | undefined>(undefined)
  const asked = useRef<Question | undefined>(undefined)
  const ask = useCallback(
    (event: string) => {
      if (propertyNamesOf === undefined) return
      drop(asked.current)
      const answer = { dropped: false }
      const fiber = runtime.runFork(
        Effect.tap(propertyNamesOf(event), (names) =>
          Effect.sync(() => {
            if (!answer.dropped) setAnswer({ eventName: event, names })
          }),
        ),
      )
      asked.current = { fiber, answer }
    },
    [runtime, propertyNamesOf],
  )
  useEffect(() => () => drop(asked.current), [])

  const event = eventName.trim()
  const known = eventNames.includes(event)
  useEffect(() => {
    if (known) ask(event)
  }, [ask, event, known])
  // Each field that suggests names asks again as it gains focus, not on other moves.
  const asking = QueryForm.usesPropertyNames(focus) ? focus : undefined
  useEffect(() => {
    if (asking !== undefined) ask(event)
  }, [ask, asking, event])
  return answer
}
