import { Box, Text } from "ink"
import * as Format from "../view/Format.ts"
import { useTheme } from "./Theme.tsx"

/** In place of a chart of zeros: what an answer of zeros means, `height` rows at most. */
export const EmptyHint = ({
  lines,
  width,
  height,
}: {
  readonly lines: readonly [string, string]
  readonly width: number
  readonly height: number
}) => {
  const theme = useTheme()
  const [said, advice] = lines
  const first = Format.wrap(said, width)
  const second = Format.wrap(advice, width).slice(0, Math.max(height - first.length, 0))
  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      {first.slice(0, height).map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
        <Text key={`said${index}`} bold>
          {line}
        </Text>
      ))}
      {second.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
        <Text key={`advice${index}`} color={theme.muted}>
          {line}
        </Text>
      ))}
    </Box>
  )
}
