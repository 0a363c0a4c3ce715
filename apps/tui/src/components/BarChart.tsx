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

/**
 * A group's buckets as a chart `width` columns wide and `height` rows high plus the key
 * line, the selected bucket highlighted.
 */
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
    unit: units[group.trendType],
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
      </Text>
      {chart.note === undefined ? null : (
        <Text color={theme.muted} wrap="truncate">
          {chart.note}
        </Text>
      )}
    </Box>
  )
}
