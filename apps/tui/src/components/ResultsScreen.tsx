import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as Export from "../Export.ts"
import * as Extras from "../Extras.ts"
import { useResultsView } from "../hooks/useResultsView.ts"
import * as EmptyAnswer from "../view/EmptyAnswer.ts"
import * as Figures from "../view/Figures.ts"
import * as Format from "../view/Format.ts"
import * as ResultsView from "../view/ResultsView.ts"
import { BarChart } from "./BarChart.tsx"
import { BucketTable } from "./BucketTable.tsx"
import { CurlPanel } from "./CurlPanel.tsx"
import { EmptyHint } from "./EmptyHint.tsx"
import { ExportPanel } from "./ExportPanel.tsx"
import { GroupTabs } from "./GroupTabs.tsx"
import { type AnswerScreenProps, ResultsFooter } from "./ResultsFooter.tsx"
import { useTheme } from "./Theme.tsx"

export interface ResultsScreenProps extends AnswerScreenProps {
  readonly answer: TrendsClient.TrendsAnswer
}

// Title, tabs, key line under the chart, figures, table header, message, key hints.
const fixedRows = 7

/** Sizes of the chart and the table for a screen `rows` high. */
export const split = (rows: number): { readonly chart: number; readonly table: number } => {
  const free = Math.max(rows - fixedRows, 4)
  const chart = Math.min(Math.max(Math.round(free * 0.4), 3), 14)
  return { chart, table: Math.max(free - chart, 1) }
}

/**
 * An answer: per group a chart, its figures and a scrollable table; export and curl. With
 * Trendline's extensions (when asked for and answered) the total is the server's (distinct
 * profiles of the whole range for unique), and buckets not over yet are hatched in the
 * chart and marked `*` in the table, with a legend among the figures.
 */
export const ResultsScreen = (props: ResultsScreenProps) => {
  const theme = useTheme()
  const { answer } = props
  const wanted = Extras.wantedOf(props.request.body)
  const shown = Extras.answered(wanted, answer)
  const groupNames = Object.keys(answer.groups)
  const view = useResultsView({
    kind: "trends",
    groupNames,
    rowCounts: groupNames.map((name) => answer.groups[name]?.buckets.length ?? 0),
    rowNoun: ["bucket", "buckets"],
    exportText: (format) =>
      format === "csv" ? Export.toCsv(answer, wanted) : Export.toJson(answer),
    request: props.request.body,
    active: props.active,
    // Any key clears the message, so keys move through the table as it is without one.
    pageSize: split(props.rows).table,
    cwd: props.cwd,
    onBack: props.onBack,
    onQuit: props.onQuit,
    onHelp: props.onHelp,
    onTyping: props.onTyping,
  })
  const { state, groupName } = view
  const group = answer.groups[groupName]
  const marks = Extras.groupOf(answer, groupName, shown)

  const message = ResultsView.messageLines(state, props.columns)
  const sizes = split(props.rows - (message.length - 1))
  const status = `  ${group?.trendType ?? ""} · ${group?.buckets.length ?? 0} buckets`
  return (
    <Box flexDirection="column" height={props.rows}>
      <Text bold wrap="truncate">
        {Format.request(props.request)}
      </Text>
      <GroupTabs names={groupNames} selected={state.group} status={status} width={props.columns} />
      {group === undefined ? (
        <Box flexGrow={1}>
          <Text>The answer has no group {groupName}.</Text>
        </Box>
      ) : (
        <>
          {EmptyAnswer.isEmpty(answer) ? (
            <EmptyHint
              lines={EmptyAnswer.hint(props.request.body, props.eventNames)}
              width={props.columns}
              height={sizes.chart + 1}
            />
          ) : (
            <BarChart
              group={group}
              width={props.columns}
              height={sizes.chart}
              selected={state.selected}
              incomplete={group.buckets.map((bucket) => Extras.isIncomplete(marks, bucket.key))}
            />
          )}
          <Text wrap="truncate">
            {Figures.figuresOf(
              group,
              {
                unique: props.request.body.unique === true,
                total: marks.total,
                incomplete: Extras.anyIncomplete(marks),
                ignored: Extras.ignored(wanted, answer),
              },
              props.columns,
            ).map((figure, index) => (
              <Text key={figure.label}>
                <Text color={theme.muted}>
                  {index > 0 ? " · " : ""}
                  {figure.label}
                  {figure.value === undefined ? "" : " "}
                </Text>
                <Text bold={figure.strong === true}>{figure.value}</Text>
                <Text color={theme.muted}>{figure.after}</Text>
              </Text>
            ))}
          </Text>
          <Box flexDirection="column" flexGrow={1}>
            {state.panel === "export" ? (
              <ExportPanel state={state} cwd={props.cwd} />
            ) : state.panel === "curl" ? (
              <CurlPanel command={props.curl} local={props.local} width={props.columns} />
            ) : (
              <BucketTable
                group={group}
                marks={marks}
                offset={state.offset}
                selected={state.selected}
                rows={sizes.table}
                width={props.columns}
              />
            )}
          </Box>
        </>
      )}
      <ResultsFooter state={state} lines={message} groupCount={groupNames.length} />
    </Box>
  )
}
