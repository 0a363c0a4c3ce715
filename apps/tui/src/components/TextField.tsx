import { Text } from "ink"
import * as Format from "../view/Format.ts"
import { useTheme } from "./Theme.tsx"

/**
 * The part of a text shown in `width` columns while the cursor is at `cursor` (the cell
 * after the text counts as one): `text.slice(start, end)`, with an ellipsis before it when
 * `cutStart` and after it when `cutEnd`, always holding the cursor.
 */
export const visibleWindow = (
  text: string,
  cursor: number,
  width: number,
): {
  readonly start: number
  readonly end: number
  readonly cutStart: boolean
  readonly cutEnd: boolean
} => {
  const at = Math.min(Math.max(cursor, 0), text.length)
  const size = Math.max(width, 3)
  if (text.length + 1 <= size) return { start: 0, end: text.length, cutStart: false, cutEnd: false }
  // The cursor near the start: the start shows, the end is cut.
  if (at <= size - 2) return { start: 0, end: size - 1, cutStart: false, cutEnd: true }
  // At the very end: the text's tail and the empty cell after it.
  if (at === text.length) {
    return { start: text.length - (size - 2), end: text.length, cutStart: true, cutEnd: false }
  }
  // On the last character: the tail.
  if (at === text.length - 1) {
    return { start: text.length - (size - 1), end: text.length, cutStart: true, cutEnd: false }
  }
  // In the middle: cut on both sides, the cursor on the last column before the cut.
  return { start: at + 1 - (size - 2), end: at + 1, cutStart: true, cutEnd: true }
}

/**
 * A one-line text value; while typing, the cursor is an inverse cell. With `width` it
 * never takes more columns than that: a longer text is cut with an ellipsis, around the
 * cursor while typing.
 */
export const TextField = ({
  text,
  cursor,
  typing,
  placeholder,
  completion,
  width,
}: {
  readonly text: string
  readonly cursor: number
  readonly typing: boolean
  readonly placeholder?: string
  /** The rest of a suggested value, shown dim after the text (Tab or → takes it). */
  readonly completion?: string | undefined
  readonly width?: number | undefined
}) => {
  const theme = useTheme()
  const room = width ?? Number.POSITIVE_INFINITY
  if (!typing) {
    return text === "" ? (
      <Text color={theme.muted} dimColor>
        {Format.fit(placeholder ?? "", room)}
      </Text>
    ) : (
      <Text>{Format.fit(text, room)}</Text>
    )
  }
  const shown = visibleWindow(text, cursor, room)
  const visible = text.slice(shown.start, shown.end)
  const at = Math.min(cursor, text.length) - shown.start
  const under =
    visible[at] ?? (completion !== undefined && completion !== "" ? completion[0]! : " ")
  const rest = at < visible.length ? visible.slice(at + 1) : ""
  // What is left of the row after the text and the cursor, for the completion or placeholder.
  const left = room - (shown.cutStart ? 1 : 0) - visible.length - (at >= visible.length ? 1 : 0)
  // No room left: no ghost at all (not even an ellipsis, which would wrap the row).
  const ghost =
    !shown.cutEnd && at >= visible.length && completion !== undefined && left > 0
      ? Format.fit(completion.slice(1), left)
      : ""
  const hint =
    text === "" && ghost === "" && placeholder !== undefined
      ? Format.fit(` ${placeholder}`, Math.max(left, 0))
      : ""
  return (
    <Text>
      {shown.cutStart ? "…" : ""}
      {visible.slice(0, at)}
      <Text inverse>{under}</Text>
      {rest}
      {shown.cutEnd ? "…" : ""}
      <Text color={theme.muted} dimColor>
        {ghost}
        {hint}
      </Text>
    </Text>
  )
}
