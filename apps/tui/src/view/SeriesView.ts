/**
 * A trends group's series as the results screen shows them, one at a time: the group
 * itself, its rolling windows (a daily group's `"rolling"`), each top value of a breakdown,
 * and the rest (`other`). Tab goes through them (`ResultsView.onKey`); the chart's bars,
 * the table's values and the figures are the shown series'.
 *
 * The group's own view draws more beside its bars, as points at their values' heights: the
 * earlier period of a comparison (`─`), and each breakdown series (`●`, `○`, …), named in a
 * legend; its table adds the previous value and the change, and the rolling window of the
 * day. The rolling windows are a series of their own rather than points over the days: a
 * window holds up to N days, so on the days' axis it would flatten their bars. Free of Ink.
 */
import type * as Results from "@trendline/client/Results"
import * as Export from "../Export.ts"
import * as Extras from "../Extras.ts"
import * as Format from "./Format.ts"
import * as ResultsView from "./ResultsView.ts"
import type * as TrendsTable from "./TrendsTable.ts"

/** What a series is: the group, its rolling windows, a breakdown's value, or its rest. */
export type Kind = "group" | "rolling" | "value" | "other"

/** One series of a group: what Tab shows. */
export interface Series {
  readonly kind: Kind
  /** Its name on the series line: `all` (or the measure), `rolling 7d`, `ios`, `other`. */
  readonly label: string
  /** Its points' glyph on the group's chart (a breakdown's series), and its colour's index. */
  readonly glyph?: string | undefined
  readonly colour?: number | undefined
  /** Its value a bucket of the group, in the group's order. */
  readonly values: ReadonlyArray<number>
}

/** The glyph of the earlier period's points: a level mark, as wide as the bar. */
export const previousGlyph = "─"

/** The glyphs of a breakdown's values, in rank order; after them, letters. */
export const valueGlyphs: ReadonlyArray<string> = ["●", "○", "◆", "◇", "▲", "△", "■", "□"]

/** The glyph of a breakdown's rest. */
export const otherGlyph = "×"

const glyphOf = (rank: number): string =>
  valueGlyphs[rank] ?? String.fromCharCode(97 + rank - valueGlyphs.length)

/**
 * The series of a group in Tab's order: the group (named `all` when it is broken down, else
 * `measure`), its rolling windows, its breakdown's values in rank order, and the rest.
 */
export const seriesOf = (
  group: Results.GroupResult,
  marks: Extras.GroupMarks,
  measure: string,
): ReadonlyArray<Series> => {
  const along = (buckets: { readonly [key: string]: number } | undefined) =>
    group.buckets.map((bucket) => Extras.valueAt(buckets, bucket.key) ?? 0)
  const { breakdown, rolling } = marks
  return [
    {
      kind: "group",
      label: breakdown === undefined ? measure : "all",
      values: group.buckets.map((bucket) => bucket.value),
    },
    ...(rolling === undefined
      ? []
      : [
          {
            kind: "rolling" as const,
            label: `rolling ${rolling.days}d`,
            values: along(rolling.buckets),
          },
        ]),
    ...(breakdown?.series ?? []).map((series, rank) => ({
      kind: "value" as const,
      label: Export.seriesName(series.value),
      glyph: glyphOf(rank),
      colour: rank,
      values: along(series.buckets),
    })),
    ...(breakdown?.other === undefined
      ? []
      : [
          {
            kind: "other" as const,
            label: Extras.otherSeries,
            glyph: otherGlyph,
            colour: breakdown.series.length,
            values: along(breakdown.other.buckets),
          },
        ]),
  ]
}

/** The series at `index`, the group's when there is none there. */
export const at = (series: ReadonlyArray<Series>, index: number): Series =>
  series[Math.min(Math.max(index, 0), series.length - 1)]!

/**
 * The group as the series shows it: the same buckets with the series' values, and its
 * figures (total, min, max and mean of those values).
 */
export const groupOf = (group: Results.GroupResult, series: Series): Results.GroupResult => {
  if (series.kind === "group") return group
  const values = series.values
  const total = values.reduce((sum, value) => sum + value, 0)
  return {
    trendType: group.trendType,
    buckets: group.buckets.map((bucket, b) => ({ ...bucket, value: values[b] ?? 0 })),
    total,
    min: values.length === 0 ? 0 : Math.min(...values),
    max: values.length === 0 ? 0 : Math.max(...values),
    mean: values.length === 0 ? 0 : total / values.length,
  }
}

/**
 * The marks the series keeps: all of the group's for the group; for another series the
 * buckets' (incomplete, cut), not the group's total or comparison, which are not its.
 */
export const marksOf = (marks: Extras.GroupMarks, series: Series): Extras.GroupMarks =>
  series.kind === "group" ? marks : { total: undefined, buckets: marks.buckets }

/** Points drawn over the bars: a series' values, each at its height, as `glyph`. */
export interface Overlay {
  readonly glyph: string
  /** Drawn as wide as the bar (a level), else one cell in its middle. */
  readonly line: boolean
  /** `previous` or a breakdown series' colour index. */
  readonly colour: "previous" | number
  readonly values: ReadonlyArray<number>
}

/** The earlier period's value a bucket of the group, by position (none: 0). */
export const previousValues = (
  group: Results.GroupResult,
  marks: Extras.GroupMarks,
): ReadonlyArray<number> | undefined =>
  marks.compare === undefined
    ? undefined
    : group.buckets.map((bucket) => Extras.changeAt(marks, bucket.key)?.previous ?? 0)

/**
 * What the chart draws over the shown series' bars: on the group's, the earlier period and
 * each breakdown series; on another series, nothing.
 */
export const overlaysOf = (
  group: Results.GroupResult,
  marks: Extras.GroupMarks,
  series: ReadonlyArray<Series>,
  shown: Series,
): ReadonlyArray<Overlay> => {
  if (shown.kind !== "group") return []
  const previous = previousValues(group, marks)
  return [
    ...(previous === undefined
      ? []
      : [{ glyph: previousGlyph, line: true, colour: "previous" as const, values: previous }]),
    ...series.flatMap((each) =>
      each.glyph === undefined
        ? []
        : [{ glyph: each.glyph, line: false, colour: each.colour ?? 0, values: each.values }],
    ),
  ]
}

/**
 * The earlier period's total beside the group's, for the figures: the server's with
 * `"totals"`, else the sum of the earlier buckets, except for distinct profiles (which do
 * not add up); none without a comparison.
 */
export const previousTotal = (
  group: Results.GroupResult,
  marks: Extras.GroupMarks,
  unique: boolean,
): number | undefined => {
  if (marks.compare === undefined) return undefined
  if (marks.compare.previous_total !== undefined) return marks.compare.previous_total
  if (unique) return undefined
  return (previousValues(group, marks) ?? []).reduce((sum, value) => sum + value, 0)
}

/**
 * The table's columns after the value, on the group's view: the earlier period's value and
 * the change (`PREVIOUS`, `CHANGE`), and the day's rolling window (`ROLLING 7D`).
 */
export const columnsOf = (
  marks: Extras.GroupMarks,
  shown: Series,
): ReadonlyArray<TrendsTable.ExtraColumn> => {
  if (shown.kind !== "group") return []
  const rolling = marks.rolling
  return [
    ...(marks.compare === undefined
      ? []
      : [
          {
            title: "PREVIOUS",
            cell: (bucket: Results.BucketValue) => {
              const previous = Extras.changeAt(marks, bucket.key)?.previous
              return previous == null ? "—" : Format.number(previous)
            },
          },
          {
            title: "CHANGE",
            cell: (bucket: Results.BucketValue) => {
              const change = Extras.changeAt(marks, bucket.key)
              return change === undefined ? "—" : Extras.changeText(change)
            },
          },
        ]),
    ...(rolling === undefined
      ? []
      : [
          {
            title: `ROLLING ${rolling.days}D`,
            cell: (bucket: Results.BucketValue) => {
              const value = Extras.rollingAt(marks, bucket.key)
              return value === undefined ? "" : Format.number(value)
            },
          },
        ]),
  ]
}

/** One entry of the series line: a series (Tab stops there) or a legend of points. */
export interface LegendItem {
  readonly text: string
  readonly selected: boolean
  /** Its colour: the bars', the earlier period's, or a breakdown series'. */
  readonly colour: "chart" | "previous" | number
}

// The earlier period's legend, longest first: with its dates, with months and days, alone.
const previousTexts = (compare: NonNullable<Extras.GroupMarks["compare"]>) => {
  const name = `${previousGlyph} ${compare.kind === "previous_year" ? "a year earlier" : "previous"}`
  const from = Format.dateKey(compare.from)
  const to = Format.dateKey(compare.to)
  return [`${name} ${from} → ${to}`, `${name} ${from.slice(5)} → ${to.slice(5)}`, name]
}

/**
 * The line under the group tabs that names what the chart shows: every series of the group
 * (the shown one selected; a breakdown's with its points' glyph) when there are several,
 * then the earlier period's points with its dates; none when the group has one series and
 * no comparison. Each entry is its text with a space either side, entries a space apart,
 * in `width` columns: the earlier period's dates shorten, then go, before series names are
 * cut as the group tabs' are (`tabLabels`).
 */
export const legendOf = (
  series: ReadonlyArray<Series>,
  selected: number,
  marks: Extras.GroupMarks,
  width: number,
): ReadonlyArray<LegendItem> | undefined => {
  const shown = at(series, selected)
  const compare = shown.kind === "group" ? marks.compare : undefined
  if (series.length < 2 && compare === undefined) return undefined
  const names =
    series.length < 2
      ? []
      : series.map((each) =>
          each.glyph === undefined ? each.label : `${each.glyph} ${each.label}`,
        )
  const namesWidth = names.reduce((sum, name) => sum + name.length + 3, 0)
  const texts = compare === undefined ? [] : previousTexts(compare)
  const previous =
    texts.length === 0
      ? undefined
      : (texts.find((text) => namesWidth + text.length + 2 <= width) ?? texts.at(-1)!)
  const previousWidth = previous === undefined ? 0 : previous.length + 3
  const labels =
    names.length === 0 ? [] : ResultsView.tabLabels(names, selected, width - previousWidth)
  return [
    ...labels.map((text, index) => ({
      text,
      selected: index === selected,
      colour: series[index]!.colour ?? ("chart" as const),
    })),
    ...(previous === undefined
      ? []
      : [
          {
            text: Format.fit(previous, Math.max(width - 2, 1)),
            selected: false,
            colour: "previous" as const,
          },
        ]),
  ]
}
