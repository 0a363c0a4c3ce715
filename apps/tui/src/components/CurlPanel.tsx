import { Box, Text } from "ink"
import { useTheme } from "./Theme.tsx"

/**
 * The curl command broken to fit `width`: a long `-d` body is broken after the commas
 * between JSON values (JSON allows a line break there, and single quotes keep it), so a
 * copied command still sends the same request; a terminal's own wrapping would not.
 */
export const fitCommand = (command: string, width: number): ReadonlyArray<string> =>
  command.split("\n").flatMap((line) => {
    if (line.length <= width || !line.startsWith("  -d ")) return [line]
    const pieces: Array<string> = []
    let start = 0
    let inString = false
    for (let i = 0; i < line.length; i++) {
      const char = line[i]
      if (inString) {
        if (char === "\\") i++
        else if (char === '"') inString = false
      } else if (char === '"') inString = true
      else if (char === ",") {
        pieces.push(line.slice(start, i + 1))
        start = i + 1
      }
    }
    pieces.push(line.slice(start))
    const lines: Array<string> = []
    let current = ""
    for (const piece of pieces) {
      if (current !== "" && current.length + piece.length > width) {
        lines.push(current)
        current = `    ${piece}`
      } else current += piece
    }
    lines.push(current)
    return lines
  })

/** The query as a curl command, unboxed so that selecting it copies it as it is. */
export const CurlPanel = ({
  command,
  local,
  width,
}: {
  readonly command: string
  readonly local: boolean
  readonly width: number
}) => {
  const theme = useTheme()
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold>The same query with curl</Text>
      <Text color={theme.muted}>
        {local
          ? "Local mode has no HTTP endpoint: this asks a server started with pnpm serve; set the account id and TRENDLINE_PASSCODE."
          : "Set TRENDLINE_PASSCODE to the account's passcode first."}
      </Text>
      {fitCommand(command, width).map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
        <Text key={index}>{line}</Text>
      ))}
    </Box>
  )
}
