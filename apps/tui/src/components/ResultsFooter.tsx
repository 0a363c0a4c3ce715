import { Box, Text } from "ink"
import type * as QueryRequest from "../QueryRequest.ts"
import * as ResultsView from "../view/ResultsView.ts"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

/** The bottom of a results screen: the last export's message (`lines`) and the key hints. */
/** What a screen of answers (trends or top values) is given besides its answer. */
export interface AnswerScreenProps {
  readonly request: QueryRequest.QueryRequest
  /** The event names the backend knows (none when it cannot tell), for an empty answer's hint. */
  readonly eventNames: ReadonlyArray<string>
  readonly active: boolean
  /** The screen's size below the app header. */
  readonly columns: number
  readonly rows: number
  readonly cwd: string
  readonly curl: string
  readonly local: boolean
  readonly onBack: () => void
  readonly onQuit: () => void
  readonly onHelp: () => void
  /** Told whether a text field (the export's file name) has the keyboard, so `q` types. */
  readonly onTyping: (typing: boolean) => void
}

export const ResultsFooter = ({
  state,
  lines,
  groupCount,
  seriesCount = 1,
}: {
  readonly state: ResultsView.ResultsState
  /** `ResultsView.messageLines`, which the screen sized its table by. */
  readonly lines: ReadonlyArray<string>
  readonly groupCount: number
  /** Series of the shown group (a breakdown's, rolling windows): Tab steps through them. */
  readonly seriesCount?: number
}) => {
  const theme = useTheme()
  return (
    <>
      <Box flexDirection="column" flexShrink={0}>
        {lines.map((line, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
          <Text key={index} color={state.message?.ok ? theme.ok : theme.error}>
            {line}
          </Text>
        ))}
      </Box>
      <KeyHints hints={ResultsView.hintsFor(state, groupCount, seriesCount)} />
    </>
  )
}
