import { Text } from "ink"
import type * as SeriesView from "../view/SeriesView.ts"
import { seriesColour, useTheme } from "./Theme.tsx"

/**
 * The group's series as tabs, the shown one highlighted (Tab moves), each breakdown series
 * in its points' colour; then the legend of the earlier period's points (`SeriesView.legendOf`).
 */
export const SeriesLegend = ({
  items,
}: {
  readonly items: ReadonlyArray<SeriesView.LegendItem>
}) => {
  const theme = useTheme()
  const colourOf = (item: SeriesView.LegendItem) =>
    item.colour === "chart"
      ? theme.chart
      : item.colour === "previous"
        ? theme.previous
        : seriesColour(theme, item.colour)
  return (
    <Text wrap="truncate">
      {items.map((item, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: entries are positions (labels may repeat once cut)
        <Text key={index}>
          {index > 0 ? " " : ""}
          {item.selected ? (
            <Text inverse bold color={theme.accent}>{` ${item.text} `}</Text>
          ) : (
            <Text color={colourOf(item)}>{` ${item.text} `}</Text>
          )}
        </Text>
      ))}
    </Text>
  )
}
