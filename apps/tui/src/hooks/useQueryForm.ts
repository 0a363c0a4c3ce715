import type * as Calendar from "@trendline/core/Calendar"
import { useInput } from "ink"
import { useMemo, useRef, useState } from "react"
import * as QueryForm from "../form/QueryForm.ts"
import * as TextEdit from "../form/TextEdit.ts"
import type * as QueryRequest from "../QueryRequest.ts"
import { type PropertyNamesOf, usePropertyNames } from "./usePropertyNames.ts"

export interface QueryFormOptions {
  readonly eventNames: ReadonlyArray<string>
  /** Asks for an event's property names, to suggest (none until the backend is there). */
  readonly propertyNamesOf: PropertyNamesOf | undefined
  readonly today: Calendar.Day
  /**
   * Whether a trends query asks for Trendline's extensions until the user chooses: the
   * backend's default (on in local mode).
   */
  readonly extrasByDefault: boolean
  /** Whether the form has the keyboard (its screen is shown, no help on top). */
  readonly active: boolean
  readonly onSubmit: (request: QueryRequest.QueryRequest) => void
  readonly onQuit: () => void
  readonly onHelp: () => void
}

/**
 * The query form's state and keyboard. It lives as long as the app, so going back to the
 * form finds it as it was left.
 */
export const useQueryForm = (options: QueryFormOptions) => {
  const [state, setState] = useState(() => QueryForm.initialState(options.today))
  // Keys can arrive faster than renders: each one starts from the latest state.
  const latest = useRef(state)
  const propertyNames = usePropertyNames(
    options.propertyNamesOf,
    state.draft.eventName,
    options.eventNames,
    state.focus,
  )
  const context: QueryForm.KeyContext = {
    eventNames: options.eventNames,
    propertyNames,
    today: options.today,
    extrasByDefault: options.extrasByDefault,
  }

  useInput(
    (input, key) => {
      for (const [typed, pressed] of TextEdit.keystrokes(input, key)) {
        const { state: next, command } = QueryForm.onKey(latest.current, typed, pressed, context)
        latest.current = next
        setState(next)
        if (command === undefined) continue
        if (command === "submit")
          options.onSubmit(QueryForm.toRequest(next.draft, options.extrasByDefault))
        else if (command === "quit") options.onQuit()
        else options.onHelp()
        return
      }
    },
    { isActive: options.active },
  )

  const issues = useMemo(() => QueryForm.issuesOf(state.draft), [state.draft])
  const suggestions = QueryForm.openSuggestions(state, context)
  return { state, issues, suggestions }
}
