import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as ChartLayout from "../view/ChartLayout.ts"
import { useTheme } from "./Theme.tsx"

const fitting = (line: string, note: string, width: number): string =>
  line.length + note.length <= width ? note : ""

/** A group's buckets as a chart `width` columns wide, the selected bucket highlighted. */
export const BarChart = ({
  group,
  width,
  height,
  selected,
}: {
  readonly group: TrendsClient.TrendsAnswer["groups"][string]
  readonly width: number
  readonly height: number
  readonly selected: number
}) => {
  const theme = useTheme()
  const chart = ChartLayout.layout({
    values: group.buckets.map((bucket) => bucket.value),
    keys: group.buckets.map((bucket) => bucket.key),
    width,
    height,
    selected,
  })
  const [start, end] = chart.selected ?? [0, 0]
  return (
    <Box flexDirection="column" flexShrink={0}>
      {chart.rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions, not items
        <Text key={index} wrap="truncate">
          <Text color={theme.muted}>{chart.axis[index]}</Text>
          <Text color={theme.chart}>{row.slice(0, start)}</Text>
          <Text color={theme.selected} bold>
            {row.slice(start, end)}
          </Text>
          <Text color={theme.chart}>{row.slice(end)}</Text>
        </Text>
      ))}
      <Text color={theme.muted} wrap="truncate">
        {chart.keys}
        {chart.perColumn > 1
          ? fitting(chart.keys, ` (a column: mean of ≤${chart.perColumn})`, width)
          : ""}
      </Text>
    </Box>
  )
}
