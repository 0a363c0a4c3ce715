/**
 * Keys typed before the UI can take them. The entry calls `start` as soon as it knows the UI
 * will open, before loading it: the terminal goes to raw mode and what is typed is kept
 * (not echoed). Ink reads `stdin`, which gets the kept keys, then everything typed after,
 * once `release` is called, when the query form listens. Without this, keys typed while the
 * program loads and opens the database were lost: Ink reads nothing before its first input
 * hook mounts, and the screen before the form ignores every key but `q`.
 *
 * Ctrl-C before `release` interrupts the process as it would in a shell (SIGINT), with the
 * terminal put back first.
 */
import { PassThrough } from "node:stream"

/** The terminal's input, held until the UI listens. */
export interface EarlyInput {
  /** The stream to give Ink as its stdin: a raw-mode terminal, fed from the real one. */
  readonly stdin: NodeJS.ReadStream
  /** Hands what was typed, and from now on what is typed, to `stdin`. */
  readonly release: () => void
  /** Gives the terminal back (cooked mode) and stops reading it; for the end, or an error. */
  readonly stop: () => void
}

/** The part of a terminal's input stream this module uses (`process.stdin` has it all). */
export type Terminal = Pick<
  NodeJS.ReadStream,
  "setRawMode" | "on" | "off" | "pause" | "ref" | "unref"
>

const ctrlC = 0x03

const interruptSelf = () => {
  process.kill(process.pid, "SIGINT")
}

/**
 * Puts `terminal` in raw mode and keeps what is typed until `release`. `onInterrupt` runs
 * on Ctrl-C before then, after the terminal is given back (default: SIGINT to this process).
 */
export const start = (terminal: Terminal, onInterrupt: () => void = interruptSelf): EarlyInput => {
  const kept: Array<Buffer> = []
  let released = false
  let stopped = false
  const stdin = new PassThrough()
  const stop = () => {
    if (stopped) return
    stopped = true
    terminal.off("data", onData)
    terminal.pause()
    terminal.setRawMode(false)
  }
  const onData = (chunk: Buffer) => {
    if (released) {
      stdin.write(chunk)
    } else if (chunk.includes(ctrlC)) {
      stop()
      onInterrupt()
    } else {
      kept.push(chunk)
    }
  }
  // What Ink needs of a terminal's stdin besides reading: raw mode and the event loop's hold.
  const asTerminal = Object.assign(stdin, {
    isTTY: true,
    setRawMode: (mode: boolean) => {
      if (!stopped) terminal.setRawMode(mode)
      return asTerminal
    },
    ref: () => {
      terminal.ref()
      return asTerminal
    },
    unref: () => {
      terminal.unref()
      return asTerminal
    },
  })
  terminal.setRawMode(true)
  terminal.on("data", onData)
  return {
    stdin: asTerminal as unknown as NodeJS.ReadStream,
    release: () => {
      if (released) return
      released = true
      for (const chunk of kept.splice(0)) stdin.write(chunk)
    },
    stop,
  }
}
