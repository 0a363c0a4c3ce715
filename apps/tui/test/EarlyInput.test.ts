// Keys typed while the UI loads, on a fake terminal: kept until the form listens, then
// handed on in order; Ctrl-C before then interrupts; the terminal is given back once.
import { EventEmitter } from "node:events"
import { assert, describe, it } from "@effect/vitest"
import * as EarlyInput from "../src/commands/EarlyInput.ts"

class FakeTerminal extends EventEmitter {
  readonly modes: Array<boolean> = []
  paused = false
  held = 0
  setRawMode(mode: boolean) {
    this.modes.push(mode)
    return this
  }
  pause() {
    this.paused = true
    return this
  }
  ref() {
    this.held++
    return this
  }
  unref() {
    this.held--
    return this
  }
}

const start = (onInterrupt: () => void = () => assert.fail("no Ctrl-C was typed")) => {
  const terminal = new FakeTerminal()
  const early = EarlyInput.start(terminal as unknown as EarlyInput.Terminal, onInterrupt)
  const type = (text: string) => terminal.emit("data", Buffer.from(text))
  const received = () => String(early.stdin.read() ?? "")
  return { terminal, early, type, received }
}

describe("EarlyInput", () => {
  it("keeps what is typed, unechoed, until release, then hands it on in order", () => {
    const { terminal, early, type, received } = start()
    assert.deepStrictEqual(terminal.modes, [true])
    type("Char")
    type("ged")
    assert.strictEqual(received(), "")
    early.release()
    type("\r")
    assert.strictEqual(received(), "Charged\r")
    early.release()
    assert.strictEqual(received(), "")
  })

  it("is a terminal to Ink: raw mode and the event loop's hold go to the real one", () => {
    const { terminal, early } = start()
    const stdin = early.stdin
    assert.isTrue(stdin.isTTY)
    stdin.setRawMode(false)
    stdin.ref()
    stdin.unref()
    stdin.ref()
    assert.deepStrictEqual([terminal.modes, terminal.held], [[true, false], 1])
  })

  it("interrupts on Ctrl-C before release, after giving the terminal back", () => {
    let interrupted: ReadonlyArray<boolean> | undefined
    const { terminal, type, received } = start(() => {
      interrupted = [...terminal.modes]
    })
    type("Cha\u0003")
    assert.deepStrictEqual(interrupted, [true, false])
    assert.isTrue(terminal.paused)
    assert.strictEqual(terminal.listenerCount("data"), 0)
    assert.strictEqual(received(), "")
  })

  it("leaves Ctrl-C to Ink after release", () => {
    const { early, type, received } = start()
    early.release()
    type("\u0003")
    assert.strictEqual(received(), "\u0003")
  })

  it("gives the terminal back once, and keeps it back whatever Ink asks after", () => {
    const { terminal, early } = start()
    early.stop()
    early.stop()
    early.stdin.setRawMode(true)
    assert.deepStrictEqual(terminal.modes, [true, false])
    assert.isTrue(terminal.paused)
    assert.strictEqual(terminal.listenerCount("data"), 0)
  })
})
