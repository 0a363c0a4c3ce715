import { Text } from "ink"
import { useTheme } from "./Theme.tsx"

/** A one-line text value; while typing, the cursor is an inverse cell. */
export const TextField = ({
  text,
  cursor,
  typing,
  placeholder,
  completion,
}: {
  readonly text: string
  readonly cursor: number
  readonly typing: boolean
  readonly placeholder?: string
  /** The rest of a suggested value, shown dim after the text (Tab or → takes it). */
  readonly completion?: string | undefined
}) => {
  const theme = useTheme()
  if (!typing) {
    return text === "" ? (
      <Text color={theme.muted} dimColor>
        {placeholder ?? ""}
      </Text>
    ) : (
      <Text>{text}</Text>
    )
  }
  const at = Math.min(cursor, text.length)
  const under = text[at] ?? (completion !== undefined && completion !== "" ? completion[0]! : " ")
  const rest = at < text.length ? text.slice(at + 1) : ""
  const ghost = at >= text.length && completion !== undefined ? completion.slice(1) : ""
  return (
    <Text>
      {text.slice(0, at)}
      <Text inverse>{under}</Text>
      {rest}
      <Text color={theme.muted} dimColor>
        {ghost}
        {text === "" && ghost === "" && placeholder !== undefined ? ` ${placeholder}` : ""}
      </Text>
    </Text>
  )
}
