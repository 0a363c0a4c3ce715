import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as ChartLayout from "../view/ChartLayout.ts"
import { useTheme } from "./Theme.tsx"

const units: Readonly<Record<string, string>> = {
  daily: "days",
  weekly: "weeks",
  monthly: "months",
  quarterly: "quarters",
  yearly: "years",
}

type Style = "plain" | "selected" | "hatched"

/** A plot row cut where its style changes: the selected bucket first, then hatched columns. */
const runsOf = (
  row: string,
  selected: readonly [number, number],
  hatched: ReadonlyArray<boolean>,
): ReadonlyArray<readonly [Style, string]> => {
  const runs: Array<[Style, string]> = []
  for (let x = 0; x < row.length; x++) {
    const style: Style =
      x >= selected[0] && x < selected[1] ? "selected" : hatched[x] ? "hatched" : "plain"
    const last = runs.at(-1)
    if (last !== undefined && last[0] === style) last[1] += row[x]
    else runs.push([style, row[x]!])
  }
  return runs
}

/**
 * A group's buckets as a chart `width` columns wide and `height` rows high plus the key
 * line, the selected bucket highlighted and buckets not over yet (`incomplete`) hatched
 * and dimmed.
 */
export const BarChart = ({
  group,
  width,
  height,
  selected,
  incomplete,
}: {
  readonly group: TrendsClient.TrendsAnswer["groups"][string]
  readonly width: number
  readonly height: number
  readonly selected: number
  /** Per bucket, whether it had not ended when the answer was computed. */
  readonly incomplete: ReadonlyArray<boolean>
}) => {
  const theme = useTheme()
  const chart = ChartLayout.layout({
    values: group.buckets.map((bucket) => bucket.value),
    keys: group.buckets.map((bucket) => bucket.key),
    width,
    height,
    selected,
    unit: units[group.trendType],
    incomplete,
  })
  const range = chart.selected ?? [0, 0]
  return (
    <Box flexDirection="column" flexShrink={0}>
      {chart.rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions, not items
        <Text key={index} wrap="truncate">
          <Text color={theme.muted}>{chart.axis[index]}</Text>
          {runsOf(row, range, chart.hatched).map(([style, text], run) =>
            style === "selected" ? (
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
