import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import { useEffect } from "react"
import { useResultsView } from "../hooks/useResultsView.ts"
import * as EmptyAnswer from "../view/EmptyAnswer.ts"
import * as Format from "../view/Format.ts"
import * as ResultsView from "../view/ResultsView.ts"
import { BarChart } from "./BarChart.tsx"
import { BucketTable } from "./BucketTable.tsx"
import { CurlPanel } from "./CurlPanel.tsx"
import { ExportPanel } from "./ExportPanel.tsx"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

export interface ResultsScreenProps {
  readonly answer: TrendsClient.TrendsAnswer
  readonly request: Readonly<Record<string, unknown>>
  /** The event names the backend knows (none when it cannot tell), for the empty answer's hint. */
  readonly eventNames: ReadonlyArray<string>
  readonly active: boolean
  /** The screen's size below the app header. */
  readonly columns: number
  readonly rows: number
  readonly cwd: string
  readonly curl: string
  readonly local: boolean
  readonly onBack: () => void
  readonly onQuit: () => void
  readonly onHelp: () => void
  /** Told whether a text field (the export's file name) has the keyboard, so `q` types. */
  readonly onTyping: (typing: boolean) => void
}

// Title, tabs, key line under the chart, figures, table header, message, key hints.
const fixedRows = 7

/** Sizes of the chart and the table for a screen `rows` high. */
export const split = (rows: number): { readonly chart: number; readonly table: number } => {
  const free = Math.max(rows - fixedRows, 4)
  const chart = Math.min(Math.max(Math.round(free * 0.4), 3), 14)
  return { chart, table: Math.max(free - chart, 1) }
}

/** An answer: per group a chart, its figures and a scrollable table; export and curl. */
export const ResultsScreen = (props: ResultsScreenProps) => {
  const theme = useTheme()
  const view = useResultsView({
    answer: props.answer,
    request: props.request,
    active: props.active,
    // Any key clears the message, so keys move through the table as it is without one.
    pageSize: split(props.rows).table,
    cwd: props.cwd,
    onBack: props.onBack,
    onQuit: props.onQuit,
    onHelp: props.onHelp,
  })
  const { state, group, groupNames, groupName } = view
  const { onTyping } = props
  const typing = state.panel === "export"
  useEffect(() => {
    onTyping(typing)
    return () => onTyping(false)
  }, [onTyping, typing])

  // The whole message, wrapped: a path cut short would hide what went wrong.
  const message =
    state.message === undefined
      ? [" "]
      : Format.wrap(`${state.message.ok ? "✓" : "!"} ${state.message.text}`, props.columns)
  const sizes = split(props.rows - (message.length - 1))
  const status = `  ${group?.trendType ?? ""} · ${group?.buckets.length ?? 0} buckets`
  const tabs = ResultsView.tabLabels(groupNames, state.group, props.columns - status.length)
  const hints: ReadonlyArray<readonly [string, string]> =
    state.panel === "export"
      ? [
          ["Enter", state.confirmOverwrite ? "replace the file" : "write"],
          ["Tab", "CSV/JSON"],
          ["Esc", "cancel"],
          ["Ctrl+Q", "quit"],
        ]
      : state.panel === "curl"
        ? [
            ["Esc/c", "close"],
            ["?", "help"],
            ["q", "quit"],
          ]
        : [
            ["↑↓ PgUp PgDn", "scroll"],
            ...(groupNames.length > 1 ? ([["Tab", "group"]] as const) : []),
            ["e", "export"],
            ["c", "curl"],
            ["Esc/n", "new query"],
            ["?", "help"],
            ["q", "quit"],
          ]
  return (
    <Box flexDirection="column" height={props.rows}>
      <Text bold wrap="truncate">
        {Format.request(props.request)}
      </Text>
      <Text wrap="truncate">
        {tabs.map((label, index) => (
          <Text key={groupNames[index]}>
            {index > 0 ? " " : ""}
            {index === state.group ? (
              <Text inverse bold color={theme.accent}>{` ${label} `}</Text>
            ) : (
              <Text color={theme.muted}>{` ${label} `}</Text>
            )}
          </Text>
        ))}
        <Text color={theme.muted}>{status}</Text>
      </Text>
      {group === undefined ? (
        <Box flexGrow={1}>
          <Text>The answer has no group {groupName}.</Text>
        </Box>
      ) : (
        <>
          {EmptyAnswer.isEmpty(props.answer) ? (
            <EmptyHint
              lines={EmptyAnswer.hint(props.request, props.eventNames)}
              width={props.columns}
              height={sizes.chart + 1}
            />
          ) : (
            <BarChart
              group={group}
              width={props.columns}
              height={sizes.chart}
              selected={state.selected}
            />
          )}
          <Text wrap="truncate">
            <Text color={theme.muted}>total </Text>
            <Text bold>{Format.number(group.total)}</Text>
            <Text color={theme.muted}> · min </Text>
            {Format.number(group.min)}
            <Text color={theme.muted}> · max </Text>
            {Format.number(group.max)}
            <Text color={theme.muted}> · average </Text>
            {Format.number(group.mean)}
          </Text>
          <Box flexDirection="column" flexGrow={1}>
            {state.panel === "export" ? (
              <ExportPanel state={state} cwd={props.cwd} />
            ) : state.panel === "curl" ? (
              <CurlPanel command={props.curl} local={props.local} width={props.columns} />
            ) : (
              <BucketTable
                group={group}
                offset={state.offset}
                selected={state.selected}
                rows={sizes.table}
                width={props.columns}
              />
            )}
          </Box>
        </>
      )}
      <Box flexDirection="column" flexShrink={0}>
        {message.map((line, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
          <Text key={index} color={state.message?.ok ? theme.ok : theme.error}>
            {line}
          </Text>
        ))}
      </Box>
      <KeyHints hints={hints} />
    </Box>
  )
}

/** In place of a chart of zeros: what an answer of zeros means, `height` rows at most. */
const EmptyHint = ({
  lines,
  width,
  height,
}: {
  readonly lines: readonly [string, string]
  readonly width: number
  readonly height: number
}) => {
  const theme = useTheme()
  const [said, advice] = lines
  const first = Format.wrap(said, width)
  const second = Format.wrap(advice, width).slice(0, Math.max(height - first.length, 0))
  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      {first.slice(0, height).map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
        <Text key={`said${index}`} bold>
          {line}
        </Text>
      ))}
      {second.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are positions, not items
        <Text key={`advice${index}`} color={theme.muted}>
          {line}
        </Text>
      ))}
    </Box>
  )
}
