import { Box, Text } from "ink"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

type Bindings = ReadonlyArray<readonly [string, string]>

const sections: ReadonlyArray<readonly [string, Bindings]> = [
  [
    "Query form",
    [
      ["Enter", "run the query (or take the highlighted suggestion)"],
      ["↑ ↓  Tab  Shift+Tab", "move between fields"],
      ["Tab  →", "complete the suggested name or operator"],
      ["← →  Space", "change a choice (range, measure, trend, Extras)"],
      ["Ctrl+N  Ctrl+X", "add a group, remove the focused one"],
      ["Ctrl+U  Ctrl+W", "clear the field, delete a word"],
      ["Esc", "stop typing (hides the suggestions)"],
    ],
  ],
  [
    "Results: trends and top values",
    [
      ["Tab  Shift+Tab", "next / previous series (breakdown, rolling) or group"],
      ["← →", "next / previous group"],
      ["↑ ↓  PgUp PgDn  Home End", "move through the buckets or values"],
      ["e  c", "export to a CSV or JSON file; c: the query as curl"],
      ["Esc  n", "back to the form, as you left it"],
      ["*  ░", "a bucket not over yet (Extras: on in local mode)"],
      ["─  ● ○", "points: earlier period (Compare), breakdown series"],
      ['"5"  5', 'top values: "5" is text, 5 is a number'],
    ],
  ],
  [
    "Anywhere",
    [
      ["?", "this help (Esc or ? closes it)"],
      ["Esc", "cancel a running query"],
      ["q", "quit, where no text field has the keyboard"],
      ["Ctrl+Q  Ctrl+C", "quit, from anywhere (text fields too)"],
    ],
  ],
]

/** Every key binding, by screen, and what the results' marks mean. */
export const HelpScreen = () => {
  const theme = useTheme()
  const keyWidth = Math.max(...sections.flatMap(([, bindings]) => bindings.map(([k]) => k.length)))
  return (
    <Box flexDirection="column" flexGrow={1}>
      <Box flexDirection="column" flexGrow={1}>
        {sections.map(([title, bindings]) => (
          <Box key={title} flexDirection="column">
            <Text bold color={theme.accent}>
              {title}
            </Text>
            {bindings.map(([key, action]) => (
              <Text key={key} wrap="truncate">
                {"  "}
                <Text bold>{key.padEnd(keyWidth)}</Text>
                {"  "}
                {action}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
      <KeyHints
        hints={[
          ["Esc/?", "close help"],
          ["q", "quit"],
        ]}
      />
    </Box>
  )
}
