import * as Calendar from "@trendline/core/Calendar"
import * as DateRange from "@trendline/core/DateRange"
import * as Extensions from "@trendline/core/Extensions"
import * as TopCounts from "@trendline/core/TopCounts"
import * as Option from "effect/Option"
import { Box, Text } from "ink"
import type { ReactNode } from "react"
import * as QueryForm from "../form/QueryForm.ts"
import { KeyHints } from "./KeyHints.tsx"
import { SuggestionList } from "./SuggestionList.tsx"
import { TextField } from "./TextField.tsx"
import { useTheme } from "./Theme.tsx"

const labelWidth = 10
// The form's rows in the least terminal the app lays out for (16, less the header).
const minimumRows = 15
// The widest trend choice, focused: `‹ quarterly ›`.
const trendWidth = 13

export interface QueryFormScreenProps {
  readonly state: QueryForm.FormState
  readonly issues: ReadonlyMap<QueryForm.IssueTarget, ReadonlyArray<string>>
  /** The focused field's suggestions, if it has any now. */
  readonly suggestions: QueryForm.Suggestions | undefined
  /** Whether Extras is on until the user chooses (the backend's default: local mode). */
  readonly extrasByDefault: boolean
  readonly columns: number
  readonly rows: number
}

const longDate = (day: Calendar.Day): string =>
  new Date(day * 86_400_000).toLocaleDateString("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  })

const Issues = ({ messages }: { readonly messages: ReadonlyArray<string> | undefined }) => {
  const theme = useTheme()
  if (messages === undefined) return null
  return (
    <Box flexDirection="column" marginLeft={labelWidth + 2}>
      {messages.map((message) => (
        <Text key={message} color={theme.error}>
          ✗ {message}
        </Text>
      ))}
    </Box>
  )
}

const Row = ({
  label,
  focused,
  children,
}: {
  readonly label: string
  readonly focused: boolean
  readonly children: ReactNode
}) => {
  const theme = useTheme()
  return (
    <Box>
      <Box width={labelWidth + 2} flexShrink={0}>
        <Text bold={focused} color={focused ? theme.accent : ""}>
          {focused ? "› " : "  "}
          {label}
        </Text>
      </Box>
      {children}
    </Box>
  )
}

const Choice = ({ label, focused }: { readonly label: string; readonly focused: boolean }) => {
  const theme = useTheme()
  return focused ? (
    <Text bold color={theme.accent}>
      ‹ {label} ›
    </Text>
  ) : (
    <Text>{label}</Text>
  )
}

/** The keys of the form now, how to quit last: `q` on a choice, Ctrl+Q in a text field. */
const hintsFor = (
  state: QueryForm.FormState,
  suggestions: QueryForm.Suggestions | undefined,
): ReadonlyArray<readonly [string, string]> => {
  const inGroup = state.focus.startsWith("group:")
  const groupKeys: ReadonlyArray<readonly [string, string]> = inGroup
    ? [["Ctrl+N/X", "add/remove group"]]
    : []
  if (suggestions !== undefined) {
    return [
      ["Tab/→", "complete"],
      ["↑↓", "choose"],
      ["Enter", "take it"],
      ["Esc", "stop typing"],
      ["Ctrl+Q", "quit"],
    ]
  }
  if (QueryForm.isTextField(state.focus)) {
    return [
      ["Enter", "run"],
      ["↑↓", "fields"],
      ...groupKeys,
      state.typing ? ["Esc", "stop typing"] : ["type", "edit"],
      ["?", "help"],
      ["Ctrl+Q", "quit"],
    ]
  }
  return [
    ["Enter", "run"],
    ["↑↓", "fields"],
    ["←→", state.focus === "extras" ? "on/off" : "change"],
    ...groupKeys,
    ["?", "help"],
    ["q", "quit"],
  ]
}

/**
 * The query form: event, range, measure, filters, a breakdown and groups (or, for top
 * values, the property, its source, how many values and their order), each with its issues
 * underneath; last, for trends, whether to ask for Trendline's extensions (Extras), a
 * comparison with an earlier period and rolling windows. Against a remote server Extras
 * are off until turned on, and the row says that only Trendline's servers answer them (a
 * hosted API ignores them).
 */
export const QueryFormScreen = ({
  state,
  issues,
  suggestions,
  extrasByDefault,
  columns,
  rows,
}: QueryFormScreenProps) => {
  const theme = useTheme()
  const { draft } = state
  const shown = (target: QueryForm.IssueTarget) =>
    QueryForm.isShown(state, target) ? issues.get(target) : undefined
  const focused = (field: QueryForm.FieldId) => state.focus === field
  const typing = (field: QueryForm.FieldId) => focused(field) && state.typing
  // Every field fits the row beside its label, however long its text.
  const fieldWidth = Math.max(columns - labelWidth - 2, 8)
  const highlighted = suggestions === undefined ? 0 : QueryForm.highlightedIndex(state, suggestions)
  // A dim completion after what was typed; an empty field shows its placeholder instead.
  const completion =
    suggestions === undefined
      ? undefined
      : QueryForm.ghostOf(state, suggestions, suggestions.names[highlighted]!)
  const text = (field: QueryForm.FieldId, placeholder?: string, width = fieldWidth) => (
    <TextField
      text={QueryForm.textOf(draft, field)}
      cursor={state.cursor}
      typing={typing(field)}
      {...(placeholder === undefined ? {} : { placeholder })}
      completion={focused(field) ? completion : undefined}
      width={width}
    />
  )

  const top = draft.measure === "top"
  // Top values show four fields of their own in place of the groups' three rows and more.
  const maxSuggestions = Math.min(Math.max(rows - 19 - (top ? 2 : draft.groups.length), 2), 8)
  // The list goes under the focused field, whichever suggests.
  const suggestionsUnder = (field: QueryForm.FieldId) =>
    suggestions === undefined || !focused(field) ? null : (
      <SuggestionList
        names={suggestions.names}
        highlighted={highlighted}
        max={maxSuggestions}
        noteOf={suggestions.kind === "operator" ? QueryForm.operatorNote : undefined}
        marginLeft={labelWidth + 2}
      />
    )

  const from = QueryForm.parseDate(draft.from)
  const to = QueryForm.parseDate(draft.to)
  const dateNote = (day: Option.Option<Calendar.Day>) =>
    Option.match(day, {
      onNone: () => null,
      onSome: (value) => <Text color={theme.muted}>{`   ${longDate(value)}`}</Text>,
    })
  const span =
    Option.isSome(from) && Option.isSome(to) && from.value <= to.value
      ? ` · ${DateRange.length({ from: from.value, to: to.value })} days`
      : ""

  const preset = QueryForm.presets.find((p) => p.id === draft.preset)?.label ?? draft.preset
  const measure = QueryForm.measures.find((m) => m.id === draft.measure)?.label ?? draft.measure
  const source = QueryForm.topSources.find((s) => s.id === draft.topSource)?.label ?? ""
  const order = QueryForm.topOrders.find((o) => o.id === draft.topOrder)?.label ?? ""
  const compare = QueryForm.compareChoices.find((c) => c.id === draft.compare)?.label ?? ""
  // The earlier period, once the range is one.
  const earlier =
    draft.compare !== "off" && Option.isSome(from) && Option.isSome(to) && from.value <= to.value
      ? Extensions.previousRange(draft.compare, from.value, to.value)
      : undefined
  // Names as wide as the longest, but never so wide that the trend column leaves the row.
  const nameWidth = Math.min(
    Math.max(12, ...draft.groups.map((group) => group.name.length + 2)),
    Math.max(columns - labelWidth - 2 - trendWidth, 8),
  )

  return (
    <Box flexDirection="column" flexGrow={1}>
      <Box flexDirection="column" flexGrow={1} flexShrink={1} overflowY="hidden">
        {/* Rows keep their height: what does not fit (the last choices, while a list of
            suggestions is open in a small terminal) is cut at the bottom, not squeezed. */}
        <Box flexDirection="column" flexShrink={0}>
          <Row label="Event" focused={focused("event")}>
            {text("event", "the event to count, e.g. Charged")}
          </Row>
          {suggestionsUnder("event")}
          <Issues messages={shown("event")} />
          <Row label="Range" focused={focused("preset")}>
            <Choice label={preset} focused={focused("preset")} />
          </Row>
          <Row label="From" focused={focused("from")}>
            {text("from", "YYYYMMDD")}
            {dateNote(from)}
          </Row>
          <Issues messages={shown("from")} />
          <Row label="To" focused={focused("to")}>
            {text("to", "YYYYMMDD")}
            {dateNote(to)}
            <Text color={theme.muted}>{span}</Text>
          </Row>
          <Issues messages={shown("to")} />
          <Row label="Measure" focused={focused("measure")}>
            <Choice label={measure} focused={focused("measure")} />
          </Row>
          <Issues messages={shown("measure")} />
          {draft.measure === "sum" ? (
            <>
              <Row label="Property" focused={focused("property")}>
                {text("property", "an integer property, e.g. Amount")}
              </Row>
              {suggestionsUnder("property")}
              <Issues messages={shown("property")} />
            </>
          ) : null}
          {top ? (
            <>
              <Row label="Property" focused={focused("topProperty")}>
                {text(
                  "topProperty",
                  draft.topSource === "profile"
                    ? "a profile field, e.g. Plan"
                    : "an event property, e.g. Category",
                )}
              </Row>
              {suggestionsUnder("topProperty")}
              <Issues messages={shown("topProperty")} />
              <Row label="Source" focused={focused("topSource")}>
                <Choice label={source} focused={focused("topSource")} />
              </Row>
              <Issues messages={shown("topSource")} />
              <Row label="Show" focused={focused("topN")}>
                {text("topN", "10", 6)}
                <Text color={theme.muted}>{`  values, 1 to ${TopCounts.maxTopN}`}</Text>
              </Row>
              <Issues messages={shown("topN")} />
              <Row label="Order" focused={focused("topOrder")}>
                <Choice label={order} focused={focused("topOrder")} />
              </Row>
              <Issues messages={shown("topOrder")} />
            </>
          ) : null}
          <Row label="Where" focused={focused("where")}>
            {text("where", "event properties, e.g. Amount greater_than 50; Platform equals iOS")}
          </Row>
          {suggestionsUnder("where")}
          <Issues messages={shown("where")} />
          <Row label="Profile" focused={focused("profileWhere")}>
            {text("profileWhere", 'profile fields, e.g. Plan equals ["pro","team"]')}
          </Row>
          {suggestionsUnder("profileWhere")}
          <Issues messages={shown("profileWhere")} />
          {top ? null : (
            <>
              <Row label="Breakdown" focused={focused("breakdown")}>
                {text("breakdown", "an event property: a series a top value, e.g. Platform")}
              </Row>
              {suggestionsUnder("breakdown")}
              <Issues messages={shown("breakdown")} />
              <Box>
                <Box width={labelWidth + 2}>
                  <Text>{"  "}Groups</Text>
                </Box>
                <Box width={nameWidth} flexShrink={0}>
                  <Text color={theme.muted}>name</Text>
                </Box>
                <Text color={theme.muted}>trend</Text>
              </Box>
              {draft.groups.map((group, index) => {
                const name: QueryForm.FieldId = `group:${group.id}:name`
                const type: QueryForm.FieldId = `group:${group.id}:type`
                return (
                  <Box key={group.id} flexDirection="column">
                    <Row label={`#${index + 1}`} focused={focused(name) || focused(type)}>
                      <Box width={nameWidth} flexShrink={0}>
                        {text(name, "a name", nameWidth - 1)}
                      </Box>
                      <Box flexShrink={0}>
                        <Choice label={group.trendType} focused={focused(type)} />
                      </Box>
                    </Row>
                    <Issues messages={shown(name)} />
                  </Box>
                )
              })}
              <Issues messages={shown("groups")} />
            </>
          )}
          <Issues messages={shown("form")} />
          {top ? null : (
            <>
              {/* The least terminal (`useTerminalSize`) has no row to spare for the tip: the key
                hints say Ctrl+N where the groups are. */}
              {rows > minimumRows ? (
                <Box marginLeft={labelWidth + 2}>
                  <Text color={theme.muted}>Ctrl+N adds a group</Text>
                </Box>
              ) : null}
              <Row label="Extras" focused={focused("extras")}>
                <Text wrap="truncate">
                  <Choice
                    label={
                      QueryForm.extrasOn(draft, extrasByDefault)
                        ? QueryForm.extrasLabels.on
                        : QueryForm.extrasLabels.off
                    }
                    focused={focused("extras")}
                  />
                  <Text color={theme.muted}>
                    {extrasByDefault ? "" : "  Trendline servers only"}
                  </Text>
                </Text>
              </Row>
              <Row label="Compare" focused={focused("compare")}>
                <Text wrap="truncate">
                  <Choice label={compare} focused={focused("compare")} />
                  <Text color={theme.muted}>
                    {earlier === undefined
                      ? ""
                      : `  ${Calendar.formatIsoDate(earlier[0])} → ${Calendar.formatIsoDate(earlier[1])}`}
                  </Text>
                </Text>
              </Row>
              <Issues messages={shown("compare")} />
              <Row label="Rolling" focused={focused("rolling")}>
                <Text wrap="truncate">
                  <Choice
                    label={QueryForm.rollingLabel(draft.rolling)}
                    focused={focused("rolling")}
                  />
                  <Text color={theme.muted}>
                    {draft.rolling === 0 ? "" : "  on daily groups: each day's window"}
                  </Text>
                </Text>
              </Row>
              <Issues messages={shown("rolling")} />
            </>
          )}
        </Box>
      </Box>
      <KeyHints hints={hintsFor(state, suggestions)} />
    </Box>
  )
}
