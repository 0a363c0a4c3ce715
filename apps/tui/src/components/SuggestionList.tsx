import { Box, Text } from "ink"
import { useTheme } from "./Theme.tsx"

/**
 * The suggestions under a field: at most `max` lines scrolled to keep the highlighted one
 * in view, and a line saying how many more there are. Each line is cut to the row; an
 * operator says, dim, what its value must be.
 */
export const SuggestionList = ({
  names,
  highlighted,
  max,
  noteOf,
  marginLeft,
}: {
  readonly names: ReadonlyArray<string>
  /** The position of the highlighted name in `names`. */
  readonly highlighted: number
  readonly max: number
  readonly noteOf?: ((name: string) => string | undefined) | undefined
  readonly marginLeft: number
}) => {
  const theme = useTheme()
  const first = Math.max(0, Math.min(highlighted - max + 1, names.length))
  const visible = names.slice(first, first + max)
  const width = Math.max(...visible.map((name) => name.length))
  return (
    <Box flexDirection="column" marginLeft={marginLeft}>
      {visible.map((name, index) => {
        const isHighlighted = first + index === highlighted
        const note = noteOf?.(name)
        const gap = " ".repeat(width - name.length + 2)
        return (
          <Text
            key={name}
            wrap="truncate"
            color={isHighlighted ? theme.accent : theme.muted}
            bold={isHighlighted}
          >
            {isHighlighted ? "› " : "  "}
            {name}
            {note === undefined ? null : (
              <Text color={theme.muted} bold={false}>
                {gap}
                {note}
              </Text>
            )}
          </Text>
        )
      })}
      {names.length > first + max ? (
        <Text color={theme.muted}>
          {"  "}… {names.length - first - max} more
        </Text>
      ) : null}
    </Box>
  )
}
