import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import type * as Extras from "../Extras.ts"
import * as ResultsView from "../view/ResultsView.ts"
import * as TrendsTable from "../view/TrendsTable.ts"
import { useTheme } from "./Theme.tsx"

/**
 * A page of a group's buckets (key, days, value, and the `extra` columns), the selected one
 * marked; on wide terminals each row also gets a bar. With bucket metadata (`marks`), a
 * bucket not over yet has `*` after its value and a cut one its days in the range
 * (`TrendsTable`).
 */
export const BucketTable = ({
  group,
  marks,
  offset,
  selected,
  rows,
  width,
  extra = [],
}: {
  readonly group: TrendsClient.TrendsAnswer["groups"][string]
  readonly marks: Extras.GroupMarks
  readonly offset: number
  readonly selected: number
  readonly rows: number
  readonly width: number
  readonly extra?: ReadonlyArray<TrendsTable.ExtraColumn>
}) => {
  const theme = useTheme()
  const { buckets } = group
  const columns = TrendsTable.columnsOf(group, marks, width, extra)
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
        {"KEY".padEnd(columns.keyWidth)}
        {"  "}
        {"DAYS".padEnd(columns.daysWidth)}
        {"  "}
        {"VALUE".padStart(columns.valueWidth)}
        {columns.extra.map((column) => `  ${column.title.padStart(column.width)}`).join("")}
        <Text color={theme.muted} bold={false}>
          {"  "}
          {position}
        </Text>
      </Text>
      {page.map((bucket, index) => {
        const isSelected = start + index === selected
        const bar = max > 0 ? "▇".repeat(Math.round((bucket.value / max) * columns.barWidth)) : ""
        return (
          <Text key={bucket.key} wrap="truncate" inverse={isSelected}>
            {isSelected ? "› " : "  "}
            {bucket.key.padEnd(columns.keyWidth)}
            {"  "}
            {columns.days(bucket).padEnd(columns.daysWidth)}
            {"  "}
            {columns.value(bucket).padStart(columns.valueWidth)}
            {columns.extra
              .map((column) => `  ${column.cell(bucket).padStart(column.width)}`)
              .join("")}
            {columns.barWidth > 0 ? (
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
