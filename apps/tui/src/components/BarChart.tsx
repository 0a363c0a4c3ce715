import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as ChartLayout from "../view/ChartLayout.ts"
import * as ChartTicks from "../view/ChartTicks.ts"
import type * as SeriesView from "../view/SeriesView.ts"
import { seriesColour, type Theme, useTheme } from "./Theme.tsx"

const units: Readonly<Record<string, string>> = {
  hourly: "hours",
  daily: "days",
  weekly: "weeks",
  monthly: "months",
  quarterly: "quarters",
  yearly: "years",
}

// A point of overlay n is style n; the rest are the bars'.
type Style = "plain" | "selected" | "hatched" | number

/**
 * A plot row cut where its style changes: an overlay's points first, then the selected
 * bucket, then hatched columns.
 */
const runsOf = (
  row: string,
  selected: readonly [number, number],
  hatched: ReadonlyArray<boolean>,
  points: ReadonlyMap<number, number>,
): ReadonlyArray<readonly [Style, string]> => {
  const runs: Array<[Style, string]> = []
  for (let x = 0; x < row.length; x++) {
    const style: Style =
      points.get(x) ??
      (x >= selected[0] && x < selected[1] ? "selected" : hatched[x] ? "hatched" : "plain")
    const last = runs.at(-1)
    if (last !== undefined && last[0] === style) last[1] += row[x]
    else runs.push([style, row[x]!])
  }
  return runs
}

const overlayColour = (theme: Theme, overlay: SeriesView.Overlay | undefined): string =>
  overlay === undefined
    ? ""
    : overlay.colour === "previous"
      ? theme.previous
      : seriesColour(theme, overlay.colour)

/**
 * A group's buckets as a chart `width` columns wide and `height` rows high plus the key
 * line, the selected bucket highlighted and buckets not over yet (`incomplete`) hatched
 * and dimmed; `overlays` as points over the bars, each in its colour. An hourly chart is
 * labelled by its days (`ChartTicks`).
 */
export const BarChart = ({
  group,
  width,
  height,
  selected,
  incomplete,
  overlays = [],
}: {
  readonly group: TrendsClient.TrendsAnswer["groups"][string]
  readonly width: number
  readonly height: number
  readonly selected: number
  /** Per bucket, whether it had not ended when the answer was computed. */
  readonly incomplete: ReadonlyArray<boolean>
  readonly overlays?: ReadonlyArray<SeriesView.Overlay>
}) => {
  const theme = useTheme()
  const keys = group.buckets.map((bucket) => bucket.key)
  const chart = ChartLayout.layout({
    values: group.buckets.map((bucket) => bucket.value),
    keys,
    width,
    height,
    selected,
    unit: units[group.trendType],
    incomplete,
    overlays,
    ...(group.trendType === "hourly" ? { ticks: ChartTicks.hourTicks(keys) } : {}),
  })
  const range = chart.selected ?? [0, 0]
  const pointsOf = (row: number) =>
    new Map(chart.points.flatMap((point) => (point.row === row ? [[point.x, point.overlay]] : [])))
  return (
    <Box flexDirection="column" flexShrink={0}>
      {chart.rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions, not items
        <Text key={index} wrap="truncate">
          <Text color={theme.muted}>{chart.axis[index]}</Text>
          {runsOf(row, range, chart.hatched, pointsOf(index)).map(([style, text], run) =>
            typeof style === "number" ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: runs are positions, not items
              <Text key={run} color={overlayColour(theme, overlays[style])} bold>
                {text}
              </Text>
            ) : style === "selected" ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: runs are positions, not items
              <Text key={run} color={theme.selected} bold>
                {text}
              </Text>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: runs are positions, not items
              <Text key={run} color={theme.chart} dimColor={style === "hatched"}>
                {text}
              </Text>
            ),
          )}
        </Text>
      ))}
      <Text color={theme.muted} wrap="truncate">
        {chart.keys}
      </Text>
      {chart.note === undefined ? null : (
        <Text color={theme.muted} wrap="truncate">
          {chart.note}
        </Text>
      )}
    </Box>
  )
}
