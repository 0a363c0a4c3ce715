/**
 * A bucket chart as lines of text: vertical bars with gaps when every bucket fits, else a
 * sparkline, one column a bucket, or a column per several buckets when there are more
 * buckets than columns. Such a column shows the largest of its buckets, so that the top of
 * the axis is the answer's max (a mean would hide the peaks the figures state), and a note
 * under the chart says so. Heights use eighth blocks (▁▂▃▄▅▆▇█).
 *
 * A bucket that had not ended when the answer was computed (Trendline's bucket metadata)
 * is hatched: its whole cells are `░` instead of `█` (the top eighth stays, so its height
 * still reads), and the column is listed for the screen to dim. A column that stands for
 * several buckets is hatched when any of them is incomplete.
 *
 * Other series can be drawn over the bars as points (`overlays`: an earlier period, a
 * breakdown's series): in each column, the series' glyph in the cell that holds its value's
 * top (a column of several buckets takes their max, as the bars do), over the bar if the
 * bar reaches it; the axis covers them too. Labels under the plot are the first, middle and
 * last keys unless `ticks` says which (`ChartTicks`).
 */
import * as Format from "./Format.ts"

const blocks = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const

/** A whole cell of an incomplete bucket's bar. */
export const hatch = "░"

export interface ChartOptions {
  readonly values: ReadonlyArray<number>
  readonly keys: ReadonlyArray<string>
  /** Columns for the whole chart, axis included. */
  readonly width: number
  /**
   * Rows of the plot, the note included when a column stands for several buckets (the key
   * line below is extra).
   */
  readonly height: number
  readonly selected?: number | undefined
  /** What a bucket is, plural, for the note: `days`, `weeks` (default `buckets`). */
  readonly unit?: string | undefined
  /** Per bucket, whether it had not ended yet (default: none). */
  readonly incomplete?: ReadonlyArray<boolean> | undefined
  /** Series drawn as points over the bars, one value a bucket each (default: none). */
  readonly overlays?: ReadonlyArray<Overlay> | undefined
  /**
   * The labels under the plot, in the order they are placed: one that would touch a label
   * placed before it is left out (default: the first, last and middle keys).
   */
  readonly ticks?: ReadonlyArray<Tick> | undefined
}

/** A series drawn as points: `glyph` at each column's value, across the bar when `line`. */
export interface Overlay {
  readonly values: ReadonlyArray<number>
  readonly glyph: string
  readonly line?: boolean | undefined
}

/** A label under the plot: where its text starts, centres or ends at bucket `bucket`'s bar. */
export interface Tick {
  readonly bucket: number
  readonly label: string
  readonly align: "start" | "center" | "end"
}

/** A point of an overlay in the plot: its row, its column, and which overlay it is. */
export interface Point {
  readonly row: number
  readonly x: number
  readonly overlay: number
}

export interface ChartLayout {
  readonly mode: "bars" | "sparkline"
  /** The most buckets a column stands for (more than 1 only in a sparkline of a long range). */
  readonly perColumn: number
  /** The fewest buckets a column stands for. */
  readonly fewestPerColumn: number
  /** The y axis, one string a plot row, all as wide. */
  readonly axis: ReadonlyArray<string>
  /** The plot, top row first. */
  readonly rows: ReadonlyArray<string>
  /** The selected bucket's columns in the plot rows: `[start, end)`. */
  readonly selected: readonly [number, number] | undefined
  /** Per column of the plot rows, whether it is hatched (an incomplete bucket's). */
  readonly hatched: ReadonlyArray<boolean>
  /** The overlays' points, already drawn in `rows`, for the screen to colour. */
  readonly points: ReadonlyArray<Point>
  /** First, middle and last keys under the plot, already indented past the axis. */
  readonly keys: string
  /**
   * When a column stands for several buckets, the line that says so (`each column is the
   * max of 4–5 days`), fitted to the width; it takes the last row of `height`.
   */
  readonly note: string | undefined
}

const place = (line: Array<string>, text: string, at: number) => {
  const start = Math.max(0, Math.min(at, line.length - text.length))
  if (start < 0 || text.length > line.length) return
  // Only onto free space, so that labels never overwrite each other.
  for (let i = Math.max(start - 1, 0); i < Math.min(start + text.length + 1, line.length); i++) {
    if (line[i] !== " ") return
  }
  for (let i = 0; i < text.length; i++) line[start + i] = text[i]!
}

/** The note under a chart whose columns hold `fewest` to `most` buckets, fitted to `width`. */
export const columnNote = (
  fewest: number,
  most: number,
  unit: string,
  indent: number,
  width: number,
): string => {
  const count = fewest === most ? `${most}` : `${fewest}–${most}`
  const candidates = [
    `each column is the max of ${count} ${unit}`,
    `column = max of ${count} ${unit}`,
    `max of ${count} ${unit}`,
  ]
  for (const text of candidates) {
    if (indent + text.length <= width) return `${" ".repeat(indent)}${text}`
  }
  return Format.fit(candidates.at(-1)!, width)
}

// The max of each column's chunk of `values`.
const chunked = (
  values: ReadonlyArray<number>,
  count: number,
  columnCount: number,
): ReadonlyArray<number> =>
  Array.from({ length: columnCount }, (_, column) =>
    Math.max(
      0,
      ...values.slice(
        Math.floor((column * count) / columnCount),
        Math.floor(((column + 1) * count) / columnCount),
      ),
    ),
  )

/** The default labels under a plot: the first key, the last, and the middle one. */
export const defaultTicks = (keys: ReadonlyArray<string>): ReadonlyArray<Tick> => {
  const count = keys.length
  return [
    ...(count > 0 ? [{ bucket: 0, label: keys[0] ?? "", align: "start" as const }] : []),
    ...(count > 1
      ? [{ bucket: count - 1, label: keys[count - 1] ?? "", align: "end" as const }]
      : []),
    ...(count > 2
      ? [
          {
            bucket: Math.floor(count / 2),
            label: keys[Math.floor(count / 2)] ?? "",
            align: "center" as const,
          },
        ]
      : []),
  ]
}

export const layout = (options: ChartOptions): ChartLayout => {
  const count = options.values.length
  const overlays = options.overlays ?? []
  const max = Math.max(0, ...options.values, ...overlays.flatMap((overlay) => overlay.values))
  // Every column shows one of the values, so the largest labels the top of the axis.
  const labelWidth = Math.max(Format.number(max).length, 1)
  const axisWidth = labelWidth + 2
  const plotWidth = Math.max(options.width - axisWidth, 1)

  const bars = count > 0 && count * 2 - 1 <= plotWidth
  const barWidth = bars ? Math.max(1, Math.min(8, Math.floor((plotWidth + 1) / count) - 1)) : 1
  const step = bars ? barWidth + 1 : 1
  // More buckets than columns: every column takes the max of the next 1 or 2 (or n, n+1)
  // buckets, spread evenly so that the chart uses the whole width.
  const columnCount = Math.min(count, plotWidth)
  const columnOf: Array<number> = []
  const columns: Array<number> = []
  const sizes: Array<number> = []
  const open: Array<boolean> = []
  for (let column = 0; column < columnCount; column++) {
    const first = Math.floor((column * count) / columnCount)
    const end = Math.floor(((column + 1) * count) / columnCount)
    const chunk = options.values.slice(first, end)
    for (let bucket = first; bucket < end; bucket++) columnOf[bucket] = column
    columns.push(Math.max(0, ...chunk))
    sizes.push(chunk.length)
    open.push(options.incomplete?.slice(first, end).some((incomplete) => incomplete) ?? false)
  }
  const perColumn = Math.max(1, ...sizes)
  const fewestPerColumn = sizes.length === 0 ? 1 : Math.min(...sizes)
  const note =
    perColumn > 1
      ? columnNote(fewestPerColumn, perColumn, options.unit ?? "buckets", axisWidth, options.width)
      : undefined
  const height = Math.max(1, options.height - (note === undefined ? 0 : 1))
  const eighthsOf = (value: number) => {
    if (max === 0 || value <= 0) return 0
    return Math.max(1, Math.round((value / max) * height * 8))
  }
  const eighths = columns.map(eighthsOf)

  const rows: Array<string> = []
  for (let row = 0; row < height; row++) {
    const base = (height - 1 - row) * 8
    let line = ""
    eighths.forEach((level, index) => {
      const cell = blocks[Math.min(Math.max(level - base, 0), 8)]!
      const drawn = open[index] && cell === "█" ? hatch : cell
      line += drawn.repeat(barWidth) + (bars && index < eighths.length - 1 ? " " : "")
    })
    rows.push(line.padEnd(plotWidth).slice(0, plotWidth))
  }

  // Each overlay's points, drawn over the bars: later overlays over earlier ones.
  const points: Array<Point> = []
  const cells = rows.map((row) => [...row])
  overlays.forEach((overlay, index) => {
    chunked(overlay.values, count, columnCount).forEach((value, column) => {
      const level = eighthsOf(value)
      if (level === 0) return
      const row = height - Math.ceil(level / 8)
      const start = column * step
      const [from, to] =
        overlay.line === true
          ? [start, start + barWidth]
          : [start + Math.floor((barWidth - 1) / 2), start + Math.floor((barWidth - 1) / 2) + 1]
      for (let x = from; x < Math.min(to, plotWidth); x++) {
        cells[row]![x] = overlay.glyph
        points.push({ row, x, overlay: index })
      }
    })
  })
  if (points.length > 0) rows.splice(0, rows.length, ...cells.map((row) => row.join("")))

  const axis = rows.map((_, row) => {
    const label = row === 0 ? Format.number(max) : row === height - 1 ? "0" : ""
    return `${label.padStart(labelWidth)} ${row === 0 || row === height - 1 ? "┤" : "│"}`
  })

  const startOf = (bucket: number) => (columnOf[bucket] ?? 0) * step
  const selected =
    options.selected === undefined || count === 0
      ? undefined
      : ([startOf(options.selected), startOf(options.selected) + barWidth] as const)

  const hatched = Array.from({ length: plotWidth }, () => false)
  open.forEach((incomplete, column) => {
    if (!incomplete) return
    for (let x = column * step; x < Math.min(column * step + barWidth, plotWidth); x++)
      hatched[x] = true
  })

  const keyLine = Array.from({ length: plotWidth }, () => " ")
  for (const tick of options.ticks ?? defaultTicks(options.keys)) {
    if (tick.bucket < 0 || tick.bucket >= count) continue
    const start = startOf(tick.bucket)
    const at =
      tick.align === "start"
        ? start
        : tick.align === "end"
          ? start + barWidth - tick.label.length
          : start - Math.floor(tick.label.length / 2)
    place(keyLine, tick.label, at)
  }
  return {
    mode: bars ? "bars" : "sparkline",
    perColumn,
    fewestPerColumn,
    axis,
    rows,
    selected,
    hatched,
    points,
    keys: `${" ".repeat(axisWidth)}${keyLine.join("").trimEnd()}`,
    note,
  }
}
