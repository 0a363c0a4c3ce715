import type * as TopCounts from "@trendline/core/TopCounts"
import { Box, Text } from "ink"
import * as ResultsView from "../view/ResultsView.ts"
import * as TopView from "../view/TopView.ts"
import { useTheme } from "./Theme.tsx"

/**
 * A page of a group's top values, `rows` of them under a header: rank, value, event count
 * and a bar scaled to the group's largest count, the selected value marked.
 */
export const TopTable = ({
  entries,
  offset,
  selected,
  rows,
  width,
}: {
  readonly entries: ReadonlyArray<TopCounts.Entry>
  readonly offset: number
  readonly selected: number
  readonly rows: number
  readonly width: number
}) => {
  const theme = useTheme()
  const columns = TopView.columnsOf(entries, width)
  const header = TopView.headerOf(columns)
  // The selected row stays in view when a message takes rows from the table.
  const start = Math.min(
    Math.max(ResultsView.scrollTo(offset, selected, rows), 0),
    Math.max(entries.length - rows, 0),
  )
  const page = TopView.rowsOf(entries, columns).slice(start, start + rows)
  // Where the page is, beside the header; without the total when that would be cut (the
  // line above says how many values there are).
  const used = 2 + columns.rank + 2 + columns.value + 2 + columns.count + 2
  const shown = `${start + 1}–${start + page.length}`
  const position =
    entries.length <= rows
      ? ""
      : used + shown.length + ` of ${entries.length}`.length <= width
        ? `${shown} of ${entries.length}`
        : shown
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold wrap="truncate">
        {"  "}
        {header.rank}
        {"  "}
        {header.value}
        {"  "}
        {header.count}
        <Text color={theme.muted} bold={false}>
          {position === "" ? "" : `  ${position}`}
        </Text>
      </Text>
      {page.map((row, index) => {
        const isSelected = start + index === selected
        return (
          <Text key={row.rank} wrap="truncate" inverse={isSelected}>
            {isSelected ? "› " : "  "}
            {row.rank}
            {"  "}
            {row.value}
            {"  "}
            {row.count}
            {row.bar === "" ? null : (
              <Text color={theme.chart}>
                {"  "}
                {row.bar}
              </Text>
            )}
          </Text>
        )
      })}
    </Box>
  )
}
