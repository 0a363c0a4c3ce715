import { type Key, useInput } from "ink"
import * as TextEdit from "../form/TextEdit.ts"

/** A key's name in a `useKeys` map: a character (`"q"`, `"?"`) or a named key. */
export type KeyName = "escape" | "return" | (string & {})

const nameOf = (input: string, key: Key): KeyName | undefined => {
  if (key.escape) return "escape"
  if (key.return) return "return"
  if (key.ctrl || key.meta) return undefined
  return input === "" ? undefined : input
}

/** Calls the function bound to each key pressed, while `active`; other keys do nothing. */
export const useKeys = (
  bindings: Readonly<Partial<Record<KeyName, () => void>>>,
  active: boolean,
): void =>
  useInput(
    (input, key) => {
      const name = nameOf(input, key)
      if (name !== undefined) bindings[name]?.()
    },
    { isActive: active },
  )

/**
 * Ctrl+C and Ctrl+Q quit from every screen, text fields included. (Ink quits on Ctrl+C
 * itself unless it was told not to; this one covers the other case too.)
 */
export const useQuitKeys = (quit: () => void): void =>
  useInput((input, key) => {
    for (const [typed, pressed] of TextEdit.keystrokes(input, key)) {
      if (pressed.ctrl && !pressed.meta && (typed === "q" || typed === "c")) return quit()
    }
  })
