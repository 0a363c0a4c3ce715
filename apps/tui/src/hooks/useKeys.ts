import { type Key, useInput } from "ink"

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
