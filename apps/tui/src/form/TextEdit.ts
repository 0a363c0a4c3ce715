/**
 * One-line text editing as a pure function of a keypress, shared by every text field:
 * insert (typed or pasted), Backspace/Delete, ←/→, Home/End, and the readline keys
 * Ctrl+A/E (start/end), Ctrl+U/K (clear before/after the cursor), Ctrl+W (delete a word).
 */
import type { Key } from "ink"

/** A field's text and the cursor's position in it (0 is before the first character). */
export interface TextValue {
  readonly text: string
  readonly cursor: number
}

/** The value after a keypress, or `undefined` when the key is not an editing key. */
export const edit = (value: TextValue, input: string, key: Key): TextValue | undefined => {
  const { text } = value
  const cursor = Math.min(Math.max(value.cursor, 0), text.length)
  if (key.leftArrow) return { text, cursor: Math.max(0, cursor - 1) }
  if (key.rightArrow) return { text, cursor: Math.min(text.length, cursor + 1) }
  if (key.home || (key.ctrl && input === "a")) return { text, cursor: 0 }
  if (key.end || (key.ctrl && input === "e")) return { text, cursor: text.length }
  if (key.backspace) {
    return cursor === 0
      ? value
      : { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 }
  }
  if (key.delete) return { text: text.slice(0, cursor) + text.slice(cursor + 1), cursor }
  if (key.ctrl && input === "u") return { text: text.slice(cursor), cursor: 0 }
  if (key.ctrl && input === "k") return { text: text.slice(0, cursor), cursor }
  if (key.ctrl && input === "w") {
    const start = text.slice(0, cursor).replace(/\S+\s*$/, "").length
    return { text: text.slice(0, start) + text.slice(cursor), cursor: start }
  }
  if (key.ctrl || key.meta || key.escape || key.return || key.tab) return undefined
  // A paste arrives as one input; a line break in it would end the field.
  const typed = Array.from(input)
    .filter((char) => char.charCodeAt(0) >= 32 && char !== "\u007f")
    .join("")
  if (typed === "") return undefined
  return { text: text.slice(0, cursor) + typed + text.slice(cursor), cursor: cursor + typed.length }
}

/**
 * A keypress as the keystrokes it stands for. Keys pressed faster than they are read
 * arrive as one input (`"Charged\r"`, `"\t\t"`); each control character in it is split
 * off as its own key (Enter, Tab, Backspace, Ctrl+letter) so that none is lost or typed.
 */
export const keystrokes = (input: string, key: Key): ReadonlyArray<readonly [string, Key]> => {
  if (input.length < 2 || !Array.from(input).some(isControl)) return [[input, key]]
  const plain: Key = { ...key, return: false, tab: false, backspace: false, ctrl: false }
  const out: Array<readonly [string, Key]> = []
  let text = ""
  for (const char of input) {
    if (!isControl(char)) {
      text += char
      continue
    }
    if (text !== "") out.push([text, plain])
    text = ""
    if (char === "\n" && out.at(-1)?.[1].return === true) continue // \r\n is one Enter
    if (char === "\r" || char === "\n") out.push(["\r", { ...plain, return: true }])
    else if (char === "\t") out.push(["", { ...plain, tab: true }])
    else if (char === "\u007f" || char === "\b") out.push(["", { ...plain, backspace: true }])
    else out.push([String.fromCharCode(char.charCodeAt(0) + 96), { ...plain, ctrl: true }])
  }
  if (text !== "") out.push([text, plain])
  return out
}

const isControl = (char: string): boolean => char.charCodeAt(0) < 32 || char === "\u007f"
