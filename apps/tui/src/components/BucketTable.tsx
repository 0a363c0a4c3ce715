import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as Format from "../view/Format.ts"
import * as ResultsView from "../view/ResultsView.ts"
import { useTheme } from "./Theme.tsx"

/**
 * A page of a group's buckets (key, days, value), the selected one marked; on wide
 * terminals each row also gets a bar.
 */
export const BucketTable = ({
  group,
  offset,
  selected,
  rows,
  width,
}: {
  readonly group: TrendsClient.TrendsAnswer["groups"][string]
  readonly offset: number
  readonly selected: number
  readonly rows: number
  readonly width: number
}) => {
  const theme = useTheme()
  const { buckets } = group
  const keyWidth = Math.max(3, ...buckets.map((bucket) => bucket.key.length))
  const datesWidth = Math.max(4, ...buckets.map((bucket) => Format.bucketDates(bucket).length))
  const valueWidth = Math.max(5, ...buckets.map((bucket) => Format.number(bucket.value).length))
  const used = 2 + keyWidth + 2 + datesWidth + 2 + valueWidth + 2
  const barWidth = width - used >= 12 ? Math.min(width - used, 60) : 0
  const max = Math.max(group.max, 0)
  // The selected row stays in view when a message takes rows from the table.
  const start = Math.min(
    Math.max(ResultsView.scrollTo(offset, selected, rows), 0),
    Math.max(buckets.length - rows, 0),
  )
  const page = buckets.slice(start, start + rows)
  const position =
    buckets.length > rows
      ? ` ${start + 1}–${start + page.length} of ${buckets.length}`
      : ` ${buckets.length} buckets`
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold wrap="truncate">
        {"  "}
        {"KEY".padEnd(keyWidth)}
        {"  "}
        {"DAYS".padEnd(datesWidth)}
        {"  "}
        {"VALUE".padStart(valueWidth)}
        <Text color={theme.muted} bold={false}>
          {"  "}
          {position}
        </Text>
      </Text>
      {page.map((bucket, index) => {
        const isSelected = start + index === selected
        const bar = max > 0 ? "▇".repeat(Math.round((bucket.value / max) * barWidth)) : ""
        return (
          <Text key={bucket.key} wrap="truncate" inverse={isSelected}>
            {isSelected ? "› " : "  "}
            {bucket.key.padEnd(keyWidth)}
            {"  "}
            {Format.bucketDates(bucket).padEnd(datesWidth)}
            {"  "}
            {Format.number(bucket.value).padStart(valueWidth)}
            {barWidth > 0 ? (
              <Text color={theme.chart}>
                {"  "}
                {bar}
              </Text>
            ) : null}
          </Text>
        )
      })}
    </Box>
  )
}
