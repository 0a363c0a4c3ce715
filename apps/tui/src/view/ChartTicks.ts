/**
 * The labels under an hourly chart. Hour keys (`YYYYMMDDHH`) are ten digits, and a range
 * may have 745 of them: their first, middle and last keys would say little. The labels are
 * the days instead, each where its first hour is (`11-02`), spread over the range: the
 * first day, then the middle one, then those halfway between, and so on, so that however
 * few fit (`ChartLayout` leaves out a label that would touch one before it) they are evenly
 * apart. On a range of a few days the hours 06, 12 and 18 of each day (`12h`) come after,
 * where there is room; a single day ends with its last hour.
 */
import type * as ChartLayout from "./ChartLayout.ts"

// Days of a range short enough for its hours to get labels too.
const fewDays = 3

// The indexes 0..n-1 in the order that spreads them best: 0, then halves, quarters, …
const spread = (n: number): ReadonlyArray<number> => {
  const order: Array<number> = []
  const seen = new Set<number>()
  const add = (index: number) => {
    if (index >= 0 && index < n && !seen.has(index)) {
      seen.add(index)
      order.push(index)
    }
  }
  add(0)
  for (let parts = 2; order.length < n; parts *= 2)
    for (let part = 1; part < parts; part += 2) add(Math.round((part * n) / parts))
  // Rounding may skip an index of a small range: every one is there in the end.
  for (let index = 0; index < n; index++) add(index)
  return order
}

/**
 * The ticks of an hourly chart's `keys` (in order, as the answer has them): a label a day
 * at its first hour, `MM-DD`, in spread order; for a range of a few days, then its hours
 * 06, 12 and 18; for one day, its last hour at the end.
 */
export const hourTicks = (keys: ReadonlyArray<string>): ReadonlyArray<ChartLayout.Tick> => {
  const dayStarts: Array<number> = []
  keys.forEach((key, index) => {
    if (index === 0 || key.slice(0, 8) !== keys[index - 1]!.slice(0, 8)) dayStarts.push(index)
  })
  const days = spread(dayStarts.length).map((day) => {
    const bucket = dayStarts[day]!
    const key = keys[bucket]!
    return { bucket, label: `${key.slice(4, 6)}-${key.slice(6, 8)}`, align: "start" as const }
  })
  if (dayStarts.length > fewDays) return days
  const hours = keys.flatMap((key, bucket) =>
    ["06", "12", "18"].includes(key.slice(8))
      ? [{ bucket, label: `${key.slice(8)}h`, align: "start" as const }]
      : [],
  )
  const last = keys.length - 1
  const end =
    dayStarts.length === 1 && last > 0
      ? [{ bucket: last, label: `${keys[last]!.slice(8)}h`, align: "end" as const }]
      : []
  return [...days, ...end, ...hours]
}
