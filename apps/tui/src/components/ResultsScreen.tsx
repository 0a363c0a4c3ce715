import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import * as Export from "../Export.ts"
import * as Extras from "../Extras.ts"
import { useResultsView } from "../hooks/useResultsView.ts"
import * as EmptyAnswer from "../view/EmptyAnswer.ts"
import * as Figures from "../view/Figures.ts"
import * as Format from "../view/Format.ts"
import * as ResultsView from "../view/ResultsView.ts"
import * as SeriesView from "../view/SeriesView.ts"
import { BarChart } from "./BarChart.tsx"
import { BucketTable } from "./BucketTable.tsx"
import { CurlPanel } from "./CurlPanel.tsx"
import { EmptyHint } from "./EmptyHint.tsx"
import { ExportPanel } from "./ExportPanel.tsx"
import { GroupTabs } from "./GroupTabs.tsx"
import { type AnswerScreenProps, ResultsFooter } from "./ResultsFooter.tsx"
import { SeriesLegend } from "./SeriesLegend.tsx"
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
 * chart and marked `*` in the table, with a legend among the figures. A comparison draws
 * the earlier period as points over the bars and adds its value and the change to the
 * table; a breakdown's series and a daily group's rolling windows are series of the group
 * that Tab shows one at a time, named on a line under the tabs (`SeriesView`). With a
 * breakdown, the CSV export is its long form (`Export.toBreakdownCsv`), as with `trendline
 * query --breakdown --csv`.
 */
export const ResultsScreen = (props: ResultsScreenProps) => {
  const theme = useTheme()
  const { answer } = props
  const wanted = Extras.wantedOf(props.request.body)
  const shown = Extras.answered(wanted, answer)
  const groupNames = Object.keys(answer.groups)
  const measure = Format.measureOf(props.request.body)
  const seriesByGroup = groupNames.map((name) => {
    const group = answer.groups[name]
    return group === undefined
      ? []
      : SeriesView.seriesOf(group, Extras.groupOf(answer, name, shown), measure)
  })
  const view = useResultsView({
    kind: "trends",
    groupNames,
    rowCounts: groupNames.map((name) => answer.groups[name]?.buckets.length ?? 0),
    seriesCounts: seriesByGroup.map((series) => series.length),
    rowNoun: ["bucket", "buckets"],
    exportText: (format) =>
      format === "json"
        ? Export.toJson(answer)
        : shown.breakdown === true
          ? Export.toBreakdownCsv(answer)
          : Export.toCsv(answer, wanted),
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
  const whole = answer.groups[groupName]
  const groupMarks = Extras.groupOf(answer, groupName, shown)
  const series = seriesByGroup[groupNames.indexOf(groupName)] ?? []
  const selectedSeries = Math.min(state.series, Math.max(series.length - 1, 0))
  const shownSeries = series.length === 0 ? undefined : SeriesView.at(series, selectedSeries)
  // The group as the shown series has it: its values, its marks.
  const group =
    whole === undefined || shownSeries === undefined
      ? whole
      : SeriesView.groupOf(whole, shownSeries)
  const marks = shownSeries === undefined ? groupMarks : SeriesView.marksOf(groupMarks, shownSeries)
  const legend = SeriesView.legendOf(series, selectedSeries, groupMarks, props.columns)
  const unique = props.request.body.unique === true

  const message = ResultsView.messageLines(state, props.columns)
  const sizes = split(props.rows - (message.length - 1) - (legend === undefined ? 0 : 1))
  const status = `  ${whole?.trendType ?? ""} · ${whole?.buckets.length ?? 0} buckets`
  return (
    <Box flexDirection="column" height={props.rows}>
      <Text bold wrap="truncate">
        {Format.request(props.request)}
      </Text>
      <GroupTabs names={groupNames} selected={state.group} status={status} width={props.columns} />
      {legend === undefined ? null : <SeriesLegend items={legend} />}
      {group === undefined || whole === undefined || shownSeries === undefined ? (
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
              overlays={SeriesView.overlaysOf(whole, groupMarks, series, shownSeries)}
            />
          )}
          <Text wrap="truncate">
            {Figures.figuresOf(
              group,
              {
                unique,
                total: marks.total,
                incomplete: Extras.anyIncomplete(marks),
                ignored: Extras.ignored(wanted, answer),
                ...(shownSeries.kind === "group"
                  ? { previousTotal: SeriesView.previousTotal(whole, groupMarks, unique) }
                  : {}),
                rolling: shownSeries.kind === "rolling",
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
                extra={SeriesView.columnsOf(groupMarks, shownSeries)}
              />
            )}
          </Box>
        </>
      )}
      <ResultsFooter
        state={state}
        lines={message}
        groupCount={groupNames.length}
        seriesCount={series.length}
      />
    </Box>
  )
}
