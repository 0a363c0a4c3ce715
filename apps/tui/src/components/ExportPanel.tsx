import { Box, Text } from "ink"
import { useTerminalSize } from "../hooks/useTerminalSize.ts"
import type * as ResultsView from "../view/ResultsView.ts"
import { TextField } from "./TextField.tsx"
import { useTheme } from "./Theme.tsx"

/** Where to write the answer, and as what. */
export const ExportPanel = ({
  state,
  cwd,
}: {
  readonly state: ResultsView.ResultsState
  readonly cwd: string
}) => {
  const theme = useTheme()
  // The file name stays on its line, however long (cut around the cursor).
  const { columns } = useTerminalSize()
  const format = (id: ResultsView.ExportFormat, label: string) =>
    state.format === id ? (
      <Text bold color={theme.accent} inverse>
        {` ${label} `}
      </Text>
    ) : (
      <Text color={theme.muted}>{` ${label} `}</Text>
    )
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold>Export all groups</Text>
      <Text>
        {"  "}Format {format("csv", "CSV")} {format("json", "JSON")}
        <Text color={theme.muted}> Tab switches</Text>
      </Text>
      <Text>
        {"  "}File{"   "}
        <TextField
          text={state.fileName}
          cursor={state.cursor}
          typing
          width={Math.max(columns - 9, 8)}
        />
      </Text>
      <Text color={theme.muted} wrap="truncate-start">
        {"         "}relative to {cwd}
      </Text>
    </Box>
  )
}
