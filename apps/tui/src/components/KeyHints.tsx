import { Text } from "ink"
import { useTerminalSize } from "../hooks/useTerminalSize.ts"
import { useTheme } from "./Theme.tsx"

type Hint = readonly [key: string, action: string]

const widthOf = (hints: ReadonlyArray<Hint>): number =>
  hints.reduce(
    (sum, [key, action], index) => sum + (index > 0 ? 3 : 0) + key.length + 1 + action.length,
    0,
  )

/**
 * The hints that fit in `width` columns: the first ones, and always the last (how to quit),
 * dropping those just before it until the line fits.
 */
export const fitHints = (hints: ReadonlyArray<Hint>, width: number): ReadonlyArray<Hint> => {
  const kept = [...hints]
  while (kept.length > 2 && widthOf(kept) > width) kept.splice(kept.length - 2, 1)
  return kept
}

/** The bottom line: the keys that matter on this screen now, `key action` pairs. */
export const KeyHints = ({ hints }: { readonly hints: ReadonlyArray<Hint> }) => {
  const theme = useTheme()
  const { columns } = useTerminalSize()
  return (
    <Text wrap="truncate">
      {fitHints(hints, columns).map(([key, action], index) => (
        <Text key={key}>
          {index > 0 ? <Text color={theme.muted}> · </Text> : null}
          <Text bold>{key}</Text>
          <Text color={theme.muted}> {action}</Text>
        </Text>
      ))}
    </Text>
  )
}
