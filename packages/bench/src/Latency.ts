/**
 * Latencies of many requests, summed up as percentiles.
 *
 * @since 0.1.0
 */

/** How many requests, and how long they took: median, 99th percentile and the slowest, in ms. */
export interface Summary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/**
 * The `p`th percentile (0–100) of values sorted in ascending order, by nearest rank: the
 * smallest value that at least `p`% of the values do not exceed (`NaN` when there are
 * none). `percentile([1, 2, 3, 4], 50)` is 2; the 99th of 100 values is the 99th smallest.
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p * sorted.length) / 100)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/** The summary of some latencies, in any order. */
export const summarize = (millis: ReadonlyArray<number>): Summary => {
  const sorted = [...millis].sort((a, b) => a - b)
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  }
}
