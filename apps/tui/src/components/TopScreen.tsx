import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as Export from "../Export.ts"
import { useResultsView } from "../hooks/useResultsView.ts"
import * as Format from "../view/Format.ts"
import * as ResultsView from "../view/ResultsView.ts"
import * as TopView from "../view/TopView.ts"
import { CurlPanel } from "./CurlPanel.tsx"
import { EmptyHint } from "./EmptyHint.tsx"
import { ExportPanel } from "./ExportPanel.tsx"
import { GroupTabs } from "./GroupTabs.tsx"
import { type AnswerScreenProps, ResultsFooter } from "./ResultsFooter.tsx"
import { TopTable } from "./TopTable.tsx"

export interface TopScreenProps extends AnswerScreenProps {
  readonly answer: TrendsClient.TopAnswer
}

// Title, tabs, table header, message, key hints.
const fixedRows = 5

/** Value rows of the table on a screen `rows` high, `messageLines` taken by the message. */
export const tableRows = (rows: number, messageLines = 1): number =>
  Math.max(rows - fixedRows - (messageLines - 1), 1)

/**
 * A top values answer: per group (tabs) its values ranked in a scrollable table with a bar
 * each; export (CSV `group,value,count`, or the wire JSON) and curl as on the trends screen.
 */
export const TopScreen = (props: TopScreenProps) => {
  const { answer } = props
  const groupNames = Object.keys(answer)
  const view = useResultsView({
    kind: "top",
    groupNames,
    rowCounts: groupNames.map((name) => answer[name]?.length ?? 0),
    rowNoun: ["value", "values"],
    exportText: (format) => (format === "csv" ? Export.topToCsv(answer) : Export.topToJson(answer)),
    request: props.request.body,
    active: props.active,
    // Any key clears the message, so keys move through the table as it is without one.
    pageSize: tableRows(props.rows),
    cwd: props.cwd,
    onBack: props.onBack,
    onQuit: props.onQuit,
    onHelp: props.onHelp,
    onTyping: props.onTyping,
  })
  const { state, groupName } = view
  const entries = answer[groupName]
  const group = TopView.groupOf(props.request.body, groupName)
  const message = ResultsView.messageLines(state, props.columns)
  const rows = tableRows(props.rows, message.length)
  // The tabs whole (a name, a space either side, a space between): the status gives way.
  const tabsWidth = groupNames.reduce((sum, name) => sum + name.length + 3, -1)
  return (
    <Box flexDirection="column" height={props.rows}>
      <Text bold wrap="truncate">
        {Format.request(props.request)}
      </Text>
      <GroupTabs
        names={groupNames}
        selected={state.group}
        status={`  ${TopView.status(entries ?? [], group, props.columns - tabsWidth - 2)}`}
        width={props.columns}
      />
      <Box flexDirection="column" flexGrow={1}>
        {entries === undefined ? (
          <Text>The answer has no group {groupName}.</Text>
        ) : state.panel === "export" ? (
          <ExportPanel state={state} cwd={props.cwd} />
        ) : state.panel === "curl" ? (
          <CurlPanel command={props.curl} local={props.local} width={props.columns} />
        ) : entries.length === 0 ? (
          <EmptyHint
            lines={TopView.emptyHint(props.request.body, group, props.eventNames)}
            width={props.columns}
            height={rows + 1}
          />
        ) : (
          <TopTable
            entries={entries}
            offset={state.offset}
            selected={state.selected}
            rows={rows}
            width={props.columns}
          />
        )}
      </Box>
      <ResultsFooter state={state} lines={message} groupCount={groupNames.length} />
    </Box>
  )
}
