import type * as TrendsClient from "@trendline/client/TrendsClient"
import { Box, Text, useAnimation } from "ink"
import type * as QueryRequest from "../QueryRequest.ts"
import * as Format from "../view/Format.ts"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

const seconds = (millis: number): string => `${(millis / 1000).toFixed(1)} s`

/** A query on its way: spinner, elapsed time, and the server's `req_id` while it polls. */
export const RunningScreen = ({
  request,
  progress,
}: {
  readonly request: QueryRequest.QueryRequest
  readonly progress: TrendsClient.Progress | undefined
}) => {
  const theme = useTheme()
  const { frame, time } = useAnimation({ interval: 80 })
  return (
    <Box flexDirection="column" flexGrow={1}>
      <Box flexDirection="column" flexGrow={1} marginTop={1}>
        <Text>
          <Text color={theme.accent}>{spinner[frame % spinner.length]}</Text> Running{" "}
          {Format.request(request)} <Text color={theme.muted}>· {seconds(time)}</Text>
        </Text>
        {progress?._tag === "Pending" ? (
          <Text color={theme.muted}>
            {"  "}The server answered partial: req_id {progress.reqId}, polled {progress.polls}{" "}
            {progress.polls === 1 ? "time" : "times"} so far
          </Text>
        ) : progress?._tag === "Submitting" ? (
          <Text color={theme.muted}>{"  "}Sending the query…</Text>
        ) : null}
      </Box>
      <KeyHints
        hints={[
          ["Esc", "cancel"],
          ["?", "help"],
          ["q", "quit"],
        ]}
      />
    </Box>
  )
}
