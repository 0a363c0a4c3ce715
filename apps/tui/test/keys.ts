// Keys for tests that call the form's key handlers directly, without a terminal.
import type { Key } from "ink"

/** No key held: a plain character's `Key`; spread it to press one, `{ ...noKey, tab: true }`. */
export const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
}
