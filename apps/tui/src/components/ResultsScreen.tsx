import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text } from "ink"
import { useResultsView } from "../hooks/useResultsView.ts"
import * as Format from "../view/Format.ts"
import { BarChart } from "./BarChart.tsx"
import { BucketTable } from "./BucketTable.tsx"
import { CurlPanel } from "./CurlPanel.tsx"
import { ExportPanel } from "./ExportPanel.tsx"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

export interface ResultsScreenProps {
  readonly answer: TrendsClient.TrendsAnswer
  readonly request: Readonly<Record<string, unknown>>
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
  const sizes = split(props.rows)
  const view = useResultsView({
    answer: props.answer,
    request: props.request,
    active: props.active,
    pageSize: sizes.table,
    cwd: props.cwd,
    onBack: props.onBack,
    onQuit: props.onQuit,
    onHelp: props.onHelp,
  })
  const { state, group, groupNames, groupName } = view
  const hints: ReadonlyArray<readonly [string, string]> =
    state.panel === "export"
      ? [
          ["Enter", state.confirmOverwrite ? "replace the file" : "write"],
          ["Tab", "CSV/JSON"],
          ["Esc", "cancel"],
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
        {groupNames.map((name, index) => (
          <Text key={name}>
            {index > 0 ? " " : ""}
            {index === state.group ? (
              <Text inverse bold color={theme.accent}>{` ${name} `}</Text>
            ) : (
              <Text color={theme.muted}>{` ${name} `}</Text>
            )}
          </Text>
        ))}
        <Text color={theme.muted}>
          {"  "}
          {group?.trendType} · {group?.buckets.length ?? 0} buckets
        </Text>
      </Text>
      {group === undefined ? (
        <Box flexGrow={1}>
          <Text>The answer has no group {groupName}.</Text>
        </Box>
      ) : (
        <>
          <BarChart
            group={group}
            width={props.columns}
            height={sizes.chart}
            selected={state.selected}
          />
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
      <Text color={state.message?.ok ? theme.ok : theme.error} wrap="truncate-middle">
        {state.message === undefined
          ? " "
          : `${state.message.ok ? "✓" : "!"} ${state.message.text}`}
      </Text>
      <KeyHints hints={hints} />
    </Box>
  )
}
