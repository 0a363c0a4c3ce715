/**
 * Timing calls in turns: every engine's call once a round, so that whatever else the
 * machine does meanwhile is spread over every engine alike. Warm: after a warm-up, each
 * call after a minor GC. Cold: each call after reopening its engine and a full GC.
 *
 * @since 0.1.0
 */

const collectGarbage = (globalThis as { gc?: (options?: { type: "minor" | "major" }) => void }).gc

/**
 * Each call once as a warm-up, then `repetitions` rounds that time each call once, in
 * turn: the milliseconds of every call's runs. Taking turns spreads whatever else the
 * machine does meanwhile (a database's background merges, another process) over every
 * engine alike, instead of charging it to whichever runs at that moment.
 */
export const timeInTurns = async (
  calls: ReadonlyArray<() => Promise<unknown>>,
  repetitions: number,
): Promise<Array<Array<number>>> => {
  for (const call of calls) await call()
  const runs = calls.map((): Array<number> => [])
  for (let i = 0; i < repetitions; i++) {
    for (const [c, call] of calls.entries()) {
      // An empty young generation for every call, so that no call pays for collecting the
      // garbage of the one before it (another engine's). The bench runs with --expose-gc;
      // elsewhere there is no `gc` and this does nothing.
      collectGarbage?.({ type: "minor" })
      const started = performance.now()
      await call()
      runs[c]!.push(performance.now() - started)
    }
  }
  return runs
}

/** A call timed cold: `reopen` runs untimed before each timed `call`. */
export interface ColdCall {
  readonly reopen: () => Promise<void>
  readonly call: () => Promise<unknown>
}

/**
 * `repetitions` rounds that reopen each engine, collect all garbage (the old instance's
 * included, as a fresh process has none) and then time its call once, in turn: the
 * milliseconds of every call's runs. No warm-up: every timed call is a first one.
 */
export const timeColdInTurns = async (
  calls: ReadonlyArray<ColdCall>,
  repetitions: number,
): Promise<Array<Array<number>>> => {
  const runs = calls.map((): Array<number> => [])
  for (let i = 0; i < repetitions; i++) {
    for (const [c, { reopen, call }] of calls.entries()) {
      await reopen()
      collectGarbage?.({ type: "major" })
      const started = performance.now()
      await call()
      runs[c]!.push(performance.now() - started)
    }
  }
  return runs
}
