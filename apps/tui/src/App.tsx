/**
 * The interactive UI: the query form, the running query, its results (trends, or top
 * values) or failure, and the help over any of them. Screens follow the query's state; the
 * form's state lives here, so going back finds the form as it was left.
 */
import type * as Calendar from "@trendline/core/Calendar"
import { Box, Text, useApp } from "ink"
import { useCallback, useState } from "react"
import { FailedScreen } from "./components/FailedScreen.tsx"
import { Header } from "./components/Header.tsx"
import { HelpScreen } from "./components/HelpScreen.tsx"
import { QueryFormScreen } from "./components/QueryFormScreen.tsx"
import { ResultsScreen, type ResultsScreenProps } from "./components/ResultsScreen.tsx"
import { RunningScreen } from "./components/RunningScreen.tsx"
import { ThemeProvider, useTheme } from "./components/Theme.tsx"
import { TopScreen } from "./components/TopScreen.tsx"
import * as Export from "./Export.ts"
import * as QueryForm from "./form/QueryForm.ts"
import { useBackend } from "./hooks/useBackend.ts"
import { useKeys, useQuitKeys } from "./hooks/useKeys.ts"
import { type QueryResult, useQuery } from "./hooks/useQuery.ts"
import { useQueryForm } from "./hooks/useQueryForm.ts"
import { useTerminalSize } from "./hooks/useTerminalSize.ts"
import * as QueryRequest from "./QueryRequest.ts"

export interface AppProps {
  /** Colours on (bold, dim and inverse stay either way). */
  readonly color?: boolean
  /** Where relative export file names are written (default: the current directory). */
  readonly cwd?: string
  /** The day presets count from: today in the account's zone (`Calendar.today`). */
  readonly today: Calendar.Day
}

/** The whole UI; needs a `RuntimeProvider` above it. */
export const App = ({ color = true, cwd, today }: AppProps) => (
  <ThemeProvider color={color}>
    <Screens cwd={cwd ?? process.cwd()} today={today} />
  </ThemeProvider>
)

const Screens = ({ cwd, today }: { readonly cwd: string; readonly today: Calendar.Day }) => {
  const theme = useTheme()
  const { exit } = useApp()
  const size = useTerminalSize()
  const backend = useBackend()
  const query = useQuery()
  const [help, setHelp] = useState(false)
  // The results screen's export has a text field: there `q` is a letter too.
  const [resultsTyping, setResultsTyping] = useState(false)
  const [day] = useState(today)
  const showHelp = useCallback(() => setHelp(true), [])
  const hideHelp = useCallback(() => setHelp(false), [])
  const quit = useCallback(() => exit(), [exit])

  const ready = backend.state._tag === "Ready"
  // Local mode has no HTTP endpoint; it is Trendline's own, so it knows the extensions.
  const local = ready && backend.state.backend.endpoint === undefined
  const screen = query.state._tag
  const form = useQueryForm({
    eventNames: backend.eventNames,
    propertyNamesOf: ready ? backend.state.backend.propertyNames : undefined,
    today: day,
    extrasByDefault: local,
    active: ready && screen === "Idle" && !help,
    onSubmit: query.run,
    onQuit: quit,
    onHelp: showHelp,
  })
  useQuitKeys(quit)
  useKeys({ escape: query.cancel, q: quit, "?": showHelp }, screen === "Running" && !help)
  useKeys(
    {
      return: () => query.state._tag === "Failed" && query.run(query.state.request),
      escape: query.cancel,
      n: query.cancel,
      q: quit,
      "?": showHelp,
    },
    screen === "Failed" && !help,
  )
  useKeys({ escape: hideHelp, "?": hideHelp, q: quit }, help)
  // Before the backend is there, only quitting makes sense.
  useKeys({ q: quit }, !ready && !help)

  // `q` quits wherever no text field has the keyboard; Ctrl+Q (and Ctrl+C) everywhere.
  const typing =
    !help &&
    ((ready && screen === "Idle" && QueryForm.isTextField(form.state.focus)) ||
      (screen === "Succeeded" && resultsTyping))
  const body = size.rows - 1
  const description =
    backend.state._tag === "Ready" ? backend.state.backend.description : "starting…"
  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Header description={description} quitKey={typing ? "Ctrl+Q" : "q"} />
      {help ? <HelpScreen /> : null}
      <Box display={help ? "none" : "flex"} flexDirection="column" height={body} overflow="hidden">
        {backend.state._tag === "Loading" ? (
          <Text color={theme.muted}>Opening the backend…</Text>
        ) : backend.state._tag === "Failed" ? (
          <Text color={theme.error}>The backend could not start: {backend.state.message}</Text>
        ) : query.state._tag === "Idle" ? (
          <QueryFormScreen
            state={form.state}
            issues={form.issues}
            suggestions={form.suggestions}
            extrasByDefault={local}
            columns={size.columns}
            rows={body}
          />
        ) : query.state._tag === "Running" ? (
          <RunningScreen request={query.state.request} progress={query.state.progress} />
        ) : query.state._tag === "Failed" ? (
          <FailedScreen
            request={query.state.request}
            error={query.state.error}
            message={query.state.message}
          />
        ) : (
          <AnswerScreen
            result={query.state.result}
            request={query.state.request}
            eventNames={backend.eventNames}
            active={!help}
            columns={size.columns}
            rows={body}
            cwd={cwd}
            curl={Export.curl(
              query.state.request.body,
              backend.state.backend.endpoint,
              QueryRequest.pathOf(query.state.request),
            )}
            local={local}
            onBack={query.cancel}
            onQuit={quit}
            onHelp={showHelp}
            onTyping={setResultsTyping}
          />
        )}
      </Box>
    </Box>
  )
}

/** A query's answer on the screen of its kind: trends charts and tables, or top values. */
const AnswerScreen = ({
  result,
  ...props
}: { readonly result: QueryResult } & Omit<ResultsScreenProps, "answer">) =>
  result._tag === "Top" ? (
    <TopScreen answer={result.answer} {...props} />
  ) : (
    <ResultsScreen answer={result.answer} {...props} />
  )
