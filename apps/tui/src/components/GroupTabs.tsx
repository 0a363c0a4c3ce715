import { Text } from "ink"
import * as ResultsView from "../view/ResultsView.ts"
import { useTheme } from "./Theme.tsx"

/** The answer's groups as tabs, the shown one highlighted, then a line about it. */
export const GroupTabs = ({
  names,
  selected,
  status,
  width,
}: {
  readonly names: ReadonlyArray<string>
  readonly selected: number
  /** What the shown group holds, after the tabs: `  daily · 30 buckets`. */
  readonly status: string
  readonly width: number
}) => {
  const theme = useTheme()
  const tabs = ResultsView.tabLabels(names, selected, width - status.length)
  return (
    <Text wrap="truncate">
      {tabs.map((label, index) => (
        <Text key={names[index]}>
          {index > 0 ? " " : ""}
          {index === selected ? (
            <Text inverse bold color={theme.accent}>{` ${label} `}</Text>
          ) : (
            <Text color={theme.muted}>{` ${label} `}</Text>
          )}
        </Text>
      ))}
      <Text color={theme.muted}>{status}</Text>
    </Text>
  )
}
