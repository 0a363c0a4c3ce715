import * as ApiError from "@trendline/core/ApiError"
import { Box, Text } from "ink"
import type * as Backend from "../Backend.ts"
import type * as QueryRequest from "../QueryRequest.ts"
import * as Format from "../view/Format.ts"
import { KeyHints } from "./KeyHints.tsx"
import { useTheme } from "./Theme.tsx"

/** A query that failed: what went wrong, in the server's or the client's words. */
export const FailedScreen = ({
  request,
  error,
  message,
}: {
  readonly request: QueryRequest.QueryRequest
  readonly error: Backend.QueryError | undefined
  readonly message: string
}) => {
  const theme = useTheme()
  return (
    <Box flexDirection="column" flexGrow={1}>
      <Box flexDirection="column" flexGrow={1} marginTop={1}>
        <Text bold color={theme.error}>
          ✗ The query failed: {Format.request(request)}
        </Text>
        {error instanceof ApiError.InvalidRequest ? (
          error.issues.map((issue) => (
            <Text key={`${issue.path}:${issue.message}`}>
              {"  "}
              {issue.path === "" ? "" : `${issue.path}: `}
              {issue.message}
            </Text>
          ))
        ) : (
          <Text>
            {"  "}
            {message}
          </Text>
        )}
      </Box>
      <KeyHints
        hints={[
          ["Enter", "try again"],
          ["Esc/n", "edit the query"],
          ["?", "help"],
          ["q", "quit"],
        ]}
      />
    </Box>
  )
}
