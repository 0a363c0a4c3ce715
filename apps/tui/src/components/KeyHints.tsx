import { Text } from "ink"
import { useTheme } from "./Theme.tsx"

/** The bottom line: the keys that matter on this screen now, `key action` pairs. */
export const KeyHints = ({
  hints,
}: {
  readonly hints: ReadonlyArray<readonly [string, string]>
}) => {
  const theme = useTheme()
  return (
    <Text wrap="truncate">
      {hints.map(([key, action], index) => (
        <Text key={key}>
          {index > 0 ? <Text color={theme.muted}> · </Text> : null}
          <Text bold>{key}</Text>
          <Text color={theme.muted}> {action}</Text>
        </Text>
      ))}
    </Text>
  )
}
