import { Box, Text } from "ink"
import { useTheme } from "./Theme.tsx"

/**
 * The top line of every screen: the name, where queries go, and the two keys to know; the
 * quit key is the one that quits now (`Ctrl+Q` while a text field takes `q` as a letter).
 */
export const Header = ({
  description,
  quitKey,
}: {
  readonly description: string
  readonly quitKey: string
}) => {
  const theme = useTheme()
  return (
    <Box justifyContent="space-between" flexShrink={0}>
      <Text wrap="truncate">
        <Text bold color={theme.accent}>
          Trendline
        </Text>
        <Text color={theme.muted}> · {description}</Text>
      </Text>
      <Box flexShrink={0} marginLeft={2}>
        <Text color={theme.muted}>? help · {quitKey} quit</Text>
      </Box>
    </Box>
  )
}
