import { Box, Text } from "ink"
import * as ResultsView from "../view/ResultsView.ts"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

/** The bottom of a results screen: the last export's message (`lines`) and the key hints. */
export const ResultsFooter = ({
  state,
  lines,
  groupCount,
}: {
  readonly state: ResultsView.ResultsState
  /** `ResultsView.messageLines`, which the screen sized its table by. */
  readonly lines: ReadonlyArray<string>
  readonly groupCount: number
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
      <KeyHints hints={ResultsView.hintsFor(state, groupCount)} />
    </>
  )
}
